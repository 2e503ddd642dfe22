"""The framework decoders against the protocols' own examples (written byte for byte from the
Engine.IO/Socket.IO protocol documents, graphql-ws and subscriptions-transport-ws PROTOCOL.md,
STOMP 1.2, MQTT 3.1.1 and 5.0, JSON-RPC 2.0), the project's captures, the reference
libraries' vectors in ../shared/fixtures, and arbitrary bytes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector import decoders
from pushscope.inspector.decoders import (
    MAX_BODY,
    MAX_FIELD,
    MAX_SUMMARY,
    Decoded,
    decode_message,
    decode_sse,
    hexdump,
    is_heartbeat,
)
from pushscope.inspector.events import (
    BodyChunk,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    WebSocketMessageSeen,
)
from pushscope.inspector.frameworks import detect
from pushscope.inspector.model import Opcode, SseEvent, header
from pushscope.inspector.readers import read_capture
from pushscope.inspector.sse import SseParser
from tests.conftest import CAPTURES, FIXTURES, fixture_path

TEXT, BINARY = Opcode.TEXT, Opcode.BINARY


def text(message: str, framework: str | None = None, subprotocol: str | None = None) -> Decoded:
    return decode_message(message.encode(), TEXT, framework, subprotocol)


def binary(hex_: str, framework: str | None = "mqtt", **options: Any) -> Decoded:
    return decode_message(bytes.fromhex(hex_), BINARY, framework, None, **options)


def field(decoded: Decoded, name: str) -> str | None:
    return next((value for key, value in decoded.fields if key == name), None)


def notes(decoded: Decoded) -> list[str]:
    return [value for key, value in decoded.fields if key == "note"]


def assert_safe(decoded: Decoded) -> None:
    """What every decoding holds, whatever came in."""
    strings = [decoded.kind, decoded.summary, decoded.body]
    strings += [part for pair in decoded.fields for part in pair]
    for string in strings:
        string.encode("utf-8")  # no lone surrogates
    assert "\n" not in decoded.summary and "\x1b" not in decoded.body
    assert len(decoded.summary) <= MAX_SUMMARY
    assert len(decoded.body) <= MAX_BODY + 80
    assert all(len(name) <= MAX_FIELD and len(value) <= MAX_FIELD for name, value in decoded.fields)
    assert len(decoded.fields) <= 300
    # The last-resort catch in decode_message hides bugs from users, not from the tests.
    assert not any(note.startswith("decoder failed") for note in notes(decoded)), decoded


# --- Engine.IO v4 (engine.io-protocol v4) and v3 -----------------------------------------


@pytest.mark.parametrize(
    ("packet", "kind", "heartbeat"),
    [
        ("1", "close", False),
        ("2", "ping", True),
        ("3", "pong", True),
        ("2probe", "ping", False),
        ("3probe", "pong", False),
        ("5", "upgrade", False),
        ("6", "noop", False),
    ],
)
def test_engineio_packets(packet: str, kind: str, heartbeat: bool) -> None:
    decoded = text(packet, "socket.io")
    assert (decoded.kind, field(decoded, "type"), is_heartbeat(decoded)) == (
        "engine.io",
        kind,
        heartbeat,
    )
    assert decoded.framework == "socket.io"


def test_engineio_open_handshake() -> None:
    decoded = text(
        '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,'
        '"pingTimeout":20000,"maxPayload":1000000}',
        "socket.io",
    )
    assert decoded.summary == (
        "engine.io open sid=lv_VI97HAXpY6yYWAAAC upgrades=websocket pingInterval=25000 "
        "pingTimeout=20000 maxPayload=1000000"
    )
    assert '"pingInterval": 25000' in decoded.body
    # A handshake is unmistakable without a hint.
    assert text('0{"sid":"x","upgrades":[],"pingInterval":1,"pingTimeout":1}').kind == "engine.io"


def test_engineio_message_that_is_not_socketio() -> None:
    decoded = text("4hello", "engine.io")
    assert (decoded.kind, field(decoded, "type"), field(decoded, "data")) == (
        "engine.io",
        "message",
        "hello",
    )
    assert notes(decoded)  # says why it is not a Socket.IO packet


def test_engineio_v4_polling_payloads() -> None:
    decoded = text("4hello\x1e2\x1e4world", "socket.io")
    assert field(decoded, "packets") == "3"
    assert decoded.summary.startswith("engine.io v4 payload of 3 packets: message hello | ping")
    with_binary = text("4hello\x1ebAQIDBA==", "socket.io")
    assert "01 02 03 04" in with_binary.body
    sample = text('42["hello"]\x1e42["world"]', "socket.io")  # the v5 sample session
    assert 'socket.io EVENT "hello"' in sample.body and 'socket.io EVENT "world"' in sample.body


def test_engineio_v3_payloads_count_utf16_units() -> None:
    # engine.io-parser 4.0.0's changelog: v3 "6:4hello4:4€€€"; the v4 document: "2:4€".
    decoded = text("6:4hello4:4€€€", "socket.io")
    assert decoded.summary == "engine.io v3 payload of 2 packets: message hello | message €€€"
    assert text("2:4€", "socket.io").summary == "engine.io v3 payload of 1 packets: message €"


def test_engineio_binary_messages() -> None:
    decoded = decode_message(bytes([1, 2, 3, 4]), BINARY, "socket.io")
    assert (decoded.kind, decoded.summary) == ("engine.io", "engine.io binary message 4 B 01020304")
    assert "00000000  01 02 03 04" in decoded.body
    as_text = text("bAQIDBA==", "socket.io")  # v4: 'b' + base64
    assert as_text.summary == "engine.io binary message 4 B 01020304"
    assert text("b4AQIDBA==", "socket.io").summary == as_text.summary  # v3: 'b' + type + base64


# --- Socket.IO v5 (socket.io-protocol v5: its encoding examples and sample session) -------


@pytest.mark.parametrize(
    ("wire", "summary", "facts"),
    [
        ("40", "socket.io CONNECT ns=/", {"type": "CONNECT", "namespace": "/"}),
        (
            '40/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}',
            'socket.io CONNECT ns=/admin {"sid": "oSO0OpakMV_3jnilAAAA"}',
            {"namespace": "/admin", "sid": "oSO0OpakMV_3jnilAAAA"},
        ),
        (
            '44{"message":"Not authorized"}',
            'socket.io CONNECT_ERROR ns=/ {"message": "Not authorized"}',
            {"type": "CONNECT_ERROR", "message": "Not authorized"},
        ),
        ('42["foo"]', 'socket.io EVENT "foo" ns=/', {"type": "EVENT", "event": "foo"}),
        ('42/admin,["bar"]', 'socket.io EVENT "bar" ns=/admin', {"namespace": "/admin"}),
        ('42["hey","Jude"]', 'socket.io EVENT "hey" ns=/ ["Jude"]', {"event": "hey"}),
        ('4212["foo"]', 'socket.io EVENT "foo" ns=/ ack=12', {"ack": "12"}),
        ('43/admin,13["bar"]', 'socket.io ACK ns=/admin id=13 ["bar"]', {"id": "13"}),
        (
            '451-["baz",{"_placeholder":true,"num":0}]',
            'socket.io BINARY_EVENT "baz" ns=/ attachments=1 [{"_placeholder": true, "num": 0}]',
            {"type": "BINARY_EVENT", "attachments": "1"},
        ),
        (
            '452-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
            (
                'socket.io BINARY_EVENT "baz" ns=/admin attachments=2 [{"_placeholder": true, '
                '"num": 0}, {"_placeholder": true, "num": 1}]'
            ),
            {"namespace": "/admin", "attachments": "2"},
        ),
        (
            '461-15["bar",{"_placeholder":true,"num":0}]',
            (
                'socket.io BINARY_ACK ns=/ id=15 attachments=1 ["bar", {"_placeholder": true, '
                '"num": 0}]'
            ),
            {"type": "BINARY_ACK", "id": "15"},
        ),
        (
            '461-/admin,1[{"_placeholder":true,"num":0}]',
            'socket.io BINARY_ACK ns=/admin id=1 attachments=1 [{"_placeholder": true, "num": 0}]',
            {"namespace": "/admin"},
        ),
        ("41", "socket.io DISCONNECT ns=/", {"type": "DISCONNECT"}),
        ("41/admin,", "socket.io DISCONNECT ns=/admin", {"namespace": "/admin"}),
    ],
)
def test_socketio_packets(wire: str, summary: str, facts: dict[str, str]) -> None:
    decoded = text(wire, "socket.io")
    assert decoded.kind == "socket.io"
    assert decoded.summary == summary
    assert {name: field(decoded, name) for name in facts} == facts


def test_socketio_is_recognised_without_a_hint_only_when_unmistakable() -> None:
    assert text('42["chat message","hi"]').summary == 'socket.io EVENT "chat message" ns=/ ["hi"]'
    assert text("2").kind == "text"  # a bare "2" is Engine.IO only when the session says so
    assert text("42 is [the answer]").kind == "text"


def test_socketio_body_explains_placeholders() -> None:
    decoded = text('451-["baz",{"_placeholder":true,"num":0}]', "socket.io")
    assert "attachments: 1, sent next as binary messages" in decoded.body
    assert '"_placeholder": true' in decoded.body


# --- graphql-transport-ws (graphql-ws PROTOCOL.md) and graphql-ws (subscriptions-transport-ws)


def test_graphql_transport_ws_messages() -> None:
    sub = "graphql-transport-ws"
    subscribe = text(
        '{"id":"1","type":"subscribe","payload":{"query":"subscription OnMessage { messages }"}}',
        None,
        sub,
    )
    assert subscribe.summary == "graphql-transport-ws subscribe id=1 op=OnMessage"
    assert subscribe.body.endswith("query:\nsubscription OnMessage { messages }")
    next_ = text('{"id":"1","type":"next","payload":{"data":{"messages":["hi"]}}}', None, sub)
    assert next_.summary == 'graphql-transport-ws next id=1 {"messages": ["hi"]}'
    error = text('{"id":"1","type":"error","payload":[{"message":"boom"}]}', None, sub)
    assert (error.summary, field(error, "message")) == (
        'graphql-transport-ws error id=1 "boom"',
        "boom",
    )
    for kind in ("ping", "pong"):
        assert is_heartbeat(text(f'{{"type":"{kind}"}}', None, sub))
    assert not is_heartbeat(text('{"type":"connection_init"}', None, sub))
    assert text('{"id":"1","type":"complete"}', None, sub).summary == (
        "graphql-transport-ws complete id=1"
    )


def test_legacy_graphql_ws_messages() -> None:
    sub = "graphql-ws"  # the legacy protocol's subprotocol name, despite the library's name
    start = text(
        '{"id":"1","type":"start","payload":{"query":"subscription { greetings }",'
        '"variables":{},"operationName":null}}',
        None,
        sub,
    )
    assert start.summary == "graphql-ws start id=1 op=(anonymous subscription)"
    data = text('{"id":"1","type":"data","payload":{"data":{"greetings":"Hi"}}}', None, sub)
    assert (data.kind, data.summary) == ("graphql-ws", 'graphql-ws data id=1 {"greetings": "Hi"}')
    assert is_heartbeat(text('{"type":"ka"}', None, sub))
    assert text('{"id":"1","type":"stop"}', None, sub).summary == "graphql-ws stop id=1"


def test_graphql_protocols_told_apart() -> None:
    # The subprotocol wins; without it the message type tells, where it can.
    init = '{"type":"connection_init"}'
    assert text(init, None, "graphql-ws").kind == "graphql-ws"
    assert text(init, None, "graphql-transport-ws").kind == "graphql-transport-ws"
    assert text(init, "graphql-transport-ws").kind == "graphql-transport-ws"
    shared = text(init)
    assert shared.kind == "graphql-transport-ws" and "in both protocols" in notes(shared)[0]
    assert text('{"type":"ka"}').kind == "graphql-ws"
    assert text('{"id":"1","type":"subscribe","payload":{"query":"{ a }"}}').kind == (
        "graphql-transport-ws"
    )
    assert text('{"id":"1","type":"start","payload":{"query":"{ a }"}}').kind == "graphql-ws"
    # Generic types are GraphQL only when the session says so.
    assert text('{"type":"ping"}').kind == "json"
    assert text('{"type":"data","id":"1"}').kind == "json"


# --- STOMP 1.2 (the specification's frames) ----------------------------------------------

SPEC_ERROR_BODY = (
    "The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\nHello queue a!\n"
    "-----\nDid not contain a destination header, which is REQUIRED\nfor message propagation.\n"
)


@pytest.mark.parametrize(
    ("frame", "summary"),
    [
        (
            "CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\x00",
            "STOMP CONNECT accept-version=1.2 host=stomp.github.org",
        ),
        ("CONNECTED\nversion:1.2\n\n\x00", "STOMP CONNECTED version=1.2"),
        (
            "SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n\x00",
            "STOMP SEND destination=/queue/a hello queue a\\n",
        ),
        (
            "SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n\x00",
            "STOMP SUBSCRIBE destination=/queue/foo id=0 ack=client",
        ),
        (
            "MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\n"
            "content-type:text/plain\n\nhello queue a\x00",
            "STOMP MESSAGE destination=/queue/a subscription=0 message-id=007 hello queue a",
        ),
        ("RECEIPT\nreceipt-id:message-12345\n\n\x00", "STOMP RECEIPT receipt-id=message-12345"),
        (
            "ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\n"
            f"message:malformed frame received\n\n{SPEC_ERROR_BODY}\x00",
            "STOMP ERROR message=malformed frame received receipt-id=message-12345 The message:",
        ),
        ("DISCONNECT\nreceipt:77\n\n\x00", "STOMP DISCONNECT receipt=77"),
    ],
)
def test_stomp_spec_frames(frame: str, summary: str) -> None:
    for framework, subprotocol in (("stomp", None), (None, "v12.stomp"), (None, None)):
        decoded = text(frame, framework, subprotocol)
        assert decoded.kind == "stomp"
        assert decoded.summary.startswith(summary), decoded.summary


def test_stomp_body_content_length_and_json() -> None:
    error = text(
        "ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\n"
        f"message:malformed frame received\n\n{SPEC_ERROR_BODY}\x00",
        "stomp",
    )
    assert error.body.endswith(SPEC_ERROR_BODY)
    send = text('SEND\ndestination:/app/hello\ncontent-length:12\n\n{"name":"x"}\x00', "stomp")
    assert send.summary == 'STOMP SEND destination=/app/hello {"name": "x"}'
    assert '{\n  "name": "x"\n}' in send.body
    nul = decode_message(b"MESSAGE\ndestination:/t\ncontent-length:3\n\na\x00b\x00", TEXT, "stomp")
    assert "00000000  61 00 62" in nul.body  # a body with NUL in it, bounded by content-length


def test_stomp_heartbeats_escapes_and_secrets() -> None:
    for eol in ("\n", "\r\n"):
        beat = text(eol, "stomp")
        assert (beat.kind, beat.summary, is_heartbeat(beat)) == ("stomp", "STOMP heart-beat", True)
    assert text("\n").kind == "text"  # an EOL is a heart-beat only in a STOMP session
    escaped = text("MESSAGE\ndestination:/queue/a\\cb\nx:1\\n2\n\n\x00", "stomp")
    assert field(escaped, "destination") == "/queue/a:b"  # the fields unescape (1.2)
    assert "destination:/queue/a\\cb\nx:1\\n2\n" in escaped.body  # the body shows the wire
    connect = text("CONNECT\naccept-version:1.2\nlogin:me\npasscode:hunter2\n\n\x00", "stomp")
    assert "hunter2" not in connect.body and "passcode:(7 characters, hidden)" in connect.body


def test_stomp_frames_across_messages() -> None:
    two = text("MESSAGE\ndestination:foo\n\n\x00\nMESSAGE\ndestination:bar\n\nHi\x00", "stomp")
    assert two.summary == "STOMP MESSAGE destination=foo (+1 more frame)"
    assert field(two, "frames") == "2" and "destination:bar" in two.body
    start = text("MESSAGE\ndestination", "stomp")
    assert start.kind == "stomp" and "frame incomplete" in notes(start)[0]
    middle = text(":foo\nmessage-id:45", "stomp")
    assert middle.kind == "text" and notes(middle)[0].startswith("not stomp:")


# --- MQTT 3.1.1 and 5.0 (the OASIS specifications' layouts) ------------------------------


def _mqtt(first: int, body: bytes) -> str:
    """A control packet: fixed header byte, remaining length (variable byte integer), body."""
    size, length = len(body), bytearray()
    while True:
        size, digit = divmod(size, 128)
        length.append(digit | (0x80 if size else 0))
        if not size:
            return (bytes([first]) + bytes(length) + body).hex()


def _string(value: str) -> bytes:
    raw = value.encode()
    return len(raw).to_bytes(2, "big") + raw


def test_mqtt_311_connect() -> None:
    # 3.1.2.10 example: "MQTT", level 4, flags 0xCE (user name, password, will QoS 1, will,
    # clean session), keep alive 10; then the payload in its order.
    payload = _string("pushscope") + _string("w/t") + _string("bye") + _string("u")
    packet = _mqtt(0x10, _string("MQTT") + bytes([4, 0xCE, 0, 10]) + payload + _string("secret"))
    decoded = binary(packet, None)  # a CONNECT names its protocol: no hint needed
    assert decoded.kind == "mqtt"
    assert decoded.summary == "MQTT CONNECT client=pushscope v3.1.1 keepalive=10 clean"
    assert (field(decoded, "version"), field(decoded, "will topic")) == ("4", "w/t")
    assert "secret" not in decoded.body and "password: (6 B, hidden)" in decoded.body


def test_mqtt_5_connect_skips_properties() -> None:
    # 3.1.2.11 example: properties of length 5, Session Expiry Interval (17) = 10.
    properties = bytes([5, 0x11, 0, 0, 0, 10])
    packet = _mqtt(0x10, _string("MQTT") + bytes([5, 0x02, 0, 10]) + properties + _string("c"))
    decoded = binary(packet)
    assert decoded.summary == "MQTT CONNECT client=c v5.0 keepalive=10 clean"
    assert field(decoded, "version") == "5" and "property session expiry: 10" in decoded.body


def test_mqtt_publish() -> None:
    # 3.3.2.3 example: topic "a/b", packet identifier 10; QoS 1 in the fixed header.
    decoded = binary(_mqtt(0x32, _string("a/b") + bytes([0, 10]) + b'{"t":21.5}'))
    assert decoded.summary == 'MQTT PUBLISH topic=a/b qos=1 id=10 {"t": 21.5}'
    assert {name: field(decoded, name) for name in ("topic", "qos", "id")} == {
        "topic": "a/b",
        "qos": "1",
        "id": "10",
    }
    assert '"t": 21.5' in decoded.body
    big = binary(_mqtt(0x30, _string("a/b") + bytes(200)))  # two-byte remaining length
    assert big.summary == "MQTT PUBLISH topic=a/b qos=0 200 B 00000000000000000000000000000000..."
    unhinted = binary(_mqtt(0x30, _string("a/b") + b"x"), None)
    assert unhinted.kind == "binary"  # without a hint, only a CONNECT is taken for MQTT


def test_mqtt_5_publish_with_and_without_a_known_version() -> None:
    properties = bytes([3, 0x23, 0, 7])  # topic alias 7
    packet = _mqtt(0x30, _string("a/b") + properties + b"hi")
    for version in (5, None):  # the properties show MQTT 5 even without the CONNECT
        decoded = binary(packet, mqtt_version=version)
        assert decoded.summary == "MQTT PUBLISH topic=a/b qos=0 hi", version
        assert "property topic alias: 7" in decoded.body
    no_properties = _mqtt(0x30, _string("a/b") + bytes([0]) + b"hi")
    assert binary(no_properties, mqtt_version=5).summary == "MQTT PUBLISH topic=a/b qos=0 hi"
    assert binary(no_properties).summary == "MQTT PUBLISH topic=a/b qos=0 3 B 006869"


def test_mqtt_subscribe_acks_pings_disconnect() -> None:
    subscribe = binary(_mqtt(0x82, bytes([0, 1]) + _string("a/+") + bytes([1])))
    assert subscribe.summary == "MQTT SUBSCRIBE id=1 topics=a/+"
    assert field(subscribe, "topics") == "a/+ (qos 1)"
    assert binary("9003000101").summary == "MQTT SUBACK id=1 codes=1"
    assert binary("40020001").summary == "MQTT PUBACK id=1"
    for packet, kind in (("c000", "PINGREQ"), ("d000", "PINGRESP")):
        decoded = binary(packet)
        assert (decoded.summary, is_heartbeat(decoded)) == (f"MQTT {kind}", True)
    assert not is_heartbeat(binary("e000"))
    assert binary("e00100", mqtt_version=5).summary == "MQTT DISCONNECT"
    assert binary("e0018e", mqtt_version=5).summary == (
        "MQTT DISCONNECT reason=142 (session taken over)"
    )


def test_mqtt_packets_across_messages() -> None:
    two = binary("c000d000")
    assert two.summary == "MQTT PINGREQ (+1 more packet)" and not is_heartbeat(two)
    cut = binary(_mqtt(0x30, _string("a/b") + bytes(200))[:20])
    assert cut.summary == "MQTT PUBLISH (incomplete: 7 of 205 B)"
    assert binary("ff").kind == "binary" and notes(binary("ff"))[0].startswith("not mqtt:")
    assert notes(binary("10ffffffff01"))[0].endswith("more than 4 bytes)")


# --- JSON-RPC 2.0 (the specification's examples) -----------------------------------------


@pytest.mark.parametrize(
    ("message", "summary"),
    [
        (
            '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}',
            "json-rpc request method=subtract id=1",
        ),
        ('{"jsonrpc": "2.0", "result": 19, "id": 1}', "json-rpc response id=1 result=19"),
        (
            '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}',
            "json-rpc notification method=update",
        ),
        (
            '{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"},'
            ' "id": "1"}',
            'json-rpc error id=1 code=-32601 "Method not found"',
        ),
        (
            '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}',
            'json-rpc error code=-32700 "Parse error"',
        ),
        (
            '[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},'
            '{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]',
            "json-rpc batch of 2: request method=sum id=1, notification method=notify_hello",
        ),
    ],
)
def test_jsonrpc(message: str, summary: str) -> None:
    for framework in (None, "json-rpc"):
        decoded = text(message, framework)
        assert (decoded.kind, decoded.summary) == ("json-rpc", summary)
        assert not notes(decoded)


def test_not_jsonrpc() -> None:
    assert text("[]").kind == "json"
    assert text("[1, 2, 3]").kind == "json"
    assert text('{"error": "Unknown api key"}').kind == "json"  # no id: not a response
    assert text('{"method": "x"}').kind == "json"  # no jsonrpc member and no id


# --- fallbacks, control frames, SSE -------------------------------------------------------


def test_json_text_and_binary_fallbacks() -> None:
    tick = text('{"type": "tick", "seq": 1, "symbol": "PSC", "price": 99.73, "venue": "XNYS"}')
    assert tick.summary == 'json {"type": "tick", "seq": 1, "symbol": "PSC", "price": 99.73, ...}'
    assert (tick.kind, field(tick, "type")) == ("json", "tick")
    assert tick.body.startswith('{\n  "type": "tick",')
    assert text("hello").summary == "text hello"
    blob = decode_message(bytes(range(42)), BINARY)
    assert blob.summary == "binary 42 B 000102030405060708090a0b0c0d0e0f..."
    assert blob.body.splitlines()[0] == (
        "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|"
    )
    as_binary = decode_message(b'{"a": 1}', BINARY)
    assert as_binary.kind == "json" and "text sent in a binary message" in notes(as_binary)
    assert decode_message(b"", TEXT).summary == "text (empty)"
    assert decode_message(b"", BINARY).summary == "binary (empty)"


def test_control_frames() -> None:
    close = decode_message(b"\x03\xe8bye", Opcode.CLOSE)
    assert (close.kind, close.summary, field(close, "code")) == (
        "close",
        'close 1000 normal closure "bye"',
        "1000",
    )
    assert decode_message(b"", Opcode.CLOSE).summary == "close (no code)"
    ping = decode_message(b"hb", Opcode.PING)
    assert (ping.summary, is_heartbeat(ping)) == ("ping hb", True)
    assert is_heartbeat(decode_message(b"", Opcode.PONG))


def test_decode_sse() -> None:
    event = decode_sse(SseEvent("price", '{"symbol": "PSC", "price": 103}', "3"))
    assert event.summary == 'event=price id=3 {"symbol": "PSC", "price": 103}'
    assert event.body == 'event: price\nid: 3\n\n{\n  "symbol": "PSC",\n  "price": 103\n}'
    plain = decode_sse(SseEvent("", "[DONE]", ""))
    assert (plain.summary, plain.body) == ("event=message [DONE]", "event: message\n\n[DONE]")
    assert is_heartbeat(decode_sse(SseEvent("ping", "", "")))


def test_hexdump_is_bounded() -> None:
    dump = hexdump(bytes(range(256)) * 100, limit=32)
    assert dump.splitlines()[1].endswith("|................|")
    assert dump.splitlines()[-1] == "... 25568 more bytes (25600 B in all)"
    assert hexdump(b"") == "(empty)"


# --- untrusted input -----------------------------------------------------------------------


def test_network_text_is_escaped_not_interpreted() -> None:
    decoded = text('42["a\\u001b[31mred\\u202e","\\ud800"]', "socket.io")
    assert_safe(decoded)
    assert "\u202e" not in decoded.body and "\\u202e" in decoded.body
    raw = text("line one\x1b[2J\nline two\x00")
    assert_safe(raw)
    assert raw.summary == "text line one\\x1b[2J\\nline two\\x00"
    assert raw.body == "line one\\x1b[2J\nline two\\x00"
    invalid = decode_message(b"caf\xe9 \xff", TEXT)
    assert invalid.summary == "text caf\ufffd \ufffd" and notes(invalid)


def test_deep_json_and_giant_numbers_do_not_raise() -> None:
    for message in ("[" * 100_000, "[" * 900 + "]" * 900, '{"a": ' + "9" * 5000 + "}"):
        for framework in (None, "socket.io", "graphql-ws", "json-rpc", "stomp"):
            assert_safe(text(message, framework))
            assert_safe(text("42" + message, framework))
    assert "nested too deeply" in notes(text("[" * 100_000))[0]


def test_large_messages_are_bounded_and_quick() -> None:
    big = json.dumps([{"n": i, "text": "x" * 50} for i in range(60_000)]).encode()  # ~4 MB
    started = time.perf_counter()
    for payload, opcode, framework in (
        (big, TEXT, None),
        (big[:900_000] + b"]", TEXT, None),
        (b"42" + big, TEXT, "socket.io"),
        (b"SEND\ndestination:/a\n\n" + big + b"\x00", TEXT, "stomp"),
        (bytes.fromhex(_mqtt(0x30, _string("t") + big[:900_000])), BINARY, "mqtt"),
        (big, BINARY, None),
    ):
        assert_safe(decode_message(payload, opcode, framework))
    assert time.perf_counter() - started < 10
    cut = decode_message(big[:900_000] + b"]", TEXT)
    assert cut.body.endswith(f"[cut: longer than {MAX_BODY} characters]")


def test_a_decoder_bug_costs_only_that_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(message: object) -> Decoded:
        raise KeyError("bug")

    monkeypatch.setitem(decoders._BY_FRAMEWORK, "stomp", broken)
    decoded = decode_message(b"SEND\ndestination:/a\n\nhi\x00", TEXT, "stomp")
    assert (decoded.kind, notes(decoded)) == ("text", ["decoder failed: KeyError('bug')"])


FRAMEWORKS = st.sampled_from(
    [
        *("socket.io", "engine.io", "graphql-ws", "graphql-transport-ws", "stomp", "mqtt"),
        *("json-rpc", "signalr", "phoenix", "actioncable", "wamp"),
    ]
)
PREFIXES = st.sampled_from(
    [
        *(b"", b"4", b"42", b"451-", b"0{", b"b", b"6:", b"SEND\n", b"MESSAGE\ncontent-length:"),
        *(b"\x10", b"\x30", b"\x3d", b"\x82", b"\x90", b"\xe0", b"\x10\x0c\x00\x04MQTT\x05"),
        *(b'{"type":"', b'{"id":"1","type":"subscribe","payload":', b'{"jsonrpc":"2.0",', b"["),
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    prefix=PREFIXES,
    rest=st.binary(max_size=300)
    | st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    opcode=st.integers(0, 15),
    framework=st.none() | FRAMEWORKS | st.text(max_size=12),
    subprotocol=st.none()
    | st.sampled_from(["graphql-ws", "graphql-transport-ws", "v12.stomp", "mqtt", "chat.v1"])
    | st.text(max_size=12),
    mqtt_version=st.sampled_from([None, 3, 4, 5]),
)
def test_any_bytes_decode_safely(
    prefix: bytes,
    rest: bytes,
    opcode: int,
    framework: str | None,
    subprotocol: str | None,
    mqtt_version: int | None,
) -> None:
    decoded = decode_message(
        prefix + rest, opcode, framework, subprotocol, mqtt_version=mqtt_version
    )
    assert_safe(decoded)


@settings(max_examples=200, deadline=None)
@given(kind=st.text(max_size=20), data=st.text(max_size=300), ident=st.text(max_size=20))
def test_any_sse_event_decodes_safely(kind: str, data: str, ident: str) -> None:
    assert_safe(decode_sse(SseEvent(kind, data, ident)))


# --- the project's captures ---------------------------------------------------------------


def _events(name: str) -> Iterator[ModelEvent]:
    return read_capture(CAPTURES / name, 0).events


def test_socketio_polling_capture() -> None:
    frameworks, bodies = {}, {}
    for event in _events("socketio-polling.mitm"):
        if isinstance(event, ExchangeOpened):
            found = detect(event.exchange)
            frameworks[event.exchange.id] = found[0] if found else None
        elif isinstance(event, BodyChunk):
            bodies[event.exchange_id] = bodies.get(event.exchange_id, b"") + event.data
    assert set(frameworks.values()) == {"socket.io"}
    decoded = [decode_message(body, TEXT, frameworks[key]) for key, body in bodies.items()]
    summaries = [d.summary for d in decoded]
    assert summaries[0].startswith("engine.io open sid=") and "pingInterval=25000" in summaries[0]
    assert 'socket.io EVENT "news" ns=/ [{"n": 2}]' in summaries
    assert 'socket.io EVENT "news" ns=/ [{"n": 4}]' in summaries
    assert summaries.count("engine.io noop") == 4
    assert decoded[1].kind == "text" and notes(decoded[1])  # the POST's "ok": not a packet


def _ws_messages(name: str) -> tuple[str | None, list[tuple[WebSocketMessageSeen, Decoded]]]:
    subprotocol, seen = None, []
    for event in _events(name):
        if isinstance(event, ResponseStarted):
            subprotocol = header(event.response.headers, "sec-websocket-protocol")
        elif isinstance(event, WebSocketMessageSeen):
            seen.append(event)
    decoded = [(e, decode_message(e.payload, e.message.opcode, None, subprotocol)) for e in seen]
    return subprotocol, decoded


def test_websocket_chat_capture() -> None:
    subprotocol, messages = _ws_messages("websocket-chat.mitm")
    assert subprotocol == "chat.v1" and len(messages) == 9
    kinds = [decoded.kind for _, decoded in messages]
    assert kinds == ["json", "binary"] + ["json"] * 7
    types = [field(decoded, "type") for _, decoded in messages]
    assert types[0] == "system" and types.count("message") == 3
    png = messages[1][1]
    assert png.summary.startswith("binary 32 B 89504e47")
    assert png.body.splitlines()[0].endswith("  |.PNG............|")
    for _, decoded in messages:
        assert_safe(decoded)


def test_ws_rpc_capture() -> None:
    _, messages = _ws_messages("ws-rpc.mitm")
    assert len(messages) == 16
    for event, decoded in messages:
        assert decoded.kind == "json-rpc"
        call = json.loads(event.payload)
        if event.message.direction == "client":
            assert decoded.summary == f"json-rpc request method=add id={call['id']}"
        else:
            assert decoded.summary == f"json-rpc response id={call['id']} result={call['id'] + 1}"


def test_sse_capture_events() -> None:
    parser, events = SseParser(), []
    for event in _events("sse-eventsource.mitm"):
        if isinstance(event, BodyChunk):
            events += [item for item in parser.feed(event.data) if isinstance(item, SseEvent)]
    decoded = [decode_sse(event) for event in events]
    assert decoded[0].summary == "event=tick id=1 tick 1"
    price = next(d for d in decoded if d.summary.startswith("event=price id=3 "))
    assert price.summary == 'event=price id=3 {"symbol": "PSC", "price": 103, "ts": 3}'


# --- third-party vectors in ../shared/fixtures --------------------------------------------


def _vectors(name: str) -> Any:
    path = FIXTURES / "ws-frameworks" / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _params(name: str, pick: Any) -> list[Any]:
    vectors = _vectors(name)
    if vectors is None:
        reason = f"third-party fixtures not present at {FIXTURES} (they live beside the repo)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(case, id=str(i)) for i, case in enumerate(pick(vectors))]


@pytest.mark.parametrize(
    "case", _params("socketio_engineio_vectors.json", lambda v: v["engineio_v4"]["packets"])
)
def test_engineio_vectors(case: dict[str, Any]) -> None:
    decoded = text(case["ws"]["text"], "socket.io")
    expected = case["decoded"]
    if decoded.kind == "socket.io":  # "41€": taken as Socket.IO only if it parses as such
        assert expected["type"] == "message"
    elif expected["type"] == "open":
        assert field(decoded, "sid") == json.loads(expected["data"])["sid"]
    else:
        assert field(decoded, "type") == expected["type"]
        assert field(decoded, "data") == expected.get("data")


@pytest.mark.parametrize(
    "case", _params("socketio_engineio_vectors.json", lambda v: v["engineio_v4"]["binary"])
)
def test_engineio_binary_vectors(case: dict[str, Any]) -> None:
    if "ws" in case:
        decoded = decode_message(bytes.fromhex(case["ws"]["hex"]), BINARY, "socket.io")
    else:
        decoded = text(case["text"], "socket.io")
    assert (
        decoded.summary == f"engine.io binary message 3 B {case['decoded']['data']['$binary_hex']}"
    )


@pytest.mark.parametrize(
    "case", _params("socketio_engineio_vectors.json", lambda v: v["engineio_v4"]["payloads"])
)
def test_engineio_payload_vectors(case: dict[str, Any]) -> None:
    decoded = text(case["body"], "socket.io")
    assert field(decoded, "packets") == str(len(case["decoded"]))


@pytest.mark.parametrize(
    "case", _params("socketio_engineio_vectors.json", lambda v: v["engineio_v4"]["malformed"])
)
def test_engineio_malformed_vectors(case: dict[str, Any]) -> None:
    decoded = text(case.get("text", case.get("payload", "")), "socket.io")
    assert decoded.kind not in ("engine.io", "socket.io")
    assert_safe(decoded)


@pytest.mark.parametrize(
    "case", _params("socketio_engineio_vectors.json", lambda v: v["socketio_v5"]["packets"])
)
def test_socketio_vectors(case: dict[str, Any]) -> None:
    first, *attachments = case["ws_messages"]
    decoded = text(first["text"], "socket.io")
    expected = case["decoded"]
    assert decoded.kind == "socket.io"
    assert (
        field(decoded, "type")
        == [
            "CONNECT",
            "DISCONNECT",
            "EVENT",
            "ACK",
            "CONNECT_ERROR",
            "BINARY_EVENT",
            "BINARY_ACK",
        ][case["wire_packet_type"]]
    )
    assert field(decoded, "namespace") == expected["nsp"]
    ack = field(decoded, "id") or field(decoded, "ack")
    assert ack == (str(expected["id"]) if "id" in expected else None)
    if attachments:
        assert field(decoded, "attachments") == str(len(attachments))
    if expected["type"] == 2:
        assert field(decoded, "event") == str(expected["data"][0])
    for attachment in attachments:
        part = decode_message(bytes.fromhex(attachment["hex"]), BINARY, "socket.io")
        assert part.summary.startswith("engine.io binary message")


@pytest.mark.parametrize(
    "case", _params("socketio_engineio_vectors.json", lambda v: v["socketio_v5"]["invalid"])
)
def test_socketio_invalid_vectors(case: dict[str, Any]) -> None:
    decoded = text("4" + case["socketio_encoded"], "socket.io")
    assert decoded.kind == "engine.io" and notes(decoded)[0].startswith("not a Socket.IO packet")


@pytest.mark.parametrize("case", _params("graphql_ws_vectors.json", lambda v: v["valid"]))
def test_graphql_transport_ws_vectors(case: dict[str, Any]) -> None:
    expected = case["expected"]
    distinct = expected["type"] in ("connection_init", "connection_ack", "subscribe", "next")
    for subprotocol in ("graphql-transport-ws", None) if distinct else ("graphql-transport-ws",):
        decoded = text(case["text"], None, subprotocol)
        assert decoded.kind == "graphql-transport-ws"
        assert field(decoded, "type") == expected["type"]
        assert field(decoded, "id") == expected.get("id")
        assert is_heartbeat(decoded) == (expected["type"] in ("ping", "pong"))
        if subprotocol:
            assert not notes(decoded)


@pytest.mark.parametrize("case", _params("graphql_ws_vectors.json", lambda v: v["invalid"]))
def test_graphql_transport_ws_invalid_vectors(case: dict[str, Any]) -> None:
    decoded = text(case["text"], None, "graphql-transport-ws")
    assert_safe(decoded)
    if decoded.kind == "graphql-transport-ws":
        assert any(note.startswith("invalid:") for note in notes(decoded)), decoded
    else:
        assert notes(decoded)[0].startswith("not graphql-transport-ws")


@pytest.mark.parametrize(
    "case",
    _params(
        "graphql_ws_vectors.json", lambda v: v["legacy_subscriptions_transport_ws"]["messages"]
    ),
)
def test_legacy_graphql_ws_vectors(case: dict[str, Any]) -> None:
    expected = case["expected"]
    decoded = text(case["text"], None, "graphql-ws")
    assert (decoded.kind, field(decoded, "type")) == ("graphql-ws", expected["type"])
    assert field(decoded, "id") == expected.get("id") and not notes(decoded)
    if expected["type"] in ("ka", "start", "connection_error", "connection_terminate"):
        assert text(case["text"]).kind == "graphql-ws"  # these types tell it without a hint


def _chunk(chunk: dict[str, str]) -> bytes:
    return bytes.fromhex(chunk["hex"]) if "hex" in chunk else chunk["text"].encode()


@pytest.mark.parametrize("case", _params("stomp_frame_vectors.json", lambda v: v["incoming"]))
def test_stomp_incoming_vectors(case: dict[str, Any]) -> None:
    whole = b"".join(_chunk(chunk) for chunk in case["chunks"])
    frames = case["frames"]
    decoded = decode_message(whole, TEXT, None, "v12.stomp")
    assert decoded.kind == "stomp"
    assert field(decoded, "type") == frames[0]["command"]
    assert field(decoded, "frames") == (str(len(frames)) if len(frames) > 1 else None)
    for frame in frames:
        for name, value in frame["raw_headers"]:
            assert f"{name}:{value}" in decoded.body  # as on the wire
        body = bytes.fromhex(frame["body"]["hex"])
        if body and body.isascii() and body.isalnum():
            assert body.decode() in decoded.body
    for name, value in frames[0]["headers_stomp12"].items():
        assert field(decoded, name) in (value, None)  # the headers the fields show, unescaped
    beats = sum(decode_message(_chunk(c), TEXT, "stomp").heartbeat for c in case["chunks"])
    assert beats == sum(1 for c in case["chunks"] if not _chunk(c).strip(b"\r\n"))


@pytest.mark.parametrize("case", _params("stomp_frame_vectors.json", lambda v: v["outgoing"]))
def test_stomp_outgoing_vectors(case: dict[str, Any]) -> None:
    decoded = text(case["text"], "stomp")
    assert field(decoded, "type") == case["command"]
    for name in ("destination", "id", "receipt"):
        if name in case["headers"]:
            assert field(decoded, name) in (case["headers"][name], None)


def _mqtt_cases(kinds: tuple[str, ...]) -> Any:
    return lambda v: [case for case in v["vectors"] if case["kind"] in kinds]


@pytest.mark.parametrize(
    "case", _params("mqtt_packet_vectors.json", _mqtt_cases(("parse_generate", "parse_only")))
)
def test_mqtt_vectors(case: dict[str, Any]) -> None:
    expected = case["expected"]
    decoded = binary(case["wire_hex"], mqtt_version=case["protocol_version"])
    assert decoded.kind == "mqtt", decoded
    assert field(decoded, "type") == expected["cmd"].upper()
    if expected["cmd"] == "publish":
        assert field(decoded, "topic") == expected["topic"]
        assert field(decoded, "qos") == str(expected["qos"])
    if "messageId" in expected and expected["cmd"] != "connect":
        assert field(decoded, "id") == str(expected["messageId"])
    if expected["cmd"] == "connect":
        assert field(decoded, "client") == expected["clientId"]
        assert field(decoded, "version") == str(expected["protocolVersion"])
    if expected["cmd"] in ("pingreq", "pingresp"):
        assert is_heartbeat(decoded)
    # Without the session's version the packet type is always right, and so are the fields
    # of 3.1.1 packets; an MQTT 5 packet without properties may be read as 3.1.1.
    unhinted = binary(case["wire_hex"])
    assert field(unhinted, "type") == field(decoded, "type")
    if case["protocol_version"] == 4 or "properties" in expected:
        assert unhinted.fields == decoded.fields, case["name"]


@pytest.mark.parametrize("case", _params("mqtt_packet_vectors.json", _mqtt_cases(("parse_error",))))
def test_mqtt_error_vectors(case: dict[str, Any]) -> None:
    decoded = binary(case["wire_hex"], mqtt_version=case["protocol_version"])
    assert_safe(decoded)
    # Each packet mqtt-packet rejects is either not taken for MQTT or shown with a note.
    assert decoded.kind != "mqtt" or notes(decoded), case["name"]


def test_rfc8441_graphql_transport_ws_fixture() -> None:
    path = fixture_path("generated", "rfc8441_websocket_over_h2c.expected.json")
    expected = json.loads(path.read_text(encoding="utf-8"))
    summaries = []
    for message in expected["ws_messages"]:
        frame = bytes.fromhex(message["ws_frame_hex"])
        opcode, masked, size = frame[0] & 0x0F, frame[1] & 0x80, frame[1] & 0x7F
        key, data = (
            (frame[2:6], frame[6 : 6 + size]) if masked else (b"\0" * 4, frame[2 : 2 + size])
        )
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(data))
        summaries.append(decode_message(payload, opcode, None, "graphql-transport-ws").summary)
    assert summaries == [
        "graphql-transport-ws connection_init",
        "graphql-transport-ws connection_ack",
        "graphql-transport-ws subscribe id=1 op=(anonymous subscription)",
        'graphql-transport-ws next id=1 {"greetings": "Hi"}',
        'graphql-transport-ws next id=1 {"greetings": "Bonjour"}',
        "graphql-transport-ws complete id=1",
        "ping hb",
        'close 1000 normal closure "bye"',
        'close 1000 normal closure "bye"',
    ]


def test_mswjs_socketio_polling_har() -> None:
    har = json.loads(fixture_path("mswjs", "assets-historical", "ws-polling.har").read_text())
    seen = []
    for entry in har["log"]["entries"]:
        for body in (
            entry["request"].get("postData", {}).get("text"),
            entry["response"]["content"].get("text"),
        ):
            if body and body != "ok":
                seen.append(text(body, "socket.io").summary)
    assert seen == [
        "engine.io open sid=E04Zc2z7PVxNsugBAAAA upgrades=websocket pingInterval=25000 "
        "pingTimeout=20000",
        "socket.io CONNECT ns=/",
        'socket.io CONNECT ns=/ {"sid": "6xJd5YyNb6HAfuwIAAAB"}',
        'socket.io EVENT "message" ns=/ ["hello"]',
    ]


# --- MessagePack -------------------------------------------------------------------------


def _msgpack_tick() -> bytes:
    """{"type": "tick", "n": 5, "data": [1, 2.5, None, True], "raw": b"\\x00\\x01"}, as the
    spec encodes it."""
    import struct

    return (
        b"\x84\xa4type\xa4tick\xa1n\x05\xa4data\x94\x01\xcb"
        + struct.pack(">d", 2.5)
        + b"\xc0\xc3\xa3raw\xc4\x02\x00\x01"
    )


def test_messagepack_map_is_shown_as_json() -> None:
    decoded = decode_message(_msgpack_tick(), 2)
    assert decoded.kind == "msgpack"
    assert decoded.summary.startswith('msgpack {"type": "tick", "n": 5')
    assert '"data": [\n    1,\n    2.5,\n    null,\n    true\n  ]' in decoded.body
    assert '"raw": "<2 bytes: 0001>"' in decoded.body
    assert decoded.fields[0] == ("type", "tick") and ("format", "msgpack") in decoded.fields


@pytest.mark.parametrize(
    "payload",
    [
        _msgpack_tick()[:-1],  # cut short
        _msgpack_tick() + b"\x00",  # a byte after the value
        b"\xdd\xff\xff\xff\xff\x01",  # an array of 4 billion items in one byte
        b"\x91" * 100 + b"\x01",  # nested deeper than MAX_DEPTH
        b"\x81\xc1\x01",  # 0xc1 is no value
        b"\x05\x06",  # not a map or an array
    ],
)
def test_anything_else_is_binary_not_msgpack(payload: bytes) -> None:
    assert decode_message(payload, 2).kind == "binary"
