"""TLS 1.3 + HTTP/2 traffic written as a pcap with its key log, as it is made (streaming).

Many TCP connections to port 443, a few open at once with their packets interleaved. Each is
TLS 1.3 with its own client random, secrets (in the key log) and suite (AES-128-GCM,
AES-256-GCM or ChaCha20-Poly1305), ALPN h2, and carries HTTP/2 frames (`hyperframe`) whose
header blocks are HPACK-encoded (`hpack`, one encoder per direction). Its streams run side by
side, their frames interleaved: REST exchanges (JSON bodies), SSE streams (events in DATA
frames, some split across frames, some frames holding two), gRPC server streams
(length-prefixed messages, trailers with grpc-status) and WebSocket sessions over HTTP/2
(RFC 8441 extended CONNECT, the server allowing it in its SETTINGS). Some connections are
wss instead: TLS 1.3 with ALPN http/1.1, an Upgrade handshake, then WebSocket frames, which
tshark 4.0 dissects (it does not read RFC 8441 sessions: their frames stay HTTP/2 DATA to it).
Records hold up to 16 KiB of plaintext and are cut into TCP segments of at most 1448 bytes.

`generate` writes the pcap, the key log and a `Truth` of what they hold.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hpack import Encoder
from hyperframe.frame import (
    DataFrame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from bench.bench_pcap import WS_ACCEPT, WS_KEY, Connection, Writer, ws_frame
from pushscope.inspector.pcap.http2 import PREFACE
from pushscope.inspector.pcap.tls_keys import SUITES
from tests.pcap.tls_builder import (
    Protector,
    client_hello,
    encrypted_extensions,
    handshake,
    keylog_text,
    plain,
    server_hello,
)

VERSION = 1
"""Bump when the traffic changes, so cached captures are rebuilt."""
SERVER = (bytes([10, 0, 0, 43]), 443)
AUTHORITY = "api.bench.test"
SUITE_CODES = (0x1301, 0x1302, 0x1303)
RECORD = 1 << 14
"""Plaintext bytes of one record at most (RFC 8446 5.1)."""
FRAME = 1 << 14
"""DATA payload of one frame at most (SETTINGS_MAX_FRAME_SIZE, not raised)."""
OPEN_CONNECTIONS = 6
"""Connections in progress at once, their packets interleaved."""

Side = str
SIDES = ("client", "server")
Step = tuple[Side, bytes, float]
"""Bytes one side sends (frames, encrypted as records), after a pause of so many seconds."""


@dataclass
class Truth:
    """What was generated, to check a reading against."""

    version: int
    mb: float
    seed: int
    packets: int = 0
    bytes: int = 0
    connections: int = 0
    keylog_bytes: int = 0
    suites: dict[str, int] = field(default_factory=dict)
    exchanges: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    """rest, sse, grpc, websocket: streams of each kind."""
    statuses: dict[str, int] = field(default_factory=dict)
    sse_events: int = 0
    grpc_messages: dict[str, int] = field(default_factory=lambda: {"client": 0, "server": 0})
    grpc_statuses: dict[str, int] = field(default_factory=dict)
    ws_messages: dict[str, int] = field(default_factory=lambda: {"client": 0, "server": 0})
    """WebSocket messages over HTTP/2 (RFC 8441)."""
    wss_messages: dict[str, int] = field(default_factory=lambda: {"client": 0, "server": 0})
    """WebSocket messages over HTTP/1.1 (wss connections)."""
    wss_frames: int = 0
    """WebSocket frames over HTTP/1.1, control frames included."""
    records: int = 0
    """TLS records encrypted after the ServerHello, both directions."""
    generation_seconds: float = 0.0

    def count(self, table: dict[str, int], key: object) -> None:
        table[str(key)] = table.get(str(key), 0) + 1


class TlsConnection:
    """One TLS 1.3 connection over TCP: the handshake written, then each `send` as records of
    at most `RECORD` bytes of plaintext, in segments. Its secrets go to the key log."""

    def __init__(
        self, writer: Writer, client: tuple[bytes, int], rnd: random.Random, truth: Truth,
        keylog: TextIO, alpn: bytes = b"h2",
    ) -> None:  # fmt: skip
        self.truth = truth
        code = rnd.choice(SUITE_CODES)
        suite = SUITES[code]
        truth.count(truth.suites, suite.name)
        size = 48 if suite.hash == "sha384" else 32
        client_random = rnd.randbytes(32)
        secrets = {
            f"{who}_{label}": rnd.randbytes(size)
            for label in ("HANDSHAKE_TRAFFIC_SECRET", "TRAFFIC_SECRET_0")
            for who in ("CLIENT", "SERVER")
        }
        text = keylog_text(secrets, client_random)
        keylog.write(text)
        truth.keylog_bytes += len(text)
        self.tcp = Connection(writer, client, SERVER)
        self.protectors = {
            "client": Protector(secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], suite, padding=0),
            "server": Protector(secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"], suite, padding=0),
        }
        offered = (b"h2", b"http/1.1")
        self.tcp.send("client", client_hello(AUTHORITY, offered, client_random, SUITE_CODES))
        flight = (
            encrypted_extensions(alpn)
            + handshake(11, b"\x00\x00\x00\x00")  # no certificate context, an empty list
            + handshake(15, b"\x08\x04\x00\x40" + rnd.randbytes(64))
            + handshake(20, rnd.randbytes(size))
        )
        hello = server_hello(code, rnd.randbytes(32)) + plain(20, b"\x01")
        self.tcp.send("server", hello + self._records("server", 22, flight), gap=0.001)
        finished = self._records("client", 22, handshake(20, rnd.randbytes(size)))
        self.tcp.send("client", plain(20, b"\x01") + finished, gap=0.001)
        self.protectors["client"].use(secrets["CLIENT_TRAFFIC_SECRET_0"])
        self.protectors["server"].use(secrets["SERVER_TRAFFIC_SECRET_0"])
        # NewSessionTicket: lifetime, age_add, no nonce, a ticket of 16 bytes, no extensions
        ticket = b"\x00\x00\x1c\x20" + rnd.randbytes(4) + b"\x00\x00\x10" + rnd.randbytes(16)
        self.tcp.send("server", self._records("server", 22, handshake(4, ticket + b"\x00\x00")))

    def _records(self, side: Side, kind: int, data: bytes) -> bytes:
        protector = self.protectors[side]
        self.truth.records += (len(data) + RECORD - 1) // RECORD
        return b"".join(
            protector.record(kind, data[start : start + RECORD])
            for start in range(0, len(data), RECORD)
        )

    def send(self, side: Side, data: bytes, gap: float) -> None:
        """Application data from `side`, after `gap` seconds."""
        self.tcp.send(side, self._records(side, 23, data), gap=gap)

    def close(self) -> None:
        """close_notify each way, then FINs."""
        for side in ("client", "server"):
            self.tcp.send(side, self._records(side, 21, b"\x01\x00"))
        self.tcp.close()


class H2Writer:
    """HTTP/2 frames of one connection: header blocks HPACK-encoded by each side's encoder."""

    def __init__(self) -> None:
        self.encoders = {"client": Encoder(), "server": Encoder()}

    def headers(
        self, side: Side, stream: int, headers: list[tuple[str, str]], end: bool = False
    ) -> bytes:
        flags = ["END_HEADERS", "END_STREAM"] if end else ["END_HEADERS"]
        block = self.encoders[side].encode(headers)
        return HeadersFrame(stream, data=block, flags=flags).serialize()

    def data(self, stream: int, payload: bytes, end: bool = False) -> bytes:
        """DATA frames of at most `FRAME` bytes; the last one ends the stream if `end`."""
        if not payload:
            return DataFrame(stream, data=b"", flags=["END_STREAM"] if end else []).serialize()
        frames = []
        for start in range(0, len(payload), FRAME):
            last = end and start + FRAME >= len(payload)
            piece = payload[start : start + FRAME]
            frames.append(DataFrame(stream, data=piece, flags=["END_STREAM"] if last else []))
        return b"".join(f.serialize() for f in frames)


