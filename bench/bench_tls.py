"""Benchmark `pushscope analyze` on a large TLS 1.3 + HTTP/2 pcap, decrypted with its key log,
against tshark decrypting the same file with the same key log.

Generates (and caches in `bench/out/`) a pcap of at least `--mb` megabytes (default 100) and its
key log (`bench/tls_traffic.py`): TLS 1.3 connections with their own secrets and suites, HTTP/2
with HPACK carrying REST, SSE, gRPC server streams and WebSocket (RFC 8441), and some wss
connections over HTTP/1.1. A capture of a quarter of the size is made too. Then, in
interleaved rounds, each in a fresh process, output discarded:

    pushscope   `python -m pushscope analyze FILE --keylog KEYS --format json --output /dev/null`
    tshark      `tshark -n -o tls.keylog_file:KEYS -r FILE -Y http2`
    quarter     pushscope on the quarter-size capture (its peak memory against the full one's)

and prints the median and fastest wall time, CPU time (user + system) and peak RSS of each (all
from `wait4` on the command, in a small launcher: `bench_pcap.run`), the ratios pushscope /
tshark, and how much pushscope's peak memory grows per exchange that the full capture has more
than the quarter. Before timing, pushscope's report of each capture and tshark's decryption of
the full one are checked against what was generated (a mismatch exits with status 1); the first
analysis also warms the page cache and leaves pushscope's modules compiled, as installed.

    .venv/bin/python bench/bench_tls.py                  # 100 MB, 3 rounds
    .venv/bin/python bench/bench_tls.py --mb 4 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from bench.bench_analyze import code_version  # noqa: E402 - the repository's root, above
from bench.bench_pcap import figures, print_figures, ratios, time_rounds  # noqa: E402
from bench.tls_traffic import (  # noqa: E402
    Truth,
    generate,
    paths,
    report_mismatches,
    tshark_mismatches,
)

OUT_DIR = HERE / "out"


def pushscope_cmd(capture: Path, keys: Path, output: str = os.devnull) -> list[str]:
    return [sys.executable, "-m", "pushscope", "analyze", str(capture), "--keylog", str(keys),
            "--format", "json", "--output", output]  # fmt: skip


def tshark_cmd(tshark: str, capture: Path, keys: Path) -> list[str]:
    return [tshark, "-n", "-o", f"tls.keylog_file:{keys}", "-r", str(capture), "-Y", "http2"]


def check(mb: float, truth: Truth, tshark: str | None) -> list[str]:
    """What pushscope's report (and tshark, if given) get wrong about the capture of `mb`.
    The analysis runs with bytecode writing allowed, so later runs find pushscope compiled."""
    capture, keys, _ = paths(OUT_DIR, mb)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = pushscope_cmd(capture, keys, str(out))
        subprocess.run(command, check=True, capture_output=True, env=env)
        problems = report_mismatches(json.loads(out.read_text()), truth)
    if tshark:
        problems += tshark_mismatches(tshark, capture, keys, truth)
    return [f"{capture.name}: {p}" for p in problems]


def describe(mb: float, truth: Truth) -> str:
    capture, _, _ = paths(OUT_DIR, mb)
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(truth.kinds.items()))
    return (
        f"{capture.name}: {truth.bytes / 1e6:.1f} MB, {truth.packets:,} packets, "
        f"{truth.records:,} TLS records, {truth.connections:,} connections, "
        f"{truth.exchanges:,} exchanges ({kinds}), {truth.sse_events:,} SSE events, "
        f"{sum(truth.grpc_messages.values()):,} gRPC messages, "
        f"{sum(truth.ws_messages.values()) + sum(truth.wss_messages.values()):,} WebSocket "
        f"messages (generated in {truth.generation_seconds:.1f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=100, help="size of the generated pcap")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    quarter_mb = args.mb / 4
    truths = {args.mb: generate(OUT_DIR, args.mb, args.seed)}
    truths[quarter_mb] = generate(OUT_DIR, quarter_mb, args.seed)
    for mb, truth in truths.items():
        print(describe(mb, truth), file=sys.stderr)
    tshark = shutil.which("tshark")
    if tshark is None:
        print("tshark is not installed (Debian: apt-get install tshark): only pushscope timed",
              file=sys.stderr)  # fmt: skip
    problems = check(args.mb, truths[args.mb], tshark)
    problems += check(quarter_mb, truths[quarter_mb], None)
    if problems:
        print("a reading does not match the capture:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    also = ", and so does tshark's decryption of the full capture" if tshark else ""
    print(f"checked: pushscope's reports match what was generated{also}", file=sys.stderr)

    full, keys, _ = paths(OUT_DIR, args.mb)
    small, small_keys, _ = paths(OUT_DIR, quarter_mb)
    commands = {"pushscope": pushscope_cmd(full, keys)}
    if tshark:
        commands["tshark"] = tshark_cmd(tshark, full, keys)
    commands["quarter"] = pushscope_cmd(small, small_keys)
    runs = time_rounds(commands, args.repeat)
    sizes = {"pushscope": args.mb, "tshark": args.mb, "quarter": quarter_mb}
    summary: dict[str, Any] = {
        "code": code_version(),
        "captures": {str(mb): truth.__dict__ for mb, truth in truths.items()},
        "results": {},
    }
    for name, f in runs.items():
        summary["results"][name] = figures(f, truths[sizes[name]].bytes)
    results = summary["results"]
    summary["memory_growth"] = results["pushscope"]["peak_mb"] / results["quarter"]["peak_mb"]
    more = truths[args.mb].exchanges - truths[quarter_mb].exchanges
    grown = results["pushscope"]["peak_mb"] - results["quarter"]["peak_mb"]
    summary["kb_per_more_exchange"] = grown * 1024 / more if more else None
    summary.update(ratios(results))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"code {summary['code']}, {args.repeat} rounds")
    print_figures(summary)
    growth = f"pushscope's peak memory, full / quarter capture: {summary['memory_growth']:.2f}"
    if summary["kb_per_more_exchange"] is not None:
        growth += (
            f" ({summary['kb_per_more_exchange']:.2f} KB per exchange more: the analysis keeps"
            " each exchange for the report)"
        )
    print(growth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
