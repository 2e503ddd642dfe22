"""Recognising a capture from its first bytes, the error for an unusable one, and what
every reader shares: bounded string pools, one name per HTTP version."""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO


class CaptureError(Exception):
    """The input cannot be used at all. The message is one line: file, place, problem."""


_HTTP_VERSIONS = {
    "h2": "HTTP/2.0",
    "h2c": "HTTP/2.0",
    "http/2": "HTTP/2.0",
    "http/2.0": "HTTP/2.0",
    "h3": "HTTP/3",
    "http/3": "HTTP/3",
    "http/3.0": "HTTP/3",
    "http/1.1": "HTTP/1.1",
    "http/1.0": "HTTP/1.0",
    "http/0.9": "HTTP/0.9",
}
_NAMED = {name: name for name in _HTTP_VERSIONS.values()}


def http_version(text: object) -> str | None:
    """An HTTP version as every source names it here (mitmproxy's names): `HTTP/1.1`,
    `HTTP/2.0`, `HTTP/3`, whether a HAR says `h2`, `http/2.0` or `HTTP/2`; None if absent, and
    anything else as it was (stripped)."""
    if text is None:
        return None
    if type(text) is str and (named := _NAMED.get(text)) is not None:
        return named  # the usual case: named as here already
    stripped = str(text).strip()
    return _HTTP_VERSIONS.get(stripped.lower(), stripped) or None


class StringPool:
    """One copy of each short, much-repeated string (methods, versions, reasons), like
    `sys.intern` but bounded: interned strings live for ever (Python 3.12), and these come from
    untrusted captures, so a capture of endless distinct values must not grow it."""

    def __init__(self, size: int = 4096) -> None:
        self._strings: dict[str, str] = {}
        self._size = size

    def __call__(self, text: str) -> str:
        strings = self._strings
        kept = strings.get(text)
        if kept is not None:
            return kept
        if len(strings) < self._size:
            strings[text] = text
        return text


class ZlibReader(io.RawIOBase):
    """A file-like view that inflates a zlib or gzip stream as it is read."""

    def __init__(self, raw: BinaryIO, wbits: int) -> None:
        self._raw = raw
        self._inflate = zlib.decompressobj(wbits)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._inflate.eof:
                return 0
            chunk = self._inflate.unconsumed_tail or self._raw.read(1 << 16)
            if not chunk:
                return 0
            try:
                self._pending = self._inflate.decompress(chunk, 1 << 20)
            except zlib.error as e:
                raise CaptureError(f"corrupt compressed data: {e}") from None
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def sniff(head: bytes) -> str | None:
    """The capture format from its first bytes: mitm, har, jsonl, pcap, pcapng, zlib, gzip."""
    if head[:4] in (
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\x3c\x4d",
    ):
        return "pcap"
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return "pcapng"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return "zlib"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:1] == b"{":
        first_line = text.split(b"\n", 1)[0]
        if b'"schema"' in first_line and b"pushscope.feed" in first_line:
            return "jsonl"
        return "har"
    digits = text.split(b":", 1)[0]
    if 0 < len(digits) <= 12 and digits.isdigit() and b":" in text[:13]:
        return "mitm"
    return None
