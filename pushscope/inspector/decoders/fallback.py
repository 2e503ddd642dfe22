"""JSON, MessagePack, text or a hex dump: what any message is when no framework claims it."""

from __future__ import annotations

from typing import Any, Final

from pushscope.inspector.decoders.msgpack import looks_like_msgpack, parse_msgpack
from pushscope.inspector.decoders.render import (
    bytes_preview,
    hexdump,
    is_scalar,
    is_textual,
    json_preview,
    parse_json,
    pretty_json,
    scalar,
)
from pushscope.inspector.decoders.result import (
    MAX_PARSE,
    MAX_SUMMARY,
    Decoded,
    Malformed,
    Message,
    safe_decoded,
)
from pushscope.inspector.model import Opcode


def decode_fallback(message: Message, *notes: str) -> Decoded:
    """JSON, MessagePack, text or a hex dump: what any message is when no framework claims
    it."""
    data, notes_ = message.payload, list(notes)
    if not data:
        kind = "text" if message.opcode == Opcode.TEXT else "binary"
        return safe_decoded(kind, f"{kind} (empty)", "(empty)", [("type", kind)], notes=notes_)
    if message.opcode != Opcode.TEXT and not (message.utf8 and is_textual(message.text)):
        if looks_like_msgpack(data):
            try:
                value = parse_msgpack(data)
            except Malformed:
                pass
            else:
                fields = [*_json_fields(value), ("format", "msgpack")]
                summary = f"msgpack {json_preview(value)}"
                return safe_decoded("msgpack", summary, pretty_json(value), fields, notes=notes_)
        return _binary(data, notes_)
    if not message.utf8:
        notes_.append("invalid UTF-8 replaced with U+FFFD")
    elif message.opcode != Opcode.TEXT:
        notes_.append("text sent in a binary message")
    looks_json = message.text.lstrip()[:1] in ("{", "[")
    if message.cut:
        notes_.append(f"{len(data)} B: too large to parse, the first {MAX_PARSE} B shown as text")
    try:
        value = parse_json(message.text) if looks_json and not message.cut else None
    except Malformed as error:
        value = None
        notes_.append(f"not shown as JSON: {error}")
    if isinstance(value, dict | list):
        return safe_decoded(
            "json",
            f"json {json_preview(value)}",
            pretty_json(value),
            _json_fields(value),
            notes=notes_,
        )
    text = message.text
    return safe_decoded(
        "text", f"text {text[:MAX_SUMMARY]}", text, [("type", "text")], notes=notes_
    )


def _json_fields(value: dict[str, Any] | list[Any]) -> list[tuple[str, str]]:
    """The message's own `type` member as its type (else object or array), then the other
    members of `_JSON_KEYS` that hold a scalar."""
    if isinstance(value, list):
        return [("type", "array"), ("items", str(len(value)))]
    own = value.get("type")
    fields = [("type", scalar(own) if is_scalar(own) else "object")]
    fields += [(key, scalar(value[key])) for key in _JSON_KEYS[1:] if is_scalar(value.get(key))]
    return fields


_JSON_KEYS: Final = ("type", "event", "op", "action", "channel", "method", "id")
"""Top-level members of a JSON message worth a field, when they hold a scalar."""


def _binary(data: bytes, notes: list[str]) -> Decoded:
    return safe_decoded(
        "binary",
        f"binary {bytes_preview(data)}" if data else "binary (empty)",
        hexdump(data),
        [("type", "binary"), ("size", f"{len(data)} B")],
        notes=notes,
    )
