"""Engine.IO (protocol v3 and v4) and Socket.IO (v4 and v5) packets.

https://github.com/socketio/engine.io-protocol, https://github.com/socketio/socket.io-protocol
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

from pushscope.inspector.decoders.render import (
    bytes_preview,
    compact_json,
    hexdump,
    is_scalar,
    json_preview,
    parse_json,
    pretty_json,
    quoted,
    scalar,
    show_text,
)
from pushscope.inspector.decoders.result import (
    MAX_PARTS,
    PREVIEW,
    Decoded,
    Malformed,
    Message,
    safe_decoded,
)

_EIO_TYPES: Final = ("open", "close", "ping", "pong", "message", "upgrade", "noop")
_SIO_TYPES: Final = (
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
)
_RESERVED_EVENTS: Final = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
"""Event names socket.io-parser refuses: they are the library's own."""
_EIO3_PAYLOAD = re.compile(r"[0-9]{1,10}:")


def decode_engineio(message: Message) -> Decoded:
    """An Engine.IO packet, polling payload or binary message; a message packet read as
    Socket.IO when it parses as one."""
    if message.binary:
        return _eio_binary(message.payload, [])
    text = message.text
    if "\x1e" in text:  # v4 polling payload: packets joined by U+001E
        packets = text.split("\x1e", MAX_PARTS)
        return _eio_payload(packets[:MAX_PARTS], "v4", len(packets) > MAX_PARTS)
    if _EIO3_PAYLOAD.match(text):  # maybe a v3 polling payload: <length>:<packet>...
        found = _eio3_packets(text)
        if found is not None:
            return _eio_payload(*found)
    return _eio_packet(text, message.cut)


def _eio3_packets(text: str) -> tuple[list[str], str, bool] | None:
    """The first MAX_PARTS packets of a v3 payload and whether more follow, or None when
    `text` is not one. A length counts UTF-16 code units, as JavaScript's String does."""
    packets: list[str] = []
    at = 0
    while at < len(text):
        if len(packets) == MAX_PARTS:
            return packets, "v3", True
        colon = text.find(":", at, at + 11)
        if colon <= at or not (text[at:colon].isascii() and text[at:colon].isdigit()):
            return None
        want, end, units = int(text[at:colon]), colon + 1, 0
        while units < want and end < len(text):
            units += 2 if ord(text[end]) > 0xFFFF else 1
            end += 1
        if units != want:
            return None
        packets.append(text[colon + 1 : end])
        at = end
    return packets, "v3", False


def _eio_payload(packets: list[str], version: str, more: bool) -> Decoded:
    """A polling payload: its packets (`more`: and others past MAX_PARTS, not decoded)."""
    decoded = [_eio_packet(packet, False) for packet in packets]
    count = f"{len(packets)}{'+' if more else ''}"
    summary = f"engine.io {version} payload of {count} packets: " + " | ".join(
        d.summary.removeprefix("engine.io ") for d in decoded[:4]
    )
    sections = [f"packet {i}: {d.summary}\n{d.body}" for i, d in enumerate(decoded, 1)]
    if more:
        sections.append(f"... more packets, not decoded (only the first {MAX_PARTS} are)")
    return safe_decoded(
        "engine.io",
        summary,
        f"Engine.IO {version} polling payload, {count} packets\n\n" + "\n\n".join(sections),
        [("type", "payload"), ("packets", count)],
    )


def _eio_packet(text: str, cut: bool) -> Decoded:
    """One Engine.IO packet: a type digit, then its data."""
    if not text:
        raise Malformed("empty Engine.IO packet")
    if text[0] == "b":
        return _eio_base64(text[1:])
    if text[0] not in "0123456":
        raise Malformed(f"unknown Engine.IO packet type {text[0]!r}")
    kind, data = _EIO_TYPES[int(text[0])], text[1:]
    fields = [("type", kind)]
    if kind == "message":
        try:
            return _socketio(data, cut)
        except Malformed as error:
            preview, rendering = show_text(data)
            fields.append(("data", data))
            return safe_decoded(
                "engine.io",
                f"engine.io message {preview}",
                f"Engine.IO message (4)\n\n{rendering}",
                fields,
                notes=[f"not a Socket.IO packet: {error}"],
            )
    if kind == "open":
        try:
            handshake = parse_json(data)
        except Malformed as error:
            return safe_decoded("engine.io", "engine.io open", data, fields, notes=[str(error)])
        facts = (
            [(key, scalar(handshake[key])) for key in _EIO_OPEN_KEYS if key in handshake]
            if isinstance(handshake, dict)
            else []
        )
        if isinstance(handshake, dict) and isinstance(handshake.get("upgrades"), list):
            facts.insert(1, ("upgrades", ",".join(map(str, handshake["upgrades"])) or "none"))
        summary = "engine.io open " + " ".join(f"{k}={v}" for k, v in facts)
        return safe_decoded(
            "engine.io",
            summary,
            f"Engine.IO open (0): the handshake\n\n{pretty_json(handshake)}",
            fields + facts,
        )
    probe = kind in ("ping", "pong") and data == "probe"
    body = f"Engine.IO {kind} ({text[0]})"
    if kind in ("ping", "pong"):
        body += (
            "\nwith data 'probe': the transport upgrade test (polling -> WebSocket)"
            if probe
            else "\nheartbeat: in v4 the server pings and the client answers; in v3 the reverse"
        )
    if data and not probe:
        body += f"\ndata: {data}"
    if data:
        fields.append(("data", data))
    summary = f"engine.io {kind}" + (f" {data[:PREVIEW]}" if data else "")
    return safe_decoded(
        "engine.io", summary, body, fields, heartbeat=kind in ("ping", "pong") and not probe
    )


