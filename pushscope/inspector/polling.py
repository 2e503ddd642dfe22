"""Polling series: one client asking one endpoint again and again, and whether it polls.

A series holds compact `Poll` records (not exchanges) sorted by start time. `PollingSeries.
evaluate` splits it into what really are separate pollers (concurrent connections from one
host; a parameter that names a different resource) and tests each part for long polling, then
short polling. Evaluation depends only on the records, never on the order they came in.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from pushscope.inspector.cadence import MIN_REQUESTS, Cadence, cadence
from pushscope.inspector.redact import is_secret_param

LONG_POLL_MIN_HOLD = 1.0
"""Seconds a request must typically be held open to count as a long poll."""
LONG_POLL_MIN_HOLD_FRAMEWORK = 0.2
"""The same for transports that say they long-poll (Engine.IO `transport=polling`...)."""
REISSUE_GAP = 1.0
"""Most seconds between an answer and the next request for a long poll to be "re-issued"."""
ENGINE_IO_CONTROL_BYTES = 2
"""Engine.IO answers a long poll with a bare `6` (noop) or `2` (ping) when it has nothing."""
SHORT_POLL_MIN_IDLE = 0.05
"""Short polls wait between answer and next request; back-to-back loops are bursts."""


@dataclass(slots=True)
class Poll:
    """One request of a series, reduced to what detection and costing need. (Not frozen,
    though never changed: a frozen dataclass is several times slower to build.)"""

    exchange_id: str
    start: float
    end: float | None
    status: int | None
    digest: str | None
    body_bytes: int
    wire_bytes: int
    """Request and response on the wire: start lines, headers and bodies."""
    conditional: bool
    connection: str | None
    params: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class Verdict:
    """A series part that polls, and how."""

    kind: str
    """`short-polling` or `long-polling`."""
    polls: list[Poll]
    period: float
    jitter: float
    cadence: Cadence | None = None
    hold: float | None = None
    """Long polling: the median time the server held a request."""
    timeout: float | None = None
    """Long polling: the hold the server gives up at, when most answers end there."""
    connection: str | None = None
    """The first connection of this poller, when one host holds several pollers."""
    framework: str | None = None
    split_by: tuple[tuple[str, str], ...] = ()

    @property
    def span(self) -> float:
        last = self.polls[-1]
        return (last.end or last.start) - self.polls[0].start

    def news(self) -> list[bool | None]:
        """For each poll: did its answer bring anything new (None: no answer to judge)?

        Nothing new: 304 Not Modified, 204 No Content, an empty body, the same body as the
        previous answer, or a framework's keep-alive (Engine.IO's one-byte noop and ping)."""
        result: list[bool | None] = []
        previous: str | None = None
        trivial = ENGINE_IO_CONTROL_BYTES if self.framework == "socket.io" else 0
        for poll in self.polls:
            if poll.status is None or poll.status >= 400:
                result.append(None)
            elif poll.digest is None and poll.status not in (204, 304):
                result.append(None)  # a body that passed unseen: unknown, not "nothing new"
            elif poll.status in (204, 304) or poll.body_bytes <= trivial:
                result.append(False)
            else:
                result.append(poll.digest is None or poll.digest != previous)
                previous = poll.digest
        return result

    def unchanged_ratio(self) -> float:
        known = [new for new in self.news() if new is not None]
        return sum(1 for new in known if not new) / len(known) if known else 0.0


@dataclass(slots=True)
class PollingSeries:
    client: str
    endpoint: str
    origin: str
    family: str
    framework: str | None = None
    polls: list[Poll] = field(default_factory=list)
    evaluated_at: int = 0

    def add(self, poll: Poll) -> None:
        polls = self.polls
        if not polls or (polls[-1].start, polls[-1].exchange_id) <= (poll.start, poll.exchange_id):
            polls.append(poll)  # the usual case: requests come in time order
        else:
            bisect.insort(polls, poll, key=lambda p: (p.start, p.exchange_id))

    def evaluate(self, window: int | None = None) -> list[Verdict]:
        """Verdicts on the whole series, or on only its latest `window` polls (live, where an
        evaluation runs inside the proxy's event loop and must stay short)."""
        self.evaluated_at = len(self.polls)
        polls = self.polls[-window:] if window else self.polls
        verdicts = []
        tracks = _tracks(polls)
        for track, connection in tracks:
            for part, split_by in _by_resource(track):
                verdict = self._verdict(part)
                if verdict is not None:
                    verdict.framework = self.framework
                    verdict.connection = connection if len(tracks) > 1 else None
                    verdict.split_by = split_by
                    verdicts.append(verdict)
        return verdicts

    def _verdict(self, polls: list[Poll]) -> Verdict | None:
        return _long_polling(polls, self.framework) or _short_polling(polls)


def _short_polling(polls: list[Poll]) -> Verdict | None:
    if len(polls) < MIN_REQUESTS:
        return None
    found = cadence([p.start for p in polls])
    if found is None:
        return None
    idle = [b.start - a.end for a, b in itertools.pairwise(polls) if a.end is not None]
    typical = median(b.start - a.start for a, b in itertools.pairwise(polls))
    if idle and median(idle) < max(SHORT_POLL_MIN_IDLE, 0.2 * typical):
        return None  # back to back: a loop or a burst, not a client waiting to poll again
    return Verdict("short-polling", polls, found.period, found.jitter, cadence=found)


def _long_polling(polls: list[Poll], framework: str | None) -> Verdict | None:
    if len(polls) < 3 or any(p.end is None for p in polls):
        return None
    holds = [p.end - p.start for p in polls if p.end is not None]
    hold = median(holds)
    min_hold = LONG_POLL_MIN_HOLD_FRAMEWORK if framework else LONG_POLL_MIN_HOLD
    if hold < min_hold:
        return None
    gaps = [b.start - a.end for a, b in itertools.pairwise(polls) if a.end is not None]
    limit = min(REISSUE_GAP, 0.5 * hold)
    if sum(1 for gap in gaps if gap <= limit) < 0.75 * len(gaps):
        return None
    longest = max(holds)
    at_limit = sum(1 for h in holds if h >= 0.9 * longest)
    timeout = longest if at_limit >= 2 and at_limit >= 0.3 * len(holds) else None
    cycle = (polls[-1].start - polls[0].start) / (len(polls) - 1)
    return Verdict("long-polling", polls, cycle, 0.0, hold=hold, timeout=timeout)


def _tracks(polls: list[Poll]) -> list[tuple[list[Poll], str | None]]:
    """Split one host's polls into clients: connections open at the same time are different
    clients; connections one after another (a poller that reconnects) are the same one."""
    by_connection: dict[str | None, list[Poll]] = defaultdict(list)
    for poll in polls:
        by_connection[poll.connection].append(poll)
    if len(by_connection) <= 1:
        return [(polls, next(iter(by_connection), None))]
    tracks: list[tuple[float, list[Poll], str | None]] = []  # (last end, polls, first connection)
    for connection, conn_polls in sorted(by_connection.items(), key=lambda kv: kv[1][0].start):
        first = conn_polls[0].start
        last = max(p.end or p.start for p in conn_polls)
        for i, (track_end, track_polls, name) in enumerate(tracks):
            if track_end <= first:
                tracks[i] = (last, track_polls + conn_polls, name)
                break
        else:
            tracks.append((last, list(conn_polls), connection))
    result = []
    for _, track_polls, name in tracks:
        track_polls.sort(key=lambda p: (p.start, p.exchange_id))
        result.append((track_polls, name))
    return result


def _by_resource(polls: list[Poll]) -> list[tuple[list[Poll], tuple[tuple[str, str], ...]]]:
    """Split by query parameters that name a few different resources (`?id=1`, `?id=2`);
    parameters whose value changes all the time or only grows (cursors, `since=`) are ignored."""
    values: dict[str, list[str]] = defaultdict(list)
    for poll in polls:
        for name, value in poll.params:
            values[name].append(value)
    naming = [
        name
        for name, seen in values.items()
        if not is_secret_param(name) and _names_resources(seen)
    ]
    if not naming:
        return [(polls, ())]
    parts: dict[tuple[tuple[str, str], ...], list[Poll]] = defaultdict(list)
    for poll in polls:
        key = tuple((name, value) for name, value in poll.params if name in naming)
        parts[key].append(poll)
    return [(part, key) for key, part in parts.items()]


def _names_resources(values: list[str]) -> bool:
    distinct = len(set(values))
    if distinct <= 1 or distinct > len(values) / 2:
        return False
    if all(v.isdigit() for v in values):
        numbers = [int(v) for v in values]
        if numbers == sorted(numbers):
            return False  # a cursor that only moves forward
    return True
