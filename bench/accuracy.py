"""Measure how accurately polling is detected: on the recorded captures and on a seeded set of
labelled synthetic timelines.

Prints precision and recall of polling findings, the period error (median and p90, relative),
cadence-kind, pollers and recommendation agreement, a breakdown by scenario kind and by series
length, and the misses and false positives (each with the `kind:seed` that rebuilds it), with
the goals beside the figures. The matching is described in tests/scoring.py, which computes
every figure (tests/test_accuracy.py asserts the goals with the same code).

    .venv/bin/python bench/accuracy.py                       # 2000 scenarios, seed 1
    .venv/bin/python bench/accuracy.py --n 500 --seed 7 --json bench/out/accuracy.json
    .venv/bin/python bench/accuracy.py --replay two-pollers:1000012   # one scenario, shown
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_analyze import code_version  # noqa: E402 - beside this script

from tests.scoring import (  # noqa: E402
    CAPTURE_GOAL,
    CAPTURES,
    SYNTHETIC_GOAL,
    Figures,
    Goal,
    Outcome,
    analyse,
    by_label,
    by_length,
    disagreements,
    figures,
    path_endpoint,
    problems,
    run_captures,
    run_synthetic,
)
from tests.timelines import KINDS, scenario  # noqa: E402


def _share(pair: tuple[int, int]) -> str:
    return f"{pair[0]}/{pair[1]}" if pair[1] else "-"


def _percent(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "-"


def _verdict(result: Figures, goal: Goal) -> str:
    met = "met" if result.meets(goal) else "MISSED"
    return (
        f"goal: precision >= {goal.precision:.2f}, recall >= {goal.recall:.2f}: {met} "
        f"(precision {result.precision:.4f}, recall {result.recall:.4f})"
    )


def _summary(out: TextIO, title: str, result: Figures, goal: Goal | None) -> None:
    print(f"{title}: {result.scenarios} scenarios, {result.truths} pollers", file=out)
    print(
        f"  found {result.found}, missed {result.truths - result.found}, "
        f"false positives {result.false_positives}: "
        f"precision {result.precision:.4f}, recall {result.recall:.4f}",
        file=out,
    )
    if goal is not None:
        print(f"  {_verdict(result, goal)}", file=out)
    backoff = ", ".join(
        f"{name} {_percent(value)}"
        for name, value in result.to_dict()["backoff_error_median"].items()
    )
    print(
        f"  period error: median {_percent(result.period_error(0.5))}, "
        f"p90 {_percent(result.period_error(0.9))}; cadence kind {_share(result.cadence)}; "
        f"pollers {_share(result.pollers)}; recommendation {_share(result.recommendation)}",
        file=out,
    )
    print(f"  backoff error (median): {backoff}", file=out)
    if result.periodic[1]:
        print(
            f"  periodic traffic given a finding of its own kind: {_share(result.periodic)}",
            file=out,
        )


def _table(out: TextIO, title: str, rows: dict[str, Figures]) -> None:
    print(f"\n{title}", file=out)
    header = (
        f"  {'':16} {'scen':>5} {'truth':>5} {'found':>5} {'FP':>4} {'prec':>6} {'recall':>6} "
        f"{'per med':>7} {'p90':>6} {'cadence':>9} {'pollers':>9} {'recomm':>9}"
    )
    print(header, file=out)
    for label, f in rows.items():
        print(
            f"  {label:16} {f.scenarios:5} {f.truths:5} {f.found:5} {f.false_positives:4} "
            f"{f.precision:6.3f} {f.recall:6.3f} {_percent(f.period_error(0.5)):>7} "
            f"{_percent(f.period_error(0.9)):>6} {_share(f.cadence):>9} "
            f"{_share(f.pollers):>9} {_share(f.recommendation):>9}",
            file=out,
        )


def _listing(out: TextIO, title: str, lines: list[str], cap: int) -> None:
    if not lines:
        return
    shown = f" (first {cap} of {len(lines)})" if len(lines) > cap else f" ({len(lines)})"
    print(f"\n{title}{shown}", file=out)
    for line in lines[:cap]:
        print(f"  {line}", file=out)


def report(
    out: TextIO,
    captured: list[Outcome],
    synthetic: list[Outcome],
    *,
    n: int,
    seed: int,
    cap: int,
) -> dict[str, Any]:
    print(f"pushscope polling accuracy, commit {code_version()}\n", file=out)
    on_captures = figures(captured)
    _summary(out, f"recorded captures ({CAPTURES.name}/*.mitm)", on_captures, CAPTURE_GOAL)
    on_synthetic = figures(synthetic)
    print(file=out)
    _summary(out, f"synthetic (seed {seed}, series of 8 to 200)", on_synthetic, SYNTHETIC_GOAL)
    kinds = by_label(synthetic)
    lengths = by_length(synthetic)
    _table(out, "synthetic, by scenario kind", kinds)
    _table(out, "synthetic, by series length (requests)", lengths)
    _listing(out, "captures: misses and false positives", problems(captured), cap)
    _listing(out, "synthetic: misses and false positives", problems(synthetic), cap)
    wrong = disagreements(captured) + disagreements(synthetic)
    _listing(out, "cadence kind or pollers differ", wrong, cap)
    if synthetic:
        print(
            "\nrebuild one: bench/accuracy.py --replay KIND:SEED "
            "(or tests.timelines.scenario(kind, seed))",
            file=out,
        )
    return {
        "commit": code_version(),
        "n": n,
        "seed": seed,
        "captures": on_captures.to_dict(),
        "captures_goal_met": on_captures.meets(CAPTURE_GOAL),
        "synthetic": on_synthetic.to_dict(),
        "synthetic_goal_met": on_synthetic.meets(SYNTHETIC_GOAL),
        "by_kind": {label: f.to_dict() for label, f in kinds.items()},
        "by_length": {label: f.to_dict() for label, f in lengths.items()},
        "problems": problems(captured) + problems(synthetic),
        "disagreements": wrong,
    }


def replay(out: TextIO, which: str) -> None:
    """Print one scenario: what was drawn, its truth, its requests and the findings."""
    from pushscope.inspector.events import ExchangeOpened

    kind, _, seed = which.rpartition(":")
    if kind not in KINDS or not seed.lstrip("-").isdigit():
        raise SystemExit(f"--replay wants KIND:SEED, KIND one of {', '.join(KINDS)}")
    built = scenario(kind, int(seed))
    print(f"{which}: {built.params}", file=out)
    for truth in built.truths:
        print(f"  truth {truth}", file=out)
    for periodic in built.periodic:
        print(f"  periodic {periodic}", file=out)
    opened = [e.exchange for e in built.events if isinstance(e, ExchangeOpened)]
    first = opened[0].started if opened else 0.0
    previous: float | None = None
    for exchange in opened:
        request = exchange.request
        gap = "" if previous is None else f" +{exchange.started - previous:.3f}"
        print(
            f"  {exchange.started - first:10.3f}{gap:>11} {exchange.client:>16} "
            f"{request.method} {request.url}",
            file=out,
        )
        previous = exchange.started
    for finding in analyse(built.events):
        stats = {
            key: finding.stats.get(key)
            for key in ("count", "period_s", "cadence", "base_s", "factor", "cap_s", "pollers")
        }
        print(
            f"  finding {finding.kind} {path_endpoint(finding.endpoint)} {stats} "
            f"{finding.recommendation}",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="synthetic scenarios (2000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic set (1)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--show", type=int, default=30, help="misses etc. listed (30)")
    parser.add_argument("--replay", metavar="KIND:SEED", help="show one synthetic scenario")
    args = parser.parse_args(argv)
    if args.replay:
        replay(sys.stdout, args.replay)
        return 0
    started = time.perf_counter()
    captured = run_captures()
    synthetic = run_synthetic(args.n, args.seed)
    result = report(sys.stdout, captured, synthetic, n=args.n, seed=args.seed, cap=args.show)
    print(f"\n{time.perf_counter() - started:.1f} s", file=sys.stdout)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