_EIO_OPEN_KEYS: Final = ("sid", "pingInterval", "pingTimeout", "maxPayload")


def _eio_base64(encoded: str) -> Decoded:
    """`b<base64>`: a binary message sent as text (polling, or no binary support); v3 puts
    the packet type between: `b4<base64>`."""
    candidates = [("v4", encoded)] + ([("v3", encoded[1:])] if encoded[:1].isdigit() else [])
    for version, data in candidates:
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            continue
        return _eio_binary(raw, [f"sent as base64 text (Engine.IO {version} 'b' packet)"])
    raise Malformed("'b' packet whose data is not base64")


def _eio_binary(data: bytes, notes: list[str]) -> Decoded:
    return safe_decoded(
        "engine.io",
        f"engine.io binary message {bytes_preview(data)}",
        "Engine.IO binary message. After a Socket.IO BINARY_EVENT or BINARY_ACK, binary messages"
        " are its attachments, in order (Engine.IO v3 puts a type byte 0x04 first).\n\n"
        + hexdump(data),
        [("type", "binary"), ("size", f"{len(data)} B")],
        notes=notes,
    )


def _socketio(text: str, cut: bool) -> Decoded:
    """A Socket.IO packet: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]`."""
    if not text or text[0] not in "0123456":
        raise Malformed(f"unknown packet type {text[:1]!r}" if text else "empty")
    kind, at = _SIO_TYPES[int(text[0])], 1
    attachments: int | None = None
    if kind.startswith("BINARY_"):
        dash = text.find("-", at, at + 11)
        count = text[at:dash] if dash > 0 else ""
        if not (count.isascii() and count.isdigit()):
            raise Malformed("illegal attachments count")
        attachments, at = int(count), dash + 1
    namespace = "/"
    if text.startswith("/", at):
        comma = text.find(",", at)
        end = len(text) if comma < 0 else comma
        namespace, at = text[at:end], min(len(text), end + 1)
    digits = at
    while digits < len(text) and digits - at < 16 and "0" <= text[digits] <= "9":
        digits += 1
    ack = int(text[at:digits]) if digits > at else None
    raw = text[digits:]
    if cut:
        raise Malformed("too large to parse")
    data: Any = parse_json(raw) if raw else None
    _check_socketio(kind, data, raw != "")
    fields = [("type", kind), ("namespace", namespace)]
    summary = f"socket.io {kind}"
    rest = data
    if kind in ("EVENT", "BINARY_EVENT"):
        event, rest = data[0], data[1:]
        fields.append(("event", scalar(event)))
        summary += f" {quoted(event)}"
    summary += f" ns={namespace}"
    if ack is not None:
        label = "id" if kind.endswith("ACK") else "ack"
        fields.append((label, str(ack)))
        summary += f" {label}={ack}"
    if attachments is not None:
        fields.append(("attachments", str(attachments)))
        summary += f" attachments={attachments}"
    if kind == "CONNECT" and isinstance(data, dict) and is_scalar(data.get("sid")):
        fields.append(("sid", scalar(data["sid"])))
    if kind == "CONNECT_ERROR":
        reason = data.get("message") if isinstance(data, dict) else data
        fields.append(("message", scalar(reason) if is_scalar(reason) else compact_json(reason)))
    if rest not in (None, []):
        summary += " " + json_preview(rest, PREVIEW if kind != "CONNECT_ERROR" else 120)
    lines = [f"Engine.IO message (4) carrying Socket.IO {kind} ({text[0]})"]
    lines += [f"namespace: {namespace}"]
    if ack is not None:
        lines.append(
            f"ack id: {ack}" + ("" if kind.endswith("ACK") else " (the sender waits for an ACK)")
        )
    if attachments is not None:
        lines.append(
            f"attachments: {attachments}, sent next as binary messages; each "
            '{"_placeholder": true, "num": N} marks where attachment N goes'
        )
    if raw:
        lines += ["", pretty_json(data)]
    return safe_decoded("socket.io", summary, "\n".join(lines), fields)


def _check_socketio(kind: str, data: Any, present: bool) -> None:
    """What socket.io-parser accepts as each packet type's data."""
    if kind == "CONNECT":
        ok = not present or isinstance(data, dict)
    elif kind == "DISCONNECT":
        ok = not present
    elif kind == "CONNECT_ERROR":
        ok = isinstance(data, str | dict)
    elif kind in ("EVENT", "BINARY_EVENT"):
        ok = (
            isinstance(data, list)
            and bool(data)
            and (
                (is_scalar(data[0]) and not isinstance(data[0], str))
                or (isinstance(data[0], str) and data[0] not in _RESERVED_EVENTS)
            )
        )
    else:  # ACK, BINARY_ACK
        ok = isinstance(data, list)
    if not ok:
        raise Malformed(f"invalid payload for {kind}")


def sniff_socketio(message: Message) -> bool:
    """Unmistakable without a hint: a handshake `0{"sid":...`, or `4` + a Socket.IO packet
    with JSON data (`42["event",...]`)."""
    text = message.text
    if message.binary or len(text) < 3:
        return False
    if text.startswith('0{"sid"'):
        return True
    return text[0] == "4" and text[1] in "0123456" and ("[" in text[:40] or "{" in text[:40])


def decode_socketio_sniffed(message: Message) -> Decoded:
    """What `sniff_socketio` let through, if it parses: no Engine.IO fallback here."""
    if message.text[0] == "0":
        decoded = _eio_packet(message.text, message.cut)
        if any(name == "note" for name, _ in decoded.fields):
            raise Malformed("not an Engine.IO handshake")
        return decoded
    return _socketio(message.text[1:], message.cut)
