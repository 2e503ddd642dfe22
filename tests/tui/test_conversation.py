"""The conversation model and its filters (no Textual): messages, decoding, filters, the
bounded regular expressions, JSON Lines export, the rate strip."""

from __future__ import annotations

import gc
import json
import time

import pytest

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.events import BodyChunk, ExchangeClosed, ExchangeOpened, ResponseStarted
from pushscope.inspector.model import (
    Exchange,
    Handshake,
    Opcode,
    Request,
    Response,
    SseEvent,
    SseStream,
    WebSocketMessage,
    WebSocketSession,
)
from pushscope.tui.conversation import (
    FREEZE_EVERY,
    Conversation,
    FilterError,
    check_pattern,
    json_path_get,
    jsonl_lines,
    parse_message_filter,
    rate_strip,
)
from pushscope.tui.sources import view_limits

MESSAGES = [
    ("client", Opcode.TEXT, b'42["order",{"id":"order-42","qty":2}]'),
    ("server", Opcode.TEXT, b"2"),
    ("client", Opcode.TEXT, b"3"),
    ("server", Opcode.TEXT, b'42["filled",{"id":"order-42"}]'),
    ("server", Opcode.BINARY, b"\x00\x01\xff" * 200),
    ("client", Opcode.PING, b""),
]


def websocket(messages: list[tuple[str, int, bytes]] = MESSAGES, keep: int = 1000) -> Exchange:
    request = Request(
        "GET", "ws://127.0.0.1/socket.io/?EIO=4", "HTTP/1.1", [], timestamp_start=100.0
    )
    session = WebSocketSession(Handshake(True, None, None, [], True))
    exchange = Exchange("ws1", 0, request, framework="socket.io", websocket=session)
    for n, (direction, opcode, payload) in enumerate(messages):
        session.add([WebSocketMessage(direction, opcode, len(payload), 100.0 + n * 0.5)], keep)  # type: ignore[arg-type]
        session.previews.append(payload)
    return exchange


def shown(exchange: Exchange, text: str, heartbeats: bool = False) -> list[int]:
    conversation = Conversation(exchange)
    message_filter = parse_message_filter(text, hide_heartbeats=heartbeats)
    return [i.index for i in conversation.items if message_filter.matches(conversation, i)]


def test_items_decode_with_the_framework_decoders() -> None:
    conversation = Conversation(websocket())
    assert [i.kind for i in conversation.items] == [
        "text",
        "text",
        "text",
        "text",
        "binary",
        "ping",
    ]
    first = conversation.decode(conversation.items[0])
    assert first.kind == "socket.io" and "order" in first.summary
    assert conversation.decode(conversation.items[1]).heartbeat  # Engine.IO ping
    assert conversation.gap(1) == pytest.approx(0.5)


def test_a_growing_connection_adds_only_the_new_messages() -> None:
    exchange = websocket(MESSAGES[:2])
    conversation = Conversation(exchange)
    assert len(conversation.items) == 2 and conversation.refresh() == 0
    assert exchange.websocket is not None
    exchange.websocket.messages.append(WebSocketMessage("server", Opcode.TEXT, 1, 105.0))
    exchange.websocket.previews.append(b"x")
    assert conversation.refresh() == 1 and conversation.items[-1].payload == b"x"


def test_filters() -> None:
    exchange = websocket()
    assert shown(exchange, "") == [0, 1, 2, 3, 4, 5]
    assert shown(exchange, "dir:client") == [0, 2, 5]
    assert shown(exchange, "dir:<") == [1, 3, 4]
    assert shown(exchange, "type:binary,ping") == [4, 5]
    assert shown(exchange, "size:>100") == [4]
    assert shown(exchange, "size:<=1") == [1, 2, 5]
    assert shown(exchange, "order-42") == [0, 3]
    assert shown(exchange, "ORDER-42 dir:server") == [3]
    assert shown(exchange, "/fill(ed)?/") == [3]
    assert shown(exchange, "$[1].qty=2") == [0]
    assert shown(exchange, "$[0]=filled") == [3]
    assert shown(exchange, "", heartbeats=True) == [0, 3, 4]  # Engine.IO 2/3 and the ping


def test_filter_errors_say_which_term() -> None:
    with pytest.raises(FilterError, match="dir:up"):
        parse_message_filter("dir:up")
    with pytest.raises(FilterError, match="size:big"):
        parse_message_filter("size:big")
    with pytest.raises(FilterError, match="not a regular expression"):
        parse_message_filter("re:(")


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)*b", r"(\w*)*x", r"(x+x+)+y", r"(a)\1"])
def test_catastrophic_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(FilterError):
        check_pattern(pattern)


def test_safe_patterns_run_fast_on_a_hostile_payload() -> None:
    hostile = b'"' + b"a" * 100_000 + b"!"
    exchange = websocket([("server", Opcode.TEXT, hostile)])
    started = time.perf_counter()
    for pattern in (r"a+b", r"(ab)+c", r"\w+\d", r"a{1,5}z"):
        assert shown(exchange, f"re:{pattern}") == []
    assert time.perf_counter() - started < 2.0


