"""Labelled synthetic timelines: seeded scenarios of polling and of traffic that is not, each
with the ground truth detection should find, to measure its accuracy (tests/scoring.py).

A scenario is one client's traffic as model events, built from what the client does (a timer
and its jitter, a backoff, a browser's connection pool, a server holding long polls) and
labelled from that, never from what the detector says: which pollers it holds (kind, cadence,
period, backoff base, factor and cap, how many share the endpoint, the recommendation when the
advice rules decide it clearly), and which periodic traffic is there that is not polling.

Every timer draws its jitter from U(0, 0.3): each interval is the period times 1 + U(-j, j).
Backoff delays draw theirs from U(0, 0.1) (libraries add little, and at 30% the levels of a
x1.5 backoff overlap). Series hold 8 to 200 requests, drawn log-uniformly (short series are
the hard ones). `scenario(kind, seed)` rebuilds one scenario exactly: that is a reproducer.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pushscope.inspector.endpoints import target
from pushscope.inspector.events import ModelEvent
from tests.traffic import http, in_time_order

T0 = 1_700_000_000.0
ORIGIN = "http://api.test"
HOST = "10.0.0.1"
MIN_REQUESTS, MAX_REQUESTS = 8, 200
MAX_JITTER = 0.3
BACKOFF_JITTER = 0.1

# The advice rules (pushscope/inspector/advice.py) the expected recommendation follows.
FAST_PERIOD, BUSY_PERIOD, SLOW_PERIOD, FRESH_RATIO, OFTEN_WRITES = 1.0, 10.0, 60.0, 0.2, 3
PERIOD_MARGIN = 0.1
"""A period this close (relative) to a threshold of the advice leaves it undecided."""

POLLED_PATHS = (
    "/api/status",
    "/api/notifications/unread",
    "/api/jobs/4711",
    "/chat/messages?since={cursor}",
    "/api/feed?user=42",
    "/v2/orders/3f2b9c1e-7a4d-4e2b-9b1a-2c3d4e5f6a7b/status",
)
"""What the synthetic pollers poll: plain paths, an id in the path, a cursor that grows with
each change, a parameter that stays the same, a UUID."""


@dataclass(frozen=True, slots=True)
class Truth:
    """One poller in a scenario: what a polling finding on it should say."""

    endpoint: str
    """Method and path template with the origin dropped: `GET /api/jobs/{id}`."""
    kind: str
    """`short-polling` or `long-polling`."""
    cadence: str | None
    """`regular`, `backoff` or `backoff-reset`; None for long polling."""
    period: float | None
    """Seconds, as the finding's `period_s` means it: a regular beat's period (the timer's,
    plus the mean round trip when the next poll waits for the answer), a backoff's latest
    interval, a saw-tooth's mean interval, a long poll's mean cycle."""
    base: float | None = None
    factor: float | None = None
    cap: float | None = None
    pollers: int = 1
    recommendation: str | None = None
    """`sse`, `websocket` or `keep-polling`; None when the scenario sits near a threshold."""
    requests: int = 0
    """Requests this poller sent (retries included)."""


@dataclass(frozen=True, slots=True)
class Periodic:
    """Periodic traffic that is not polling: never a polling finding; its own kind expected."""

    endpoint: str
    kind: str
    """`beacon`, `heartbeat`, `telemetry`, `token-refresh` or `sw-update-check`."""


@dataclass(slots=True)
class Scenario:
    """One client's labelled traffic."""

    kind: str
    seed: int
    events: list[ModelEvent]
    truths: tuple[Truth, ...]
    periodic: tuple[Periodic, ...] = ()
    requests: int = 0
    """Requests of the scenario's main series (a poller's, or the decoy's)."""
    params: dict[str, object] = field(default_factory=dict)
    """What was drawn, rounded: shown with a miss."""

    @property
    def polling(self) -> bool:
        return bool(self.truths)


def endpoint_of(method: str, path: str) -> str:
    """A request's endpoint as the scoring compares them: method and path template."""
    where = target(method, ORIGIN + path)
    return f"{method} {where.endpoint.partition(' ')[2].removeprefix(where.origin)}"


