"""Benchmark `pushscope analyze` on large mixed captures against the parse floors.

Generates (and caches in `bench/out/`) a capture of N exchanges, ~80% REST, ~10% SSE and
~10% WebSocket, as a mitmproxy flow file and as the HAR mitmproxy's own exporter makes of it.
Then measures, each in a fresh subprocess so that peak memory belongs to one measurement:

    json.load(har)     the HAR parse floor
    analyze(har)       `pushscope analyze <har> --format json --output /dev/null`
    FlowReader(mitm)   iterating mitmproxy's `FlowReader(...).stream()` alone
    analyze(mitm)      `pushscope analyze <mitm> --format json --output /dev/null`

and prints medians, throughput, peak memory per exchange and the goal ratios (measured in the
same run, so a noisy machine slows baseline and subject alike). Before timing, one analysis of
each file is checked against what was generated (exchange and protocol counts, SSE events,
WebSocket messages); it also warms the page cache.

    .venv/bin/python bench/bench_analyze.py              # N = 100,000, 3 repeats
    .venv/bin/python bench/bench_analyze.py --n 5000 --repeat 1 --json
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
GENERATOR_VERSION = 1
"""Bump when the generated captures change, so cached ones are rebuilt."""
HAR_BATCH = 2000
"""Flows handed to mitmproxy's HAR exporter at a time (the HAR is written incrementally)."""
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BASE_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z

GOAL_HAR_RATIO = 1.5
GOAL_MITM_SPEEDUP = 1.0
GOAL_KB_PER_EXCHANGE = 2.0

# name -> (child kind, capture suffix); the order is the order of one round of measurements.
MEASUREMENTS: dict[str, tuple[str, str]] = {
    "json.load(har)": ("json", "har"),
    "analyze(har)": ("analyze", "har"),
    "FlowReader(mitm)": ("flowreader", "mitm"),
    "analyze(mitm)": ("analyze", "mitm"),
}
OUTPUTS: dict[str, tuple[str, str]] = {
    "analyze html(mitm)": ("html", "mitm"),
    "export har(mitm)": ("export", "mitm"),
}
"""With --outputs: the other long commands on the same flow file, as ratios to analyze(mitm)."""


# --------------------------------------------------------------------------- generation


@dataclass
class Manifest:
    """What was generated: the expected analysis figures and the cost of generating."""

    version: int
    n: int
    seed: int
    protocols: dict[str, int]
    sse_events: int
    sse_events_with_id: int
    ws_messages: dict[str, int]
    ws_bytes: dict[str, int]
    gzip_responses: int
    generation_seconds: float = 0.0
    files: dict[str, int] = field(default_factory=dict)
    """Capture suffix -> size in bytes."""


def capture_paths(out_dir: Path, n: int) -> dict[str, Path]:
    """The cached files for N exchanges."""
    stem = out_dir / f"mixed-{n}"
    return {
        "mitm": stem.with_suffix(".mitm"),
        "har": stem.with_suffix(".har"),
        "manifest": stem.with_suffix(".json"),
    }


def load_manifest(out_dir: Path, n: int, seed: int) -> Manifest | None:
    """The manifest of cached captures for N, or None if they are missing or stale."""
    paths = capture_paths(out_dir, n)
    try:
        manifest = Manifest(**json.loads(paths["manifest"].read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if manifest.version != GENERATOR_VERSION or manifest.seed != seed:
        return None
    for suffix in ("mitm", "har"):
        if not paths[suffix].is_file() or paths[suffix].stat().st_size != manifest.files[suffix]:
            return None
    return manifest


_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]
_HOSTS = (
    ("api.example.com", 443, "https"),
    ("shop.example.net", 443, "https"),
    ("realtime.example.org", 443, "https"),
    ("internal-svc", 8080, "http"),
)
_USER_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:133.0) Gecko/20100101 Firefox/133.0",
    "python-httpx/0.28.1",
    "okhttp/4.12.0",
)


