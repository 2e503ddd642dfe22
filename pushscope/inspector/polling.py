"""Polling series: one client asking one endpoint again and again, and whether it polls.

A series holds compact `Poll` records (not exchanges) sorted by start time: one host's requests
to one endpoint, over whatever connections they took. `PollingSeries.evaluate` splits it into
what really are separate pollers (interleaved beats; a parameter that names a different
resource) and tests each part for long polling, then short polling. Evaluation depends only
on the records, never on the order they came in.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from pushscope.inspector.cadence import JITTER, MAX_BEATS_MISSED, MIN_REQUESTS, Cadence, cadence
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
RETRY_GAP = 0.5
"""A request this soon after a failed answer (share of the usual interval) is a retry."""
MAX_POLLERS = 4
"""Most pollers of one endpoint told apart on one host (tabs, widgets)."""
CHAIN_JITTER = 0.15
"""Largest spread of a beat followed through interleaved polls: a chain picks the poll
closest to each beat, so it looks steadier than a lone series would; random requests give
chains that spread wider than this."""
STRAY, STRAY_FLOOR = 3.0, 0.05
"""A chained poll is a stray when it is this many times further off the beat than the usual
one, and more than this share of a beat."""
DISTINCT = 0.3
"""How much nearer to their beat a chain's polls must fall than the other polls, at the median.
Through random requests a chain's polls are about half as near (0.5); two pollers of one
period a third of a beat apart, each with 18% jitter, give about 0.28."""
PERIOD_SAMPLE = 256
"""Most polls whose intervals to the next few are counted to find a series' beats."""
INTERLEAVED_EXPLAINED = 0.8
"""Share of a series' polls the interleaved beats must explain together."""
SPLIT_MIN_REQUESTS = 8
"""Polls each poller needs when one series is split into several: fewer are as likely a
path through the other poller's jitter (chains at a multiple of its period)."""


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
    poller: tuple[int, int] | None = None
    """(which, of how many) when one host runs several pollers of this endpoint."""
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
        for part, split_by in _by_resource(polls):
            held = _long_polling(part, self.framework)  # re-issued at once: one chain
            found = [held] if held is not None else []
            if held is None:
                found = [
                    verdict
                    for poller, beat in pollers(part)
                    if (verdict := _short_polling(poller, beat)) is not None
                ]
            for number, verdict in enumerate(found, 1):
                verdict.framework = self.framework
                verdict.split_by = split_by
                if len(found) > 1:
                    verdict.poller = (number, len(found))
                verdicts.append(verdict)
        return verdicts


def _short_polling(polls: list[Poll], found: Cadence | None) -> Verdict | None:
    """Short polling by a poller whose cadence (of its `_timeline`) is `found`."""
    if found is None:
        return None
    idle = [b.start - a.end for a, b in itertools.pairwise(polls) if a.end is not None]
    typical = median(b.start - a.start for a, b in itertools.pairwise(polls))
    if idle and median(idle) < max(SHORT_POLL_MIN_IDLE, 0.2 * typical):
        return None  # back to back: a loop or a burst, not a client waiting to poll again
    return Verdict("short-polling", polls, found.period, found.jitter, cadence=found)


def _timeline(polls: list[Poll]) -> list[float]:
    """The start times a poller's timer set: without the quick retries after a failed answer
    (they are part of the cost, not of the cadence)."""
    if len(polls) < MIN_REQUESTS or all(p.status is not None and p.status < 500 for p in polls):
        return [poll.start for poll in polls]
    quick = RETRY_GAP * median(b.start - a.start for a, b in itertools.pairwise(polls))
    starts = [polls[0].start]
    for previous, poll in itertools.pairwise(polls):
        failed = previous.status is None or previous.status >= 500 or previous.status == 429
        if not (failed and poll.start - previous.start < quick):
            starts.append(poll.start)
    return starts


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


