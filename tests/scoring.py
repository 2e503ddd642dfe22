"""How accurately polling is detected: findings scored against labelled truths, for the
synthetic timelines (tests/timelines.py) and the project's recorded captures (their truth in
bench/accuracy-captures.json, from captures/README.md). bench/accuracy.py prints the figures,
tests/test_accuracy.py asserts the goals; both compute them here.

Matching, within one scenario or capture (one client): a polling finding (`short-polling`,
`long-polling`) matches a truth when both have the same kind and the same endpoint (method and
path template, the origin dropped: captures change ports on each recording). Several truths
of one endpoint and kind (two pollers) are paired one to one with its findings, each truth
with the finding whose period is nearest. A paired truth is found (a true positive); a truth
left over is a miss; a polling finding left over is a false positive: periodic traffic
(beacons, heartbeats...) and decoys have no truths, so any polling finding on them is one.
The other figures are taken over the pairs: period error |period_s - period| / period,
cadence kind (`stats["cadence"]`), pollers (`stats["pollers"]`) and recommendation agreement
where the truth gives one, and the backoff's base, factor and cap error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ModelEvent
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Limits
from pushscope.inspector.readers import read_capture
from tests.timelines import Periodic, Scenario, Truth, scenarios

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "captures"
CAPTURE_TRUTHS = ROOT / "bench" / "accuracy-captures.json"
POLLING = ("short-polling", "long-polling")


@dataclass(frozen=True, slots=True)
class Goal:
    precision: float
    recall: float


CAPTURE_GOAL = Goal(precision=1.0, recall=0.95)
SYNTHETIC_GOAL = Goal(precision=0.99, recall=0.95)
"""For series of at least 8 requests, which every synthetic scenario has."""


@dataclass(slots=True)
class Pair:
    truth: Truth
    finding: Finding


@dataclass(slots=True)
class Outcome:
    """One scenario or capture, scored."""

    label: str
    """The scenario kind, or the capture's name."""
    seed: int | None
    requests: int
    pairs: list[Pair]
    misses: list[Truth]
    false_positives: list[Finding]
    periodic: list[Periodic] = field(default_factory=list)
    periodic_found: int = 0
    """Periodic truths with a finding of their own kind on their endpoint."""
    params: dict[str, object] = field(default_factory=dict)


def analyse(events: Iterable[ModelEvent]) -> list[Finding]:
    """All findings on the events, as `pushscope analyze` makes them."""
    analyzer = Analyzer(
        Limits(ws_messages=0, sse_events=0, headers=False), detector=Detector(incremental=False)
    )
    analyzer.run(events)
    return analyzer.finish()


def path_endpoint(endpoint: str) -> str:
    """`GET http://127.0.0.1:8000/api/jobs/{id}` -> `GET /api/jobs/{id}`."""
    method, _, url = endpoint.partition(" ")
    _, separator, rest = url.partition("://")
    if separator:
        slash = rest.find("/")
        url = rest[slash:] if slash >= 0 else "/"
    return f"{method} {url}"


def _error(found: float | None, true: float | None) -> float | None:
    if found is None or true is None or true == 0:
        return None
    return abs(found - true) / true


def score(
    label: str,
    findings: Sequence[Finding],
    truths: Sequence[Truth],
    periodic: Sequence[Periodic] = (),
    *,
    seed: int | None = None,
    requests: int = 0,
    params: dict[str, object] | None = None,
) -> Outcome:
    """Match one client's findings against its truths (see the module's docstring)."""
    unpaired = [f for f in findings if f.kind in POLLING]
    pairs, misses = [], []
    by_period = sorted(truths, key=lambda t: t.period or 0.0)
    for truth in by_period:
        candidates = [
            f
            for f in unpaired
            if f.kind == truth.kind and path_endpoint(f.endpoint) == truth.endpoint
        ]
        if not candidates:
            misses.append(truth)
            continue
        best = min(candidates, key=lambda f: _error(f.stats.get("period_s"), truth.period) or 0.0)
        unpaired.remove(best)
        pairs.append(Pair(truth, best))
    found = sum(
        1
        for p in periodic
        if any(f.kind == p.kind and path_endpoint(f.endpoint) == p.endpoint for f in findings)
    )
    return Outcome(
        label, seed, requests, pairs, misses, unpaired, list(periodic), found, params or {}
    )