class _Generator:
    """Builds realistic mitmproxy flows from a seeded RNG and tallies what they contain."""

    def __init__(self, n: int, seed: int) -> None:
        from mitmproxy import connection, http, websocket

        self.connection = connection
        self.http = http
        self.websocket = websocket
        self.rng = random.Random(seed)
        self.manifest = Manifest(
            version=GENERATOR_VERSION,
            n=n,
            seed=seed,
            protocols={"rest": 0, "sse": 0, "websocket": 0, "stream": 0},
            sse_events=0,
            sse_events_with_id=0,
            ws_messages={"client": 0, "server": 0},
            ws_bytes={"client": 0, "server": 0},
            gzip_responses=0,
        )
        kinds = ["rest"] * (n - 2 * (n // 10)) + ["sse"] * (n // 10) + ["websocket"] * (n // 10)
        self.rng.shuffle(kinds)
        self.kinds = kinds
        self.connections: list[tuple[Any, Any, tuple[str, int, str]]] = []

    def flows(self) -> Iterator[Any]:
        """Every flow, in start-time order."""
        now = BASE_TIME
        for kind in self.kinds:
            now += self.rng.expovariate(200.0)  # ~200 requests a second
            self.manifest.protocols[kind] += 1
            if kind == "rest":
                yield self._rest(now)
            elif kind == "sse":
                yield self._sse(now)
            else:
                yield self._websocket(now)

    # -- pieces

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _conn(self, now: float, fresh: bool = False) -> tuple[Any, Any, tuple[str, int, str]]:
        """A (client, server, host) connection pair: mostly a recent one, as keep-alive does."""
        rng = self.rng
        if not fresh and self.connections and rng.random() < 0.75:
            return rng.choice(self.connections)
        host = rng.choice(_HOSTS)
        tls = host[2] == "https"
        client = self.connection.Client(
            id=self._id(),
            peername=(
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                rng.randrange(32768, 61000),
            ),
            sockname=("10.0.0.1", 8080),
            timestamp_start=now - 0.02,
            tls=tls,
            sni=host[0] if tls else None,
            tls_version="TLSv1.3" if tls else None,
            timestamp_tls_setup=now - 0.01 if tls else None,
        )
        server = self.connection.Server(
            id=self._id(),
            address=(host[0], host[1]),
            peername=(f"203.0.113.{rng.randrange(1, 255)}", host[1]),
            sockname=("10.0.0.1", rng.randrange(32768, 61000)),
            timestamp_start=now - 0.015,
            timestamp_tcp_setup=now - 0.012,
            timestamp_tls_setup=now - 0.008 if tls else None,
            tls=tls,
            sni=host[0] if tls else None,
            tls_version="TLSv1.3" if tls else None,
        )
        pair = (client, server, host)
        if len(self.connections) < 64:
            self.connections.append(pair)
        else:
            self.connections[rng.randrange(64)] = pair
        return pair

    def _words(self, k: int) -> str:
        return " ".join(self.rng.choices(_WORDS, k=k))

    def _json(self, size: int) -> bytes:
        """A JSON object of about `size` bytes."""
        rng = self.rng
        doc: dict[str, Any] = {
            "id": rng.randrange(1, 1_000_000),
            "name": self._words(2),
            "price": round(rng.uniform(1, 500), 2),
            "tags": rng.sample(_WORDS, 3),
            "in_stock": rng.random() < 0.8,
            "updated_at": "2026-01-01T12:00:00Z",
        }
        body = json.dumps(doc, separators=(",", ":")).encode()
        if len(body) < size:
            doc["description"] = self._words(max(1, (size - len(body)) // 7))
            body = json.dumps(doc, separators=(",", ":")).encode()
        return body

    def _request(
        self,
        host: tuple[str, int, str],
        method: str,
        path: str,
        headers: list[tuple[str, str]],
        body: bytes,
        now: float,
    ) -> Any:
        fields = [
            ("Host", host[0] if host[1] in (80, 443) else f"{host[0]}:{host[1]}"),
            ("User-Agent", self.rng.choice(_USER_AGENTS)),
            *headers,
        ]
        if body:
            fields.append(("Content-Length", str(len(body))))
        return self.http.Request(
            host[0],
            host[1],
            method.encode(),
            host[2].encode(),
            b"",
            path.encode(),
            b"HTTP/1.1",
            self.http.Headers([(k.encode(), v.encode()) for k, v in fields]),
            body,
            None,
            now,
            now + 0.0005,
        )

    def _response(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        start: float,
        end: float,
    ) -> Any:
        fields = [
            ("Date", "Thu, 01 Jan 2026 12:00:00 GMT"),
            ("Server", "nginx/1.27.3"),
            *headers,
        ]
        return self.http.Response(
            b"HTTP/1.1",
            status,
            reason.encode(),
            self.http.Headers([(k.encode(), v.encode()) for k, v in fields]),
            body,
            None,
            start,
            end,
        )

    def _flow(self, client: Any, server: Any, request: Any, now: float) -> Any:
        flow = self.http.HTTPFlow(client, server)
        flow.id = self._id()
        flow.timestamp_created = now
        flow.request = request
        return flow

    def _rest(self, now: float) -> Any:
        rng = self.rng
        client, server, host = self._conn(now)
        item = rng.randrange(1, 100_000)
        roll = rng.random()
        body = b""
        headers = [("Accept", "application/json"), ("Accept-Encoding", "gzip, deflate, br")]
        if rng.random() < 0.5:
            headers.append(("Authorization", f"Bearer {self._id().replace('-', '')}"))
        if rng.random() < 0.2:
            headers.append(("Cookie", f"session={rng.getrandbits(64):x}; theme=dark"))
        if roll < 0.55:
            method, path, status = "GET", f"/api/items/{item}", 200
        elif roll < 0.70:
            method, path, status = "GET", f"/api/items?page={rng.randrange(1, 50)}&limit=20", 200
        elif roll < 0.78:
            method, path, status = "GET", f"/api/users/{item}/orders", 200
        elif roll < 0.82:
            method, path, status = "GET", f"/api/search?q={rng.choice(_WORDS)}&api_key=k{item}", 200
        elif roll < 0.92:
            method, path, status = "POST", "/api/items", 201
            body = self._json(rng.randrange(100, 400))
            headers.append(("Content-Type", "application/json"))
        else:
            method, path, status = "PUT", f"/api/items/{item}", 200
            body = self._json(rng.randrange(100, 400))
            headers.append(("Content-Type", "application/json"))
        if rng.random() < 0.03:
            status = 404
        request = self._request(host, method, path, headers, body, now)
        done = now + rng.uniform(0.005, 0.2)
        if status == 404:
            content = json.dumps({"error": "not found", "path": path}).encode()
        else:
            content = self._json(rng.randrange(100, 1000))
        resp_headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("ETag", f'W/"{rng.getrandbits(48):x}"'),
            ("Vary", "Accept-Encoding"),
        ]
        if status != 404 and rng.random() < 0.3:
            content = gzip.compress(content, compresslevel=6, mtime=0)
            resp_headers.append(("Content-Encoding", "gzip"))
            self.manifest.gzip_responses += 1
        resp_headers.append(("Content-Length", str(len(content))))
        reason = {200: "OK", 201: "Created", 404: "Not Found"}[status]
        flow = self._flow(client, server, request, now)
        flow.response = self._response(status, reason, resp_headers, content, done - 0.002, done)
        return flow

    def _sse(self, now: float) -> Any:
        rng = self.rng
        client, server, host = self._conn(now, fresh=True)
        chat = rng.random() < 0.3
        events = rng.randrange(5, 51)
        headers = [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]
        blocks: list[str] = []
        if chat:
            body = self._json(rng.randrange(100, 300))
            headers.append(("Content-Type", "application/json"))
            request = self._request(host, "POST", "/v1/chat/completions", headers, body, now)
            for _ in range(events - 1):
                token = json.dumps({"choices": [{"delta": {"content": rng.choice(_WORDS)}}]})
                blocks.append(f"data: {token}\n\n")
            blocks.append("data: [DONE]\n\n")
        else:
            channel = rng.choice(("prices", "news", "notifications", "scores"))
            request = self._request(host, "GET", f"/events/{channel}", headers, b"", now)
            with_ids = rng.random() < 0.5
            if rng.random() < 0.3:
                blocks.append(f"retry: {rng.choice((1000, 3000, 5000))}\n\n")
            for k in range(events):
                if rng.random() < 0.1:
                    blocks.append(": keepalive\n\n")
                lines = [f"id: {k + 1}\n"] if with_ids else []
                if rng.random() < 0.5:
                    lines.append(f"event: {rng.choice(('update', 'tick', 'alert'))}\n")
                lines.extend(
                    f"data: {self._json(rng.randrange(40, 160)).decode()}\n"
                    for _ in range(rng.choice((1, 1, 1, 2)))
                )
                blocks.append("".join(lines) + "\n")
            if with_ids:
                self.manifest.sse_events_with_id += events
        self.manifest.sse_events += events
        content = "".join(blocks).encode()
        done = now + events * rng.uniform(0.02, 0.2)
        resp_headers = [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("Connection", "keep-alive"),
            ("X-Accel-Buffering", "no"),
        ]
        flow = self._flow(client, server, request, now)
        flow.response = self._response(200, "OK", resp_headers, content, now + 0.01, done)
        return flow

    def _websocket(self, now: float) -> Any:
        rng = self.rng
        client, server, host = self._conn(now, fresh=True)
        key = base64.b64encode(rng.randbytes(16)).decode()
        accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
        headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
            ("Origin", f"{host[2]}://{host[0]}"),
        ]
        resp_headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept),
        ]
        if rng.random() < 0.5:
            headers.append(("Sec-WebSocket-Protocol", "chat.v2, chat.v1"))
            resp_headers.append(("Sec-WebSocket-Protocol", "chat.v1"))
        if rng.random() < 0.5:
            headers.append(
                ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
            )
            resp_headers.append(("Sec-WebSocket-Extensions", "permessage-deflate"))
        path = f"/ws/{rng.choice(('chat', 'feed', 'game'))}"
        request = self._request(host, "GET", path, headers, b"", now)
        flow = self._flow(client, server, request, now)
        flow.response = self._response(
            101, "Switching Protocols", resp_headers, b"", now + 0.01, now + 0.01
        )
        t = now + 0.02
        messages = []
        for k in range(rng.randrange(5, 51)):
            from_client = k == 0 or rng.random() < 0.4
            t += rng.uniform(0.01, 1.0)
            if not from_client and rng.random() < 0.15:
                opcode, content = 2, rng.randbytes(rng.randrange(16, 256))
            else:
                opcode, content = 1, self._json(rng.randrange(20, 300))
            side = "client" if from_client else "server"
            self.manifest.ws_messages[side] += 1
            self.manifest.ws_bytes[side] += len(content)
            messages.append(self.websocket.WebSocketMessage(opcode, from_client, content, t))
        flow.websocket = self.websocket.WebSocketData(
            messages=messages,
            closed_by_client=rng.random() < 0.5,
            close_code=1000,
            close_reason="",
            timestamp_end=t + 0.01,
        )
        return flow


