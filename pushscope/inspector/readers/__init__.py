"""Capture readers: each turns a file into model events. The format is told by content."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pushscope.inspector.events import ModelEvent
from pushscope.inspector.readers.base import CaptureError, ZlibReader, sniff

if TYPE_CHECKING:
    from pushscope.inspector.pcap.keylog import KeyLog

Reader = Callable[[BinaryIO, int, str], Iterator[ModelEvent]]


def _reader(fmt: str, keylog: KeyLog | None = None) -> Reader:
    # Imported on demand: the mitmproxy-based reader stays out of processes that never need it.
    if fmt == "har":
        from pushscope.inspector.readers.har import read_har

        return read_har
    if fmt == "mitm":
        from pushscope.inspector.readers.mitm import read_mitm

        return read_mitm
    if fmt == "jsonl":
        from pushscope.inspector.readers.jsonl import read_jsonl

        return read_jsonl
    if fmt in ("pcap", "pcapng"):
        from pushscope.inspector.readers.pcap import read_pcap

        return functools.partial(read_pcap, keylog=keylog) if keylog is not None else read_pcap
    raise CaptureError(f"reading {fmt} captures is not supported yet")


def _unwrap(raw: io.BufferedReader, path: Path) -> tuple[io.BufferedReader, str]:
    """The stream to read (inflated if the file is compressed) and its format."""
    fp = raw
    fmt = sniff(fp.peek(64)[:64])
    if fmt in ("zlib", "gzip"):
        fp = io.BufferedReader(ZlibReader(fp, 47 if fmt == "gzip" else 15), 1 << 16)
        try:
            fmt = sniff(fp.peek(64)[:64])
        except CaptureError as e:
            raise CaptureError(f"{path}: {e}") from None
    if fmt is None:
        raise CaptureError(
            f"{path}: not a capture pushscope can read "
            "(expected a mitmproxy flow file, HAR, pcap/pcapng or pushscope JSONL feed)"
        )
    return fp, fmt


@dataclass(slots=True)
class Capture:
    """An open capture: its format and its model events (the file is closed when they end)."""

    format: str
    events: Iterator[ModelEvent]
    _raw: BinaryIO

    def position(self) -> int:
        """Bytes of the file read so far, for progress display."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0


def read_capture(path: Path, source: int, keylog: KeyLog | None = None) -> Capture:
    """Open `path`, recognise its format and return its events as a `Capture`.

    `keylog` holds TLS secrets to decrypt packet captures with.
    Raises CaptureError when the file cannot be opened or recognised; the iterator raises it
    when the file turns out unusable before anything could be read from it.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    except OSError as e:
        raise CaptureError(f"{path}: cannot open: {e.strerror or e}") from None
    try:
        fp, fmt = _unwrap(raw, path)
        reader = _reader(fmt, keylog)
    except BaseException:
        raw.close()
        raise

    def events() -> Iterator[ModelEvent]:
        with raw:
            try:
                yield from reader(fp, source, str(path))
            except CaptureError as e:
                message = str(e)
                raise CaptureError(
                    message if message.startswith(str(path)) else f"{path}: {message}"
                ) from None

    return Capture(fmt, events(), raw)