def test_json_path() -> None:
    assert json_path_get({"a": {"b": [1, {"c": "x"}]}}, "$.a.b[1].c") == (True, "x")
    assert json_path_get({"a": 1}, "$.b") == (False, None)
    assert shown(websocket([("server", Opcode.TEXT, b'{"type":"msg"}')]), "$.type=msg") == [0]
    assert shown(websocket([("server", Opcode.TEXT, b'{"type":"ack"}')]), "$.type=msg") == []


def test_jsonl_export() -> None:
    conversation = Conversation(websocket())
    lines = [json.loads(line) for line in jsonl_lines(conversation, conversation.items)]
    assert lines[0] == {
        "index": 0,
        "direction": "client",
        "time": 100.0,
        "type": "text",
        "size": 37,
        "data": '42["order",{"id":"order-42","qty":2}]',
    }
    assert "data_base64" in lines[4]


def test_sse_events_and_rates() -> None:
    request = Request("GET", "http://127.0.0.1/events", "HTTP/1.1", [], timestamp_start=10.0)
    stream = SseStream()
    stream.add([SseEvent("tick", f'{{"n":{n}}}', "", 10.0 + n) for n in range(4)], 1000)
    stream.add([SseEvent("ping", "", "", 14.0)], 1000)
    exchange = Exchange("sse1", 0, request, sse=stream)
    conversation = Conversation(exchange)
    assert [i.kind for i in conversation.items] == ["tick"] * 4 + ["ping"]
    assert shown(exchange, "$.n=2") == [2]
    assert shown(exchange, "", heartbeats=True) == [0, 1, 2, 3]
    client, server, peak = rate_strip(conversation, 5)
    assert len(client) == len(server) == 5 and client.strip() == "" and server.strip()
    assert peak > 0


def test_sse_comments_take_their_place_among_events_and_are_heartbeats() -> None:

    analyzer = Analyzer(view_limits())
    request = Request("GET", "http://127.0.0.1/events", "HTTP/1.1", (), 10.0)
    headers = (("Content-Type", "text/event-stream"),)
    response = Response(200, "OK", "HTTP/1.1", headers, 10.0)
    analyzer.run([ExchangeOpened(Exchange("s", 0, request)), ResponseStarted("s", response)])
    body = b": hello\n\ndata: 1\n\n: ping\n\n: ping\n\nevent: tick\ndata: 2\n\n"
    for n, chunk in enumerate((body[:20], body[20:])):
        analyzer.feed(BodyChunk("s", chunk, 11.0 + n, encoded=False))
    (exchange,) = analyzer.exchanges
    conversation = Conversation(exchange)
    kinds = [(i.kind, i.payload) for i in conversation.items]
    assert kinds == [
        ("comment", b" hello"),
        ("message", b"1"),
        ("comment", b" ping"),
        ("comment", b" ping"),
        ("tick", b"2"),
    ]
    assert [i.index for i in conversation.items] == [0, 1, 2, 3, 4]
    assert conversation.decode(conversation.items[0]).summary == ": hello"
    assert shown(exchange, "", heartbeats=True) == [1, 4]
    assert shown(exchange, "type:comment") == [0, 2, 3]
    analyzer.feed(BodyChunk("s", b": late\n\n", 13.0, encoded=False))
    assert conversation.refresh() == 1 and conversation.items[-1].kind == "comment"
    analyzer.feed(ExchangeClosed("s", 14.0))
    assert conversation.not_kept() == ""


def test_what_was_not_kept_is_said() -> None:
    exchange = websocket()
    session = exchange.websocket
    assert session is not None
    more = [WebSocketMessage("server", Opcode.TEXT, 5, 200.0 + n) for n in range(4)]
    session.add(more, len(session.messages))  # counted, not kept
    conversation = Conversation(exchange)
    assert len(conversation.items) == 6
    assert conversation.not_kept() == "messages 7 to 10 not kept (4, past the viewer's limits)"
    stream = SseStream(comments=3)
    stream.add([SseEvent("tick", "x", "", 1.0)] * 5, 2)
    sse = Exchange("s", 0, exchange.request, sse=stream)
    assert Conversation(sse).not_kept() == (
        "events 3 to 5 not kept (3, past the viewer's limits); "
        "comments 1 to 3 not kept (3, past the viewer's limits)"
    )


def test_a_large_conversation_is_frozen_out_of_the_cyclic_collector() -> None:
    """Its items and decodings live as long as the view and hold no cycles: once there are
    FREEZE_EVERY of them they are frozen, so full collections (pauses of tens of milliseconds
    at 100,000 messages) do not rescan them while keys wait."""
    quote = b'{"seq": %d, "symbol": "PSC", "price": 100.25}'
    messages = [("server", Opcode.TEXT, quote % n) for n in range(FREEZE_EVERY)]
    gc.unfreeze()
    try:
        conversation = Conversation(websocket(messages, keep=FREEZE_EVERY))
        assert gc.get_freeze_count() >= FREEZE_EVERY  # the items
        frozen = gc.get_freeze_count()
        for item in conversation.items:
            conversation.decode(item)
        assert gc.get_freeze_count() >= frozen + FREEZE_EVERY  # and their decodings
    finally:
        gc.unfreeze()