def generate(out_dir: Path, n: int, seed: int, log: Callable[[str], None]) -> Manifest:
    """Write `mixed-N.mitm` and its HAR twin (mitmproxy's exporter, in batches)."""
    from mitmproxy.addons.savehar import SaveHar
    from mitmproxy.io import FlowWriter

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = capture_paths(out_dir, n)
    tmp = {s: paths[s].with_name(paths[s].name + ".tmp") for s in ("mitm", "har")}
    started = time.perf_counter()
    gen = _Generator(n, seed)
    exporter = SaveHar()
    # Exactly what `save.har` writes (json.dumps(..., indent=4)), entries spliced in batches.
    envelope = json.dumps(exporter.make_har([]), indent=4)
    head, tail = envelope.split('"entries": []')
    indent = "\n" + " " * 12
    written = 0
    with open(tmp["mitm"], "wb") as mitm, open(tmp["har"], "w", encoding="utf-8") as har:
        writer = FlowWriter(mitm)  # type: ignore[no-untyped-call]
        har.write(head + '"entries": [')
        batch: list[Any] = []

        def flush() -> None:
            nonlocal written
            for entry in exporter.make_har(batch)["log"]["entries"]:
                har.write(("," if written else "") + indent)
                har.write(json.dumps(entry, indent=4).replace("\n", indent))
                written += 1
            batch.clear()

        for flow in gen.flows():
            writer.add(flow)
            batch.append(flow)
            if len(batch) == HAR_BATCH:
                flush()
                if written % 20_000 == 0:
                    log(f"  generated {written:,} of {n:,} flows")
        flush()
        har.write("\n        ]" + tail)
    for suffix, path in tmp.items():
        path.replace(paths[suffix])
    manifest = gen.manifest
    manifest.generation_seconds = round(time.perf_counter() - started, 1)
    manifest.files = {s: paths[s].stat().st_size for s in ("mitm", "har")}
    paths["manifest"].write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