def expected_recommendation(
    kind: str, cadence: str | None, period: float, unchanged: float, writes: int, requests: int
) -> str | None:
    """What the advice rules recommend for a poller so labelled, or None when the scenario
    sits too near one of their thresholds for the answer to be clear."""
    if kind == "long-polling":
        return "websocket" if writes >= OFTEN_WRITES else "sse"
    if cadence != "regular":
        return "sse"
    if writes >= OFTEN_WRITES:
        return "websocket"

    def near(threshold: float) -> bool:
        return abs(period / threshold - 1) <= PERIOD_MARGIN

    if near(FAST_PERIOD) or near(BUSY_PERIOD) or near(SLOW_PERIOD):
        return None
    if period < FAST_PERIOD:
        return "websocket"
    if period >= SLOW_PERIOD:
        return "keep-polling"
    if period >= BUSY_PERIOD:
        # One answer more or less moves a short series' share by 1/n.
        if abs(unchanged - FRESH_RATIO) <= max(0.05, 1.5 / requests):
            return None
        return "keep-polling" if unchanged <= FRESH_RATIO else "sse"
    return "sse"


# -- building blocks ---------------------------------------------------------------------


@dataclass(slots=True)
class _Request:
    start: float
    path: str
    method: str = "GET"
    duration: float = 0.05
    status: int = 200
    body: bytes = b'{"ok": true}'
    port: int = 50000
    content_type: str = "application/json"
    http_version: str = "HTTP/1.1"
    request_body_size: int = 0
    request_headers: tuple[tuple[str, str], ...] = ()


def _events(requests: list[_Request]) -> list[ModelEvent]:
    groups = [
        http(
            r.start,
            ORIGIN + r.path,
            method=r.method,
            duration=r.duration,
            status=r.status,
            body=r.body,
            client=f"{HOST}:{r.port}",
            request_headers=r.request_headers,
            content_type=r.content_type,
            http_version=r.http_version,
            request_body_size=r.request_body_size,
        )
        for r in requests
    ]
    return list(in_time_order(*groups))


def _length(rng: random.Random, low: int = MIN_REQUESTS, high: int = MAX_REQUESTS) -> int:
    return min(high, int(math.exp(rng.uniform(math.log(low), math.log(high + 1)))))


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _jittered(rng: random.Random, value: float, jitter: float) -> float:
    return value * (1 + rng.uniform(-jitter, jitter))


class _Server:
    """The polled resource: it changes at random (Poisson) times; a poll sees its version."""

    def __init__(self, rng: random.Random, rate: float, start: float, span: float) -> None:
        self.changes: list[float] = []
        t = start
        while rate > 0:
            t += rng.expovariate(rate)
            if t > start + span:
                break
            self.changes.append(t)

    def version(self, at: float) -> int:
        return bisect.bisect_right(self.changes, at)


@dataclass(slots=True)
class _Poller:
    """How one poller asks and what its answers look like."""

    path: str
    conditional: bool
    http_version: str = "HTTP/1.1"

    def request(
        self, start: float, duration: float, version: int, *, status: int = 200, port: int = 50000
    ) -> _Request:
        path = self.path.replace("{cursor}", str(version))
        headers = (("If-None-Match", f'"v{version}"'),) if self.conditional else ()
        return _Request(
            start,
            path,
            duration=duration,
            status=status,
            body=b'{"version": %d}' % version if status < 500 else b'{"error": "unavailable"}',
            port=port,
            http_version=self.http_version,
            request_headers=headers,
        )


def _answer(polls: list[_Request], conditional: bool) -> None:
    """Unchanged answers of a conditional poller become bodiless 304s."""
    previous: bytes | None = None
    for poll in polls:
        if poll.status >= 400:
            continue
        if conditional and poll.body == previous:
            poll.status, poll.body = 304, b""
        else:
            previous = poll.body


def _unchanged(polls: list[_Request]) -> float:
    """Share of the answers that brought nothing new (the first is new), errors not counted."""
    known = [p for p in polls if p.status < 400]
    previous: bytes | None = None
    same = 0
    for poll in known:
        if poll.status in (204, 304) or poll.body == previous:
            same += 1
        else:
            previous = poll.body
    return same / len(known) if known else 0.0


def _rtt(rng: random.Random, period: float) -> float:
    """A typical round trip, short beside the period."""
    return rng.uniform(0.01, min(0.3, 0.15 * period))


