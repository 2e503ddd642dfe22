"""Messages as their framework means them: Socket.IO and Engine.IO, graphql-ws and
graphql-transport-ws, STOMP, MQTT and JSON-RPC, else JSON, text or a hex dump.

Pure functions of one message, kept UI-free for both the mitmproxy content view and the
viewer's detail screen. Input is untrusted: no bytes make `decode_message` raise (a packet
that does not parse falls back to the next decoder, with a note), work and output are
bounded, and every string returned is valid UTF-8 plain text with control characters
written as escapes, never markup. MessagePack is not decoded (the `msgpack` package is not
a dependency): such messages show as a hex dump.

This module holds the public API and the order decoders are tried in; its modules:

- `result`: `Decoded` and the bounds on it, the `Message` a decoder reads, output safety
- `render`: JSON, text and bytes rendering, `hexdump`
- `control`: WebSocket close, ping and pong
- `socketio`: Engine.IO and Socket.IO
- `graphql`: graphql-ws and graphql-transport-ws
- `stomp`, `mqtt`, `jsonrpc`: one protocol each
- `fallback`: JSON, text or a hex dump, when no framework claims a message
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from pushscope.inspector.decoders.control import decode_close, decode_ping_pong
from pushscope.inspector.decoders.fallback import decode_fallback
from pushscope.inspector.decoders.graphql import decode_graphql, sniff_graphql
from pushscope.inspector.decoders.jsonrpc import decode_jsonrpc, sniff_jsonrpc
from pushscope.inspector.decoders.mqtt import decode_mqtt, sniff_mqtt
from pushscope.inspector.decoders.render import hexdump, show_text
from pushscope.inspector.decoders.result import (
    HEX_BYTES,
    MAX_BODY,
    MAX_FIELD,
    MAX_PARSE,
    MAX_PARTS,
    MAX_SUMMARY,
    Decoded,
    Fields,
    Malformed,
    Message,
    safe_decoded,
)
from pushscope.inspector.decoders.socketio import (
    decode_engineio,
    decode_socketio_sniffed,
    sniff_socketio,
)
from pushscope.inspector.decoders.stomp import decode_stomp, sniff_stomp
from pushscope.inspector.model import Opcode, SseComment, SseEvent

__all__ = [
    "HEX_BYTES",
    "MAX_BODY",
    "MAX_FIELD",
    "MAX_PARSE",
    "MAX_PARTS",
    "MAX_SUMMARY",
    "Decoded",
    "Fields",
    "decode_message",
    "decode_sse",
    "decode_sse_comment",
    "hexdump",
    "is_heartbeat",
]


def decode_message(
    payload: bytes,
    opcode: int,
    framework: str | None = None,
    subprotocol: str | None = None,
    *,
    mqtt_version: int | None = None,
) -> Decoded:
    """Decode one whole WebSocket message (or control frame) of a session.

    `framework` is what `frameworks.detect` found and `subprotocol` the negotiated
    Sec-WebSocket-Protocol; the subprotocol wins where both name one. Without either, only
    unmistakable formats are recognised. `mqtt_version` (4 for 3.1.1, 5) is the level the
    session's CONNECT gave (its `fields` hold it); without it, each MQTT packet is read as
    3.1.1 unless it shows MQTT 5 properties.
    """
    try:
        return _decode(Message.of(payload, opcode, framework, subprotocol, mqtt_version))
    except Exception as error:  # a decoder bug must cost one message its decoding, not a view
        note = f"decoder failed: {error!r}"
    try:
        return decode_fallback(Message.of(payload, opcode, None, None, None), note)
    except Exception:
        return safe_decoded("binary", f"binary {len(payload)} B", note, [("note", note)])


def decode_sse(event: SseEvent) -> Decoded:
    """An SSE event: `event=<type> id=<id> <data>`, the data pretty-printed when JSON."""
    try:
        name = event.type or "message"
        preview, rendering = show_text(event.data)
        head = f"event={name}" + (f" id={event.id}" if event.id else "")
        fields = [("type", name)]
        if event.id:
            fields.append(("id", event.id))
        lines = [f"event: {name}"] + ([f"id: {event.id}"] if event.id else [])
        return safe_decoded(
            "sse",
            f"{head} {preview}",
            "\n".join(lines) + "\n\n" + rendering,
            fields,
            heartbeat=name.lower() in _SSE_HEARTBEATS,
        )
    except Exception as error:  # as in decode_message
        return safe_decoded("sse", "event (not decoded)", f"decoder failed: {error!r}")


def decode_sse_comment(comment: SseComment) -> Decoded:
    """An SSE comment line (`: ping`): the usual SSE heartbeat, whatever its text."""
    return safe_decoded("sse", f":{comment.text}", f":{comment.text}", heartbeat=True)


_SSE_HEARTBEATS: Final = frozenset({"ping", "heartbeat", "keepalive", "keep-alive"})


def is_heartbeat(decoded: Decoded) -> bool:
    """Is this a keep-alive: a WebSocket ping or pong, an Engine.IO ping/pong (not the upgrade
    probe), graphql-ws ka, graphql-transport-ws ping/pong, a STOMP heart-beat EOL, an MQTT
    PINGREQ/PINGRESP, an SSE event named ping/heartbeat/keepalive?"""
    return decoded.heartbeat


# --- the order decoders are tried in ----------------------------------------------------


def _decode(message: Message) -> Decoded:
    if message.opcode == Opcode.CLOSE:
        return decode_close(message.payload)
    if message.opcode in (Opcode.PING, Opcode.PONG):
        return decode_ping_pong(
            message.payload, "ping" if message.opcode == Opcode.PING else "pong"
        )
    notes: list[str] = []
    named = _BY_FRAMEWORK.get(message.framework or "")
    if named is not None:
        try:
            return named(message)
        except Malformed as error:
            notes.append(f"not {message.framework}: {error}")
    for sniff, decoder in _SNIFFERS:
        if decoder is not named and sniff(message):
            try:
                return decoder(message)
            except Malformed:
                pass
    return decode_fallback(message, *notes)


# --- which decoder reads which framework ------------------------------------------------

_Decoder = Callable[[Message], Decoded]

_BY_FRAMEWORK: Final[dict[str, _Decoder]] = {
    "socket.io": decode_engineio,
    "engine.io": decode_engineio,
    "graphql-ws": decode_graphql,
    "graphql-transport-ws": decode_graphql,
    "stomp": decode_stomp,
    "mqtt": decode_mqtt,
    "json-rpc": decode_jsonrpc,
}
_SNIFFERS: Final[tuple[tuple[Callable[[Message], bool], _Decoder], ...]] = (
    (sniff_socketio, decode_socketio_sniffed),
    (sniff_stomp, decode_stomp),
    (sniff_mqtt, decode_mqtt),
    (sniff_graphql, decode_graphql),
    (sniff_jsonrpc, decode_jsonrpc),
)
"""Checks cheap enough for every message, each with the decoder it lets try."""