def pollers(polls: list[Poll]) -> Sequence[tuple[list[Poll], Cadence | None]]:
    """One host's polls of one endpoint, split into the pollers that sent them, each with
    the cadence of its timeline.

    The connection says little: a browser spreads one poller over its HTTP/1.1 pool and
    multiplexes everything onto one HTTP/2 connection. Timing tells: one poller keeps one
    beat, and two pollers of one endpoint interleave theirs. Only where each of several
    connections keeps a beat of its own is the connection what tells them apart. Polls that
    belong to no beat (a user's own requests) are left out; without any beat the whole
    series is returned."""
    found = cadence(_timeline(polls))
    if len(polls) < 2 * MIN_REQUESTS:
        return [(polls, found)]
    if found is not None:
        split = _by_connection(polls, found)
        # A beat that leaves enough polls off it may have a second poller beside it.
        if split is None and found.kind == "regular" and _off(found, polls) >= SPLIT_MIN_REQUESTS:
            split = _on_own_connections(polls) or _interleaved(polls)
        return split if split and len(split) > 1 else [(polls, found)]
    return _on_own_connections(polls) or _interleaved(polls) or [(polls, None)]


def _interleaved(polls: list[Poll]) -> list[tuple[list[Poll], Cadence]]:
    """Beats that together explain most of the polls (one beat amid a user's requests, or
    several interleaved): each one followed from poll to poll (a timer drifts, so no fixed
    phase is assumed), the one that explains most first. Once one is taken, the polls left
    that keep a cadence of their own are the last poller's, however jittery its timer (a
    chain must be steadier: CHAIN_JITTER)."""
    remaining = polls
    chains: list[tuple[list[Poll], Cadence]] = []
    while len(remaining) >= MIN_REQUESTS and len(chains) < MAX_POLLERS:
        kept = cadence(_timeline(remaining)) if chains else None
        if kept is not None:
            chains.append((remaining, kept))
            break
        best: tuple[list[Poll], Cadence] | None = None
        starts = [poll.start for poll in remaining]
        for period in _periods(starts):
            chain = _without_strays([remaining[k] for k in _chain(starts, period)])
            if len(chain) < MIN_REQUESTS or (best is not None and len(chain) <= len(best[0])):
                continue
            found = cadence(_timeline(chain))
            if found is not None and found.kind == "regular" and found.jitter <= CHAIN_JITTER:
                best = chain, found
        if best is None or not _distinct(best[0], remaining):
            break
        chains.append(best)
        remaining = _without(remaining, best[0])
    chains = _rejoined(chains)
    if len(chains) > 1 and min(len(chain) for chain, _ in chains) < SPLIT_MIN_REQUESTS:
        return []  # a split into pollers this short is as likely a path through chance
    explained = sum(len(chain) for chain, _ in chains)
    if explained < INTERLEAVED_EXPLAINED * len(polls):
        return []
    return sorted(chains, key=lambda chain: chain[0][0].start)


def _without(polls: list[Poll], chain: list[Poll]) -> list[Poll]:
    taken = {id(poll) for poll in chain}
    return [poll for poll in polls if id(poll) not in taken]


def _rejoined(chains: list[tuple[list[Poll], Cadence]]) -> list[tuple[list[Poll], Cadence]]:
    """The chains with those that belong to one poller's beat put back together: what follows
    where a poller paused, or polls where its chain missed beats (they fell off its beat as
    strays, then made chains of their own at a multiple of its period). Merged, they explain
    as many intervals as apart; another poller's polls would fall between the beats."""
    chains = list(chains)
    k = 0
    while k < len(chains):
        joined = _joined(chains, k)
        if joined is None:
            k += 1
            continue
        group, chains[k] = joined
        chains = [chain for j, chain in enumerate(chains) if j not in group]
        k = 0
    return chains