def score_scenario(scenario: Scenario) -> Outcome:
    return score(
        scenario.kind,
        analyse(scenario.events),
        scenario.truths,
        scenario.periodic,
        seed=scenario.seed,
        requests=scenario.requests,
        params=scenario.params,
    )


def run_synthetic(count: int, seed: int) -> list[Outcome]:
    return [score_scenario(s) for s in scenarios(count, seed)]


def capture_truths(path: Path = CAPTURE_TRUTHS) -> dict[str, list[Truth]]:
    """Each recorded capture's pollers, by capture name (an empty list: no polling)."""
    table: dict[str, list[dict[str, Any]]] = json.loads(path.read_text())["captures"]
    return {name: [Truth(**entry) for entry in entries] for name, entries in table.items()}


def run_captures(directory: Path = CAPTURES, truths_path: Path = CAPTURE_TRUTHS) -> list[Outcome]:
    """Every `*.mitm` capture of `directory`, scored; a capture missing from the truth table
    is an error (the table must say what each one holds)."""
    truths = capture_truths(truths_path)
    outcomes = []
    for path in sorted(directory.glob("*.mitm")):
        if path.stem not in truths:
            raise KeyError(f"{path.name}: no ground truth in {truths_path}")
        findings = analyse(read_capture(path, 0).events)
        expected = truths[path.stem]
        requests = sum(t.requests for t in expected)
        outcomes.append(score(path.stem, findings, expected, requests=requests))
    return outcomes


