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


FIELDS = {
    "opened": "type id client server method url http_version request_headers request_bytes"
    " started t",
    "responded": "type id status reason http_version response_headers response_started"
    " protocol evidence framework t",
    "closed": "type id ended error response_bytes body_digest retry_ms stream_records"
    " close_code close_reason closed_by protocol role t",
}
"""The fields of each exchange record, as the module's docstring lists them."""
ODD = 'é "q"\\\n\x00\u2028 ✓'
"""Text that JSON must escape, and characters outside ASCII."""
T = round(1700000000.1234567, 6)
REST_RECORDS = {
    "opened": {
        "type": "exchange.opened",
        "id": "a",
        "client": "127.0.0.1:1",
        "server": "[::1]:80",
        "method": "GET",
        "url": "http://x/?q=" + ODD,
        "http_version": "HTTP/1.1",
        "request_headers": [["Host", "x"], ["X", ODD]],
        "request_bytes": 0,
        "started": 1.5,
        "t": T,
    },
    "responded": {
        "type": "exchange.response",
        "id": "a",
        "status": 200,
        "reason": "OK",
        "http_version": "HTTP/1.1",
        "response_headers": [["Content-Type", "application/json"]],
        "response_started": 1.75,
        "protocol": "rest",
        "evidence": ["a single response: 200 application/json", ODD],
        "framework": None,
        "t": T,
    },
    "closed": {
        "type": "exchange.closed",
        "id": "a",
        "ended": 2.25,
        "error": None,
        "response_bytes": 12,
        "body_digest": "00ff",
        "retry_ms": None,
        "stream_records": None,
        "close_code": None,
        "close_reason": None,
        "closed_by": None,
        "protocol": "rest",
        "role": "short-poll",
        "t": T,
    },
}


def _exchanges() -> list[Exchange]:
    rest = Exchange(
        "a", 0, Request("GET", "http://x/?q=" + ODD, "HTTP/1.1", (("Host", "x"), ("X", ODD)), 1.5)
    )
    rest.client, rest.server, rest.ended, rest.role = "127.0.0.1:1", "[::1]:80", 2.25, "short-poll"
    rest.response = Response(200, "OK", "HTTP/1.1", (("Content-Type", "application/json"),), 1.75)
    rest.response.body_size, rest.response.body_digest = 12, "00ff"
    rest.evidence = ["a single response: 200 application/json", ODD]
    bare = Exchange("b" + ODD, 0, Request("POST", "http://y/", None, (), 3))
    bare.error, bare.ended = "connection reset " + ODD, float("nan")
    bare.response = Response(502, ODD, None, (), None)
    sse = Exchange("c", 0, Request("GET", "http://z/", "HTTP/2.0", (), 1e-7))
    sse.protocol, sse.sse, sse.framework = Protocol.SSE, SseStream(retry_ms=3000), "Socket.IO"
    sse.response = Response(200, "", "HTTP/2.0", (), float("inf"))
    ws = Exchange("d", 0, Request("GET", "ws://w/", "HTTP/1.1", (), 1732781234.123456))
    ws.protocol = Protocol.WEBSOCKET
    ws.websocket = WebSocketSession(Handshake(True, None, None, [], True))
    ws.websocket.close_code, ws.websocket.close_reason, ws.websocket.closed_by = 1000, ODD, "server"
    ws.response = Response(101, "Switching Protocols", "HTTP/1.1", (), 1.0)
    stream = Exchange("e", 0, Request("GET", "http://s/", "HTTP/1.1", (), 1.0))
    stream.protocol, stream.stream = Protocol.STREAM, StreamBody("ndjson", records=7)
    unanswered = Exchange("f", 0, Request("GET", "http://u/", "HTTP/1.1", (), 1.0))
    return [rest, bare, sse, ws, stream, unanswered]


@pytest.mark.parametrize("kind", ["opened", "responded", "closed"])
def test_exchange_records_carry_every_field(kind: str) -> None:
    out = io.StringIO()
    writer = FeedWriter(out, clock=lambda: 1700000000.1234567)
    exchanges = _exchanges()
    getattr(writer, kind)(exchanges[0])
    assert _parsed(out) == _same(REST_RECORDS[kind])
    for exchange in exchanges[1:]:
        if kind == "responded" and exchange.response is None:
            continue
        getattr(writer, kind)(exchange)
        record = json.loads(_record(out))
        assert list(record) == FIELDS[kind].split()
        assert record["id"] == exchange.id


def test_close_records_carry_each_kind_of_outcome() -> None:
    out = io.StringIO()
    writer = FeedWriter(out, clock=lambda: 0.0)
    records = []
    for exchange in _exchanges()[1:5]:
        writer.closed(exchange)
        records.append(json.loads(_record(out)))
    bare, sse, ws, stream = records
    assert bare["error"] == "connection reset " + ODD and bare["ended"] != bare["ended"]  # NaN
    assert (sse["retry_ms"], ws["close_code"], ws["close_reason"], ws["closed_by"]) == (
        3000,
        1000,
        ODD,
        "server",
    )
    assert (stream["protocol"], stream["stream_records"]) == ("stream", 7)
