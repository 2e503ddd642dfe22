"""How fast the viewer shows a large capture and answers keys, and how it holds up under a flood.

For each size (default 1,000 as the baseline, 10,000 and 100,000 exchanges; the mixed captures
of `bench_analyze.py`, generated and cached in bench/out/), a fresh process opens
`pushscope view` headless (Textual's test driver, 160x50) and measures:

- first rows: from creating the app to the first frame that shows an exchange row;
- load: until the whole capture is read (rows keep streaming in meanwhile);
- keys during the load: `down` pressed while the capture is still being read;
- keys after the load: `down`, `pagedown`, `end`/`home`, typing a filter (each key re-filters
  all rows), clearing it, opening and closing an exchange. Latency is from the key press to
  the end of the frame that shows its effect (the screen's compositor refresh, which is what a
  terminal would be sent);
- peak RSS.

Then a flood: a producer thread feeds the real analyzer 10,000 WebSocket messages a second
(spread over 20 connections, plus a REST exchange every 10 ms) while `down` is pressed every
100 ms; latency under the flood is compared with the same keys just before it.

Then the conversation view (issue #16): the project's chat capture with its WebSocket
connection given N more messages (default 1,000 as the baseline and 100,000), a mix of
Socket.IO events, heartbeats and binary frames, written to bench/out/ as a mitmproxy flow file
and read by the viewer as any capture is, through its own limits (`tui.sources.view_limits`).
The connection is opened with `c` from the table (open: from the key to the frame that shows
its messages) and keys are timed there: `down`, `pagedown`, `end`/`home`, `h` (heartbeats: the
first decodes every message, in slices between frames, so the key is answered at once and the
time until the filter is done is given apart), a text filter typed and cleared, `t` (clock
times), a message opened and closed. With `--terminal`, the largest connection is also opened
in a real terminal (tmux): `c` until the screen shows all its messages, then keys.

Ratios are against the baseline size measured in the same run. Goals (issue #5): first rows
within 1 s, a keypress answered within 100 ms at 100,000 exchanges.

    .venv/bin/python bench/bench_tui.py                    # 1k, 10k, 100k and the flood
    .venv/bin/python bench/bench_tui.py --sizes 1000,10000 --flood-seconds 3
    .venv/bin/python bench/bench_tui.py --sizes 1000 --flood-seconds 0 --messages 1000,100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
OUT_DIR = HERE / "out"
SIZE = (160, 50)
FIRST_ROWS_GOAL = 1.0
KEY_GOAL_MS = 100.0


def ensure_capture(n: int) -> Path:
    import bench_analyze

    paths = bench_analyze.capture_paths(OUT_DIR, n)
    if bench_analyze.load_manifest(OUT_DIR, n, 1) is None:
        print(f"generating the {n:,}-exchange capture ...", file=sys.stderr)
        bench_analyze.generate(OUT_DIR, n, 1, lambda line: print(line, file=sys.stderr))
    return paths["mitm"]


# --------------------------------------------------------------------------- child side


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
        "n": len(values),
    }


def _key_event(key: str) -> Any:
    """The key event a terminal would send for `key` (as Textual's Pilot builds it)."""
    import unicodedata

    from textual import events
    from textual.app import _character_to_key
    from textual.keys import _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def _key(pilot: Any, key: str) -> float:
    """Seconds from a key arriving to the end of the frame that shows its effect.

    Pilot.press() itself waits for the CPU to go idle (20 ms sleeps at least), so the key is
    sent as the terminal driver sends it, and the wait is for the message queues only."""
    app = pilot.app
    start = time.perf_counter()
    app._driver.send_message(_key_event(key))
    for _ in range(3):  # the key, what its handler posted, what that posted
        await pilot._wait_for_screen()
    app.screen._on_timer_update()  # the frame the terminal would be sent, now
    return time.perf_counter() - start


async def measure_capture(path: str) -> dict[str, Any]:
    from memory import peak_kb, reset_peak

    from pushscope.tui.app import PushscopeApp
    from pushscope.tui.sources import CaptureSource
    from pushscope.tui.widgets.exchange_table import ExchangeTable

    baseline_kb = reset_peak()
    first_frame: list[float] = []
    render_line = ExchangeTable.render_line

    def timed_render_line(table: ExchangeTable, y: int) -> Any:
        if not first_frame and table.traffic.visible:
            first_frame.append(time.perf_counter())
        return render_line(table, y)

    ExchangeTable.render_line = timed_render_line  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.process_time()
    app = PushscopeApp(CaptureSource([Path(path)]))
    figures: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        while not first_frame:
            await asyncio.sleep(0.002)
        figures["first_rows_s"] = round(first_frame[0] - started, 3)
        during = []
        while not app.traffic.finished and len(during) < 50:
            during.append(await _key(pilot, "down"))
            await asyncio.sleep(0.05)
        while not app.traffic.finished:
            await asyncio.sleep(0.01)
        figures["load_s"] = round(time.perf_counter() - started, 2)
        figures["load_cpu_s"] = round(time.process_time() - cpu, 2)  # steadier on a busy machine
        figures["exchanges"] = len(app.traffic)
        await _key(pilot, "home")
        keys: dict[str, list[float]] = {"down": [], "pagedown": [], "end/home": []}
        for _ in range(30):
            keys["down"].append(await _key(pilot, "down"))
        for _ in range(15):
            keys["pagedown"].append(await _key(pilot, "pagedown"))
        for _ in range(5):
            keys["end/home"].append(await _key(pilot, "end"))
            keys["end/home"].append(await _key(pilot, "home"))
        await _key(pilot, "slash")
        keys["filter typing"] = [await _key(pilot, c) for c in "proto:ws"]
        keys["filter clear"] = [await _key(pilot, "ctrl+u")]
        await _key(pilot, "escape")
        keys["detail open/close"] = []
        for _ in range(5):
            keys["detail open/close"].append(await _key(pilot, "enter"))
            keys["detail open/close"].append(await _key(pilot, "escape"))
            await _key(pilot, "down")
    ExchangeTable.render_line = render_line  # type: ignore[method-assign]
    figures["keys_during_load"] = _ms(during) if during else None
    figures["keys"] = {name: _ms(values) for name, values in keys.items()}
    figures["worst_key_ms"] = max(v["max_ms"] for v in figures["keys"].values())
    figures["median_key_ms"] = round(
        statistics.median([x * 1000 for values in keys.values() for x in values]), 2
    )
    figures["peak_mb"] = round((peak_kb() - baseline_kb) / 1024, 1)
    return figures


class Flood:
    """A producer thread: WebSocket messages at `rate` a second into a real analyzer."""

    def __init__(self, rate: int, seconds: float) -> None:
        from pushscope.inspector.analysis import Analyzer
        from pushscope.tui.sources import TrafficSource, view_limits

        self.rate, self.seconds = rate, seconds
        self.sent = 0
        self.source = TrafficSource("flood")
        self.analyzer = Analyzer(view_limits(), observers=[self.source.store])
        self.go = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        from pushscope.inspector.events import (
            BodyChunk,
            ExchangeClosed,
            ExchangeOpened,
            ResponseStarted,
            WebSocketMessageSeen,
        )
        from pushscope.inspector.model import Exchange, Request, Response, WebSocketMessage

        key, accept = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        upgrade = (("Upgrade", "websocket"), ("Connection", "Upgrade"))
        request_headers = (*upgrade, ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"))
        feed = self.analyzer.feed
        now = time.time()
        for i in range(20):
            request = Request(
                "GET", f"ws://127.0.0.1:1/ticker/{i}", "HTTP/1.1", request_headers, now
            )
            feed(ExchangeOpened(Exchange(f"ws{i}", 0, request, client="127.0.0.1:1")))
            response_headers = (*upgrade, ("Sec-WebSocket-Accept", accept))
            feed(ResponseStarted(f"ws{i}", Response(101, "", "HTTP/1.1", response_headers, now)))
        self.go.wait()
        payload = b'{"price": 101.25, "symbol": "ABC"}'
        started = time.perf_counter()
        batch = max(1, self.rate // 100)
        rest = 0
        while (elapsed := time.perf_counter() - started) < self.seconds:
            due = int(elapsed * self.rate)
            while self.sent < due:
                for _ in range(min(batch, due - self.sent)):
                    message = WebSocketMessage("server", 1, len(payload), time.time())
                    feed(WebSocketMessageSeen(f"ws{self.sent % 20}", message, payload))
                    self.sent += 1
            if int(elapsed * 100) > rest:  # a REST exchange every 10 ms
                rest += 1
                exchange_id = f"r{rest}"
                request = Request(
                    "GET", f"http://127.0.0.1:1/api/{rest}", "HTTP/1.1", (), time.time()
                )
                feed(ExchangeOpened(Exchange(exchange_id, 0, request, client="127.0.0.1:2")))
                feed(ResponseStarted(exchange_id, Response(200, "OK", "HTTP/1.1", (), time.time())))
                feed(BodyChunk(exchange_id, b"{}", time.time()))
                feed(ExchangeClosed(exchange_id, time.time()))
            time.sleep(0.002)
        self.elapsed = time.perf_counter() - started
        self.done.set()


async def measure_flood(rate: int, seconds: float) -> dict[str, Any]:
    from pushscope.tui.app import PushscopeApp

    flood = Flood(rate, seconds)
    app = PushscopeApp(flood.source)
    producer = threading.Thread(target=flood.run, daemon=True)
    producer.start()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        idle = []
        for _ in range(20):
            idle.append(await _key(pilot, "up" if len(idle) % 2 else "down"))
            await asyncio.sleep(0.1)
        flood.go.set()
        busy = []
        while not flood.done.is_set():
            busy.append(await _key(pilot, "up" if len(busy) % 2 else "down"))
            await asyncio.sleep(0.1)
        await pilot.pause(0.2)
        shown = app.traffic.messages
    producer.join(5)
    return {
        "target_rate": rate,
        "achieved_rate": round(flood.sent / flood.elapsed),
        "messages_shown": shown,
        "messages_sent": flood.sent,
        "idle_keys": _ms(idle),
        "flood_keys": _ms(busy),
        "ratio": round(statistics.median(busy) / statistics.median(idle), 2),
    }


class Terminal:
    """`pushscope view` in a real terminal (tmux, on a socket of its own), read back through
    `capture-pane -e`: what a person sees, escape codes included (a moved cursor changes only
    colours)."""

    def __init__(self, capture: str) -> None:
        import shutil
        import uuid

        tmux = shutil.which("tmux")
        if tmux is None:
            raise SystemExit("--terminal needs tmux")
        self.tmux = [tmux, "-L", f"pushscope-bench-{uuid.uuid4().hex[:8]}"]
        pushscope = Path(sys.executable).with_name("pushscope")
        width, height = SIZE
        self.run(
            "new-session", "-d", "-x", str(width), "-y", str(height), f"{pushscope} view {capture}"
        )

    def run(self, *arguments: str) -> str:
        return subprocess.run(
            [*self.tmux, *arguments], capture_output=True, text=True, check=True, timeout=10
        ).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-e", "-p")

    def key(self, key: str, literal: bool = False) -> float:
        """Seconds from sending `key` until the screen changes (5 s at most)."""
        before = self.screen()
        start = time.perf_counter()
        self.run("send-keys", *(["-l"] if literal else []), key)
        while self.screen() == before:
            if time.perf_counter() - start > 5:
                break
        return time.perf_counter() - start

    def until(self, text: str, timeout: float) -> str:
        """The screen once it shows `text` (at most `timeout` seconds)."""
        deadline = time.perf_counter() + timeout
        while text not in (screen := self.screen()):
            if time.perf_counter() > deadline:
                raise SystemExit(f"the screen did not show {text!r} in {timeout} s")
            time.sleep(0.01)
        return screen

    def until_gone(self, text: str, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while text in self.screen() and time.perf_counter() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, check=False)


def navigate(term: Terminal) -> dict[str, list[float]]:
    """Latencies of `down`, `pagedown` and `end`/`home` pressed in a real terminal."""
    keys: dict[str, list[float]] = {"down": [], "pagedown": [], "end/home": []}
    term.key("Home")
    for _ in range(20):
        keys["down"].append(term.key("Down"))
    for _ in range(10):
        keys["pagedown"].append(term.key("PageDown"))
    for _ in range(3):
        keys["end/home"] += [term.key("End"), term.key("Home")]
    return keys


def measure_terminal(path: str) -> dict[str, Any]:
    term = Terminal(path)
    try:
        term.until("read ", 600)  # the status line once the capture is read
        time.sleep(0.5)
        keys = navigate(term)
        term.key("/")
        keys["filter typing"] = [term.key(c, literal=True) for c in "proto:ws"]
        keys["filter clear"] = [term.key("C-u")]
        term.key("Enter")  # back to the table
        keys["detail open"], keys["detail close"] = [], []
        for _ in range(5):
            keys["detail open"].append(term.key("Enter"))
            keys["detail close"].append(term.key("Escape"))
            term.key("Down")
    finally:
        term.close()
    figures: dict[str, Any] = {"keys": {name: _ms(values) for name, values in keys.items()}}
    figures["worst_key_ms"] = max(v["max_ms"] for v in figures["keys"].values())
    return figures


def conversation_capture(n: int) -> Path:
    """The chat capture with `n` more messages on its WebSocket connection, as a busy
    Socket.IO connection carries (cached in bench/out/)."""
    from mitmproxy import io
    from mitmproxy.websocket import WebSocketMessage

    path = OUT_DIR / f"conversation-{n}.mitm"
    if path.exists():
        return path
    with open(HERE.parent / "captures" / "websocket-chat.mitm", "rb") as fp:
        (flow,) = io.FlowReader(fp).stream()
    assert flow.websocket is not None
    start = flow.websocket.messages[-1].timestamp
    messages = flow.websocket.messages
    for i in range(n):
        if i % 10 == 9:
            from_client, opcode, payload = False, 1, b"2"
        elif i % 10 == 8:
            from_client, opcode, payload = True, 1, b"3"
        elif i % 25 == 0:
            from_client, opcode, payload = False, 2, bytes(range(64))
        else:
            from_client, opcode = i % 3 == 0, 1
            payload = b'42["order",{"id":"order-%d","qty":%d}]' % (i, i % 7)
        messages.append(WebSocketMessage(opcode, from_client, payload, start + (i + 1) * 0.01))
    flow.websocket.timestamp_end = start + (n + 1) * 0.01
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as out:
        io.FlowWriter(out).add(flow)
    partial.replace(path)
    return path


async def measure_conversation(path: str) -> dict[str, Any]:
    from memory import peak_kb, reset_peak

    from pushscope.tui.app import PushscopeApp
    from pushscope.tui.screens.conversation import ConversationScreen, MessageList
    from pushscope.tui.sources import CaptureSource

    baseline_kb = reset_peak()
    app = PushscopeApp(CaptureSource([Path(path)]))
    figures: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        while not app.traffic.finished:
            await asyncio.sleep(0.01)
        figures["read_peak_mb"] = round((peak_kb() - baseline_kb) / 1024, 1)
        exchange = app.traffic.exchange_at(0)
        assert exchange is not None and exchange.websocket is not None
        await _key(pilot, "home")
        figures["open_s"] = round(await _key(pilot, "c"), 3)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        messages = screen.query_one(MessageList)
        figures["messages"] = len(messages.shown)
        figures["seen"] = exchange.websocket.total
        figures["not_kept"] = screen.conversation.not_kept()
        keys: dict[str, list[float]] = {"down": [], "pagedown": [], "end/home": []}
        await _key(pilot, "home")
        for _ in range(30):
            keys["down"].append(await _key(pilot, "down"))
        for _ in range(15):
            keys["pagedown"].append(await _key(pilot, "pagedown"))
        for _ in range(5):
            keys["end/home"].append(await _key(pilot, "end"))
            keys["end/home"].append(await _key(pilot, "home"))
        started = time.perf_counter()
        keys["heartbeats (first)"] = [await _key(pilot, "h")]
        keys["down while filtering"] = []
        while messages.filtering:
            keys["down while filtering"].append(await _key(pilot, "down"))
            await asyncio.sleep(0.05)
        figures["first_filter_s"] = round(time.perf_counter() - started, 3)
        keys["heartbeats"] = [await _key(pilot, "h") for _ in range(4)]
        await _key(pilot, "slash")
        keys["filter typing"] = [await _key(pilot, c) for c in "order-42"]
        keys["filter clear"] = [await _key(pilot, "ctrl+u")]
        await _key(pilot, "enter")
        keys["time toggle"] = [await _key(pilot, "t") for _ in range(4)]
        keys["message open/close"] = []
        for _ in range(5):
            keys["message open/close"].append(await _key(pilot, "enter"))
            keys["message open/close"].append(await _key(pilot, "escape"))
    figures["peak_mb"] = round((peak_kb() - baseline_kb) / 1024, 1)
    keys = {name: values for name, values in keys.items() if values}
    figures["keys"] = {name: _ms(values) for name, values in keys.items()}
    figures["worst_key_ms"] = max(v["max_ms"] for v in figures["keys"].values())
    figures["median_key_ms"] = round(
        statistics.median([x * 1000 for values in keys.values() for x in values]), 2
    )
    return figures


def measure_terminal_conversation(path: str) -> dict[str, Any]:
    """The connection of `path` opened with `c` in a real terminal: seconds until the screen
    shows all its messages, then keys until the screen changes."""
    term = Terminal(path)
    try:
        term.until("read ", 600)
        time.sleep(0.5)
        term.key("Home")
        started = time.perf_counter()
        term.run("send-keys", "c")
        shown = term.until(" messages ", 60)
        figures: dict[str, Any] = {"open_s": round(time.perf_counter() - started, 3)}
        status = next(line for line in shown.splitlines() if " messages " in line)
        figures["status"] = re.sub(r"\x1b\[[0-9;]*m", "", status).strip()  # colours off
        time.sleep(0.5)
        keys = navigate(term)
        started = time.perf_counter()
        keys["heartbeats (first)"] = [term.key("h")]
        term.until("heartbeats hidden", 10)
        term.until_gone("filtering:", 120)
        figures["first_filter_s"] = round(time.perf_counter() - started, 3)
        keys["heartbeats"] = [term.key("h") for _ in range(4)]
        keys["time toggle"] = [term.key("t") for _ in range(4)]
    finally:
        term.close()
    figures["keys"] = {name: _ms(values) for name, values in keys.items()}
    figures["worst_key_ms"] = max(v["max_ms"] for v in figures["keys"].values())
    return figures


def print_conversations(
    results: dict[int, dict[str, Any]], terminal: dict[str, Any] | None = None
) -> None:
    base_n = min(results)
    base = results[base_n]
    print(f"conversation view, one WebSocket connection, baseline {base_n:,} messages")
    for n, fig in sorted(results.items()):
        ratio = fig["median_key_ms"] / base["median_key_ms"] if base["median_key_ms"] else 0
        open_ratio = fig["open_s"] / base["open_s"] if base["open_s"] else 0
        keys = key_figures(fig["keys"])
        print(
            f"  {n:>9,} msgs ({fig['messages']:,} of {fig['seen']:,} shown): "
            f"open {fig['open_s']:.3f} s ({open_ratio:.2f}x base), "
            f"key median {fig['median_key_ms']:.1f} ms ({ratio:.2f}x base), "
            f"worst {fig['worst_key_ms']:.1f} ms; "
            f"first filter done in {fig['first_filter_s']:.2f} s"
        )
        print(f"      median/worst ms: {keys}")
        print(
            f"      peak RSS {fig['peak_mb']:.1f} MB ({fig['read_peak_mb']:.1f} MB once read, "
            "before the view opened)"
        )
        if fig["not_kept"]:
            print(f"      {fig['not_kept']}")
    largest = results[max(results)]
    open_met = "met" if largest["open_s"] <= 1.0 else "NOT met"
    keys_met = "met" if largest["worst_key_ms"] <= KEY_GOAL_MS else "NOT met"
    print(
        f"goals at {max(results):,} messages: open {largest['open_s']:.3f} s (goal 1 s: "
        f"{open_met}), worst key {largest['worst_key_ms']:.1f} ms (goal {KEY_GOAL_MS:.0f} ms: "
        f"{keys_met})"
    )
    if terminal:
        keys = key_figures(terminal["keys"], 0)
        print(
            f"real terminal (tmux), {terminal['messages']:,} messages: `c` to all shown "
            f"{terminal['open_s']:.3f} s ({terminal['status'].strip()}); first filter done in "
            f"{terminal['first_filter_s']:.2f} s; key to changed screen, median/worst ms: {keys}"
        )


def key_figures(keys: dict[str, dict[str, float]], digits: int = 1) -> str:
    """`name median/worst` of each key's latencies in ms, comma-separated."""
    return ", ".join(
        f"{name} {v['median_ms']:.{digits}f}/{v['max_ms']:.{digits}f}" for name, v in keys.items()
    )


def child(kind: str, argument: str) -> dict[str, Any]:
    if kind == "conversation":
        return asyncio.run(measure_conversation(argument))
    if kind == "capture":
        return asyncio.run(measure_capture(argument))
    if kind == "terminal":
        return measure_terminal(argument)
    if kind == "terminal-conversation":
        return measure_terminal_conversation(argument)
    rate, seconds = argument.split(",")
    return asyncio.run(measure_flood(int(rate), float(seconds)))


# --------------------------------------------------------------------------- parent side


def run_child(kind: str, argument: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, argument]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {argument} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def print_results(
    sizes: dict[int, dict[str, Any]],
    flood: dict[str, Any] | None,
    terminal: dict[str, Any] | None = None,
) -> None:
    base_n = min(sizes)
    base = sizes[base_n]
    print(f"viewer on mixed captures (.mitm), {SIZE[0]}x{SIZE[1]}, baseline {base_n:,} exchanges")
    titles = ("first rows", "load", "load CPU", "key median", "key worst", "x base", "peak MB")
    print(f"{'exchanges':>10} " + " ".join(f"{t:>11}" for t in titles))
    for n, fig in sorted(sizes.items()):
        ratio = fig["median_key_ms"] / base["median_key_ms"] if base["median_key_ms"] else 0
        print(
            f"{n:>10,} {fig['first_rows_s']:>10.3f}s {fig['load_s']:>10.2f}s "
            f"{fig['load_cpu_s']:>10.2f}s "
            f"{fig['median_key_ms']:>9.1f}ms {fig['worst_key_ms']:>9.1f}ms {ratio:>10.2f}x "
            f"{fig['peak_mb']:>11.1f}"
        )
    for n, fig in sorted(sizes.items()):
        keys = key_figures(fig["keys"])
        during = fig["keys_during_load"]
        load_keys = (
            f"; while loading down {during['median_ms']:.1f}/{during['max_ms']:.1f}"
            if during
            else ""
        )
        print(f"  {n:,}: median/worst ms: {keys}{load_keys}")
    largest = sizes[max(sizes)]
    rows_met = "met" if largest["first_rows_s"] <= FIRST_ROWS_GOAL else "NOT met"
    keys_met = "met" if largest["worst_key_ms"] <= KEY_GOAL_MS else "NOT met"
    print(
        f"goals at {max(sizes):,}: first rows {largest['first_rows_s']:.3f} s "
        f"(goal {FIRST_ROWS_GOAL} s: {rows_met}), worst key {largest['worst_key_ms']:.1f} ms "
        f"(goal {KEY_GOAL_MS:.0f} ms: {keys_met})"
    )
    if terminal:
        keys = key_figures(terminal["keys"], 0)
        print(
            f"real terminal (tmux, {terminal['exchanges']:,} exchanges), key to changed screen, "
            f"median/worst ms: {keys}"
        )
    if flood:
        idle, busy = flood["idle_keys"], flood["flood_keys"]
        print(
            f"flood: {flood['achieved_rate']:,} WebSocket msgs/s "
            f"(target {flood['target_rate']:,}), {flood['messages_shown']:,} of "
            f"{flood['messages_sent']:,} counted on screen; keys (median/worst) idle "
            f"{idle['median_ms']:.1f}/{idle['max_ms']:.1f} ms, flooded "
            f"{busy['median_ms']:.1f}/{busy['max_ms']:.1f} ms, {flood['ratio']:.2f}x idle"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--flood-rate", type=int, default=10_000)
    parser.add_argument("--flood-seconds", type=float, default=5.0, help="0: no flood")
    parser.add_argument(
        "--terminal",
        action="store_true",
        help="also time keys in a real terminal (tmux) at the largest size",
    )
    parser.add_argument(
        "--messages",
        default="1000,100000",
        help="messages on one connection for the conversation view ('': none)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    sizes = {}
    for n in (int(s) for s in args.sizes.split(",") if s):
        path = ensure_capture(n)
        print(f"measuring {n:,} exchanges ...", file=sys.stderr)
        sizes[n] = run_child("capture", str(path))
    terminal = None
    if args.terminal and sizes:
        largest = max(sizes)
        print(f"measuring keys in a real terminal at {largest:,} exchanges ...", file=sys.stderr)
        terminal = run_child("terminal", str(ensure_capture(largest)))
        terminal["exchanges"] = largest
    flood = None
    if args.flood_seconds > 0:
        print("measuring the flood ...", file=sys.stderr)
        flood = run_child("flood", f"{args.flood_rate},{args.flood_seconds}")
    conversations = {}
    for n in (int(s) for s in args.messages.split(",") if s):
        print(f"measuring the conversation view at {n:,} messages ...", file=sys.stderr)
        conversations[n] = run_child("conversation", str(conversation_capture(n)))
    terminal_conversation = None
    if args.terminal and conversations:
        largest = max(conversations)
        print(f"opening {largest:,} messages in a real terminal ...", file=sys.stderr)
        terminal_conversation = run_child(
            "terminal-conversation", str(conversation_capture(largest))
        )
        terminal_conversation["messages"] = largest
    if args.json:
        report = {"sizes": sizes, "flood": flood, "terminal": terminal}
        report |= {"conversations": conversations, "terminal_conversation": terminal_conversation}
        print(json.dumps(report, indent=2))
    else:
        if sizes:
            print_results(sizes, flood, terminal)
        if conversations:
            print_conversations(conversations, terminal_conversation)
    return 0


if __name__ == "__main__":
    sys.exit(main())