# --------------------------------------------------------------------------- child side


def _cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for (the HAR reader's
    process reading ahead: `inspector.readers.ahead`)."""
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _children_peak_kb() -> int:
    """Peak RSS of the largest child waited for (a reading-ahead process), 0 if none."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def child(kind: str, path: str, output: str) -> dict[str, Any]:
    """Run one measurement in this (fresh) process; return its figures."""
    import gc

    work: Callable[[], int]
    if kind == "json":

        def work() -> int:
            with open(path, "rb") as fp:
                doc = json.load(fp)
            return len(doc["log"]["entries"])

    elif kind == "flowreader":
        from mitmproxy.io import FlowReader

        def work() -> int:
            count = 0
            with open(path, "rb") as fp:
                for _ in FlowReader(fp).stream():
                    count += 1
            return count

    elif kind == "analyze":
        # Import what the CLI imports lazily, so that neither time nor memory counts imports.
        import pushscope.inspector.report.json_report
        from pushscope.cli import main

        if path.endswith(".har"):
            import pushscope.inspector.readers.har
        else:
            import pushscope.inspector.readers.mitm

        def work() -> int:
            return -main(["analyze", path, "--format", "json", "--output", output])

    elif kind in ("html", "export"):
        import pushscope.inspector.export_har
        import pushscope.inspector.readers.mitm
        import pushscope.inspector.report.html  # noqa: F401
        from pushscope.cli import main

        command = (
            ["analyze", path, "--format", "html", "--output", output]
            if kind == "html"
            else ["export", "--har", output, path]
        )

        def work() -> int:
            return -main(command)

    else:
        raise SystemExit(f"unknown measurement kind {kind!r}")

    from memory import peak_kb, reset_peak  # bench/memory.py: why not ru_maxrss alone

    gc.collect()
    baseline = reset_peak()
    cpu = _cpu_seconds()
    start = time.perf_counter()
    count = work()
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    return {
        "kind": kind,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "baseline_kb": baseline,
        "peak_kb": peak_kb(),
        "reader_peak_kb": _children_peak_kb(),
        "count": count,
    }


