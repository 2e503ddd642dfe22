"""MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md), read without a
dependency: a binary message that is exactly one map or array is shown as its JSON
equivalent.

Bounded on any bytes: every element takes at least one byte, so a count larger than what
is left is malformed at once; nesting stops at `MAX_DEPTH`.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from pushscope.inspector.decoders.result import Malformed

MAX_DEPTH: Final = 32
_CONTAINERS: Final = frozenset([*range(0x80, 0xA0), 0xDC, 0xDD, 0xDE, 0xDF])
"""First bytes of a map or an array: a message starting otherwise is not taken for one."""


def looks_like_msgpack(data: bytes) -> bool:
    return len(data) >= 2 and data[0] in _CONTAINERS


def parse_msgpack(data: bytes) -> Any:
    """The value of `data`, which must be one whole MessagePack map or array, as JSON-able
    Python: bytes and extension types as descriptions, map keys as strings."""
    if not looks_like_msgpack(data):
        raise Malformed("not a MessagePack map or array")
    value, end = _value(data, 0, 0)
    if end != len(data):
        raise Malformed(f"{len(data) - end} bytes after the MessagePack value")
    return value


_FIXED: Final = {
    0xCA: ">f",
    0xCB: ">d",
    0xCC: ">B",
    0xCD: ">H",
    0xCE: ">I",
    0xCF: ">Q",
    0xD0: ">b",
    0xD1: ">h",
    0xD2: ">i",
    0xD3: ">q",
}
_CONSTANTS: Final = {0xC0: None, 0xC2: False, 0xC3: True}
_LENGTHS: Final = {
    # marker: (kind, bytes of the length)
    0xC4: ("bin", 1),
    0xC5: ("bin", 2),
    0xC6: ("bin", 4),
    0xC7: ("ext", 1),
    0xC8: ("ext", 2),
    0xC9: ("ext", 4),
    0xD9: ("str", 1),
    0xDA: ("str", 2),
    0xDB: ("str", 4),
    0xDC: ("array", 2),
    0xDD: ("array", 4),
    0xDE: ("map", 2),
    0xDF: ("map", 4),
}
_FIXEXT: Final = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


def _take(data: bytes, at: int, size: int) -> bytes:
    if at + size > len(data):
        raise Malformed(f"MessagePack value cut short at byte {len(data)}")
    return data[at : at + size]


def _value(data: bytes, at: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise Malformed(f"MessagePack nested deeper than {MAX_DEPTH}")
    marker = _take(data, at, 1)[0]
    at += 1
    if marker <= 0x7F:
        return marker, at
    if marker >= 0xE0:
        return marker - 0x100, at
    if marker <= 0x8F:
        return _map(data, at, marker & 0x0F, depth)
    if marker <= 0x9F:
        return _array(data, at, marker & 0x0F, depth)
    if marker <= 0xBF:
        return _text(data, at, marker & 0x1F)
    if marker in _CONSTANTS:
        return _CONSTANTS[marker], at
    if marker in _FIXED:
        form = _FIXED[marker]
        size = struct.calcsize(form)
        return struct.unpack(form, _take(data, at, size))[0], at + size
    if marker in _FIXEXT:
        size = _FIXEXT[marker]
        return _ext(data, at, size)
    if marker not in _LENGTHS:
        raise Malformed(f"byte 0x{marker:02x} is no MessagePack value")
    kind, width = _LENGTHS[marker]
    count = int.from_bytes(_take(data, at, width), "big")
    at += width
    if kind == "str":
        return _text(data, at, count)
    if kind == "bin":
        raw = _take(data, at, count)
        return f"<{count} bytes: {raw[:32].hex()}{'...' if count > 32 else ''}>", at + count
    if kind == "ext":
        return _ext(data, at, count)
    if kind == "array":
        return _array(data, at, count, depth)
    return _map(data, at, count, depth)


def _text(data: bytes, at: int, size: int) -> tuple[str, int]:
    return _take(data, at, size).decode("utf-8", "replace"), at + size


def _ext(data: bytes, at: int, size: int) -> tuple[dict[str, Any], int]:
    kind = int.from_bytes(_take(data, at, 1), "big", signed=True)
    raw = _take(data, at + 1, size)
    return {"ext": kind, "data": raw[:32].hex() + ("..." if size > 32 else "")}, at + 1 + size


def _array(data: bytes, at: int, count: int, depth: int) -> tuple[list[Any], int]:
    if count > len(data) - at:
        raise Malformed(f"a MessagePack array of {count} items in {len(data) - at} bytes")
    items = []
    for _ in range(count):
        item, at = _value(data, at, depth + 1)
        items.append(item)
    return items, at


def _map(data: bytes, at: int, count: int, depth: int) -> tuple[dict[str, Any], int]:
    if 2 * count > len(data) - at:
        raise Malformed(f"a MessagePack map of {count} pairs in {len(data) - at} bytes")
    members = {}
    for _ in range(count):
        key, at = _value(data, at, depth + 1)
        value, at = _value(data, at, depth + 1)
        members[key if isinstance(key, str) else repr(key)] = value
    return members, at