def _fixed_rate(
    rng: random.Random, count: int, period: float, jitter: float, start: float
) -> list[float]:
    """`setInterval` with jitter: each tick the period times 1 + U(-j, j) after the last."""
    ticks = [start]
    while len(ticks) < count:
        ticks.append(ticks[-1] + _jittered(rng, period, jitter))
    return ticks


@dataclass(slots=True)
class _Built:
    requests: list[_Request]
    truths: list[Truth]
    periodic: list[Periodic] = field(default_factory=list)
    main: int = 0
    params: dict[str, object] = field(default_factory=dict)


def _poll_truth(
    polls: list[_Request],
    *,
    cadence: str | None,
    period: float,
    writes: int = 0,
    pollers: int = 1,
    kind: str = "short-polling",
    **backoff: float | None,
) -> Truth:
    recommendation = expected_recommendation(
        kind, cadence, period, _unchanged(polls), writes, len(polls)
    )
    return Truth(
        endpoint_of("GET", polls[0].path),
        kind,
        cadence,
        period,
        pollers=pollers,
        recommendation=recommendation,
        requests=len(polls),
        **backoff,  # type: ignore[arg-type]
    )


def _writes(
    rng: random.Random, poller: _Poller, start: float, end: float, port: int
) -> list[_Request]:
    """A user writing to the polled resource now and then (a chat): two-way traffic."""
    path = poller.path.partition("?")[0]
    return [
        _Request(
            rng.uniform(start, end),
            path,
            method="POST",
            status=201,
            body=b'{"id": 1}',
            port=port,
            request_body_size=40,
        )
        for _ in range(rng.randint(OFTEN_WRITES, 8))
    ]


def _setup(rng: random.Random) -> tuple[_Poller, float, float, int, _Server]:
    """A poller's common draws: what it polls, its period, jitter, length and server."""
    path = rng.choice(POLLED_PATHS)
    period = _log_uniform(rng, 0.3, 120.0)
    jitter = rng.uniform(0, MAX_JITTER)
    count = _length(rng)
    poller = _Poller(path, conditional=rng.random() < 0.3)
    server = _Server(rng, rng.uniform(0, 2.5) / period, T0, period * count * 3)
    return poller, period, jitter, count, server


def _regular_polls(
    rng: random.Random,
    poller: _Poller,
    server: _Server,
    count: int,
    period: float,
    jitter: float,
    *,
    chained: bool,
    start: float = T0,
    ports: list[int] | None = None,
) -> tuple[list[_Request], float]:
    """A regular poller: fixed-rate (`setInterval`) or chained (`setTimeout` after each
    answer). Returns its polls and its true period, start to start."""
    base_rtt = _rtt(rng, period)
    polls: list[_Request] = []
    rtts: list[float] = []
    if chained:
        t = start
        for _ in range(count):
            # The round trip varies as much as the sleep: the whole interval keeps the jitter.
            rtt = _jittered(rng, base_rtt, jitter)
            polls.append(poller.request(t, rtt, server.version(t)))
            rtts.append(rtt)
            t += rtt + _jittered(rng, period, jitter)
        true_period = period + sum(rtts[:-1]) / (len(rtts) - 1)
    else:
        for tick in _fixed_rate(rng, count, period, jitter, start):
            polls.append(poller.request(tick, _jittered(rng, base_rtt, 0.3), server.version(tick)))
        true_period = period
    if ports:
        for poll in polls:
            poll.port = rng.choice(ports)
    _answer(polls, poller.conditional)
    return polls, true_period


# -- scenario kinds ----------------------------------------------------------------------


def _interval(rng: random.Random, chained: bool = False) -> _Built:
    poller, period, jitter, count, server = _setup(rng)
    polls, true_period = _regular_polls(rng, poller, server, count, period, jitter, chained=chained)
    writes = []
    if rng.random() < 0.25:
        writes = _writes(rng, poller, polls[0].start, polls[-1].start, 50000)
    truth = _poll_truth(polls, cadence="regular", period=true_period, writes=len(writes))
    params = {"path": poller.path, "period": period, "jitter": jitter, "writes": len(writes)}
    return _Built(polls + writes, [truth], main=count, params=params)


def _timeout_chain(rng: random.Random) -> _Built:
    return _interval(rng, chained=True)


def _backoff_delays(
    rng: random.Random, base: float, factor: float, cap: float | None, levels: list[int]
) -> list[float]:
    top = cap if cap is not None else math.inf
    return [_jittered(rng, min(base * factor**k, top), BACKOFF_JITTER) for k in levels]


