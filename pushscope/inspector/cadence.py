"""Is a series of request times a regular cadence, a backoff, or neither?

Pure functions on timelines, so they can be tested on synthetic series. A regular cadence
tolerates +-30% jitter, missed beats (an interval near 2, 3 or 4 periods), the odd pause and the
odd quick retry; a backoff is a run of intervals that keep growing by a steady factor.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import fmean, median

MIN_REQUESTS = 4
JITTER = 0.3
"""Largest relative deviation from the period still counted as on the beat (a missed beat,
k periods long, may deviate by JITTER * sqrt(k): jitter adds up over the beats it spans)."""
MAX_BEATS_MISSED = 4
SHORT = 12
"""A series with fewer intervals than this must be strictly regular."""
SHORT_MAX_JITTER = 0.2
"""Spread allowed in a short series: +-30% uniform jitter has a spread of 0.17."""


@dataclass(slots=True, frozen=True)
class Cadence:
    kind: str
    """`regular` or `backoff`."""
    period: float
    """Seconds between polls: the mean on-beat interval, or for a backoff the latest interval."""
    jitter: float
    """Standard deviation of the on-beat intervals relative to the period (0.1 is 10%)."""
    on_beat: int
    missed_beats: int
    pauses: int
    growth: float | None = None
    """For a backoff: the factor each interval grows by."""
    first_interval: float | None = None


def cadence(starts: list[float]) -> Cadence | None:
    """The cadence of sorted request start times, or None when there is none."""
    if len(starts) < MIN_REQUESTS:
        return None
    intervals = [b - a for a, b in itertools.pairwise(starts)]
    return _backoff(intervals) or _regular(intervals)


def _regular(intervals: list[float]) -> Cadence | None:
    beats = _best_beats(intervals)
    if beats is None:
        return None
    on_beat, missed, pauses, off = beats
    counted = len(intervals) - pauses
    if len(on_beat) < MIN_REQUESTS - 1:
        return None
    mean = fmean(on_beat)
    jitter = _spread(on_beat)
    if len(intervals) < SHORT:
        # Few intervals are weak evidence: random traffic often looks regular for a while.
        # Demand every interval on the beat but one missed beat, no pause, and a steady beat.
        regular_enough = off == 0 and pauses == 0 and missed <= len(on_beat) // 4
        regular_enough = regular_enough and jitter <= SHORT_MAX_JITTER
    else:
        regular_enough = (
            pauses <= max(1, len(intervals) // 10)
            and len(on_beat) >= 0.6 * counted
            and len(on_beat) + missed >= 0.8 * counted
        )
    if not regular_enough:
        return None
    return Cadence("regular", mean, jitter, len(on_beat), missed, pauses)


def _best_beats(intervals: list[float]) -> tuple[list[float], int, int, int] | None:
    """The beat that puts the most intervals on time. Candidates: the median, and the middle
    of the usual range with and without its extreme tenths (the median of a few jittery
    intervals can sit near one edge of the band)."""
    middle = median(intervals)
    if middle <= 0:
        return None
    usual = sorted(i for i in intervals if i <= (MAX_BEATS_MISSED + JITTER) * middle)
    tenth = len(usual) // 10
    single = [i for i in usual if i < 1.5 * usual[0]] or usual  # without missed beats
    candidates = [
        middle,
        (usual[tenth] + usual[-1 - tenth]) / 2,
        (usual[0] + usual[-1]) / 2,
        (single[0] + single[-1]) / 2,
    ]
    best: tuple[list[float], int, int, int] | None = None
    best_score: tuple[bool, int, int, float] = (False, -1, 0, 0.0)
    for period in candidates:
        if period <= 0:
            continue
        for beats in _recentred(intervals, period):
            on_beat, missed, _, off = beats
            # Missed beats must stay the exception (else half the period "explains" it all);
            # then most intervals explained, then the steadiest beat: a band stretched to
            # swallow a missed beat explains no more, but spreads wider.
            plausible = missed <= len(on_beat) // 4
            spread = _spread(on_beat) if on_beat else 1.0
            score = (plausible, len(on_beat) + missed, -off, -spread)
            if score > best_score:
                best, best_score = beats, score
    return best


def _recentred(intervals: list[float], period: float) -> list[tuple[list[float], int, int, int]]:
    """Beats against `period`, and against the mean of the intervals found on it."""
    first = _beats(intervals, period)
    return [first, _beats(intervals, fmean(first[0]))] if first[0] else [first]


def _beats(intervals: list[float], period: float) -> tuple[list[float], int, int, int]:
    """(on-beat intervals, missed beats, pauses, off-beat) against `period`."""
    on_beat: list[float] = []
    keep = on_beat.append
    missed = pauses = off = 0
    for interval in intervals:  # one pass per candidate period: the hot loop of detection
        ratio = interval / period
        if abs(ratio - 1) <= JITTER:
            keep(interval)
            continue
        beats = round(ratio)
        if 2 <= beats <= MAX_BEATS_MISSED and abs(ratio - beats) <= JITTER * beats**0.5:
            missed += 1
        elif ratio > MAX_BEATS_MISSED + JITTER:
            pauses += 1
        else:
            off += 1
    return on_beat, missed, pauses, off


def _backoff(intervals: list[float]) -> Cadence | None:
    """Intervals that grow by a steady factor (at least 3 steps), maybe capped at the end."""
    steps = 0
    for a, b in itertools.pairwise(intervals):
        if a > 0 and 1.3 <= b / a <= 4:
            steps += 1
        else:
            break
    if steps < 3:
        return None
    grown = intervals[: steps + 1]
    rest = intervals[steps + 1 :]
    cap = grown[-1]
    if any(abs(interval / cap - 1) > JITTER for interval in rest):
        return None
    growth = (grown[-1] / grown[0]) ** (1 / steps)
    if any(not growth / 1.3 <= b / a <= growth * 1.3 for a, b in itertools.pairwise(grown)):
        return None  # growing, but not by a steady factor: chance, not a backoff timer
    return Cadence("backoff", cap, 0.0, len(rest) + 1, 0, 0, growth=growth, first_interval=grown[0])


def _spread(values: list[float]) -> float:
    """Standard deviation relative to the mean, in plain floats (statistics.pstdev computes
    exactly, with fractions: a hundred times slower, and no use for timings)."""
    mean = sum(values) / len(values)
    variance: float = sum([(v - mean) ** 2 for v in values]) / len(values)
    return math.sqrt(variance) / mean
