"""The feed writer: records gathered and written whole, within the flush interval, and all
of them at close."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pushscope.inspector import feed
from pushscope.inspector.feed import FeedWriter
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.model import (
    Exchange,
    Handshake,
    Opcode,
    Protocol,
    Request,
    Response,
    SseEvent,
    SseStream,
    StreamBody,
    WebSocketMessage,
    WebSocketSession,
)


class _Timers:
    """A stand-in for `loop.call_later` that runs nothing until told to."""

    def __init__(self) -> None:
        self.due: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, function: Callable[[], None]) -> None:
        self.due.append((delay, function))

    def run(self) -> None:
        due, self.due = self.due, []
        for _, function in due:
            function()


def _finding(n: int) -> Finding:
    return Finding("short-polling", Severity.LOW, "GET /x", None, [], {}, "sse", "", id=f"f{n}")


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    text = out.getvalue()
    assert text.endswith("\n") or not text  # whole lines only
    return [json.loads(line) for line in text.splitlines()]


def test_without_a_schedule_every_record_is_flushed_at_once() -> None:
    out = io.StringIO()
    writer = FeedWriter(out)
    writer.finding(_finding(1))
    assert [r.get("type") for r in _lines(out)] == [None, "finding"]


def test_records_wait_for_the_timer_and_come_out_whole() -> None:
    out, timers = io.StringIO(), _Timers()
    writer = FeedWriter(out, flush_interval=0.05, schedule=timers)
    assert _lines(out)[0]["schema"] == feed.SCHEMA  # the header is written at once
    timers.run()
    for n in range(3):
        writer.finding(_finding(n))
    assert len(_lines(out)) == 1
    assert [delay for delay, _ in timers.due] == [0.05]  # one timer for the batch
    timers.run()
    assert [r["finding"]["id"] for r in _lines(out)[1:]] == ["f0", "f1", "f2"]  # type: ignore[index]
    writer.finding(_finding(3))
    assert len(timers.due) == 1  # the next batch gets its own timer


def test_a_full_batch_is_written_without_waiting() -> None:
    out, timers = io.StringIO(), _Timers()
    writer = FeedWriter(out, flush_interval=0.05, schedule=timers)
    for n in range(feed.MAX_PENDING):
        writer.finding(_finding(n))
    assert len(_lines(out)) == 1 + feed.MAX_PENDING


def test_close_writes_what_is_gathered_and_a_late_timer_does_nothing() -> None:
    out, timers = io.StringIO(), _Timers()
    writer = FeedWriter(out, flush_interval=0.05, schedule=timers)
    writer.finding(_finding(1))
    writer.close()
    assert [r.get("type") for r in _lines(out)] == [None, "finding"]
    out.close()
    timers.run()  # the file is gone: the timer must not touch it


def test_a_tailing_reader_sees_a_record_soon_on_a_real_loop(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        with path.open("w", encoding="utf-8") as out:
            writer = FeedWriter(out, flush_interval=0.05, schedule=loop.call_later)
            writer.finding(_finding(1))  # then no more traffic
            await asyncio.sleep(0.3)
            return path.read_text(encoding="utf-8").splitlines()

    lines = asyncio.run(main())
    assert json.loads(lines[-1])["type"] == "finding"


def _record(out: io.StringIO) -> str:
    return out.getvalue().split("\n")[-2]  # not splitlines: it splits at U+2028 too


def _same(record: dict[str, object]) -> str:
    """A record as canonical JSON text, to compare records (NaN equals itself there)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def _parsed(out: io.StringIO) -> str:
    """The last record written, parsed and made canonical."""
    return _same(json.loads(_record(out)))


@pytest.mark.parametrize("timestamp", [1732781234.123456, None, 5])
@pytest.mark.parametrize(
    ("opcode", "payload"),
    [
        (Opcode.TEXT, 'hé "quoted"\n\x00\u2028 ✓'.encode()),
        (Opcode.TEXT, b"\xff\xfe"),
        (2, b"\x00\x01" * 700),
    ],
)
def test_message_records_carry_every_field(
    opcode: int, payload: bytes, timestamp: float | None
) -> None:
    out = io.StringIO()
    writer = FeedWriter(out, clock=lambda: 1700000000.1234567)
    exchange = Exchange('id"\\1', 0, Request("GET", "http://x/", None, (), 0.0))
    writer.ws_message(
        exchange, WebSocketMessage("server", opcode, len(payload), timestamp), payload
    )
    expected: dict[str, object] = {
        "type": "ws.message",
        "id": exchange.id,
        "from": "server",
        "opcode": opcode,
        "size": len(payload),
        "at": timestamp,
    }
    preview = payload[: feed.PREVIEW_BYTES]
    if opcode == Opcode.TEXT:
        expected["text"] = preview.decode("utf-8", "replace")
    else:
        expected["base64"] = base64.b64encode(preview).decode("ascii")
    expected["t"] = round(1700000000.1234567, 6)
    assert _parsed(out) == _same(expected)
    for had_id in (True, False):
        event = SseEvent('mes"sage', "da\nta ✓", "", timestamp, had_id)
        writer.sse(exchange, event)
        assert _parsed(out) == _same(
            {
                "type": "sse.event",
                "id": exchange.id,
                "event": event.type,
                "data": event.data,
                "last_event_id": event.id,
                "had_id": had_id,
                "at": timestamp,
                "t": round(1700000000.1234567, 6),
            }
        )


