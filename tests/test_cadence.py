"""Cadence on synthetic timelines: regular series are found with the right period, whatever
their jitter, missed beats and pauses; backoff is recognised; Poisson traffic is not. Randomness
comes from a seeded generator: hypothesis picks the seeds, not the draws. The searches are
derandomized: chance makes a timer out of random traffic now and then (the rate is measured in
tests/test_pollers.py), so an unseeded search would fail in some runs and not in others."""

from __future__ import annotations

import random
from itertools import accumulate
from statistics import fmean, pstdev

from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.cadence import SHORT, SHORT_MAX_JITTER, cadence


def _times(intervals: list[float]) -> list[float]:
    return [0.0, *accumulate(intervals)]


@settings(max_examples=300, derandomize=True)
@given(
    period=st.floats(0.2, 600),
    jitter=st.floats(0, 0.3),
    n=st.integers(4, 80),
    seed=st.integers(0, 2**32),
)
def test_regular_series_with_jitter_is_found(
    period: float, jitter: float, n: int, seed: int
) -> None:
    rng = random.Random(seed)
    intervals = [period * (1 + rng.uniform(-jitter, jitter)) for _ in range(n - 1)]
    found = cadence(_times(intervals))
    if n - 1 < SHORT and pstdev(intervals) / fmean(intervals) > SHORT_MAX_JITTER:
        return  # a short series must be steadier than this one happened to be
    assert found is not None and found.kind == "regular"
    assert found.on_beat >= 0.9 * (n - 1)
    assert abs(found.period / period - 1) <= jitter + 1e-9  # the mean of on-beat intervals
    if n >= 40:
        assert abs(found.period / period - 1) <= 0.08


@settings(max_examples=200, derandomize=True)
@given(
    period=st.floats(0.5, 120),
    n=st.integers(SHORT + 1, 80),
    seed=st.integers(0, 2**32),
)
def test_missed_beats_and_a_pause_are_tolerated(period: float, n: int, seed: int) -> None:
    rng = random.Random(seed)
    intervals = [period * (1 + rng.uniform(-0.15, 0.15)) for _ in range(n - 1)]
    picked = rng.sample(range(len(intervals)), k=max(1, len(intervals) // 10) + 1)
    for i in picked[1:]:
        intervals[i] *= 2  # a missed beat
    intervals[picked[0]] = period * 40  # the tab was hidden for a while
    found = cadence(_times(intervals))
    assert found is not None and found.kind == "regular"
    assert abs(found.period / period - 1) <= 0.1
    assert found.missed_beats >= 1 and found.pauses <= 1


@settings(max_examples=300, derandomize=True)
@given(
    mean=st.floats(0.1, 300),
    n=st.integers(20, 200),
    seed=st.integers(0, 2**32),
)
def test_poisson_traffic_is_not_a_cadence(mean: float, n: int, seed: int) -> None:
    rng = random.Random(seed)
    intervals = [rng.expovariate(1 / mean) for _ in range(n - 1)]
    assert cadence(_times(intervals)) is None


@given(
    first=st.floats(0.05, 10),
    growth=st.floats(1.5, 3.0),
    steps=st.integers(3, 8),
    capped=st.integers(0, 5),
)
def test_exponential_backoff_is_polling(
    first: float, growth: float, steps: int, capped: int
) -> None:
    intervals = [first * growth**k for k in range(steps + 1)]
    intervals += [intervals[-1]] * capped
    found = cadence(_times(intervals))
    assert found is not None and found.kind == "backoff"
    assert abs((found.growth or 0) - growth) < 0.01
    assert abs(found.period - intervals[-1]) < 1e-9 * intervals[-1]


def test_a_tight_short_beat_may_skip_polls_in_flight() -> None:
    """A steady timer whose slow answers skipped a few ticks (an in-flight guard): on a beat
    this tight, two or three skips among a dozen polls are the timer's, not chance's."""
    short = [28.4, 28.5, 28.4, 85.6, 28.5, 85.3, 28.4, 28.6, 56.7, 28.4, 28.3, 28.7]
    shorter = [97.1, 97.4, 194.6, 97.2, 97.3, 291.8, 97.0, 97.2]
    for intervals in (short, shorter):
        found = cadence(_times(intervals))
        assert found is not None and found.kind == "regular"
        assert abs(found.period - intervals[0]) / intervals[0] < 0.01
        assert found.missed_beats == sum(1 for i in intervals if i > 1.5 * intervals[0])


def test_too_few_requests() -> None:
    assert cadence([0.0, 1.0, 2.0]) is None


@settings(max_examples=300, derandomize=True)
@given(
    base=st.floats(0.05, 10),
    growth=st.floats(1.5, 3.0),
    levels=st.integers(3, 5),
    cycles=st.lists(st.integers(0, 3), min_size=2, max_size=5),
    seed=st.integers(0, 2**32),
)
def test_backoff_that_resets_after_each_change_is_a_saw_tooth(
    base: float, growth: float, levels: int, cycles: list[int], seed: int
) -> None:
    """Each cycle grows from the base to the cap (held for a few polls), then a change sends
    the delay back to the base; each interval is the delay plus up to 5% of round trip."""
    rng = random.Random(seed)
    intervals: list[float] = []
    for held in cycles:
        steps = [base * growth**k for k in range(levels + 1)] + [base * growth**levels] * held
        intervals += [step * (1 + rng.uniform(0, 0.05)) for step in steps]
    found = cadence(_times(intervals))
    assert found is not None and found.kind == "backoff-reset"
    assert found.resets == len(cycles) - 1
    assert abs((found.growth or 0) / growth - 1) < 0.1
    assert abs((found.first_interval or 0) / base - 1) < 0.1
    if found.cap is not None:
        assert abs(found.cap / (base * growth**levels) - 1) < 0.1


@settings(max_examples=300, derandomize=True)
@given(
    period=st.floats(0.2, 600),
    jitter=st.floats(0, 0.3),
    n=st.integers(4, 120),
    missed=st.floats(0, 0.2),
    seed=st.integers(0, 2**32),
)
def test_a_regular_cadence_with_missed_beats_is_never_a_backoff(
    period: float, jitter: float, n: int, missed: float, seed: int
) -> None:
    rng = random.Random(seed)
    intervals = [
        period
        * (1 + rng.uniform(-jitter, jitter))
        * (rng.choice((2, 3)) if rng.random() < missed else 1)
        for _ in range(n - 1)
    ]
    found = cadence(_times(intervals))
    assert found is None or found.kind == "regular"