def _joined(
    chains: list[tuple[list[Poll], Cadence]], k: int
) -> tuple[tuple[int, ...], tuple[list[Poll], Cadence]] | None:
    """Which chains (by index) join chain `k`, the largest set first, and the chain they
    make; None when none does."""
    base, beat = chains[k]
    related = [
        j for j, (_, found) in enumerate(chains) if j != k and _multiple(found.period, beat.period)
    ]
    for size in range(len(related), 0, -1):
        for group in itertools.combinations(related, size):
            parts = [chains[j] for j in group]
            merged = sorted(base + [p for chain, _ in parts for p in chain], key=_start)
            again = cadence(_timeline(merged))
            if again is None or again.kind != "regular":
                continue
            (first, found), *_ = parts
            resumed = (
                size == 1
                and abs(found.period / beat.period - 1) <= JITTER
                and not _interleave(base, first, beat)
            )
            apart = _off(beat, base) + sum(_off(found, chain) for chain, found in parts)
            if resumed or _off(again, merged) <= apart:
                return group, (merged, again)
    return None


def _multiple(period: float, other: float) -> bool:
    """Whether one period is about a whole multiple of the other (or the same)."""
    ratio = max(period / other, other / period)
    return abs(ratio / round(ratio) - 1) <= JITTER


def _start(poll: Poll) -> float:
    return poll.start


def _interleave(chain: list[Poll], other: list[Poll], beat: Cadence) -> bool:
    """Whether any poll of `other` falls amid `chain`'s beat: between two of its polls at
    most a couple of periods apart (not in a pause, nor before or after it)."""
    starts = [poll.start for poll in chain]
    for poll in other:
        k = bisect.bisect_left(starts, poll.start)
        if 0 < k < len(starts) and starts[k] - starts[k - 1] <= 2.5 * beat.period:
            return True
    return False


def _off(found: Cadence, polls: list[Poll]) -> int:
    """Intervals of `polls` that `found` leaves unexplained: neither on its beat, a missed
    beat nor a pause."""
    return len(polls) - 1 - found.on_beat - found.missed_beats - found.pauses


def _distinct(chain: list[Poll], polls: list[Poll]) -> bool:
    """Whether the chain is a timer's and not a path picked through random requests: its
    polls fall far closer to where its beat is due than the other polls do. (Through random
    requests the chosen poll is merely the nearer of two: half as near, typically.)"""
    others = [poll.start for poll in _without(polls, chain)]
    if not others:
        return True
    beat = median(b.start - a.start for a, b in itertools.pairwise(chain))
    ratios = []
    for previous, poll in itertools.pairwise(chain):
        due = previous.start + max(1, round((poll.start - previous.start) / beat)) * beat
        k = bisect.bisect_left(others, due)
        nearest = min(abs(others[j] - due) for j in (k - 1, k) if 0 <= j < len(others))
        ratios.append(abs(poll.start - due) / nearest if nearest > 0 else math.inf)
    return median(ratios) <= DISTINCT


