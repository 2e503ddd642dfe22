"""Pollers as real timers and browsers make them: one poller over a connection pool, two
pollers of one endpoint interleaved, backoff that resets after each change, retries after
errors, pauses. Timelines are synthetic and seeded, so each case is exact."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ModelEvent
from pushscope.inspector.findings import Finding
from tests.timelines import scenario
from tests.traffic import http, in_time_order

T0 = 1_700_000_000.0
POLLING = ("short-polling", "long-polling")


def _polling(*groups: list[ModelEvent]) -> list[Finding]:
    analyzer = Analyzer(detector=Detector(incremental=False))
    analyzer.run(in_time_order(*groups))
    return [f for f in analyzer.finish() if f.kind in POLLING]


def _timer(
    starts: list[float],
    *,
    url: str = "http://api.test/api/status",
    ports: list[int] | None = None,
    statuses: list[int] | None = None,
    change_at: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[ModelEvent]:
    events: list[ModelEvent] = []
    version = 0
    for i, start in enumerate(starts):
        version += i in change_at
        port = ports[i] if ports else 50000
        status = statuses[i] if statuses else 200
        events += http(
            start,
            url,
            status=status,
            body=b'{"version": %d}' % version,
            client=f"10.0.0.1:{port}",
        )
    return events


def _regular(count: int, period: float, *, jitter: float = 0.0, start: float = T0, seed: int = 1):
    rng = random.Random(seed)
    times, t = [], start
    for _ in range(count):
        times.append(t)
        t += period * (1 + rng.uniform(-jitter, jitter))
    return times


def test_one_poller_spread_over_a_browser_pool_is_one_poller() -> None:
    """Chromium put a chat page's polls on whichever of its keep-alive connections was idle:
    two connections open at the same time, one poller."""
    rng = random.Random(7)
    starts = _regular(60, 1.0, jitter=0.1)
    ports = [rng.choice([50001, 50002, 50003]) for _ in starts]
    (finding,) = _polling(_timer(starts, ports=ports))
    assert finding.stats["count"] == 60 and finding.stats["pollers"] == 1
    assert abs(finding.stats["period_s"] - 1.0) < 0.05
    assert finding.client == "10.0.0.1"


def test_http2_and_reconnects_are_one_poller() -> None:
    starts = _regular(30, 2.0, jitter=0.2)
    ports = [50000 + i // 7 for i in range(len(starts))]  # a new connection every 7 polls
    (finding,) = _polling(_timer(starts, ports=ports))
    assert finding.stats["count"] == 30


def test_two_widgets_with_their_own_periods_are_two_pollers() -> None:
    rng = random.Random(3)
    a = _regular(30, 0.7, jitter=0.05, seed=1)
    b = _regular(20, 1.1, jitter=0.05, start=T0 + 0.3, seed=2)
    ports_a = [rng.choice([50001, 50002]) for _ in a]
    ports_b = [rng.choice([50001, 50002]) for _ in b]
    found = _polling(_timer(a, ports=ports_a), _timer(b, ports=ports_b))
    assert sorted(round(f.stats["period_s"], 1) for f in found) == [0.7, 1.1]
    counts = sorted(f.stats["count"] for f in found)  # a poll that falls on both beats: either
    assert abs(counts[0] - 20) <= 1 and abs(counts[1] - 30) <= 1
    assert all(f.stats["pollers"] == 2 for f in found)
    assert len({f.id for f in found}) == 2
    assert all("poller" in " ".join(f.evidence) for f in found)


def test_two_tabs_on_one_period_out_of_phase_are_two_pollers() -> None:
    a = _regular(20, 2.0, jitter=0.03, seed=4)
    b = _regular(20, 2.0, jitter=0.03, start=T0 + 0.5, seed=5)
    found = _polling(_timer(a), _timer(b))  # one connection: timing alone must tell
    assert [f.stats["count"] for f in found] == [20, 20]
    assert all(abs(f.stats["period_s"] - 2.0) < 0.1 for f in found)


@pytest.mark.parametrize(
    "seed",
    [
        1001020,  # 140 polls 104.7 s apart, 1% jitter; 136 polls 38.5 s apart, 26%; HTTP/2
        1000390,  # 46 and 9 polls, both 22.4 s apart, 12% and 30% jitter; one pool
    ],
)
def test_the_polls_left_beside_a_steady_poller_are_the_jittery_one(seed: int) -> None:
    """Two pollers of one endpoint, one too jittery to follow as a chain through the other's
    polls: once the steady one is taken out, what is left keeps a cadence of its own."""
    built = scenario("two-pollers", seed)
    found = sorted(_polling(list(built.events)), key=lambda f: f.stats["period_s"])
    truths = sorted(built.truths, key=lambda t: t.period or 0.0)
    assert len(found) == len(truths) == 2
    for finding, truth in zip(found, truths, strict=True):
        assert truth.period is not None
        assert abs(finding.stats["period_s"] / truth.period - 1) < 0.1
        assert abs(finding.stats["count"] - truth.requests) <= 0.1 * truth.requests
        assert finding.stats["pollers"] == 2


def test_backoff_that_resets_after_each_change() -> None:
    """A job-progress poller: the delay doubles while nothing changes (2, 4, 8, 16 s, capped
    at 16) and drops back to 1 s after each change."""
    delays: list[float] = []
    changes = set()
    for cycle in range(3):
        delays += [*[2, 4, 8, 16, 16, 16][: 4 + cycle], 1]
    starts = [T0]
    for delay in delays:
        starts.append(starts[-1] + delay + 0.02)
    for i, delay in enumerate(delays):
        if delay == 1:
            changes.add(i)  # the answer before the drop brought news
    (finding,) = _polling(_timer(starts, change_at=changes))
    stats = finding.stats
    assert stats["cadence"] == "backoff-reset"
    assert abs(stats["base_s"] - 1.0) < 0.1 and abs(stats["factor"] - 2.0) < 0.1
    assert abs(stats["cap_s"] - 16) < 1 and stats["resets"] >= 2
    assert finding.recommendation == "sse"
    assert "starts again after each change" in finding.rationale


def test_capped_backoff_reports_base_factor_and_cap() -> None:
    starts = [T0]
    for delay in [1, 1.5, 2.25, 3.375, 5, 5, 5, 5]:
        starts.append(starts[-1] + delay)
    (finding,) = _polling(_timer(starts))
    assert finding.stats["cadence"] == "backoff"
    assert finding.stats["factor"] == 1.5 and abs(finding.stats["cap_s"] - 5) < 0.01


def test_retries_after_errors_keep_the_beat() -> None:
    starts = _regular(40, 5.0, jitter=0.1)
    statuses = [200] * len(starts)
    retries: list[float] = []
    for failed in (10, 25):
        statuses[failed] = 503
        retries += [starts[failed] + 0.3 * k for k in (1, 2, 3)]
    events = _timer(starts, statuses=statuses)
    retry_events: list[ModelEvent] = []
    for i, start in enumerate(retries):
        retry_events += http(
            start,
            "http://api.test/api/status",
            status=503 if i % 3 != 2 else 200,
            client="10.0.0.1:50000",
        )
    (finding,) = _polling(events, retry_events)
    assert finding.stats["cadence"] == "regular"
    assert abs(finding.stats["period_s"] - 5.0) < 0.3
    assert finding.stats["count"] == 46  # the retries cost requests too


def test_a_hidden_tab_pauses_and_resumes() -> None:
    first = _regular(20, 1.0, jitter=0.1)
    after = _regular(20, 1.0, jitter=0.1, start=first[-1] + 300, seed=2)
    (finding,) = _polling(_timer(first + after))
    assert finding.stats["pauses"] == 1 and finding.stats["count"] == 40


def test_a_poller_amid_a_users_requests_to_the_same_endpoint() -> None:
    rng = random.Random(11)
    starts = _regular(40, 2.0, jitter=0.1)
    user = [T0 + rng.uniform(0, 80) for _ in range(6)]
    (finding,) = _polling(_timer(sorted(starts + user)))
    assert finding.stats["count"] >= 40


def _random_requests(rng: random.Random, n: int, mean: float, connections: int) -> list[ModelEvent]:
    """`n` requests at random (Poisson) times, `mean` seconds apart, over a pool."""
    t, starts = T0, []
    for _ in range(n):
        t += rng.expovariate(1 / mean)
        starts.append(t)
    return _timer(starts, ports=[50000 + rng.randrange(connections) for _ in starts])


# Derandomized: random timelines do look like a timer now and then (the rate is measured
# below), so an unseeded search would find one in some runs and not in others.
@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    mean=st.floats(0.2, 60),
    n=st.integers(8, 150),
    connections=st.integers(1, 6),
    seed=st.integers(0, 2**32),
)
def test_random_requests_over_a_pool_are_not_pollers(
    mean: float, n: int, connections: int, seed: int
) -> None:
    """Requests at random times, over one to six connections, make no poller or pair of
    interleaved ones."""
    assert _polling(_random_requests(random.Random(seed), n, mean, connections)) == []


def test_random_requests_rarely_look_like_a_timer() -> None:
    """Short random series are where chance looks most like a timer: of 5,000 of 8 to 20
    requests, at most 0.2% become a poller (4, 0.08%, measured)."""
    false = 0
    for seed in range(5000):
        rng = random.Random(seed)
        n, mean, connections = rng.randint(8, 20), rng.uniform(0.2, 60), rng.randint(1, 6)
        false += bool(_polling(_random_requests(rng, n, mean, connections)))
    assert false <= 10


@pytest.mark.parametrize(
    ("seed", "mean"),
    [
        (11173011, 1.0),  # two chains of four through chance
        (220, 1.0),  # growth of 1.6, 1.3, 1.8 and a drop: one tooth of a saw-tooth by chance
    ],
)
def test_eight_random_requests_are_not_pollers(seed: int, mean: float) -> None:
    # Hypothesis's examples of the property above.
    assert _polling(_random_requests(random.Random(seed), 8, mean, 1)) == []


def test_polls_skipped_while_one_is_in_flight() -> None:
    """`setInterval` with an in-flight guard: a slow answer (longer than the period) makes
    the next tick skip, so that interval is two beats."""
    rng = random.Random(5)
    ticks = _regular(60, 1.0, jitter=0.05)
    starts, events, busy_until = [], [], 0.0
    for tick in ticks:
        if tick < busy_until:
            continue  # still waiting for the last answer
        duration = 1.4 if rng.random() < 0.15 else 0.05
        starts.append(tick)
        busy_until = tick + duration
        events += http(tick, "http://api.test/api/status", duration=duration)
    (finding,) = _polling(events)
    assert finding.stats["cadence"] == "regular" and finding.stats["missed_beats"] >= 3
    assert abs(finding.stats["period_s"] - 1.0) < 0.05
    assert finding.stats["count"] == len(starts)