def _expected(kind: str, exchange: Exchange, t: float) -> str:
    """What an exchange record holds, as JSON text to compare (NaN equals itself there)."""
    request, response, ws = exchange.request, exchange.response, exchange.websocket
    record: dict[str, object]
    if kind == "opened":
        record = {
            "type": "exchange.opened",
            "id": exchange.id,
            "client": exchange.client,
            "server": exchange.server,
            "method": request.method,
            "url": request.url,
            "http_version": request.http_version,
            "request_headers": [list(pair) for pair in request.headers],
            "request_bytes": request.body_size,
            "started": request.timestamp_start,
        }
    elif kind == "responded":
        assert response is not None
        record = {
            "type": "exchange.response",
            "id": exchange.id,
            "status": response.status,
            "reason": response.reason,
            "http_version": response.http_version,
            "response_headers": [list(pair) for pair in response.headers],
            "response_started": response.timestamp_start,
            "protocol": exchange.protocol.value,
            "evidence": exchange.evidence,
            "framework": exchange.framework,
        }
    else:
        record = {
            "type": "exchange.closed",
            "id": exchange.id,
            "ended": exchange.ended,
            "error": exchange.error,
            "response_bytes": response.body_size if response else None,
            "body_digest": response.body_digest if response else None,
            "retry_ms": exchange.sse.retry_ms if exchange.sse else None,
            "stream_records": exchange.stream.records if exchange.stream else None,
            "close_code": ws.close_code if ws else None,
            "close_reason": ws.close_reason if ws else None,
            "closed_by": ws.closed_by if ws else None,
            "protocol": exchange.protocol.value,
            "role": exchange.role,
        }
    record["t"] = t
    return _same(record)


def _exchanges() -> list[Exchange]:
    odd = 'é "q"\\\n\x00\u2028 ✓'
    rest = Exchange(
        "a", 0, Request("GET", "http://x/?q=" + odd, "HTTP/1.1", (("Host", "x"), ("X", odd)), 1.5)
    )
    rest.client, rest.server, rest.ended, rest.role = "127.0.0.1:1", "[::1]:80", 2.25, "short-poll"
    rest.response = Response(200, "OK", "HTTP/1.1", (("Content-Type", "application/json"),), 1.75)
    rest.response.body_size, rest.response.body_digest = 12, "00ff"
    rest.evidence = ["a single response: 200 application/json", odd]
    bare = Exchange("b" + odd, 0, Request("POST", "http://y/", None, (), 3))
    bare.error, bare.ended = "connection reset " + odd, float("nan")
    bare.response = Response(502, odd, None, (), None)
    sse = Exchange("c", 0, Request("GET", "http://z/", "HTTP/2.0", (), 1e-7))
    sse.protocol, sse.sse, sse.framework = Protocol.SSE, SseStream(retry_ms=3000), "Socket.IO"
    sse.response = Response(200, "", "HTTP/2.0", (), float("inf"))
    ws = Exchange("d", 0, Request("GET", "ws://w/", "HTTP/1.1", (), 1732781234.123456))
    ws.protocol = Protocol.WEBSOCKET
    ws.websocket = WebSocketSession(Handshake(True, None, None, [], True))
    ws.websocket.close_code, ws.websocket.close_reason, ws.websocket.closed_by = 1000, odd, "server"
    ws.response = Response(101, "Switching Protocols", "HTTP/1.1", (), 1.0)
    stream = Exchange("e", 0, Request("GET", "http://s/", "HTTP/1.1", (), 1.0))
    stream.protocol, stream.stream = Protocol.STREAM, StreamBody("ndjson", records=7)
    unanswered = Exchange("f", 0, Request("GET", "http://u/", "HTTP/1.1", (), 1.0))
    return [rest, bare, sse, ws, stream, unanswered]


@pytest.mark.parametrize("kind", ["opened", "responded", "closed"])
def test_exchange_records_carry_every_field(kind: str) -> None:
    out = io.StringIO()
    writer = FeedWriter(out, clock=lambda: 1700000000.1234567)
    for exchange in _exchanges():
        if kind == "responded" and exchange.response is None:
            continue
        getattr(writer, kind)(exchange)
        assert _parsed(out) == _expected(kind, exchange, round(1700000000.1234567, 6))