def _periods(starts: list[float]) -> list[float]:
    """The intervals that recur most between a poll and the next few: where the beats are.

    Counted from at most `PERIOD_SAMPLE` polls spread evenly over the series: the counts
    keep their proportions, and a long series costs no more than a short one."""
    step = max(1, len(starts) // PERIOD_SAMPLE)
    sampled = starts[::step]
    differences = []
    for ahead in range(1, MAX_POLLERS + 1):
        later = starts[ahead::step]  # the poll `ahead` after each sampled one
        differences += [b - a for a, b in zip(sampled, later, strict=False) if b > a]
    differences.sort()
    # How many differences fall within -JITTER/2 of each, packed with its rank into one
    # integer: sorting those puts the most recurring first, ties to the longer interval.
    size = len(differences)
    near = 1 - JITTER / 2
    lows = [bisect.bisect_left(differences, value * near) for value in differences]
    ranked = sorted(((i - low) * size + i for i, low in enumerate(lows)), reverse=True)
    chosen: list[float] = []
    for key in ranked:
        value = differences[key % size]
        for other in chosen:
            if abs(value / other - 1) <= JITTER:
                break  # near an interval already chosen
        else:
            chosen.append(value)
            if len(chosen) == MAX_POLLERS:
                break
    return chosen


def _chain(starts: list[float], period: float) -> list[int]:
    """Which of the sorted `starts` (at least one) one timer of about `period` sent: from the
    first, each next one the closest to where the beat falls (within the jitter, a missed beat
    or a few allowed), the beat adjusting as it goes, as a timer's drifts."""
    left, right = bisect.bisect_left, bisect.bisect_right
    chain = [0]
    beat, last = period, starts[0]
    i, count = 1, len(starts)
    while i < count:
        for beats, root in _BEATS:
            due = last + beats * beat
            slack = JITTER * beat * root
            i = left(starts, due - slack, i)  # off the beat: another's
            end = right(starts, due + slack, i)
            if end > i:  # the start nearest the beat, most often the only one near it
                best = i if end == i + 1 else min(range(i, end), key=lambda k: abs(starts[k] - due))
                break
        else:
            break  # the beat is lost
        picked = starts[best]
        beat += ((picked - last) / beats - beat) / 4
        last = picked
        chain.append(best)
        i = best + 1
    return chain


_BEATS = [(beats, beats**0.5) for beats in range(1, MAX_BEATS_MISSED + 1)]
"""How many beats a chain's next poll may come after the last, each with the square root
the jitter grows by over that many."""


def _without_strays(chain: list[Poll]) -> list[Poll]:
    """The chain without polls far further off its beat than the rest (another poller's
    request that fell where this one's beat was due: at its end, or where it missed one)."""
    if len(chain) < MIN_REQUESTS:
        return chain
    intervals = [b.start - a.start for a, b in itertools.pairwise(chain)]
    beat = median(intervals)
    offs = [abs(i / beat - round(i / beat)) for i in intervals]
    usual = median(offs)
    stray = {k + 1 for k, off in enumerate(offs) if off > STRAY * usual and off > STRAY_FLOOR}
    return [poll for k, poll in enumerate(chain) if k not in stray]


def _on_own_connections(polls: list[Poll]) -> list[tuple[list[Poll], Cadence]]:
    """Pollers each on a connection of its own (two tabs, two clients), when no beat runs
    through the whole series: the connections that each keep a regular beat, if together
    they hold most of the polls. (One poller spread over a pool keeps no beat per
    connection.)"""
    by_connection: dict[str | None, list[Poll]] = defaultdict(list)
    for poll in polls:
        by_connection[poll.connection].append(poll)
    beats = []
    for part in by_connection.values():
        if len(part) >= SPLIT_MIN_REQUESTS:
            found = cadence(_timeline(part))
            if found is not None and found.kind == "regular":
                beats.append((part, found))
    explained = sum(len(part) for part, _ in beats)
    if len(beats) < 2 or len(beats) > MAX_POLLERS or explained < INTERLEAVED_EXPLAINED * len(polls):
        return []
    return sorted(beats, key=lambda beat: beat[0][0].start)


def _by_connection(polls: list[Poll], merged: Cadence) -> list[tuple[list[Poll], Cadence]] | None:
    """Pollers the timing alone cannot tell apart: beats in anti-phase look like one beat at
    twice the rate. They are told apart when each of the connections keeps a beat of its
    own at a multiple of the merged one (one poller spread over a pool keeps none)."""
    by_connection: dict[str | None, list[Poll]] = defaultdict(list)
    for poll in polls:
        by_connection[poll.connection].append(poll)
    parts = list(by_connection.values())
    if not 2 <= len(parts) <= MAX_POLLERS or any(len(p) < MIN_REQUESTS for p in parts):
        return None
    beats = []
    for part in parts:
        found = cadence(_timeline(part))
        if found is None or found.kind != "regular":
            return None
        if abs(found.period / (merged.period * len(parts)) - 1) > JITTER / 2:
            return None
        beats.append((part, found))
    return sorted(beats, key=lambda beat: beat[0][0].start)


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
