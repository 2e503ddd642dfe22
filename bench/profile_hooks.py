"""The addon's hooks driven by hand, without a proxy: microseconds per REST exchange or
WebSocket message on the hooks' side (the analysis in its own process, or with `--in-process`
here), optionally under cProfile. For finding where the addon's time goes; the ratios that
count come from `bench_proxy.py` (inside mitmdump the same work costs two to three times as
much: colder caches, and the collector walks mitmproxy's heap too).

    .venv/bin/python bench/profile_hooks.py rest            # REST exchanges, addon only
    .venv/bin/python bench/profile_hooks.py ws --feed       # WebSocket messages, with the feed
    .venv/bin/python bench/profile_hooks.py rest --profile cumulative

The flows look like `bench_proxy.py`'s traffic: keep-alive GETs of three items from four
client connections, and a server flooding 32-byte text messages. With `--feed` the feed is
written as in mitmdump, its timer on a real event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mitmproxy import http
from mitmproxy.test import taddons, tflow
from mitmproxy.websocket import WebSocketMessage

from pushscope.addons.live import Pushscope

ITEM = b'{"id":1,"name":"a thing","price":3,"tags":["x","y"]}'


def rest_flows(n: int) -> list[http.HTTPFlow]:
    flows = []
    for i in range(n):
        flow = tflow.tflow(resp=True)
        request, response = flow.request, flow.response
        assert response is not None
        request.host, request.port, request.path = "127.0.0.1", 8123, f"/api/items/{i % 3 + 1}"
        request.headers.clear()
        request.headers["Host"] = "127.0.0.1:8123"
        request.headers["Accept"] = "application/json"
        request.headers["User-Agent"] = "pushscope-bench"
        response.headers.clear()
        response.headers["Content-Type"] = "application/json"
        response.headers["Content-Length"] = str(len(ITEM))
        response.headers["Cache-Control"] = "no-store"
        response.content = ITEM
        flow.client_conn.peername = ("127.0.0.1", 40000 + i % 4)
        request.timestamp_start = 1000 + i * 0.001
        response.timestamp_start = request.timestamp_start + 0.0002
        response.timestamp_end = request.timestamp_start + 0.0003
        flows.append(flow)
    return flows


def workload(addon: Pushscope, kind: str, n: int) -> Callable[[], None]:
    if kind == "rest":
        flows = rest_flows(n)

        def rest() -> None:
            for flow in flows:
                addon.request(flow)
                addon.responseheaders(flow)
                addon.response(flow)

        return rest
    flow = tflow.twebsocketflow(messages=False)
    assert flow.websocket is not None
    addon.request(flow)
    addon.responseheaders(flow)
    message = WebSocketMessage(1, False, b"x" * 32, 1000.0)
    messages = flow.websocket.messages

    def ws() -> None:
        for _ in range(n):
            messages.append(message)
            addon.websocket_message(flow)

    return ws


async def measure(args: argparse.Namespace, feed: Path | None) -> float:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(
            addon, pushscope_feed=str(feed) if feed else "", pushscope_process=not args.in_process
        )
        addon.running()
        run = workload(addon, args.kind, args.n)
        gc.collect()
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.profile).print_stats(30)
            print(out.getvalue())
        addon.done()
    return seconds / args.n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("rest", "ws"))
    parser.add_argument("--n", type=int, help="exchanges (20,000) or messages (100,000)")
    parser.add_argument("--feed", action="store_true", help="also write the live feed")
    parser.add_argument(
        "--in-process", action="store_true", help="the analysis in this process (the viewer's way)"
    )
    parser.add_argument("--profile", metavar="SORT", help="cProfile, sorted by SORT (tottime...)")
    args = parser.parse_args()
    args.n = args.n or (20_000 if args.kind == "rest" else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.jsonl" if args.feed else None
        us = asyncio.run(measure(args, feed))  # a running loop: the feed's timer works
    unit = "exchange" if args.kind == "rest" else "message"
    print(f"{args.kind}{' + feed' if args.feed else ''}: {us:.2f} us per {unit}")


if __name__ == "__main__":
    main()