# --------------------------------------------------------------------------- parent side


def run_child(kind: str, path: Path, output: str = os.devnull) -> dict[str, Any]:
    """Run `child` in a fresh interpreter and return what it reported."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path), output]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {path} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if kind == "analyze" and result["count"] != 0:
        raise RuntimeError(
            f"pushscope analyze {path} exited with {-result['count']}:\n{proc.stderr[-3000:]}"
        )
    return result


def verify(path: Path, fmt: str, manifest: Manifest) -> list[str]:
    """Analyse `path` into a file and compare the report with the manifest; return problems."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        run_child("analyze", path, str(report_path))
        with open(report_path, "rb") as fp:
            report = json.load(fp)
    problems: list[str] = []

    def check(what: str, got: object, expected: object) -> None:
        if got != expected:
            problems.append(f"{fmt}: {what}: got {got}, expected {expected}")

    exchanges = report["exchanges"]
    check("summary.exchanges", report["summary"]["exchanges"], manifest.n)
    check("exchanges listed", len(exchanges), manifest.n)
    check("protocols", report["summary"]["protocols"], manifest.protocols)
    check("source problems", report["sources"][0]["error_count"], 0)
    check("unique ids", len({e["id"] for e in exchanges}), manifest.n)
    sse = [e["sse"] for e in exchanges if e["sse"]]
    check("SSE events", sum(s["events"] for s in sse), manifest.sse_events)
    check("SSE events with id", sum(s["events_with_id"] for s in sse), manifest.sse_events_with_id)
    check("SSE stream errors", sum(len(s["errors"]) for s in sse), 0)
    ws = [e["websocket"] for e in exchanges if e["websocket"]]
    check("WebSocket handshakes ok", sum(w["handshake"] == "ok" for w in ws), len(ws))
    for side in ("client", "server"):
        check(
            f"WebSocket {side} messages",
            sum(w["messages"][side] for w in ws),
            manifest.ws_messages[side],
        )
        check(f"WebSocket {side} bytes", sum(w["bytes"][side] for w in ws), manifest.ws_bytes[side])
    return problems