Script = Callable[[H2Writer, int], Iterator[Step]]
"""One stream's exchange: given the writer and its stream id, what each side sends in turn.
Its first step is the request's HEADERS (streams open in the order of their ids)."""


class Traffic:
    """The mix of connections and streams, and the truth of what was sent."""

    def __init__(self, writer: Writer, keylog: TextIO, truth: Truth, seed: int) -> None:
        self.w = writer
        self.keylog = keylog
        self.truth = truth
        self.rnd = random.Random(seed)
        self.clients = 0

    # --- connections -------------------------------------------------------------------------

    def run(self, target: int) -> None:
        """Write connections until the capture holds `target` bytes, `OPEN_CONNECTIONS` at a
        time; each step goes to one of them at random."""
        live: list[Iterator[None]] = []
        while live or self.truth.bytes < target:
            while len(live) < OPEN_CONNECTIONS and self.truth.bytes < target:
                live.append(self.wss() if self.rnd.random() < 0.1 else self.connection())
            chosen = self.rnd.choice(live)
            if next(chosen, StopIteration) is StopIteration:
                live.remove(chosen)

    def _client(self) -> tuple[bytes, int]:
        self.clients += 1
        n = self.clients
        return bytes([10, 2, (n >> 8) & 0xFF, n & 0xFF]), 20000 + n % 40000

    def connection(self) -> Iterator[None]:
        """One HTTP/2 connection: its handshake, SETTINGS, its streams interleaved, GOAWAY."""
        rnd = self.rnd
        tls = TlsConnection(self.w, self._client(), rnd, self.truth, self.keylog)
        h2 = H2Writer()
        settings = {
            SettingsFrame.HEADER_TABLE_SIZE: 4096,
            SettingsFrame.INITIAL_WINDOW_SIZE: 6 << 20,
        }
        tls.send(
            "client",
            PREFACE
            + SettingsFrame(0, settings=settings).serialize()
            + WindowUpdateFrame(0, window_increment=15 << 20).serialize(),
            gap=0.001,
        )
        server_settings = {
            SettingsFrame.MAX_CONCURRENT_STREAMS: 100,
            SettingsFrame.ENABLE_CONNECT_PROTOCOL: 1,
        }
        tls.send(
            "server",
            SettingsFrame(0, settings=server_settings).serialize()
            + SettingsFrame(0, flags=["ACK"]).serialize(),
            gap=0.001,
        )
        tls.send("client", SettingsFrame(0, flags=["ACK"]).serialize(), gap=0.0005)
        yield
        scripts = self._streams()
        active: list[Iterator[Step]] = []
        stream = 1
        while scripts or active:
            if scripts and (not active or rnd.random() < 0.2):
                script = scripts.pop(0)(h2, stream)
                stream += 2
                active.append(script)
            else:
                script = rnd.choice(active)
            step = next(script, None)
            if step is None:
                active.remove(script)
                continue
            side, data, gap = step
            tls.send(side, data, gap)
            if rnd.random() < 0.01:
                tls.send("client", WindowUpdateFrame(0, window_increment=1 << 20).serialize(), 0.0)
                tls.send("client", PingFrame(0, opaque_data=rnd.randbytes(8)).serialize(), 0.0)
                tls.send("server", PingFrame(0, flags=["ACK"]).serialize(), 0.0001)
            yield
        tls.send("client", GoAwayFrame(0, last_stream_id=0).serialize(), gap=0.01)
        tls.close()

    def wss(self) -> Iterator[None]:
        """One wss connection (TLS 1.3, ALPN http/1.1): the Upgrade handshake, a session."""
        tls = TlsConnection(self.w, self._client(), self.rnd, self.truth, self.keylog, b"http/1.1")
        request = (
            f"GET /socket HTTP/1.1\r\nHost: {AUTHORITY}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        tls.send("client", request.encode(), 0.001)
        response = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {WS_ACCEPT}\r\n\r\n"
        )
        tls.send("server", response.encode(), 0.02)
        self._opened("wss", 101)
        yield
        for side, data, gap, frames in self._ws_frames(self.truth.wss_messages):
            tls.send(side, data, gap)
            self.truth.wss_frames += frames
            yield
        tls.close()

    def _streams(self) -> list[Script]:
        """What one connection carries: an API client's REST calls, or one long stream (SSE,
        gRPC, WebSocket) among a few REST calls."""
        rnd = self.rnd
        roll = rnd.random()
        rest: list[Script] = [self.rest] * rnd.randint(0, 4)
        if roll < 0.3:
            return [self.rest] * rnd.randint(3, 30)
        if roll < 0.5:
            return [self.sse, *rest]
        if roll < 0.75:
            return [self.grpc] * rnd.randint(1, 3) + rest
        return [self.websocket, *rest]

    # --- streams -----------------------------------------------------------------------------

    def _json(self, size: int) -> bytes:
        words = " ".join(self.rnd.choice(("alpha", "beta", "gamma", "delta")) for _ in range(4))
        return json.dumps(
            {"id": self.rnd.randrange(10**6), "text": words, "pad": "x" * size}
        ).encode()

    def _request(self, method: str, path: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
        return [
            (":method", method),
            (":scheme", "https"),
            (":authority", AUTHORITY),
            (":path", path),
            ("user-agent", "bench-client/1.0"),
            *extra,
        ]

    def _opened(self, kind: str, status: int) -> None:
        t = self.truth
        t.exchanges += 1
        t.count(t.kinds, kind)
        t.count(t.statuses, status)

    def rest(self, h2: H2Writer, stream: int) -> Iterator[Step]:
        rnd = self.rnd
        item = rnd.randrange(1000)
        if rnd.random() < 0.25:
            body = self._json(rnd.randint(20, 600))
            headers = self._request(
                "POST", "/api/items", ("content-type", "application/json"),
                ("content-length", str(len(body))),
            )  # fmt: skip
            request = h2.headers("client", stream, headers) + h2.data(stream, body, end=True)
            yield "client", request, 0.01
            status = rnd.choice((201, 201, 201, 400))
        else:
            headers = self._request("GET", f"/api/items/{item}", ("accept", "application/json"))
            yield "client", h2.headers("client", stream, headers, end=True), 0.01
            status = rnd.choice((200,) * 8 + (304, 404))
        self._opened("rest", status)
        body = self._json(rnd.randint(50, 4000)) if status in (200, 201) else b'{"error":"no"}'
        response = [
            (":status", str(status)),
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("cache-control", "no-store"),
        ]
        if status == 304:
            yield "server", h2.headers("server", stream, response[:1], end=True), 0.02
            return
        yield "server", h2.headers("server", stream, response) + h2.data(stream, body, True), 0.02

    def sse(self, h2: H2Writer, stream: int) -> Iterator[Step]:
        rnd = self.rnd
        topic = rnd.choice(("prices", "news", "chat"))
        headers = self._request("GET", f"/events?topic={topic}", ("accept", "text/event-stream"))
        yield "client", h2.headers("client", stream, headers, end=True), 0.01
        self._opened("sse", 200)
        response = [
            (":status", "200"),
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
        ]
        yield "server", h2.headers("server", stream, response), 0.02
        count = rnd.randint(20, 400)
        self.truth.sse_events += count
        n = 0
        while n < count:
            payload = self._json(rnd.randint(20, 300)).decode()
            event = f"id: {n}\nevent: {topic}\ndata: {payload}\n\n"
            n += 1
            roll = rnd.random()
            if roll < 0.1 and n < count:  # two events in one frame
                event += f'id: {n}\nevent: {topic}\ndata: {{"n": {n}}}\n\n'
                n += 1
            yield from self._frames(h2, stream, event.encode(), 0.05, split=roll > 0.9)
        yield "server", h2.data(stream, b"", end=True), 0.01

    def _frames(
        self, h2: H2Writer, stream: int, data: bytes, gap: float, split: bool
    ) -> Iterator[Step]:
        """`data` from the server in one DATA frame `gap` seconds on, or cut at random across
        two (an event or message split between frames)."""
        if split:
            cut = self.rnd.randrange(1, len(data))
            yield "server", h2.data(stream, data[:cut]), gap
            yield "server", h2.data(stream, data[cut:]), 0.001
        else:
            yield "server", h2.data(stream, data), gap

    def grpc(self, h2: H2Writer, stream: int) -> Iterator[Step]:
        rnd = self.rnd
        headers = self._request(
            "POST", "/bench.Ticker/Watch", ("content-type", "application/grpc"),
            ("te", "trailers"), ("grpc-timeout", "30S"),
        )  # fmt: skip
        message = _grpc_message(
            _protobuf(rnd.randrange(1 << 20), rnd.randbytes(rnd.randint(4, 40)))
        )
        request = h2.headers("client", stream, headers) + h2.data(stream, message, end=True)
        yield "client", request, 0.01
        self._opened("grpc", 200)
        self.truth.grpc_messages["client"] += 1
        response = [(":status", "200"), ("content-type", "application/grpc")]
        yield "server", h2.headers("server", stream, response), 0.02
        count = rnd.randint(10, 300)
        self.truth.grpc_messages["server"] += count
        n = 0
        while n < count:
            data = _grpc_message(_protobuf(n, rnd.randbytes(rnd.randint(20, 800))))
            n += 1
            roll = rnd.random()
            if roll < 0.15 and n < count:  # two messages in one frame
                data += _grpc_message(_protobuf(n, rnd.randbytes(rnd.randint(5, 50))))
                n += 1
            yield from self._frames(h2, stream, data, 0.03, split=roll > 0.9)
        status = 0 if rnd.random() < 0.9 else 14
        self.truth.count(self.truth.grpc_statuses, status)
        trailers = [("grpc-status", str(status))]
        if status:
            trailers.append(("grpc-message", "unavailable"))
        yield "server", h2.headers("server", stream, trailers, end=True), 0.01

    def websocket(self, h2: H2Writer, stream: int) -> Iterator[Step]:
        headers = self._request(
            "CONNECT", "/socket", ("sec-websocket-version", "13"),
            ("origin", f"https://{AUTHORITY}"),
        )  # fmt: skip
        headers.insert(1, (":protocol", "websocket"))
        yield "client", h2.headers("client", stream, headers), 0.01
        self._opened("websocket", 200)
        yield "server", h2.headers("server", stream, [(":status", "200")]), 0.02
        for side, data, gap, _ in self._ws_frames(self.truth.ws_messages):
            yield side, h2.data(stream, data), gap
        yield "server", h2.data(stream, b"", end=True), 0.001
        yield "client", h2.data(stream, b"", end=True), 0.001

    def _ws_frames(self, messages: dict[str, int]) -> Iterator[tuple[Side, bytes, float, int]]:
        """A WebSocket session after its handshake: what each side sends (frames, how many),
        ending with the close handshake; data messages counted in `messages`."""
        rnd = self.rnd
        for _ in range(rnd.randint(30, 400)):
            roll = rnd.random()
            if roll < 0.3:
                frame = ws_frame(1, self._json(rnd.randint(10, 150)), rnd.randbytes(4))
                yield "client", frame, 0.01, 1
                messages["client"] += 1
            elif roll < 0.33:
                yield "server", ws_frame(9, b"hb", None), 0.01, 1
                yield "client", ws_frame(10, b"hb", rnd.randbytes(4)), 0.001, 1
            else:
                count = rnd.choice((1, 1, 1, 2, 3))
                frames = b"".join(
                    ws_frame(1, self._json(rnd.randint(20, 400)), None) for _ in range(count)
                )
                yield "server", frames, 0.01, count
                messages["server"] += count
        close = (1000).to_bytes(2)
        yield "client", ws_frame(8, close, rnd.randbytes(4)), 0.01, 1
        yield "server", ws_frame(8, close, None), 0.001, 1


def _grpc_message(payload: bytes) -> bytes:
    return b"\x00" + len(payload).to_bytes(4) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def _protobuf(number: int, blob: bytes) -> bytes:
    """A protobuf message: field 1 a varint, field 2 bytes."""
    return b"\x08" + _varint(number) + b"\x12" + _varint(len(blob)) + blob


def paths(out_dir: Path, mb: float) -> tuple[Path, Path, Path]:
    """The capture, key log and truth of a generated `mb` megabyte capture."""
    stem = out_dir / f"tls-h2-{mb:g}mb"
    return stem.with_suffix(".pcap"), stem.with_suffix(".keys"), stem.with_suffix(".json")


def generate(out_dir: Path, mb: float, seed: int) -> Truth:
    """The capture of at least `mb` megabytes (cached in `out_dir`: made again only when it is
    missing, or its generator or seed changed)."""
    capture, keys, truth_path = paths(out_dir, mb)
    try:
        cached = Truth(**json.loads(truth_path.read_text()))
    except (OSError, ValueError, TypeError):
        cached = None
    if (
        cached is not None
        and (cached.version, cached.seed) == (VERSION, seed)
        and capture.is_file()
        and capture.stat().st_size == cached.bytes
        and keys.is_file()
        and keys.stat().st_size == cached.keylog_bytes
    ):
        return cached
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = Truth(VERSION, mb, seed)
    start = time.perf_counter()
    with open(capture, "wb") as fp, open(keys, "w") as keylog:
        writer = Writer(fp, truth)  # type: ignore[arg-type]  # (it counts packets and bytes)
        Traffic(writer, keylog, truth, seed).run(int(mb * 1_000_000))
    truth.generation_seconds = time.perf_counter() - start
    truth.statuses = dict(sorted(truth.statuses.items()))
    truth_path.write_text(json.dumps(asdict(truth), indent=2))
    return truth


# --- checks ----------------------------------------------------------------------------------


def report_mismatches(report: dict[str, Any], truth: Truth) -> list[str]:
    """Where pushscope's JSON report of the capture differs from what was generated."""
    exchanges = report["exchanges"]
    source = report["sources"][0]
    ws = [e for e in exchanges if e["websocket"]]
    h2_ws = [e["websocket"] for e in ws if e["http_version"] == "HTTP/2.0"]
    h1_ws = [e["websocket"] for e in ws if e["http_version"] != "HTTP/2.0"]
    grpc = [e["grpc"] for e in exchanges if e["grpc"]]
    ciphers = {e["client"]: e["tls"]["cipher"] for e in exchanges if e["tls"]}
    read = {
        "exchanges": len(exchanges),
        "kinds": dict(Counter(_kind(e) for e in exchanges)),
        "statuses": dict(Counter(str(e["status"]) for e in exchanges)),
        "sse_events": sum(e["sse"]["events"] for e in exchanges if e["sse"]),
        "grpc_messages": {
            "client": sum(g["request_messages"] for g in grpc),
            "server": sum(g["response_messages"] for g in grpc),
        },
        "grpc_statuses": dict(Counter(str(g["status"]) for g in grpc)),
        "ws_messages": {side: sum(w["messages"][side] for w in h2_ws) for side in SIDES},
        "wss_messages": {side: sum(w["messages"][side] for w in h1_ws) for side in SIDES},
        "suites": dict(Counter(ciphers.values())),
        "connections": len(ciphers),
    }
    problems = [
        f"{name}: pushscope read {value}, generated {getattr(truth, name)}"
        for name, value in read.items()
        if value != getattr(truth, name)
    ]
    if source["error_count"]:
        problems.append(f"problems reported: {source['errors'][:3]}")
    errors = Counter(e["error"] for e in exchanges if e["error"])
    if errors:
        problems.append(f"exchanges ended in error: {dict(errors.most_common(3))}")
    return problems


def _kind(exchange: dict[str, Any]) -> str:
    """rest, sse, grpc, websocket (RFC 8441) or wss (HTTP/1.1): what an exchange was read as."""
    if exchange["sse"]:
        return "sse"
    if exchange["grpc"]:
        return "grpc"
    if exchange["websocket"]:
        return "websocket" if exchange["http_version"] == "HTTP/2.0" else "wss"
    return "rest"


def tshark_mismatches(tshark: str, capture: Path, keys: Path, truth: Truth) -> list[str]:
    """Where tshark's decryption of the capture (with its key log) differs from what was
    generated: requests (one :method or HTTP/1.1 method each), response status codes, gRPC
    messages, and the wss connections' WebSocket frames (tshark 4.0 does not read RFC 8441)."""
    fields = (
        "http2.headers.method", "http2.headers.status", "http.request.method",
        "http.response.code", "grpc.message_length", "websocket.opcode", "websocket.mask",
    )  # fmt: skip
    result = subprocess.run(
        [tshark, "-n", "-r", str(capture), "-o", f"tls.keylog_file:{keys}",
         "-Y", "http2.type == 1 or http or grpc or websocket", "-T", "fields",
         "-E", "separator=/t", *(part for name in fields for part in ("-e", name))],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    requests = 0
    statuses: Counter[str] = Counter()
    grpc_messages = 0
    ws_frames = 0
    ws_messages: Counter[str] = Counter()
    for line in result.stdout.splitlines():
        h2_method, h2_status, method, code, grpc, opcodes, masks = (
            [v for v in value.split(",") if v] for value in line.split("\t")
        )
        requests += len(h2_method) + len(method)
        statuses.update(h2_status + code)
        grpc_messages += len(grpc)
        ws_frames += len(opcodes)
        for opcode, mask in zip(opcodes, masks, strict=True):
            if opcode in ("1", "2"):
                ws_messages["client" if mask == "1" else "server"] += 1
    read = {
        "exchanges": requests,
        "statuses": dict(statuses),
        "grpc messages": grpc_messages,
        "wss_frames": ws_frames,
        "wss_messages": {side: ws_messages[side] for side in SIDES},
    }
    expected = {
        "exchanges": truth.exchanges,
        "statuses": truth.statuses,
        "grpc messages": sum(truth.grpc_messages.values()),
        "wss_frames": truth.wss_frames,
        "wss_messages": truth.wss_messages,
    }
    return [
        f"{name}: tshark read {value}, generated {expected[name]}"
        for name, value in read.items()
        if value != expected[name]
    ]
