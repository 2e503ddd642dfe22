"""A fast, defensive reader of typed netstrings, the encoding of mitmproxy flow files.

mitmproxy's own parser splits the input a byte at a time and copies the remainder at every
value; this one walks offsets into one buffer. It reads top-level values one at a time from a
file, holding no more than the value being parsed. Lengths are checked against the file before
anything is read, so a lying length is an error, not an allocation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

MAX_DEPTH = 64
_BLOCK = 1 << 20


class TnetError(ValueError):
    """Malformed input; `offset` is the byte offset in the file where the bad value starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.offset = offset


def _value(data: bytes, i: int, depth: int, base: int) -> tuple[Any, int]:
    colon = data.find(b":", i, i + 13)
    if colon < 0 or not data[i:colon].isdigit():
        raise TnetError("not a tnetstring: missing or invalid length prefix", base + i)
    start = colon + 1
    end = start + int(data[i:colon])
    if end >= len(data):
        raise TnetError("value runs past the end of its container", base + i)
    tag = data[end]
    if tag == 0x2C:  # ,
        return data[start:end], end + 1
    if tag == 0x3B:  # ;
        return data[start:end].decode("utf-8", "surrogateescape"), end + 1
    if tag == 0x7D:  # }
        if depth >= MAX_DEPTH:
            raise TnetError("nested too deeply", base + i)
        result: dict[Any, Any] = {}
        j = start
        while j < end:
            key, j = _value(data, j, depth + 1, base)
            if j >= end:
                raise TnetError("dictionary key without a value", base + j)
            result[key], j = _value(data, j, depth + 1, base)
        if j != end:
            raise TnetError("dictionary overruns its length", base + start)
        return result, end + 1
    if tag == 0x5D:  # ]
        if depth >= MAX_DEPTH:
            raise TnetError("nested too deeply", base + i)
        items = []
        j = start
        while j < end:
            item, j = _value(data, j, depth + 1, base)
            items.append(item)
        if j != end:
            raise TnetError("list overruns its length", base + start)
        return items, end + 1
    raw = data[start:end]
    try:
        if tag == 0x23:  # #
            return int(raw), end + 1
        if tag == 0x5E:  # ^
            return float(raw), end + 1
    except ValueError:
        raise TnetError(f"invalid number {raw[:20]!r}", base + i) from None
    if tag == 0x21 and raw in (b"true", b"false"):  # !
        return raw == b"true", end + 1
    if tag == 0x7E and not raw:  # ~
        return None, end + 1
    raise TnetError(f"unknown type tag {chr(tag)!r}", base + end)


def loads(data: bytes) -> Any:
    """Parse one complete tnetstring."""
    value, end = _value(data, 0, 0, 0)
    if end != len(data):
        raise TnetError("trailing data", end)
    return value


def iter_values(fp: BinaryIO) -> Iterator[tuple[int, Any]]:
    """Yield (offset, value) for each top-level value in the file, until the end.

    Raises TnetError on the first malformed value; everything before it has been yielded.
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
        value, end = _value(buf, pos, 0, offset)
        yield offset + pos, value
        pos = end


def _more(
    fp: BinaryIO, buf: bytes, pos: int, offset: int, size: int
) -> tuple[bytes, int, int, bool]:
    chunk = fp.read(size)
    return buf[pos:] + chunk, 0, offset + pos, len(chunk) < size