@dataclass(slots=True)
class Figures:
    """The accuracy of a set of outcomes."""

    scenarios: int
    truths: int
    found: int
    false_positives: int
    period_errors: list[float]
    cadence: tuple[int, int]
    """(agreeing, compared)."""
    pollers: tuple[int, int]
    recommendation: tuple[int, int]
    backoff_errors: dict[str, list[float]]
    """`base`, `factor`, `cap`: relative errors."""
    periodic: tuple[int, int]
    """(periodic truths with a finding of their kind, periodic truths)."""

    @property
    def precision(self) -> float:
        reported = self.found + self.false_positives
        return self.found / reported if reported else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.truths if self.truths else 1.0

    def period_error(self, quantile: float) -> float | None:
        if not self.period_errors:
            return None
        ordered = sorted(self.period_errors)
        return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]

    def meets(self, goal: Goal) -> bool:
        return self.precision >= goal.precision and self.recall >= goal.recall

    def to_dict(self) -> dict[str, Any]:
        def share(pair: tuple[int, int]) -> float | None:
            return round(pair[0] / pair[1], 4) if pair[1] else None

        return {
            "scenarios": self.scenarios,
            "truths": self.truths,
            "found": self.found,
            "false_positives": self.false_positives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "period_error_median": _round(self.period_error(0.5)),
            "period_error_p90": _round(self.period_error(0.9)),
            "cadence_agreement": share(self.cadence),
            "cadence_compared": self.cadence[1],
            "pollers_agreement": share(self.pollers),
            "recommendation_agreement": share(self.recommendation),
            "recommendation_compared": self.recommendation[1],
            "backoff_error_median": {
                name: _round(median(errors)) if errors else None
                for name, errors in self.backoff_errors.items()
            },
            "periodic_kind_found": share(self.periodic),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def figures(outcomes: Iterable[Outcome]) -> Figures:
    outcomes = list(outcomes)
    period_errors: list[float] = []
    cadence = pollers = recommendation = (0, 0)
    backoff: dict[str, list[float]] = {"base": [], "factor": [], "cap": []}
    for outcome in outcomes:
        for pair in outcome.pairs:
            truth, stats = pair.truth, pair.finding.stats
            error = _error(stats.get("period_s"), truth.period)
            if error is not None:
                period_errors.append(error)
            if truth.cadence is not None:
                cadence = _tally(cadence, stats.get("cadence") == truth.cadence)
            pollers = _tally(pollers, stats.get("pollers") == truth.pollers)
            if truth.recommendation is not None:
                agree = pair.finding.recommendation == truth.recommendation
                recommendation = _tally(recommendation, agree)
            for name, key in (("base", "base_s"), ("factor", "factor"), ("cap", "cap_s")):
                error = _error(stats.get(key), getattr(truth, name))
                if error is not None:
                    backoff[name].append(error)
    return Figures(
        scenarios=len(outcomes),
        truths=sum(len(o.pairs) + len(o.misses) for o in outcomes),
        found=sum(len(o.pairs) for o in outcomes),
        false_positives=sum(len(o.false_positives) for o in outcomes),
        period_errors=period_errors,
        cadence=cadence,
        pollers=pollers,
        recommendation=recommendation,
        backoff_errors=backoff,
        periodic=(sum(o.periodic_found for o in outcomes), sum(len(o.periodic) for o in outcomes)),
    )


def _tally(counts: tuple[int, int], agree: bool) -> tuple[int, int]:
    return counts[0] + agree, counts[1] + 1


def by_label(outcomes: Iterable[Outcome]) -> dict[str, Figures]:
    """Figures for each scenario kind (or capture), in the order they first appear."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.label, []).append(outcome)
    return {label: figures(group) for label, group in groups.items()}


LENGTHS = ((8, 12), (13, 30), (31, 80), (81, 200))
"""Buckets of series length (requests), to show where short series lose recall."""


def by_length(outcomes: Iterable[Outcome]) -> dict[str, Figures]:
    groups: dict[str, list[Outcome]] = {f"{low}-{high}": [] for low, high in LENGTHS}
    for outcome in outcomes:
        for low, high in LENGTHS:
            if low <= outcome.requests <= high:
                groups[f"{low}-{high}"].append(outcome)
    return {label: figures(group) for label, group in groups.items() if group}


def problems(outcomes: Iterable[Outcome]) -> list[str]:
    """One line per miss, false positive and disagreement of kind, cadence or pollers, with
    what rebuilds the scenario (`kind:seed`)."""
    lines = []
    for outcome in outcomes:
        where = outcome.label if outcome.seed is None else f"{outcome.label}:{outcome.seed}"
        drawn = f" {outcome.params}" if outcome.params else ""
        for truth in outcome.misses:
            lines.append(
                f"miss  {where} {truth.endpoint} {truth.kind} {truth.cadence or ''} "
                f"period {_seconds(truth.period)} n={truth.requests}{drawn}"
            )
        for finding in outcome.false_positives:
            stats = finding.stats
            lines.append(
                f"false {where} {path_endpoint(finding.endpoint)} {finding.kind} "
                f"{stats.get('cadence') or ''} period {_seconds(stats.get('period_s'))} "
                f"n={stats.get('count')}{drawn}"
            )
    return lines


def disagreements(outcomes: Iterable[Outcome]) -> list[str]:
    """One line per pair whose cadence kind or pollers differ from the truth."""
    lines = []
    for outcome in outcomes:
        where = outcome.label if outcome.seed is None else f"{outcome.label}:{outcome.seed}"
        for pair in outcome.pairs:
            truth, stats = pair.truth, pair.finding.stats
            wrong = []
            if truth.cadence is not None and stats.get("cadence") != truth.cadence:
                wrong.append(f"cadence {stats.get('cadence')} (truth {truth.cadence})")
            if stats.get("pollers") != truth.pollers:
                wrong.append(f"pollers {stats.get('pollers')} (truth {truth.pollers})")
            if wrong:
                lines.append(f"{where} {truth.endpoint}: " + ", ".join(wrong))
    return lines


def _seconds(value: object) -> str:
    return f"{value:.3g} s" if isinstance(value, float | int) else "-"