def _backoff_draws(rng: random.Random) -> tuple[float, float, float | None]:
    base = _log_uniform(rng, 0.2, 5.0)
    factor = rng.uniform(1.5, 3.0)
    cap = base * factor ** rng.uniform(3, 6) if rng.random() < 0.7 else None
    return base, factor, cap


def _chain(
    rng: random.Random, poller: _Poller, delays: list[float], base: float, versions: list[int]
) -> tuple[list[_Request], float]:
    """Polls that each wait `delays[k]` after the answer before the next, and see the
    resource at `versions[k]`; and their mean round trip."""
    base_rtt = _rtt(rng, base)
    polls, t = [], T0
    for k, version in enumerate(versions):
        rtt = _jittered(rng, base_rtt, BACKOFF_JITTER)
        polls.append(poller.request(t, rtt, version))
        if k < len(delays):
            t += rtt + delays[k]
    return polls, sum(p.duration for p in polls) / len(polls)


def _backoff(rng: random.Random) -> _Built:
    """Exponential backoff until the answer changes, maybe up to a cap (a job's progress)."""
    base, factor, cap = _backoff_draws(rng)
    poller = _Poller(rng.choice(POLLED_PATHS), conditional=rng.random() < 0.3)
    # Without a cap the delays soon reach hours: such series stay short.
    count = _length(rng) if cap is not None else rng.randint(MIN_REQUESTS, 10)
    levels = list(range(count - 1))
    delays = _backoff_delays(rng, base, factor, cap, levels)
    polls, rtt = _chain(rng, poller, delays, base, [0] * (count - 1) + [1])  # then done
    _answer(polls, poller.conditional)
    top = cap if cap is not None else math.inf
    truth = _poll_truth(
        polls,
        cadence="backoff",
        period=min(base * factor ** levels[-1], top) + rtt,
        base=base + rtt,
        factor=factor,
        cap=cap + rtt if cap is not None else None,
    )
    params = {"base": base, "factor": factor, "cap": cap, "requests": count}
    return _Built(polls, [truth], main=count, params=params)


def _backoff_reset(rng: random.Random) -> _Built:
    """A saw-tooth: the delay grows while nothing changes and drops to the base after each
    change (a job-progress or inbox poller)."""
    base, factor, cap = _backoff_draws(rng)
    poller = _Poller(rng.choice(POLLED_PATHS), conditional=rng.random() < 0.3)
    count = _length(rng)
    change = rng.uniform(0.1, 0.35)
    levels, changed, level = [], [False], 0
    for _ in range(count - 1):
        levels.append(level)
        news = rng.random() < change
        changed.append(news)
        level = 0 if news else level + 1
    delays = _backoff_delays(rng, base, factor, cap, levels)
    versions = list(itertools.accumulate(int(news) for news in changed))
    polls, rtt = _chain(rng, poller, delays, base, versions)
    _answer(polls, poller.conditional)
    starts = [p.start for p in polls]
    mean = (starts[-1] - starts[0]) / (len(starts) - 1)
    truth = _poll_truth(
        polls,
        cadence="backoff-reset",
        period=mean,
        base=base + rtt,
        factor=factor,
        cap=cap + rtt if cap is not None else None,
    )
    params = {"base": base, "factor": factor, "cap": cap, "change": change, "requests": count}
    return _Built(polls, [truth], main=count, params=params)


def _paused(rng: random.Random) -> _Built:
    """A regular poller in a tab hidden for a while (no polls at all), then shown again."""
    poller, period, jitter, count, server = _setup(rng)
    pauses = 1 if count < 40 else rng.randint(1, 2)
    cuts = sorted(rng.sample(range(2, count - 1), pauses))
    polls: list[_Request] = []
    start = T0
    for first, last in zip([0, *cuts], [*cuts, count], strict=True):
        part, _ = _regular_polls(
            rng, poller, server, last - first, period, jitter, chained=False, start=start
        )
        polls += part
        start = part[-1].start + max(30.0, rng.uniform(8, 40) * period)
    _answer(polls, poller.conditional)
    truth = _poll_truth(polls, cadence="regular", period=period)
    params = {"path": poller.path, "period": period, "jitter": jitter, "pauses": pauses}
    return _Built(polls, [truth], main=count, params=params)


