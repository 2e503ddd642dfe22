"""JSON, text and bytes rendered for a summary or a body, in bounded work: JSON parsed,
pretty-printed, compacted or previewed; text and bytes previewed; hex dumps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

from pushscope.inspector.decoders.result import HEX_BYTES, MAX_BODY, MAX_PARSE, PREVIEW, Malformed


def hexdump(data: bytes, limit: int = HEX_BYTES) -> str:
    """Offset, hex and ASCII columns, 16 bytes a line, for the first `limit` bytes."""
    if not data:
        return "(empty)"
    shown = data[: max(0, limit)]
    lines = []
    for offset in range(0, len(shown), 16):
        chunk = shown[offset : offset + 16]
        hex_ = f"{chunk[:8].hex(' ')}  {chunk[8:].hex(' ')}".rstrip()
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hex_:<48}  |{ascii_}|")
    if len(data) > len(shown):
        lines.append(f"... {len(data) - len(shown)} more bytes ({len(data)} B in all)")
    return "\n".join(lines)


_PRETTY: Final = json.JSONEncoder(indent=2, ensure_ascii=False)


def parse_json(text: str) -> Any:
    """The JSON value `text` holds: Malformed when none, or too large or deep to parse."""
    if len(text) > MAX_PARSE:
        raise Malformed(f"too large to parse ({len(text)} characters)")
    try:
        return json.loads(text)
    except RecursionError:
        raise Malformed("JSON nested too deeply to parse") from None
    except ValueError as error:  # JSONDecodeError, or an integer of too many digits
        raise Malformed(f"not JSON ({str(error)[:80]})") from None


def json_or_none(text: str) -> Any:
    """The JSON value of `text` when it opens as an object or array and parses, else None."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return parse_json(text)
    except Malformed:
        return None


def pretty_json(value: Any) -> str:
    """Indented JSON, encoded lazily up to what the body can hold (bounded work)."""
    parts, size = [], 0
    try:
        for part in _PRETTY.iterencode(value):
            parts.append(part)
            size += len(part)
            if size > MAX_BODY:
                break
    except (RecursionError, ValueError):
        return compact_json(value, MAX_BODY)
    return "".join(parts)


def compact_json(value: Any, limit: int = PREVIEW) -> str:
    """Compact JSON of `value`, cut to `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (RecursionError, ValueError):
        return "(nested too deeply to show)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_preview(value: Any, width: int = PREVIEW) -> str:
    """Compact JSON of `value` in about `width` characters, cut after a whole member where
    one fits: `{"type": "tick", ...}`."""
    if isinstance(value, dict):
        opening, closing = "{", "}"
        items: Iterator[str] = (
            f"{compact_json(k, width)}: {compact_json(v, width)}" for k, v in value.items()
        )
    elif isinstance(value, list):
        opening, closing = "[", "]"
        items = (compact_json(item, width) for item in value)
    else:
        return compact_json(value, width)
    shown: list[str] = []
    used = 2
    for item in items:
        if used + len(item) > width:
            if not shown:
                return opening + item[: max(8, width - 6)] + "..." + closing
            return opening + ", ".join(shown) + ", ..." + closing
        shown.append(item)
        used += len(item) + 2
    return opening + ", ".join(shown) + closing


def show_text(text: str) -> tuple[str, str]:
    """(preview, rendering) of text data: JSON pretty-printed, anything else as it is."""
    if not text:
        return "(empty)", "(empty)"
    value = json_or_none(text)
    if isinstance(value, dict | list):
        return json_preview(value), pretty_json(value)
    return text[:PREVIEW], text


def show_bytes(data: bytes) -> tuple[str, str]:
    """(preview, rendering) of a body or payload: text (JSON pretty) when it is UTF-8 text,
    else its size and a hex dump."""
    if not data:
        return "(empty)", "(empty)"
    try:
        text = data[:MAX_PARSE].decode("utf-8")
    except UnicodeDecodeError:
        return bytes_preview(data), hexdump(data)
    if not is_textual(text):
        return bytes_preview(data), hexdump(data)
    return show_text(text)


_NON_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_textual(text: str) -> bool:
    """Text a person reads: no control characters but tab and line ends (first 4 KB)."""
    return _NON_TEXT.search(text, 0, 4096) is None


def bytes_preview(data: bytes) -> str:
    """The size and the first 16 bytes in hex: `20 B 0102...`."""
    more = "..." if len(data) > 16 else ""
    return f"{len(data)} B {data[:16].hex()}{more}".rstrip()


def is_scalar(value: Any) -> bool:
    """A string or a number (not a bool)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def scalar(value: Any) -> str:
    """A string as it is, any other value as compact JSON."""
    return value if isinstance(value, str) else compact_json(value)


def quoted(value: Any) -> str:
    """Compact JSON of `value` in at most 60 characters: a string in quotes."""
    return compact_json(value, 60)
