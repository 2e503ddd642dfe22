"""WebSocket frames of one direction, sans-IO: bytes in, frames and messages out.

Read in the role of the receiver, with RFC 6455's rules: valid opcodes, unfragmented control
frames of at most 125 bytes, minimal length encoding, reserved bits only as negotiated
(permessage-deflate's RSV1 on a message's first frame), continuation frames only inside a
message, close payloads of 0 or 2+ bytes. The wire view Zeek and Suricata report (fin, rsv,
opcode, mask key, payload length before inflating) is kept beside the messages, and
permessage-deflate is inflated with a cap: a message that would expand past it is an error,
not an outage. Garbage never raises: it becomes a `FrameError` and the direction stops.
Frames masked against the sender's role are noted once and read on (real clients do it).

The tests hold it to wsproto's `FrameDecoder` (tests/pcap/wsproto_reference.py): the same
frames, messages and errors for the same bytes, however they are cut.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from pushscope.inspector.model import Direction

MAX_MESSAGE = 64 << 20
"""Most bytes a message may hold after inflating (a bigger one is reported as an error)."""
KEEP = 64 << 10
"""Bytes of each message's payload kept for the model (sizes stay exact)."""

_OPCODES = frozenset({0, 1, 2, 8, 9, 10})
_NAMES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
_TAIL = b"\x00\x00\xff\xff"


@dataclass(slots=True, frozen=True)
class WireFrame:
    """One frame as it was on the wire.

    `fin`, `rsv` (the three bits as an int, RSV1 = 4), `opcode`, `mask` (the 32-bit masking key
    or None), `length` (payload length on the wire, compressed if it was), `offset` (where the
    frame header starts in this direction's byte stream), `payload` (unmasked; inflated for the
    last frame of a compressed message; for control frames the whole payload)."""

    fin: bool
    rsv: int
    opcode: int
    mask: int | None
    length: int
    offset: int
    payload: bytes


@dataclass(slots=True, frozen=True)
class Message:
    """A whole message or control frame: `opcode` (of the first frame), `size` (payload bytes
    after inflating), `payload` (its first `KEEP` bytes), `compressed`, `frames`."""

    opcode: int
    size: int
    payload: bytes
    compressed: bool
    frames: int


@dataclass(slots=True, frozen=True)
class FrameError:
    """The stream is not valid WebSocket from `offset` on: `message` says why."""

    message: str
    offset: int


@dataclass(slots=True, frozen=True)
class FrameNote:
    """A breach of RFC 6455 that does not stop the reading: `message`, from `offset` on."""

    message: str
    offset: int


FrameEvent = WireFrame | Message | FrameError | FrameNote


class _Invalid(Exception):
    pass


def unmask(data: bytes, key: bytes, start: int = 0) -> bytes:
    """XOR `data` with the 4-byte `key`, `start` bytes into the frame's payload."""
    if not data:
        return b""
    turn = start % 4
    if turn:
        key = key[turn:] + key[:turn]
    n = len(data)
    keys = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data) ^ int.from_bytes(keys)).to_bytes(n)


