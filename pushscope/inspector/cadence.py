"""Is a series of request times a regular cadence, a backoff, or neither?

Pure functions on timelines, so they can be tested on synthetic series. A regular cadence
tolerates +-30% jitter, missed beats (an interval near 2, 3 or 4 periods), the odd pause and the
odd quick retry; a backoff is a run of intervals that keep growing by a steady factor, maybe
to a cap, maybe falling back to its base after each change (a saw-tooth).
"""

from __future__ import annotations

import bisect
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
LONG = 2 * SHORT
MOST_MISSED, LONG_MOST_MISSED = 0.25, 0.5
"""Most missed beats a beat may have per beat on time; in a series of LONG intervals or more,
or on a tight beat (SHORT_TIGHT_JITTER), where chance no longer makes a beat, polls skipped
while one is in flight can be that many (a slow answer every sixth poll)."""
SHORT_MAX_JITTER = 0.2
"""Spread allowed in a short series: +-30% uniform jitter has a spread of 0.17."""
SHORT_TIGHT_JITTER, SHORT_TIGHT_ON_BEAT = 0.1, 6
"""A short series may miss two beats, or pause, when its beat spreads no more than this and
this many intervals are on it (random intervals rarely fall that close together);"""
SHORT_MANY_ON_BEAT = 8
"""or when this many are on it, at any spread a short series may have."""
GROWTH = (1.3, 4.5)
"""Factors one backoff interval may grow by over the one before."""
MIN_FACTOR = 1.45
"""The least median growth of a backoff (1.5 as timers are written, less float error). Two
steps of a run then grow at least 1.3 * 1.45 = 1.89 times, more than the +-30% jitter of a
regular cadence spans (1.3 / 0.7 = 1.86)."""
STEADY = 1.3
"""How far one step of a backoff may grow by more or less than the median factor: a timer's
jittered delay plus a varying round trip."""
SHORT_STEADY = 1.2
STEADY_STEPS = 4
"""A backoff with fewer steps of growth than this must be steadier (SHORT_STEADY): random
intervals grow three times in a row now and then (1.6, 1.3 and 1.8 among 7 random ones)."""
BACKOFF_TOLERANCE = 0.25
"""Relative deviation of an interval from its backoff level (a timer's delay plus the round
trip) still counted as that level."""
BACKOFF_EXPLAINED = 0.85
"""Share of intervals a backoff must explain as steps up, the cap, or back to the base."""
BACKOFF_STAYS = 0.3
"""Most share of intervals a backoff may spend at its base (an answer that changed again
right after a reset)."""


@dataclass(slots=True, frozen=True)
class Cadence:
    kind: str
    """`regular`, `backoff` (growing, maybe to a cap) or `backoff-reset` (a saw-tooth)."""
    period: float
    """Seconds between polls: the mean on-beat interval; for a backoff the latest interval,
    for a saw-tooth the mean interval (what sets the requests an hour)."""
    jitter: float
    """Standard deviation of the on-beat intervals relative to the period (0.1 is 10%)."""
    on_beat: int
    missed_beats: int
    pauses: int
    growth: float | None = None
    """For a backoff: the factor each interval grows by."""
    first_interval: float | None = None
    """For a backoff: the base interval it starts from (and falls back to after a reset)."""
    cap: float | None = None
    """For a backoff: the longest interval it grows to, when it levels off."""
    resets: int = 0
    """For a backoff that falls back to its base after each change: how many times it did."""


def cadence(starts: list[float]) -> Cadence | None:
    """The cadence of sorted request start times, or None when there is none."""
    if len(starts) < MIN_REQUESTS:
        return None
    intervals = [b - a for a, b in itertools.pairwise(starts)]
    backoff, regular = _backoff(intervals), _regular(sorted(intervals))
    if backoff is not None and regular is not None:
        # A jittery beat with missed beats can pass for a slow backoff whose levels overlap
        # (1, 1.3, 2 periods...): the simpler cadence wins when it explains as much.
        return regular if regular.on_beat + regular.missed_beats >= backoff.on_beat else backoff
    return backoff or regular