@dataclass
class Figures:
    """One measurement's samples and what follows from them."""

    name: str
    seconds: list[float]
    cpu_seconds: list[float]
    peak_kb: list[int]
    baseline_kb: list[int]
    reader_peak_kb: list[int]
    n: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def per_second(self) -> float:
        return self.n / self.median

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb) / 1024

    @property
    def kb_per_exchange(self) -> float:
        return (
            statistics.median(p - b for p, b in zip(self.peak_kb, self.baseline_kb, strict=True))
            / self.n
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_seconds": round(self.median, 3),
            "seconds": [round(s, 3) for s in self.seconds],
            "cpu_seconds": [round(s, 3) for s in self.cpu_seconds],
            "exchanges_per_second": round(self.per_second, 1),
            "peak_mb": round(self.peak_mb, 1),
            "baseline_mb": round(statistics.median(self.baseline_kb) / 1024, 1),
            "kb_per_exchange": round(self.kb_per_exchange, 3),
            "reader_peak_mb": round(max(self.reader_peak_kb) / 1024, 1),
        }


def measure(
    paths: dict[str, Path],
    n: int,
    repeat: int,
    log: Callable[[str], None],
    measurements: dict[str, tuple[str, str]] = MEASUREMENTS,
) -> dict[str, Figures]:
    """Run every measurement `repeat` times, round-robin (a, c, b, d, a, c, ...)."""
    figures = {name: Figures(name, [], [], [], [], [], n) for name in measurements}
    for round_ in range(repeat):
        for name, (kind, suffix) in measurements.items():
            result = run_child(kind, paths[suffix])
            if kind in ("json", "flowreader") and result["count"] != n:
                raise RuntimeError(f"{name} read {result['count']} flows, expected {n}")
            f = figures[name]
            f.seconds.append(result["seconds"])
            f.cpu_seconds.append(result["cpu_seconds"])
            f.peak_kb.append(result["peak_kb"])
            f.baseline_kb.append(result["baseline_kb"])
            f.reader_peak_kb.append(result.get("reader_peak_kb", 0))
            log(
                f"  round {round_ + 1}/{repeat}: {name:<17} {result['seconds']:8.2f} s  "
                f"peak {result['peak_kb'] / 1024:7.1f} MB"
            )
    return figures


def goals(figures: dict[str, Figures]) -> list[dict[str, Any]]:
    """The issue's goals, each with its measured value (of medians) and verdict.

    `best` is the same ratio of the fastest runs and `cpu` the ratio of median CPU times: on a
    noisy machine they show how much of a miss is noise (json.load, which allocates the whole
    document at once, varies the most).
    """
    har, floor = figures["analyze(har)"], figures["json.load(har)"]
    mitm, reader = figures["analyze(mitm)"], figures["FlowReader(mitm)"]
    har_ratio = har.median / floor.median
    speedup = reader.median / mitm.median
    rows = [
        {
            "goal": "analyze(har) / json.load(har)",
            "value": har_ratio,
            "best": min(har.seconds) / min(floor.seconds),
            "cpu": statistics.median(har.cpu_seconds) / statistics.median(floor.cpu_seconds),
            "target": f"<= {GOAL_HAR_RATIO}",
            "pass": har_ratio <= GOAL_HAR_RATIO,
        },
        {
            "goal": "FlowReader(mitm) / analyze(mitm) (speedup)",
            "value": speedup,
            "best": min(reader.seconds) / min(mitm.seconds),
            "cpu": statistics.median(reader.cpu_seconds) / statistics.median(mitm.cpu_seconds),
            "target": f">= {GOAL_MITM_SPEEDUP}",
            "pass": speedup >= GOAL_MITM_SPEEDUP,
        },
    ]
    for name in OUTPUTS:
        if name in figures:
            rows.append(
                {
                    "goal": f"{name} / analyze(mitm) (JSON report)",
                    "value": figures[name].median / mitm.median,
                    "best": min(figures[name].seconds) / min(mitm.seconds),
                    "cpu": statistics.median(figures[name].cpu_seconds)
                    / statistics.median(mitm.cpu_seconds),
                    "target": "none",
                    "pass": True,
                }
            )
    for name in ("analyze(har)", "analyze(mitm)"):
        kb = figures[name].kb_per_exchange
        rows.append(
            {
                "goal": f"{name} memory per exchange (KB)",
                "value": kb,
                "target": f"< {GOAL_KB_PER_EXCHANGE}",
                "pass": kb < GOAL_KB_PER_EXCHANGE,
            }
        )
    return rows


def code_version() -> str:
    """The commit measured; if pushscope/ has uncommitted changes, `+dirty` and a content hash."""
    root = HERE.parent

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if not git("status", "--porcelain", "--", "pushscope"):
        return commit
    digest = hashlib.sha1()
    for path in sorted((root / "pushscope").rglob("*.py")):
        digest.update(path.read_bytes())
    return f"{commit}+dirty:{digest.hexdigest()[:8]}"


