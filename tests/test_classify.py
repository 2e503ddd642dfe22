"""Classification and the WebSocket handshake check, on headers as real clients send them."""

from __future__ import annotations

from pushscope.inspector.classify import classify
from pushscope.inspector.model import Protocol, Request, Response
from pushscope.inspector.websocket import accept_for, check_handshake, negotiated_extensions

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
WS_REQUEST = (
    ("Host", "example.com"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", RFC_KEY),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Protocol", "chat, superchat"),
)


def _request(headers=(), method="GET", url="http://example.com/chat") -> Request:
    return Request(method, url, "HTTP/1.1", tuple(headers), 0.0)


def _response(status=200, headers=()) -> Response:
    return Response(status, "", "HTTP/1.1", tuple(headers))


def _switching(accept=RFC_ACCEPT, extra=()) -> Response:
    return _response(
        101,
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept),
            *extra,
        ],
    )


def test_rfc_accept_example() -> None:
    assert accept_for(RFC_KEY) == RFC_ACCEPT


def test_websocket_handshake_ok_with_subprotocol_and_deflate() -> None:
    response = _switching(
        extra=[
            ("Sec-WebSocket-Protocol", "chat"),
            (
                "Sec-WebSocket-Extensions",
                "permessage-deflate; client_max_window_bits=12;server_no_context_takeover",
            ),
        ]
    )
    verdict = classify(_request(WS_REQUEST), response)
    assert verdict.protocol is Protocol.WEBSOCKET
    assert verdict.handshake is not None and verdict.handshake.ok
    assert verdict.handshake.subprotocol == "chat"
    assert verdict.handshake.extensions == [
        "permessage-deflate; client_max_window_bits=12; server_no_context_takeover"
    ]
    assert verdict.evidence[:2] == [
        "101 Switching Protocols with Upgrade: websocket",
        "Sec-WebSocket-Accept matches Sec-WebSocket-Key",
    ]


def test_wrong_accept_is_a_failed_websocket() -> None:
    verdict = classify(_request(WS_REQUEST), _switching(accept="wrongwrongwrongwrongwrong="))
    assert verdict.protocol is Protocol.WEBSOCKET
    assert verdict.handshake is not None and not verdict.handshake.ok
    assert "does not match the key" in (verdict.handshake.reason or "")


def test_refused_upgrade_is_a_failed_websocket() -> None:
    verdict = classify(_request(WS_REQUEST), _response(403, [("Content-Type", "text/plain")]))
    assert verdict.protocol is Protocol.WEBSOCKET
    assert verdict.handshake is not None
    assert verdict.handshake.reason == "server answered 403 instead of 101 Switching Protocols"


def test_missing_headers_and_bad_version() -> None:
    headers = [h for h in WS_REQUEST if h[0] != "Sec-WebSocket-Version"] + [
        ("Sec-WebSocket-Version", "8")
    ]
    handshake = check_handshake(tuple(headers), 101, (("Upgrade", "websocket"),))
    assert not handshake.ok
    assert "Sec-WebSocket-Version is 8" in (handshake.reason or "")


def test_unoffered_subprotocol_fails() -> None:
    handshake = check_handshake(
        WS_REQUEST, 101, _switching(extra=[("Sec-WebSocket-Protocol", "mqtt")]).headers
    )
    assert not handshake.ok and "not offered" in (handshake.reason or "")


def test_h2c_upgrade_is_not_websocket() -> None:
    request = _request([("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings")])
    verdict = classify(request, _response(101, [("Upgrade", "h2c"), ("Connection", "Upgrade")]))
    assert verdict.protocol is Protocol.REST
    assert "h2c" in verdict.evidence[0]


def test_raw_tcp_upgrade_is_a_stream() -> None:
    request = _request([("Upgrade", "tcp"), ("Connection", "Upgrade")], method="POST")
    verdict = classify(request, _response(101, [("Upgrade", "tcp"), ("Connection", "Upgrade")]))
    assert verdict.protocol is Protocol.STREAM
    assert "not WebSocket" in verdict.evidence[0]


def test_sse_whatever_the_method() -> None:
    headers = [("Content-Type", "text/event-stream; charset=utf-8")]
    get = classify(_request(), _response(200, headers))
    post = classify(
        _request(method="POST", url="http://api/v1/chat/completions"), _response(200, headers)
    )
    assert get.protocol is post.protocol is Protocol.SSE
    assert get.evidence == ["Content-Type: text/event-stream"]
    assert "token streaming" in post.evidence[1]


def test_event_stream_body_under_another_mime_is_not_sse() -> None:
    """web-platform-tests: a browser refuses text/x-bogus, so it is not SSE on MIME grounds."""
    request = _request([("Accept", "text/event-stream")])
    verdict = classify(request, _response(200, [("Content-Type", "text/x-bogus")]))
    assert verdict.protocol is Protocol.REST
    assert verdict.evidence == ["asked for text/event-stream but got 200 text/x-bogus"]


def test_streaming_media_types() -> None:
    for content_type, kind in [
        ("application/x-ndjson", "ndjson"),
        ("multipart/x-mixed-replace; boundary=frame", "multipart"),
        ("application/grpc-web+proto", "grpc-web"),
    ]:
        verdict = classify(_request(), _response(200, [("Content-Type", content_type)]))
        assert (verdict.protocol, verdict.stream_kind) == (Protocol.STREAM, kind)


def test_plain_json_is_rest() -> None:
    verdict = classify(_request(), _response(200, [("Content-Type", "application/json")]))
    assert verdict.protocol is Protocol.REST
    assert verdict.evidence == ["a single response: 200 application/json"]


def test_extension_parsing_splits_offers() -> None:
    headers = (("Sec-WebSocket-Extensions", "permessage-deflate, x-webkit-deflate-frame"),)
    assert negotiated_extensions(headers) == ["permessage-deflate", "x-webkit-deflate-frame"]