class FrameReader:
    """The frames and messages one side sends. `sender` is who wrote the bytes."""

    def __init__(
        self,
        sender: Direction,
        deflate: bool = False,
        max_message: int = MAX_MESSAGE,
        keep: int = KEEP,
        wire: bool = True,
    ) -> None:
        self.sender = sender
        self.wire = wire
        """Report every `WireFrame`, not only messages (frame-level checks need them). This and
        `keep` are fixed once the reader is made."""
        self.deflate = deflate
        self.max_message = max_message
        self.keep = keep
        self.broken: FrameError | None = None
        self._expect_mask = sender == "client"
        self._noted = False
        self._error_at = 0
        self._buffer = b""
        self._consumed = 0
        """Stream offset of `_buffer[0]`."""
        # The frame being read when its payload spans several feeds.
        self._frame: tuple[bool, int, int, bytes | None, int, int, bool] | None = None
        self._remaining = 0
        self._frame_parts: list[bytes] = []
        self._frame_seen = 0
        # The data message being read.
        self._message: int | None = None
        self._compressed = False
        self._parts: list[bytes] = []
        self._kept = 0
        self._size = 0
        self._frames = 0
        self._inflate: zlib._Decompress | None = None
        self.out: list[FrameEvent] = []
        """Frame events read but not handed on (`_events`) yet; messages go to `_emit`."""
        self.timestamp = 0.0
        """When the bytes being read were captured."""
        # The short path of `take` (mask bit expected, header length without the extended
        # length), taken only when no wire view is wanted and whole 16-bit payloads are kept.
        self._short = (0x80, 6) if self._expect_mask else (0, 2)
        self._quick = not wire and keep >= 0xFFFF

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Frames and messages completed by `data` (an error ends the direction)."""
        self.take(data, 0, len(data), self.timestamp)
        out, self.out = self.out, []
        return out

    def _events(self, out: list[FrameEvent]) -> None:
        """`take` read frame events (`out`, not empty), which wait in `out` for `feed`."""

    def _emit(
        self,
        out: list[FrameEvent],
        opcode: int,
        size: int,
        payload: bytes,
        compressed: bool,
        frames: int,
    ) -> None:
        """A whole message (or control frame) was read; `out` holds the other events so far."""
        out.append(Message(opcode, size, payload, compressed, frames))

    def _emit_masked(self, out: list[FrameEvent], opcode: int, raw: bytes, mask: bytes) -> None:
        """A whole one-frame message, uncompressed, its payload (all of it) still masked."""
        self._emit(out, opcode, len(raw), unmask(raw, mask), False, 1)

    def take(self, buffer: bytes, pos: int, end: int, timestamp: float) -> None:
        """The sender's next bytes, `buffer[pos:end]`, captured at `timestamp` (the sink of its
        stream): parsed after what was left over, where they lie (a packet's payload is not
        copied out of the file's buffer); messages go to `_emit`, the rest to `_events`."""
        if self.broken is not None or pos >= end:
            return
        self.timestamp = timestamp
        out = self.out
        if self._buffer:
            buffer = self._buffer + buffer[pos:end]
            pos, end = 0, len(buffer)
        base = self._consumed - pos  # the stream offset of buffer[0]
        # The usual frame first: a whole one-frame text or binary message of at most 65,535
        # bytes, masked as its sender should, no message open (nothing else to check but that
        # its length is minimal). Only when the wire view is not wanted: it makes no WireFrame.
        expect, skip = self._short
        quick = self._quick
        try:
            while True:
                if self._frame is not None:  # the payload of a frame begun in an earlier feed
                    take = min(self._remaining, end - pos)
                    if take:
                        self._frame_piece(buffer[pos : pos + take])
                        pos += take
                        self._remaining -= take
                    if self._remaining:
                        break
                    self._frame_end(out)
                    continue
                if end - pos < 2:
                    break
                first, second = buffer[pos], buffer[pos + 1]
                if (
                    quick
                    and (first == 0x81 or first == 0x82)
                    and second & 0x80 == expect
                    and self._message is None
                ):
                    length = second & 0x7F
                    start = pos + skip
                    if length == 126:
                        length = buffer[pos + 2] << 8 | buffer[pos + 3] if end - pos >= 4 else 0
                        start += 2
                        usual = length > 125
                    else:
                        usual = length < 126
                    if usual and start + length <= end:
                        pos = start + length
                        self._compressed = False
                        if expect:
                            self._emit_masked(
                                out, first & 0x0F, buffer[start:pos], buffer[start - 4 : start]
                            )
                        else:
                            self._emit(out, first & 0x0F, length, buffer[start:pos], False, 1)
                        continue
                self._error_at = base + pos
                if bool(second & 0x80) != self._expect_mask and not self._noted:
                    self._noted = True
                    word = "unmasked" if self._expect_mask else "masked"
                    out.append(FrameNote(f"{word} frames from the {self.sender}", self._error_at))
                opcode = first & 0x0F
                fin = first >> 7
                length = second & 0x7F
                head = 2
                if opcode not in _OPCODES:
                    raise _Invalid(f"Invalid opcode {opcode:#x}")
                control = opcode >= 8
                if control:
                    if not fin:
                        raise _Invalid("Invalid attempt to fragment control frame")
                    if length > 125:
                        self._control_too_long(buffer, pos, end, opcode, length)
                if length == 126:
                    if end - pos < 4:
                        break
                    length = int.from_bytes(buffer[pos + 2 : pos + 4])
                    head = 4
                    if length <= 125:
                        raise _Invalid("Payload length used 2 bytes when 1 would have sufficed")
                elif length == 127:
                    if end - pos < 10:
                        break
                    length = int.from_bytes(buffer[pos + 2 : pos + 10])
                    head = 10
                    if length <= 0xFFFF:
                        raise _Invalid("Payload length used 8 bytes when 2 would have sufficed")
                    if length >> 63:
                        raise _Invalid("8-byte payload length with non-zero MSB")
                rsv = (first >> 4) & 0x07
                if rsv:
                    self._check_rsv(rsv, opcode)
                masked = second & 0x80
                mask: bytes | None = None
                if masked:
                    if end - pos < head + 4:
                        break
                    mask = buffer[pos + head : pos + head + 4]
                    head += 4
                available = end - pos - head
                if control and length > available:
                    break  # control frames are read whole
                if (control or (fin and not rsv and opcode and self._message is None)) and (
                    length <= available
                ):
                    # The common case, whole in the buffer: a control frame or a one-frame message.
                    start = pos + head
                    payload = buffer[start : start + min(length, self.keep)]
                    if mask is not None:
                        payload = unmask(payload, mask)
                    if self.wire:
                        out.append(
                            WireFrame(
                                True, rsv, opcode, _key(mask), length, self._error_at, payload
                            )
                        )
                    if opcode == 8 and length == 1:
                        raise _Invalid("close frame with a 1-byte payload")
                    if not control:
                        self._compressed = False
                    self._emit(out, opcode, length, payload, False, 1)
                    pos = start + length
                    continue
                # Inflate only a compressed message's frames; a frame out of place is checked (and
                # refused) once it is whole, as wsproto does.
                inflate = self.deflate and (
                    self._compressed if opcode == 0 else (bool(rsv & 0x04) and not control)
                )
                self._frame = (bool(fin), rsv, opcode, mask, length, base + pos, inflate)
                self._remaining = length
                self._frame_parts = []
                self._frame_seen = 0
                pos += head
        except _Invalid as e:
            self.broken = FrameError(f"invalid frame: {e}", self._error_at)
            out.append(self.broken)
            self._buffer = b""
        else:
            self._consumed = base + pos
            self._buffer = buffer[pos:end] if pos < end else b""
        if out:
            self._events(out)

    def _control_too_long(
        self, buffer: bytes, pos: int, end: int, opcode: int, length: int
    ) -> None:
        width = 2 if length == 126 else 8 if length == 127 else 0
        if width and end - pos >= 2 + width:
            declared = int.from_bytes(buffer[pos + 2 : pos + 2 + width])
            if declared <= 125:
                raise _Invalid(f"{_NAMES[opcode]} frame length in an extended field")
            size = str(declared)
        else:
            size = "over 125"
        raise _Invalid(
            f"{_NAMES[opcode]} frame with a {size}-byte payload "
            "(a control frame carries at most 125)"
        )

    def _check_rsv(self, rsv: int, opcode: int) -> None:
        if rsv & 0x03 or not self.deflate or opcode >= 8:
            raise _Invalid("Reserved bit set unexpectedly")
        if opcode == 0:
            raise _Invalid("RSV1 set on a continuation frame")

    def _message_frame(self, opcode: int, rsv: int) -> None:
        """A data frame begins: check it fits the message state."""
        if opcode == 0:
            if self._message is None:
                raise _Invalid("continuation frame without a message to continue")
        elif self._message is not None:
            raise _Invalid(f"new {_NAMES[opcode]} message before the last one ended")
        else:
            self._message = opcode
            self._compressed = bool(rsv & 0x04)

    def _frame_piece(self, data: bytes) -> None:
        """Part of the current frame's payload: unmask, inflate, keep what is kept."""
        frame = self._frame
        assert frame is not None
        mask = frame[3]
        opcode = frame[2]
        seen = self._frame_seen
        self._frame_seen += len(data)
        if opcode >= 8 or frame[6]:
            if mask is not None:
                data = unmask(data, mask, seen)
            if opcode < 8:
                data = self._inflated(data)
            self._frame_parts.append(data)
        else:
            room = self.keep - self._kept - sum(len(p) for p in self._frame_parts)
            if room > 0:
                part = data[:room]
                if mask is not None:
                    part = unmask(part, mask, seen)
                self._frame_parts.append(part)
            self._size += len(data)

    def _inflated(self, data: bytes) -> bytes:
        if self._inflate is None:
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        room = self.max_message - self._size
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error:
            raise _Invalid("compressed payload is not valid deflate data") from None
        self._size += len(out)
        if self._size > self.max_message or self._inflate.unconsumed_tail:
            raise _Invalid(f"message larger than {self.max_message} bytes once inflated")
        return out

    def _frame_end(self, out: list[FrameEvent]) -> None:
        frame = self._frame
        assert frame is not None
        fin, rsv, opcode, mask, length, offset, inflate = frame
        self._frame = None
        parts = self._frame_parts
        if opcode >= 8:
            payload = parts[0] if len(parts) == 1 else b"".join(parts)
            if self.wire:
                out.append(
                    WireFrame(True, rsv, opcode, _key(mask), length, offset, payload[: self.keep])
                )
            self._error_at = offset
            if opcode == 8 and len(payload) == 1:
                raise _Invalid("close frame with a 1-byte payload")
            self._emit(out, opcode, len(payload), payload, False, 1)
            return
        if fin and inflate:
            parts.append(self._inflated(_TAIL))
        payload = parts[0] if len(parts) == 1 else b"".join(parts)
        if self.wire:
            out.append(
                WireFrame(fin, rsv, opcode, _key(mask), length, offset, payload[: self.keep])
            )
        self._error_at = offset
        self._message_frame(opcode, rsv)
        self._frames += 1
        if self._kept < self.keep:
            part = payload[: self.keep - self._kept]
            self._parts.append(part)
            self._kept += len(part)
        if fin:
            message = self._message
            assert message is not None
            self._emit(
                out,
                message,
                self._size,
                self._parts[0] if len(self._parts) == 1 else b"".join(self._parts),
                self._compressed,
                self._frames,
            )
            self._message = None
            self._parts = []
            self._kept = self._size = self._frames = 0


def _key(mask: bytes | None) -> int | None:
    return int.from_bytes(mask) if mask is not None else None