def _retry(rng: random.Random) -> _Built:
    """A regular poller whose failed answers (5xx) are retried quickly, 1 to 3 times."""
    poller, period, jitter, count, server = _setup(rng)
    polls, _ = _regular_polls(rng, poller, server, count, period, jitter, chained=False)
    failing = rng.uniform(0.03, 0.12)
    failed = [i for i in range(count) if rng.random() < failing] or [rng.randrange(count)]
    retries: list[_Request] = []
    for i in failed:
        poll = polls[i]
        poll.status = rng.choice((500, 502, 503, 504))
        poll.body = b'{"error": "unavailable"}'
        first = rng.uniform(0.03, 0.1) * period
        tries = rng.randint(1, 3)
        for k in range(1, tries + 1):
            at = poll.start + first * (2**k - 1)
            ok = k == tries and rng.random() < 0.7
            retry = poller.request(at, poll.duration, server.version(at), status=200 if ok else 503)
            retries.append(retry)
    everything = sorted(polls + retries, key=lambda p: p.start)
    _answer(everything, poller.conditional)
    truth = _poll_truth(everything, cadence="regular", period=period)
    params = {"period": period, "jitter": jitter, "failed": len(failed), "retries": len(retries)}
    return _Built(everything, [truth], main=count, params=params)


def _in_flight(rng: random.Random) -> _Built:
    """`setInterval` with an in-flight guard: a tick is skipped while an answer is slow."""
    poller, period, jitter, count, server = _setup(rng)
    slow = rng.uniform(0.05, 0.2)
    base_rtt = _rtt(rng, period)
    polls: list[_Request] = []
    tick, busy_until = T0, -math.inf
    while len(polls) < count:
        if tick >= busy_until:
            if rng.random() < slow:
                duration = rng.uniform(1.05, 2.5) * period
            else:
                duration = _jittered(rng, base_rtt, 0.3)
            polls.append(poller.request(tick, duration, server.version(tick)))
            busy_until = tick + duration
        tick += _jittered(rng, period, jitter)
    _answer(polls, poller.conditional)
    truth = _poll_truth(polls, cadence="regular", period=period)
    params = {"period": period, "jitter": jitter, "slow": slow}
    return _Built(polls, [truth], main=count, params=params)


def _pool(rng: random.Random) -> _Built:
    """One poller spread over a browser's HTTP/1.1 pool of 2 to 6 connections."""
    poller, period, jitter, count, server = _setup(rng)
    connections = rng.randint(2, 6)
    chained = rng.random() < 0.5
    polls, true_period = _regular_polls(
        rng,
        poller,
        server,
        count,
        period,
        jitter,
        chained=chained,
        ports=[50000 + k for k in range(connections)],
    )
    truth = _poll_truth(polls, cadence="regular", period=true_period)
    params = {"period": period, "jitter": jitter, "connections": connections, "chained": chained}
    return _Built(polls, [truth], main=count, params=params)


def _user_requests(
    rng: random.Random, start: float, end: float, count: int, ports: list[int], version: str
) -> list[_Request]:
    """A user's own requests at random times to other endpoints (REST reads)."""
    requests = []
    for _ in range(count):
        at = rng.uniform(start, end)
        path = rng.choice((f"/api/items/{rng.randint(1, 500)}", f"/api/search?q=w{rng.random()}"))
        body = b'{"item": %d}' % rng.randint(0, 10**6)
        requests.append(_Request(at, path, body=body, port=rng.choice(ports), http_version=version))
    return requests


