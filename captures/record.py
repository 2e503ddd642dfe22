"""Record pushscope's sample captures from real traffic through a real mitmdump.

For each scenario: start the demo servers (demo.servers) on 127.0.0.1, start ``mitmdump``
from this interpreter's environment on a free 127.0.0.1 port with a throwaway confdir, run
the scenario's client (demo.clients) through it, stop mitmdump with SIGINT so it writes the
HAR, stop the servers, and move ``<name>.mitm`` and ``<name>.har`` into the output directory.
Every capture is read back and summarised afterwards.

For the scenarios in ``PCAP_CAPTURES`` (SSE, long polling, WebSocket), when tcpdump or dumpcap
is installed, the proxy-to-server leg is also captured on loopback into ``<name>.pcap``;
without either tool that step is skipped with a message.

    .venv/bin/python captures/record.py                    # all captures into captures/
    .venv/bin/python captures/record.py rest demo-mix      # only some
    .venv/bin/python captures/record.py --show             # summarise existing captures
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout: make `pushscope` importable
    sys.path.insert(0, str(ROOT))

from mitmproxy import http  # noqa: E402
from mitmproxy.io import FlowReader  # noqa: E402

from pushscope.demo.clients import SCENARIOS, SOLO_SCENARIOS, demo_mix  # noqa: E402
from pushscope.demo.common import Scenario  # noqa: E402
from pushscope.demo.proxy import Mitmdump  # noqa: E402
from pushscope.demo.servers import run_servers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from packets import PacketCapture, capture_tool, server_ports  # noqa: E402

CAPTURES: dict[str, Scenario] = {**SCENARIOS, "demo-mix": demo_mix, **SOLO_SCENARIOS}
FLOW_COUNTS: dict[str, int] = {
    "rest": 4,
    "sse-eventsource": 2,
    "sse-post-tokens": 1,
    "websocket-chat": 1,
    "ndjson-stream": 1,
    "demo-mix": 9,
    "poll-short": 16,
    "poll-etag": 15,
    "poll-backoff": 7,
    "poll-chat": 25,
    "long-poll": 6,
    "socketio-polling": 8,
    "sse-reconnect": 5,
    "ws-one-way": 1,
    "ws-rpc": 1,
    "decoy-user-rest": 10,
    "decoy-page-load": 23,
    "poll-two-clients": 20,
}
"""How many flows (and HAR entries) each capture must hold."""
PCAP_CAPTURES = ("demo-mix", "long-poll")
"""Also captured as pcap (the proxy-to-server leg): SSE, token streaming, NDJSON, REST and a
permessage-deflate WebSocket in demo-mix; long polling in long-poll."""
CLIENT_TIMEOUT = 40.0
SETTLE = 0.2  # let mitmdump run its hooks for the last close before it is stopped
MAX_BYTES = 100_000


def record(name: str, client: Scenario, out: Path, pcap_tool: str | None = None) -> str:
    """Record one capture into ``out/<name>.mitm`` and ``out/<name>.har`` (and, with a
    `pcap_tool`, the proxy-to-server leg into ``out/<name>.pcap``)."""
    with tempfile.TemporaryDirectory(prefix=f"pushscope-{name}-") as tmp:
        flows, har = Path(tmp) / f"{name}.mitm", Path(tmp) / f"{name}.har"
        packets = Path(tmp) / f"{name}.pcap"
        options = ["-w", str(flows), "--set", f"hardump={har}"]
        with (
            run_servers() as urls,
            Mitmdump(options, Path(tmp) / "confdir") as proxy,
            contextlib.ExitStack() as stack,
        ):
            if pcap_tool is not None:
                ports = server_ports(urls.http, urls.ws)
                stack.enter_context(PacketCapture(pcap_tool, ports, packets))
            summary = asyncio.run(asyncio.wait_for(client(urls, proxy), CLIENT_TIMEOUT))
            time.sleep(SETTLE)
        for path in (flows, har):
            if not path.is_file() or path.stat().st_size == 0:
                raise RuntimeError(f"{name}: mitmdump wrote no {path.suffix} file")
            shutil.move(path, out / path.name)
        if pcap_tool is not None:
            if not packets.is_file() or packets.stat().st_size <= 24:
                raise RuntimeError(f"{name}: {pcap_tool} captured nothing")
            shutil.move(packets, out / packets.name)
    return summary


def _flow_line(flow: http.HTTPFlow, t0: float, conn: int) -> str:
    """Start offset, request, status, type, duration, body size, connection, WebSocket info."""
    req, resp = flow.request, flow.response
    status = resp.status_code if resp else "-"
    ctype = resp.headers.get("content-type", "-") if resp else "-"
    end = resp.timestamp_end if resp and resp.timestamp_end else None
    took = f"{end - req.timestamp_start:.3f}s" if end else "-"
    body = len(resp.raw_content or b"") if resp else 0
    line = (
        f"  +{req.timestamp_start - t0:6.3f}s {req.method:4} {req.url} -> {status} {ctype} "
        f"in {took} body={body}B conn={conn}"
    )
    if ws := flow.websocket:
        sent = sum(m.from_client for m in ws.messages)
        order = "".join("C" if m.from_client else "S" for m in ws.messages)
        open_for = f"{ws.timestamp_end - req.timestamp_start:.3f}s" if ws.timestamp_end else "-"
        line += (
            f" ws_messages={len(ws.messages)} (client {sent}, server {len(ws.messages) - sent},"
            f" order {order}) close={ws.close_code} open {open_for}"
        )
    return line


def _gap_lines(flows: list[http.HTTPFlow], conns: dict[str, int]) -> list[str]:
    """Start-to-start gaps of requests repeated (3+ times) on one connection and path."""
    starts: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    for flow in flows:
        key = (conns[flow.client_conn.id], flow.request.method, flow.request.path.split("?")[0])
        starts[key].append(flow.request.timestamp_start)
    lines = []
    for (conn, method, path), times in starts.items():
        if len(times) >= 3:
            gaps = [b - a for a, b in itertools.pairwise(times)]
            lines.append(
                f"  gaps conn={conn} {method} {path} x{len(times)}: min {min(gaps):.3f} "
                f"median {median(gaps):.3f} max {max(gaps):.3f} s"
            )
    return lines


def describe(flows_path: Path) -> list[str]:
    """One line per flow of a ``.mitm`` file (by start time), request gaps, and a HAR line;
    a line starting with ``MISMATCH`` if a count differs from :data:`FLOW_COUNTS`."""
    with flows_path.open("rb") as f:
        flows = list(FlowReader(f).stream())
    http_flows = sorted(
        (f for f in flows if isinstance(f, http.HTTPFlow)), key=lambda f: f.request.timestamp_start
    )
    lines = [f"  {type(f).__name__}" for f in flows if not isinstance(f, http.HTTPFlow)]
    conns: dict[str, int] = {}
    for flow in http_flows:
        conns.setdefault(flow.client_conn.id, len(conns) + 1)
    t0 = http_flows[0].request.timestamp_start if http_flows else 0.0
    lines += [_flow_line(flow, t0, conns[flow.client_conn.id]) for flow in http_flows]
    lines += _gap_lines(http_flows, conns)
    counts = {"mitm": len(flows)}
    har_path = flows_path.with_suffix(".har")
    if har_path.is_file():
        entries = json.loads(har_path.read_text())["log"]["entries"]
        counts["har"] = len(entries)
        ws_entries = sum("_webSocketMessages" in e for e in entries)
        lines.append(f"  HAR: {len(entries)} entries, {ws_entries} with _webSocketMessages")
    expected = FLOW_COUNTS.get(flows_path.stem)
    if expected is not None and any(n != expected for n in counts.values()):
        lines.append(f"  MISMATCH: expected {expected} flows, found {counts}")
    return lines


def describe_pcap(path: Path) -> list[str]:
    """What pushscope reads from a pcap: one line per exchange, and its size."""
    from pushscope.inspector.model import Limits
    from pushscope.inspector.pipeline import analyze_paths

    report, fatal = analyze_paths([path], limits=Limits())
    lines = [f"  pcap: {path.stat().st_size} B, {len(report.exchanges)} exchanges"]
    lines += [f"  pcap problem: {problem}" for problem in fatal + report.sources[0].errors]
    for exchange in report.exchanges:
        ws = exchange.websocket
        extra = f" ws {ws.counts.as_dict()} close={ws.close_code}" if ws else ""
        sse = f" sse events={exchange.sse.count}" if exchange.sse else ""
        status = exchange.response.status if exchange.response else "-"
        lines.append(
            f"    {exchange.request.method} {exchange.request.url} -> {status} "
            f"{exchange.protocol.value}{sse}{extra}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"captures to record (default: all): {', '.join(CAPTURES)}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output directory (default: the captures/ directory)",
    )
    parser.add_argument(
        "--show", action="store_true", help="only summarise the existing captures, record nothing"
    )
    args = parser.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in CAPTURES]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(CAPTURES)}")
    names = args.scenarios or list(CAPTURES)
    # Turn SIGTERM into SystemExit so the finally blocks still stop mitmdump and the servers.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args.out.mkdir(parents=True, exist_ok=True)

    status = 0
    tool = capture_tool()
    if tool is None and not args.show and any(n in PCAP_CAPTURES for n in names):
        print("no tcpdump or dumpcap on PATH: the pcap captures are skipped (Debian: apt-get "
              "install tcpdump)")  # fmt: skip
    for name in names:
        flows_path = args.out / f"{name}.mitm"
        if not args.show:
            started = time.monotonic()
            pcap_tool = tool if name in PCAP_CAPTURES else None
            print(record(name, CAPTURES[name], args.out, pcap_tool))
            print(f"  recorded in {time.monotonic() - started:.1f}s")
        if not flows_path.is_file():
            print(f"{name}: no capture at {flows_path}")
            status = 1
            continue
        sizes = {p.suffix: p.stat().st_size for p in (flows_path, flows_path.with_suffix(".har"))}
        print(f"{flows_path.name}: {sizes['.mitm']} B, {flows_path.stem}.har: {sizes['.har']} B")
        lines = describe(flows_path)
        pcap_path = flows_path.with_suffix(".pcap")
        if pcap_path.is_file():
            lines += describe_pcap(pcap_path)
        print("\n".join(lines))
        if any(line.lstrip().startswith("MISMATCH") for line in lines):
            status = 1
        if max(sizes.values()) > MAX_BYTES:
            print(f"  warning: larger than {MAX_BYTES} bytes")
            status = 1
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)  # captures of the interrupted scenario are discarded, not half-written
