"""A fast, defensive reader of typed netstrings, the encoding of mitmproxy flow files.

mitmproxy's own parser splits the input a byte at a time and copies the remainder at every
value; this one walks offsets into one buffer, decodes leaf values inline rather than through a
call each, and can skip the parts of a dictionary the caller does not want by their length
alone. It reads top-level values one at a time from a file, holding no more than the value
being parsed. Lengths are checked against the file before anything is read, so a lying length
is an error, not an allocation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

MAX_DEPTH = 64
_BLOCK = 1 << 20
_COMMA, _SEMI, _HASH, _CARET, _BANG, _TILDE, _LIST, _DICT = b",;#^!~]}"


@dataclass(frozen=True, slots=True)
class Lookup:
    """Take a few keys of a large dictionary by searching for their encoded form, without
    walking its other keys. Meant for dictionaries we write nothing but keys to look at
    (mitmproxy's connection records); a value that merely contains the same bytes could be
    taken for the key, and what follows is still parsed and bounds-checked."""

    keys: tuple[str, ...]


Keep = Mapping[str, "Keep | Lookup | None"]
"""Which keys of a dictionary to parse: None parses a value whole, a mapping parses a
dictionary value keeping only its keys, a Lookup searches for a few keys; keys not listed are
skipped unparsed."""


class TnetError(ValueError):
    """Malformed input; `offset` is the byte offset in the file where the bad value starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.offset = offset


def _items(data: bytes, j: int, end: int, depth: int, base: int) -> list[Any]:
    """The values between `j` and `end` (a list's or dictionary's contents), in order."""
    if depth > MAX_DEPTH:
        raise TnetError("nested too deeply", base + j)
    out: list[Any] = []
    append = out.append
    find = data.find
    while j < end:
        colon = find(b":", j, j + 13)
        digits = data[j:colon]
        if colon < 0 or not digits.isdigit():
            raise TnetError("not a tnetstring: missing or invalid length prefix", base + j)
        start = colon + 1
        stop = start + int(digits)
        if stop >= end:
            raise TnetError("value runs past the end of its container", base + j)
        tag = data[stop]
        if tag == _COMMA:
            append(data[start:stop])
        elif tag == _SEMI:
            append(data[start:stop].decode("utf-8", "surrogateescape"))
        elif tag == _LIST:
            append(_items(data, start, stop, depth + 1, base))
        elif tag == _DICT:
            append(_dict(_items(data, start, stop, depth + 1, base), base + start))
        else:
            append(_scalar(tag, data[start:stop], base + j))
        j = stop + 1
    return out


def _dict(items: list[Any], offset: int) -> dict[Any, Any]:
    if len(items) % 2:
        raise TnetError("dictionary key without a value", offset)
    pairs = iter(items)
    return dict(zip(pairs, pairs, strict=True))


def _scalar(tag: int, raw: bytes, offset: int) -> Any:
    try:
        if tag == _HASH:
            return int(raw)
        if tag == _CARET:
            return float(raw)
    except ValueError:
        raise TnetError(f"invalid number {raw[:20]!r}", offset) from None
    if tag == _BANG and raw in (b"true", b"false"):
        return raw == b"true"
    if tag == _TILDE and not raw:
        return None
    raise TnetError(f"unknown type tag {chr(tag)!r}", offset)


def _extent(data: bytes, i: int, end: int, base: int) -> tuple[int, int, int]:
    """(start, stop, tag) of the value at `i`: its payload is data[start:stop]."""
    colon = data.find(b":", i, i + 13)
    digits = data[i:colon]
    if colon < 0 or not digits.isdigit():
        raise TnetError("not a tnetstring: missing or invalid length prefix", base + i)
    start = colon + 1
    stop = start + int(digits)
    if stop >= end:
        raise TnetError("value runs past the end of its container", base + i)
    return start, stop, data[stop]


def _value(data: bytes, i: int, end: int, base: int, keep: Keep | Lookup | None) -> tuple[Any, int]:
    start, stop, tag = _extent(data, i, end, base)
    if tag == _DICT and keep is not None:
        if isinstance(keep, Lookup):
            return _looked_up(data, start, stop, base, keep), stop + 1
        return _partial_dict(data, start, stop, base, keep), stop + 1
    value = _items(data, i, stop + 1, 0, base)[0]
    return value, stop + 1


def _partial_dict(data: bytes, j: int, end: int, base: int, keep: Keep) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    find = data.find
    while j < end:
        # The key, inline: this loop runs for every key of every flow.
        colon = find(b":", j, j + 13)
        digits = data[j:colon]
        if colon < 0 or not digits.isdigit():
            raise TnetError("not a tnetstring: missing or invalid length prefix", base + j)
        start = colon + 1
        stop = start + int(digits)
        if stop + 1 >= end:
            raise TnetError("dictionary key without a value", base + j)
        key = data[start:stop].decode("utf-8", "surrogateescape") if data[stop] == _SEMI else None
        j = stop + 1
        if key is not None and key in keep:
            result[key], j = _value(data, j, end, base, keep[key])
            continue
        colon = find(b":", j, j + 13)  # the value, skipped by its length
        digits = data[j:colon]
        if colon < 0 or not digits.isdigit():
            raise TnetError("not a tnetstring: missing or invalid length prefix", base + j)
        j = colon + 1 + int(digits) + 1
        if j > end:
            raise TnetError("value runs past the end of its container", base + colon)
    return result


def _looked_up(data: bytes, start: int, stop: int, base: int, lookup: Lookup) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in lookup.keys:
        encoded = key.encode()
        marker = b"%d:%s;" % (len(encoded), encoded)
        at = data.find(marker, start, stop)
        if at >= 0:
            result[key] = _value(data, at + len(marker), stop, base, None)[0]
    return result


def loads(data: bytes, keep: Keep | None = None) -> Any:
    """Parse one complete tnetstring (a dictionary only in part, when `keep` says so)."""
    value, end = _value(data, 0, len(data), 0, keep)
    if end != len(data):
        raise TnetError("trailing data", end)
    return value


def iter_raw(fp: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Yield (offset, bytes) for each top-level value in the file, until the end.

    Only the framing is checked here; parse each value with `loads`. Raises TnetError on the
    first bad frame; everything before it has been yielded.
    """
    try:
        remaining_in_file: int | None = os.fstat(fp.fileno()).st_size - fp.tell()
    except (AttributeError, OSError, ValueError):
        remaining_in_file = None
    buf = b""
    pos = 0
    offset = 0  # file offset of buf[0]
    eof = False
    while True:
        if pos == len(buf) and eof:
            return
        colon = buf.find(b":", pos, pos + 13)
        if colon < 0 and not eof and len(buf) - pos < 13:
            buf, pos, offset, eof = _more(fp, buf, pos, offset, _BLOCK)
            continue
        if colon < 0 or not buf[pos:colon].isdigit():
            if pos == len(buf):
                return
            raise TnetError("not a flow file: missing or invalid length prefix", offset + pos)
        need = colon + 1 + int(buf[pos:colon]) + 1
        if need > len(buf):
            if remaining_in_file is not None and offset + need > remaining_in_file:
                raise TnetError(
                    f"value claims {int(buf[pos:colon])} bytes but the file ends first",
                    offset + pos,
                )
            if eof:
                raise TnetError("file ends inside a value (truncated)", offset + pos)
            buf, pos, offset, eof = _more(fp, buf, pos, offset, max(_BLOCK, need - len(buf)))
            continue
        yield offset + pos, buf[pos:need]
        pos = need


def _more(
    fp: BinaryIO, buf: bytes, pos: int, offset: int, size: int
) -> tuple[bytes, int, int, bool]:
    chunk = fp.read(size)
    return buf[pos:] + chunk, 0, offset + pos, len(chunk) < size