def _http2(rng: random.Random) -> _Built:
    """One poller on the page's one HTTP/2 connection, amid the page's other requests."""
    poller, period, jitter, count, server = _setup(rng)
    poller.http_version = "HTTP/2.0"
    chained = rng.random() < 0.5
    polls, true_period = _regular_polls(rng, poller, server, count, period, jitter, chained=chained)
    others = _user_requests(
        rng, T0, polls[-1].start, rng.randint(0, count // 2), [50000], "HTTP/2.0"
    )
    truth = _poll_truth(polls, cadence="regular", period=true_period)
    params = {"period": period, "jitter": jitter, "chained": chained, "others": len(others)}
    return _Built(polls + others, [truth], main=count, params=params)


def _two_pollers(rng: random.Random) -> _Built:
    """Two pollers of one endpoint on one host (two tabs, two widgets): one period out of
    phase, or two periods; on a connection each, a shared pool or one HTTP/2 connection."""
    path = rng.choice(POLLED_PATHS)
    conditional = rng.random() < 0.3
    layout = rng.choice(("own", "pool", "http2"))
    poller = _Poller(path, conditional, "HTTP/2.0" if layout == "http2" else "HTTP/1.1")
    period = _log_uniform(rng, 0.3, 120.0)
    same = rng.random() < 0.5
    second = period if same else period * rng.uniform(1.3, 3.0) ** rng.choice((-1, 1))
    counts = [_length(rng), _length(rng)]
    span = max(c * p for c, p in zip(counts, (period, second), strict=True))
    server = _Server(rng, rng.uniform(0, 2.5) / min(period, second), T0, span * 3)
    offset = rng.uniform(0.15, 0.85) * period
    pool = [50000 + k for k in range(rng.randint(2, 6))]
    truths, everything, jitters = [], [], []
    for number, (count, beat, start) in enumerate(
        zip(counts, (period, second), (T0, T0 + offset), strict=True)
    ):
        jitter = rng.uniform(0, MAX_JITTER)
        ports = [50000 + number] if layout == "own" else pool if layout == "pool" else [50000]
        polls, _ = _regular_polls(
            rng, poller, server, count, beat, jitter, chained=False, start=start, ports=ports
        )
        truths.append(_poll_truth(polls, cadence="regular", period=beat, pollers=2))
        everything += polls
        jitters.append(round(jitter, 3))
    params = {
        "periods": (period, second),
        "jitters": jitters,
        "counts": counts,
        "layout": layout,
        "offset": offset,
    }
    return _Built(everything, truths, main=sum(counts), params=params)


def _long_poll(rng: random.Random) -> _Built:
    """Long polling: each request held until an event or the server's timeout, re-issued as
    soon as it is answered."""
    path = rng.choice(("/api/updates/poll", "/events/longpoll", "/api/subscribe"))
    timeout = rng.uniform(5, 60)
    early = rng.uniform(0.1, 0.6)
    empty = rng.random() < 0.5
    count = _length(rng)
    polls, t = [], T0
    for i in range(count):
        if rng.random() < early:
            hold, status, body = rng.uniform(0.1, timeout), 200, b'{"event": %d}' % i
        else:
            hold = _jittered(rng, timeout, 0.01)
            status, body = (204, b"") if empty else (200, b'{"events": []}')
        polls.append(_Request(t, path, duration=hold, status=status, body=body))
        t += hold + rng.uniform(0.005, 0.2)
    cycle = (polls[-1].start - polls[0].start) / (count - 1)
    truth = _poll_truth(polls, cadence=None, period=cycle, kind="long-polling")
    params = {"timeout": timeout, "early": early, "requests": count}
    return _Built(polls, [truth], main=count, params=params)


def _poisson(rng: random.Random) -> _Built:
    """Not polling: a user's requests to one endpoint at random (Poisson) times, over one to
    six connections."""
    count = _length(rng)
    mean = _log_uniform(rng, 0.2, 60.0)
    connections = rng.randint(1, 6)
    path = rng.choice(("/api/items", "/api/status", "/api/search?q=shoes", "/api/cart"))
    requests, t = [], T0
    for _ in range(count):
        t += rng.expovariate(1 / mean)
        body = b'{"items": %d}' % rng.randint(0, 3)
        requests.append(_Request(t, path, body=body, port=50000 + rng.randrange(connections)))
    params = {"mean": mean, "connections": connections, "requests": count}
    return _Built(requests, [], main=count, params=params)


def _page_load(rng: random.Random) -> _Built:
    """Not polling: page loads (a user navigating), each a burst of the page, its assets,
    an API call and tracking pixels, spread over 6 connections in under a second."""
    count = _length(rng)
    loads = rng.randint(1, min(8, count // 4))
    per_load = math.ceil(count / loads)
    requests: list[_Request] = []
    t = T0
    for load in range(loads):
        burst = rng.uniform(0.05, 1.0)
        page = [("/index.html", b"<html></html>"), ("/static/app.js", b"js")]
        page += [("/api/me", b'{"user": 1}')]
        for path, body in page:
            requests.append(_Request(t + rng.uniform(0, 0.1) * burst, path, body=body))
        for n in range(per_load):
            at = t + rng.uniform(0.1, 1.0) * burst
            path = f"/static/pixel.gif?evt={load * per_load + n}&rnd={rng.random()}"
            requests.append(
                _Request(at, path, duration=0.01, body=b"GIF89a", port=50000 + rng.randrange(6))
            )
        t += burst + rng.expovariate(1 / _log_uniform(rng, 5, 120))
    params = {"loads": loads, "per_load": per_load}
    return _Built(requests, [], main=loads * per_load, params=params)


_PERIODIC = {
    # kind: (method, paths, request content type, request body bytes)
    "beacon": ("POST", ("/analytics/collect", "/api/track", "/b"), "text/plain", 180),
    "heartbeat": ("POST", ("/api/presence/heartbeat", "/api/clients/77/state"), "", 60),
    "telemetry": ("POST", ("/v1/metrics", "/api/logs", "/otlp/v1/traces"), "", 900),
    "token-refresh": ("POST", ("/auth/token/refresh", "/api/session/renew"), "", 120),
    "sw-update-check": ("GET", ("/sw.js", "/service-worker.js"), "", 0),
}


def _periodic(kind: str) -> Callable[[random.Random], _Built]:
    def build(rng: random.Random) -> _Built:
        method, paths, content_type, size = _PERIODIC[kind]
        path = rng.choice(paths)
        low, high = {"token-refresh": (60, 900), "sw-update-check": (60, 3600)}.get(kind, (2, 60))
        period = _log_uniform(rng, low, high)
        jitter = rng.uniform(0, MAX_JITTER)
        count = _length(rng)
        # A collector answers all its batches alike (202 Accepted is no series: not pollable).
        shipped = rng.choice(((204, b""), (200, b"{}"), (202, b"")))
        requests = []
        for i, tick in enumerate(_fixed_rate(rng, count, period, jitter, T0)):
            status, body, answer_type = 200, b'{"ok": true}', "application/json"
            headers: tuple[tuple[str, str], ...] = ()
            if kind == "beacon" or (kind == "heartbeat" and "state" in path):
                status, body = 204, b""
            elif kind == "telemetry":
                status, body = shipped
            elif kind == "token-refresh":
                body = b'{"token": "t%d", "expires_in": 900}' % i
            elif kind == "sw-update-check":
                body, answer_type = b"self.addEventListener('fetch', () => {});", "text/javascript"
                headers = (("Service-Worker", "script"),)
            requests.append(
                _Request(
                    tick,
                    path,
                    method=method,
                    duration=_rtt(rng, period),
                    status=status,
                    body=body,
                    content_type=answer_type,
                    request_body_size=size,
                    request_headers=(
                        (("Content-Type", content_type or "application/json"),) if size else ()
                    )
                    + headers,
                )
            )
        params = {"path": path, "period": period, "jitter": jitter, "requests": count}
        periodic = [Periodic(endpoint_of(method, path), kind)]
        return _Built(requests, [], periodic, main=count, params=params)

    return build


KINDS: dict[str, Callable[[random.Random], _Built]] = {
    "interval": _interval,
    "timeout-chain": _timeout_chain,
    "backoff": _backoff,
    "backoff-reset": _backoff_reset,
    "paused": _paused,
    "retry": _retry,
    "in-flight": _in_flight,
    "pool": _pool,
    "http2": _http2,
    "two-pollers": _two_pollers,
    "long-poll": _long_poll,
    "poisson": _poisson,
    "page-load": _page_load,
    **{kind: _periodic(kind) for kind in _PERIODIC},
}
"""Every scenario kind and how to build one from a seeded random generator."""


def scenario(kind: str, seed: int) -> Scenario:
    """The scenario of this kind and seed: the same events and truth on every call."""
    built = KINDS[kind](random.Random(f"{kind}:{seed}"))
    params = {key: _rounded(value) for key, value in built.params.items()}
    return Scenario(
        kind,
        seed,
        _events(built.requests),
        tuple(built.truths),
        tuple(built.periodic),
        built.main,
        params,
    )


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, tuple | list):
        return [_rounded(item) for item in value]
    return value


def scenarios(count: int, seed: int) -> Iterator[Scenario]:
    """`count` scenarios, the kinds in turn, each seeded from `seed` and its number."""
    kinds = list(KINDS)
    for number in range(count):
        yield scenario(kinds[number % len(kinds)], seed * 1_000_003 + number)
