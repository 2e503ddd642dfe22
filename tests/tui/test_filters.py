"""The filter language: terms, alternatives, negation, and errors a user can act on."""

from __future__ import annotations

import pytest

from pushscope.tui.filters import FilterError, Key, parse_filter


def key(**fields: object) -> Key:
    base: dict[str, object] = dict(
        protocol="rest",
        host="api.example.com",
        path="/v1/items?page=2",
        method="GET",
        status=200,
        finding=False,
        open=False,
    )
    return Key(**(base | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("", {}, True),
        ("proto:ws", {"protocol": "websocket"}, True),
        ("proto:websocket", {"protocol": "websocket"}, True),
        ("proto:ws", {}, False),
        ("proto:ws,sse", {"protocol": "sse"}, True),
        ("-proto:rest", {}, False),
        ("-proto:rest", {"protocol": "sse"}, True),
        ("host:API", {}, True),
        ("host:other", {}, False),
        ("path:page=2", {}, True),
        ("items", {}, True),
        ("example", {}, True),
        ("method:post", {}, False),
        ("method:get", {}, True),
        ("status:2xx", {}, True),
        ("status:4xx", {"status": 404}, True),
        ("status:404", {"status": 404}, True),
        ("status:none", {"status": 0}, True),
        ("status:none", {}, False),
        ("finding:yes", {"finding": True}, True),
        ("finding:no", {"finding": True}, False),
        ("open:yes", {"open": True}, True),
        ("proto:ws host:api", {"protocol": "websocket"}, True),
        ("proto:ws host:other", {"protocol": "websocket"}, False),
    ],
)
def test_terms(text: str, fields: dict[str, object], expected: bool) -> None:
    assert parse_filter(text)(key(**fields)) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("proto:smtp", "unknown protocol 'smtp'"),
        ("colour:red", "unknown field 'colour'"),
        ("status:abc", "status is a code"),
        ("finding:maybe", "finding is yes or no"),
        ("host:", "a value is needed"),
    ],
)
def test_errors_name_the_term(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message) as raised:
        parse_filter(text)
    assert repr(text) in str(raised.value)


def test_msg_matches_exchanges_whose_messages_contain_a_text() -> None:
    from pushscope.inspector.model import (
        Exchange,
        Handshake,
        Request,
        SseEvent,
        SseStream,
        WebSocketMessage,
        WebSocketSession,
    )
    from pushscope.tui.filters import key_of, message_matches

    session = WebSocketSession(Handshake(True, None, None, [], True))
    for payload in (b'{"order":"ORDER-42"}', b"hello", b'{"ref":"order-42"}'):
        session.add([WebSocketMessage("server", 1, len(payload), None)], 10)
        session.previews.append(payload)
    request = Request("GET", "ws://127.0.0.1/ws", "HTTP/1.1", [], timestamp_start=1.0)
    ws = Exchange("a", 0, request, websocket=session)
    stream = SseStream()
    stream.add([SseEvent("message", "order-7", "")], 10)
    sse = Exchange("b", 0, request, sse=stream)
    rest = Exchange("c", 0, request)
    assert message_matches(ws, "order-42") == 2 and message_matches(sse, "order-42") == 0
    found = parse_filter("msg:order-42")
    assert [found(key_of(e, False, False)) for e in (ws, sse, rest)] == [True, False, False]
    assert found.message_hits(ws) == 2
    assert parse_filter("-msg:order").__call__(key_of(rest, False, False))
