"""Benchmark polling detection against merely reading the same exchanges, at growing sizes.

For each size N (default 10k, 100k and 1M) a mitmproxy flow file of N REST exchanges is
generated (cached in `bench/out/`): thousands of clients, each with a few pollers (short and
long polling, some with jitter, missed beats or backoff) amid user-driven requests at random
times, so detection has real series to find and plenty of decoys to reject. Then, each in a
fresh subprocess so peak memory belongs to one measurement:

    read       the capture read and analysed without detection (the baseline)
    detect     the same plus polling detection over everything at the end (what
               `pushscope analyze` does)
    live       the same with detection evaluated incrementally as exchanges arrive (what the
               addon and the TUI do)

It prints seconds, exchanges per second and peak memory per exchange; detection's share on top
of reading (goal: at most 20%); and how the cost per exchange grows with N (goal: no worse than
n log n, i.e. per-exchange cost growing at most like log n).

    .venv/bin/python bench/bench_detect.py                  # 10k, 100k, 1M
    .venv/bin/python bench/bench_detect.py --sizes 10000 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
GENERATOR_VERSION = 2
BASE_TIME = 1_767_225_600.0
GOAL_OVERHEAD = 0.20
MODES = ("read", "detect", "live")


# -- generation -------------------------------------------------------------------------


def _flow_state(
    rng: random.Random,
    start: float,
    duration: float,
    client: tuple[str, int],
    path: str,
    method: str,
    status: int,
    body: bytes,
) -> dict[str, Any]:
    """A current-format mitmproxy HTTP flow state, lean but complete enough to be read back."""
    conn = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "peername": client,
        "sockname": ("10.0.0.1", 8080),
        "timestamp_start": start - 1,
        "timestamp_end": None,
        "timestamp_tls_setup": None,
        "tls": False,
        "sni": None,
        "tls_version": None,
        "alpn": None,
        "alpn_offers": [],
        "cipher": None,
        "cipher_list": [],
        "certificate_list": [],
        "mitmcert": None,
        "error": None,
        "proxy_mode": "regular",
        "transport_protocol": "tcp",
    }
    server = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "address": ("api.example", 80),
        "peername": ("203.0.113.7", 80),
        "sockname": ("10.0.0.1", 40000),
        "timestamp_start": start - 1,
        "timestamp_end": None,
        "timestamp_tcp_setup": start - 1,
        "timestamp_tls_setup": None,
        "tls": False,
        "sni": None,
        "tls_version": None,
        "alpn": None,
        "alpn_offers": [],
        "cipher": None,
        "cipher_list": [],
        "certificate_list": [],
        "error": None,
        "via": None,
        "transport_protocol": "tcp",
    }
    return {
        "version": 21,
        "type": "http",
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "error": None,
        "client_conn": conn,
        "server_conn": server,
        "intercepted": False,
        "is_replay": None,
        "marked": "",
        "metadata": {},
        "comment": "",
        "backup": None,
        "timestamp_created": start,
        "websocket": None,
        "request": {
            "host": "api.example",
            "port": 80,
            "method": method.encode(),
            "scheme": b"http",
            "authority": b"",
            "path": path.encode(),
            "http_version": b"HTTP/1.1",
            "headers": [
                [b"Host", b"api.example"],
                [b"User-Agent", b"bench/1.0"],
                [b"Accept", b"*/*"],
                [b"Accept-Encoding", b"gzip"],
            ],
            "content": b"",
            "trailers": None,
            "timestamp_start": start,
            "timestamp_end": start + 0.001,
        },
        "response": {
            "http_version": b"HTTP/1.1",
            "status_code": status,
            "reason": b"OK",
            "headers": [
                [b"Content-Type", b"application/json"],
                [b"Content-Length", str(len(body)).encode()],
                [b"Date", b"Thu, 01 Jan 2026 00:00:00 GMT"],
                [b"Cache-Control", b"no-cache"],
            ],
            "content": body,
            "trailers": None,
            "timestamp_start": start + duration * 0.9,
            "timestamp_end": start + duration,
        },
    }


def _timeline(
    n: int, seed: int
) -> list[tuple[float, float, tuple[str, int], str, str, int, bytes]]:
    """N exchanges: (start, duration, client, path, method, status, body), by start time."""
    rng = random.Random(seed)
    clients = max(10, n // 500)
    span = 3600.0 * max(1.0, n / 200_000)  # about 55 exchanges a second
    out = []
    while len(out) < n:
        c = rng.randrange(clients)
        # A host, and a connection of its own for each poller or person on it.
        client = (f"10.{c // 65536 % 256}.{c // 256 % 256}.{c % 256}", rng.randrange(32768, 61000))
        kind = rng.random()
        t = rng.uniform(0, span)
        if kind < 0.5:  # a short poller, with jitter and the odd missed beat
            period = rng.choice([2.0, 5.0, 10.0, 30.0])
            feed = rng.choice(["news", "prices", "status", "inbox", "scores", "jobs"])
            version = 0
            for _ in range(rng.randint(20, 400)):
                if rng.random() < 0.05:
                    version += 1
                if rng.random() > 0.03:
                    body = b'{"version": %d}' % version
                    out.append((t, 0.02, client, f"/api/feeds/{feed}", "GET", 200, body))
                t += period * (1 + rng.uniform(-0.2, 0.2))
        elif kind < 0.6:  # a long poller
            for i in range(rng.randint(10, 100)):
                hold = 25.0 if rng.random() < 0.7 else rng.uniform(0.5, 20)
                body = b"" if hold == 25.0 else b'{"event": %d}' % i
                out.append((t, hold, client, "/api/updates", "GET", 204 if not body else 200, body))
                t += hold + 0.01
        else:  # a person: Poisson-timed requests to many resources
            for _ in range(rng.randint(5, 60)):
                t += rng.expovariate(1 / 30)
                path = rng.choice(["/api/items", f"/api/items/{rng.randrange(10**6)}", "/api/me"])
                method = "POST" if rng.random() < 0.1 else "GET"
                out.append((t, 0.05, client, path, method, 200, b'{"ok": true}'))
    out = out[:n]
    out.sort(key=lambda e: e[0])
    return out


def generate(path: Path, n: int, seed: int) -> None:
    from mitmproxy.io import tnetstring

    rng = random.Random(seed + 1)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        for start, duration, client, p, method, status, body in _timeline(n, seed):
            out.write(
                tnetstring.dumps(
                    _flow_state(rng, BASE_TIME + start, duration, client, p, method, status, body)
                )
            )
    tmp.rename(path)


def capture(n: int, seed: int) -> Path:
    path = OUT_DIR / f"polling-{n}-v{GENERATOR_VERSION}-s{seed}.mitm"
    if not path.exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        print(f"generating {n:,} exchanges into {path.name} ...", file=sys.stderr, flush=True)
        generate(path, n, seed)
        print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


# -- measurement ------------------------------------------------------------------------


def child(mode: str, path: str) -> dict[str, Any]:
    """Run one measurement in this process; report seconds, exchanges, findings, memory."""
    import gc

    from memory import peak_kb, reset_peak  # bench/memory.py, beside this script

    import pushscope.inspector.readers.mitm  # noqa: F401 - loads mitmproxy before the baseline is taken
    from pushscope.inspector.analysis import Analyzer
    from pushscope.inspector.detect import Detector
    from pushscope.inspector.model import Limits
    from pushscope.inspector.readers import read_capture

    baseline = reset_peak()
    detector = None if mode == "read" else Detector(incremental=mode == "live")
    analyzer = Analyzer(Limits(ws_messages=0, sse_events=0, headers=False), detector=detector)
    gc.disable()  # as the pipeline does
    started = time.perf_counter()
    analyzer.run(read_capture(Path(path), 0).events)
    findings = analyzer.finish()
    seconds = time.perf_counter() - started
    peak = peak_kb()
    return {
        "seconds": seconds,
        "exchanges": len(analyzer),
        "findings": len(findings),
        "polling": sum(1 for f in findings if f.kind.endswith("polling")),
        "peak_kb": peak,
        "baseline_kb": baseline,
    }


def run_child(mode: str, path: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def measure(sizes: list[int], repeat: int, seed: int) -> dict[int, dict[str, dict[str, Any]]]:
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for n in sizes:
        path = capture(n, seed)
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for _ in range(repeat):
            for mode in MODES:  # interleaved, so machine noise hits all modes alike
                runs[mode].append(run_child(mode, path))
        results[n] = {}
        for mode, rows in runs.items():
            median = statistics.median(r["seconds"] for r in rows)
            last = rows[-1]
            results[n][mode] = {
                "seconds": round(median, 3),
                "runs": [round(r["seconds"], 3) for r in rows],
                "exchanges": last["exchanges"],
                "findings": last["findings"],
                "polling_findings": last["polling"],
                "peak_mb": round(last["peak_kb"] / 1024, 1),
                "bytes_per_exchange": round(
                    (last["peak_kb"] - last["baseline_kb"]) * 1024 / last["exchanges"]
                ),
            }
    return results


def report(results: dict[int, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    print(
        f"{'N':>9} {'mode':<7} {'seconds':>8} {'exch/s':>9} {'peak MB':>8} {'B/exch':>7} "
        f"{'findings':>8} {'detect share':>13}"
    )
    summary: dict[str, Any] = {"sizes": {}}
    first_n = min(results)
    for n, modes in sorted(results.items()):
        read = modes["read"]["seconds"]
        for mode in MODES:
            row = modes[mode]
            share = "" if mode == "read" else f"+{row['seconds'] / read - 1:.0%}"
            print(
                f"{n:>9,} {mode:<7} {row['seconds']:>8.2f} {n / row['seconds']:>9,.0f} "
                f"{row['peak_mb']:>8.1f} {row['bytes_per_exchange']:>7} {row['findings']:>8} "
                f"{share:>13}"
            )
        detect_cost = max(modes["detect"]["seconds"] - read, 0.0) / n
        summary["sizes"][n] = {
            "detect_overhead": round(modes["detect"]["seconds"] / read - 1, 3),
            "live_overhead": round(modes["live"]["seconds"] / read - 1, 3),
            "detect_us_per_exchange": round(detect_cost * 1e6, 2),
        }
    print()
    for n, figures in summary["sizes"].items():
        verdict = "PASS" if figures["detect_overhead"] <= GOAL_OVERHEAD else "FAIL"
        print(
            f"N={n:,}: detection adds {figures['detect_overhead']:.0%} to reading "
            f"(goal <= {GOAL_OVERHEAD:.0%}) {verdict}; {figures['detect_us_per_exchange']} us "
            f"per exchange; live adds {figures['live_overhead']:.0%}"
        )
    last_n = max(results)
    if last_n > first_n:
        grew = summary["sizes"][last_n]["detect_us_per_exchange"] / max(
            summary["sizes"][first_n]["detect_us_per_exchange"], 1e-9
        )
        allowed = math.log(last_n) / math.log(first_n)
        verdict = "PASS" if grew <= allowed * 1.25 else "FAIL"
        print(
            f"cost per exchange grew x{grew:.2f} from {first_n:,} to {last_n:,} "
            f"(n log n allows x{allowed:.2f}, +25% for noise) {verdict}"
        )
        summary["growth"] = {"per_exchange": round(grew, 3), "n_log_n": round(allowed, 3)}
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    results = measure(sorted(args.sizes), args.repeat, args.seed)
    summary = report(results)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