def _regular(intervals: list[float]) -> Cadence | None:
    """A regular cadence in the `intervals`, sorted."""
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
        # Demand every interval on the beat and a steady beat; two missed beats or pauses
        # only on a beat shown tightly or by many intervals (polls skipped while one was in
        # flight, a tab hidden for a while).
        shown = _tight(on_beat, jitter) or len(on_beat) >= SHORT_MANY_ON_BEAT
        regular_enough = off == 0 and jitter <= SHORT_MAX_JITTER
        regular_enough = regular_enough and missed + pauses <= (2 if shown else 0)
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
    usual = intervals[: bisect.bisect_right(intervals, (MAX_BEATS_MISSED + JITTER) * middle)]
    tenth = len(usual) // 10
    single = [i for i in usual if i < 1.5 * usual[0]] or usual  # without missed beats
    candidates = [
        middle,
        (usual[tenth] + usual[-1 - tenth]) / 2,
        (usual[0] + usual[-1]) / 2,
        (single[0] + single[-1]) / 2,
    ]
    most_missed = LONG_MOST_MISSED if len(intervals) >= LONG else MOST_MISSED
    best: tuple[list[float], int, int, int] | None = None
    best_score: tuple[bool, int, int, float] = (False, -1, 0, 0.0)
    for period in dict.fromkeys(candidates):
        if period <= 0:
            continue
        for beats in _recentred(intervals, period):
            on_beat, missed, _, off = beats
            # Missed beats must stay the exception (else half the period "explains" it all);
            # then most intervals explained, then the steadiest beat: a band stretched to
            # swallow a missed beat explains no more, but spreads wider.
            spread = _spread(on_beat) if on_beat else 1.0
            allowed = LONG_MOST_MISSED if _tight(on_beat, spread) else most_missed
            plausible = missed <= len(on_beat) * allowed
            score = (plausible, len(on_beat) + missed, -off, -spread)
            if score > best_score:
                best, best_score = beats, score
    return best if best_score[0] else None  # every beat missed too often: none


def _tight(on_beat: list[float], spread: float) -> bool:
    """Whether a beat is shown tightly: enough intervals on it, spread little."""
    return spread <= SHORT_TIGHT_JITTER and len(on_beat) >= SHORT_TIGHT_ON_BEAT


def _recentred(intervals: list[float], period: float) -> list[tuple[list[float], int, int, int]]:
    """Beats against `period`, and against the mean of the intervals found on it."""
    first = _beats(intervals, period)
    return [first, _beats(intervals, fmean(first[0]))] if first[0] else [first]


def _missed_bands() -> list[tuple[float, float]]:
    """The ratios to the period that count as missed beats: within JITTER * sqrt(k) of k
    periods, k from 2 to MAX_BEATS_MISSED, and at most half a period away (an interval
    belongs to the nearest whole number of periods); touching bands merged."""
    bands: list[tuple[float, float]] = []
    for k in range(2, MAX_BEATS_MISSED + 1):
        reach = min(0.5, JITTER * k**0.5)
        if bands and bands[-1][1] >= k - reach:
            bands[-1] = (bands[-1][0], k + reach)
        else:
            bands.append((k - reach, k + reach))
    return bands


MISSED_BANDS = _missed_bands()
PAUSE = max(MAX_BEATS_MISSED + JITTER, MISSED_BANDS[-1][1])
"""Intervals longer than this many periods are pauses."""


def _beats(intervals: list[float], period: float) -> tuple[list[float], int, int, int]:
    """(on-beat intervals, missed beats, pauses, off-beat) of the sorted `intervals` against
    `period`: each a band of the sorted list, found by bisection."""
    left, right = bisect.bisect_left, bisect.bisect_right
    start = left(intervals, (1 - JITTER) * period)
    at = end = right(intervals, (1 + JITTER) * period, start)
    missed = 0
    for low, high in MISSED_BANDS:
        low_at = left(intervals, low * period, at)
        at = left(intervals, high * period, low_at)
        missed += at - low_at
    pauses = len(intervals) - right(intervals, PAUSE * period, at)
    return intervals[start:end], missed, pauses, len(intervals) - (end - start) - missed - pauses


