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