def print_table(
    out: TextIO,
    manifest: Manifest,
    figures: dict[str, Figures],
    repeat: int,
    verified: list[str],
    code: str,
) -> None:
    """The human-readable result."""
    mb = {s: size / 2**20 for s, size in manifest.files.items()}
    p = manifest.protocols
    print(
        f"\n{manifest.n:,} exchanges (rest {p['rest']:,}, sse {p['sse']:,}, websocket "
        f"{p['websocket']:,}); HAR {mb['har']:.1f} MB, .mitm {mb['mitm']:.1f} MB; "
        f"median of {repeat}; Python {sys.version.split()[0]}; code {code}",
        file=out,
    )
    print(f"correctness: {'; '.join(verified)}\n", file=out)
    header = (
        f"{'measurement':<18} {'median s':>9} {'min s':>8} {'CPU s':>8} {'exch/s':>9} "
        f"{'peak MB':>8} {'KB/exch':>8} {'reader MB':>10}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for f in figures.values():
        print(
            f"{f.name:<18} {f.median:9.2f} {min(f.seconds):8.2f} "
            f"{statistics.median(f.cpu_seconds):8.2f} {f.per_second:9,.0f} "
            f"{f.peak_mb:8.1f} {f.kb_per_exchange:8.2f} {max(f.reader_peak_kb) / 1024:10.1f}",
            file=out,
        )
    print(
        "\n(KB/exch = (peak RSS - RSS after imports) / exchanges, the median over runs;"
        " reader MB = peak RSS of the process reading a large HAR ahead, pages shared with"
        " this one included; CPU s counts both)\n",
        file=out,
    )
    for row in goals(figures):
        verdict = "PASS" if row["pass"] else "FAIL"
        best = (
            f"  (fastest runs: {row['best']:.2f}, CPU time: {row['cpu']:.2f})"
            if "best" in row
            else ""
        )
        print(
            f"{row['goal']:<45} {row['value']:7.2f}  (goal {row['target']:>6})  {verdict}{best}",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="exchanges (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="rebuild cached captures")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the correctness check of the analysis output",
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--outputs",
        action="store_true",
        help="also time the HTML report and the HAR export of the flow file",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "PATH", "OUTPUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    manifest = None if args.regenerate else load_manifest(args.out_dir, args.n, args.seed)
    if manifest is None:
        log(f"generating {args.n:,} flows into {args.out_dir} ...")
        manifest = generate(args.out_dir, args.n, args.seed, log)
        log(f"generated in {manifest.generation_seconds:.1f} s")
    else:
        log(f"using cached captures (generated in {manifest.generation_seconds:.1f} s)")
    paths = capture_paths(args.out_dir, args.n)
    if args.generate_only:
        return 0

    verified: list[str] = []
    if args.verify:
        problems: list[str] = []
        for suffix in ("har", "mitm"):
            log(f"verifying analyze({suffix}) output ...")
            found = verify(paths[suffix], suffix, manifest)
            problems += found
            verified.append(f"{suffix} {'OK' if not found else 'FAILED'}")
        for problem in problems:
            log(f"  WRONG: {problem}")
    else:
        verified.append("not checked")

    code = code_version()
    log(f"measuring {code}, {args.repeat} rounds ...")
    measurements = MEASUREMENTS | (OUTPUTS if args.outputs else {})
    figures = measure(paths, args.n, args.repeat, log, measurements)
    if code_version() != code:
        log(f"WARNING: pushscope/ changed during the run ({code} -> {code_version()})")
        code += " (changed during the run)"
    results = {
        "n": args.n,
        "repeat": args.repeat,
        "python": sys.version.split()[0],
        "code": code,
        "generation_seconds": manifest.generation_seconds,
        "files": manifest.files,
        "protocols": manifest.protocols,
        "verified": verified,
        "measurements": {name: f.as_dict() for name, f in figures.items()},
        "goals": [
            {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
            for row in goals(figures)
        ],
    }
    (args.out_dir / f"results-{args.n}.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(sys.stdout, manifest, figures, args.repeat, verified, code)
    # Goals are reported, not enforced (timings are noisy); a wrong analysis is an error.
    return 1 if any("FAILED" in v for v in verified) else 0


if __name__ == "__main__":
    sys.exit(main())