def _backoff(intervals: list[float]) -> Cadence | None:
    """Intervals that grow by a steady factor from a base, maybe up to a cap, maybe falling
    back to the base after each change (a saw-tooth).

    A backoff shows runs of consecutive growth: one run of three steps, or two runs of two.
    A regular cadence never does (a missed beat is one step up, then straight back down), so
    telling them apart needs no threshold on how regular the rest is."""
    runs = _growth_runs(intervals)
    if not any(len(run) >= 4 for run in runs) and sum(len(run) >= 3 for run in runs) < 2:
        return None
    grown = [run for run in runs if len(run) >= 3]
    steps = [[b / a for a, b in itertools.pairwise(run)] for run in grown]
    factor = median(ratio for run in steps for ratio in run)
    # Every step grows by about the factor, but a run's last may fall short: the step that
    # reaches a cap off the base * factor**k grid (1, 2, 4, 8, then 12).
    spread = STEADY if sum(map(len, steps)) >= STEADY_STEPS else SHORT_STEADY
    steady = all(
        factor / spread <= ratio <= factor * spread or (k == len(run) - 1 and ratio <= factor)
        for run in steps
        for k, ratio in enumerate(run)
    )
    if factor < MIN_FACTOR or not steady:
        return None  # growing, but not by a steady factor: chance, not a backoff timer
    cap = _cap(intervals, grown)
    base, factor = _fitted(grown, median(run[0] for run in grown), factor, cap)
    walk = _walk(intervals, base, factor, cap)
    if walk is None:
        return None
    explained, resets, level = walk
    if resets:
        return Cadence(
            "backoff-reset", fmean(intervals), 0.0, explained, 0, 0, factor, base, cap, resets
        )
    latest = min(base * factor**level, cap or math.inf)
    return Cadence("backoff", latest, 0.0, explained, 0, 0, factor, base, cap)


def _fitted(
    grown: list[list[float]], base: float, factor: float, cap: float | None
) -> tuple[float, float]:
    """The base and factor of the levels base * factor**k that fit the runs of growth best:
    least squares on the logarithms, each interval at the level the rough `base` and
    `factor` put it on (a run may start above the base), intervals at the cap left out. The
    rough ones drift: a factor 3% off puts the sixth step 20% off its level."""
    points = [
        (max(0, round(math.log(value / base, factor))), math.log(value))
        for run in grown
        for value in run
        if cap is None or value < cap * (1 - BACKOFF_TOLERANCE)
    ]
    mean_k = fmean(k for k, _ in points)
    mean_y = fmean(y for _, y in points)
    spread = sum((k - mean_k) ** 2 for k, _ in points)
    if not spread:
        return base, factor
    slope = sum((k - mean_k) * (y - mean_y) for k, y in points) / spread
    return math.exp(mean_y - slope * mean_k), math.exp(slope)


def _growth_runs(intervals: list[float]) -> list[list[float]]:
    """Maximal runs of intervals each longer than the one before by a backoff's factor."""
    runs: list[list[float]] = []
    run = intervals[:1]
    for a, b in itertools.pairwise(intervals):
        if a > 0 and GROWTH[0] <= b / a <= GROWTH[1]:
            run.append(b)
            continue
        runs.append(run)
        run = [b]
    runs.append(run)
    return runs


def _cap(intervals: list[float], grown: list[list[float]]) -> float | None:
    """The interval a backoff stops growing at: where its longest run levels off."""
    top = max(run[-1] for run in grown)
    plateau = [i for i in intervals if abs(i / top - 1) <= BACKOFF_TOLERANCE]
    return median(plateau) if len(plateau) >= 2 else None


def _walk(
    intervals: list[float], base: float, factor: float, cap: float | None
) -> tuple[int, int, int] | None:
    """Follow the intervals through the levels base * factor**k (up to the cap): each one
    either a step up, the cap again, or back to the base. (explained, resets, last level),
    or None when too many intervals fit no level, or too many stay at the base (a regular
    beat, whose missed beats looked like steps up)."""
    top = cap if cap is not None else math.inf
    explained = resets = stays = level = 0
    for i, interval in enumerate(intervals):
        here = min(base * factor**level, top)
        up = min(base * factor ** (level + 1), top)
        if i and _near(interval, up) and up > here:
            level += 1
        elif i and _near(interval, here) and (here == top or level == 0):
            stays += level == 0
        elif _near(interval, base):
            resets += level > 0
            level = 0
        else:
            level = max(0, round(math.log(interval / base, factor))) if interval > 0 else 0
            continue
        explained += 1
    # Few intervals are weak evidence (random ones grow by chance now and then): in a short
    # series every one must fit, as a short regular series must be all on the beat.
    needed = len(intervals) if len(intervals) < SHORT else BACKOFF_EXPLAINED * len(intervals)
    if explained < needed or stays > BACKOFF_STAYS * len(intervals):
        return None
    return explained, resets, level


def _near(interval: float, level: float) -> bool:
    return abs(interval / level - 1) <= BACKOFF_TOLERANCE


def _spread(values: list[float]) -> float:
    """Standard deviation relative to the mean, in plain floats (statistics.pstdev computes
    exactly, with fractions: a hundred times slower, and no use for timings)."""
    mean = sum(values) / len(values)
    variance: float = sum([(v - mean) ** 2 for v in values]) / len(values)
    return math.sqrt(variance) / mean
