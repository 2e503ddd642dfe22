"""One direction of a TCP connection put back in order: segments in, bytes and gaps out.

Sans-IO and bounded: retransmitted and overlapping bytes are dropped, early segments wait
until the bytes before them arrive, and when more than `max_pending` bytes wait, the missing
bytes are declared a gap and the stream resumes at the earliest waiting segment.

Bytes leave in order through the stream's `sink`, which whoever reads the direction sets (and
may change as it learns what the bytes are: HTTP, then a WebSocket session's frames). A segment
that comes in order, the usual one, is handed on where it lies in the caller's buffer.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_PENDING = 4 << 20
"""Bytes of out-of-order segments held per direction before a hole is declared a gap."""

Sink = Callable[[bytes, int, int, float], None]
"""Takes a direction's next in-order bytes, `buffer[start:end]`, and when they were captured."""
Lost = Callable[[int, float], None]
"""Told that the next `size` bytes of a direction were never seen (a gap), and when the bytes
after them were captured."""


def ignore(buffer: bytes, start: int, end: int, timestamp: float) -> None:
    """A sink for bytes nobody reads."""


def ignore_gap(size: int, timestamp: float) -> None:
    """A `Lost` for a direction nobody reads."""


def _delta(a: int, b: int) -> int:
    """a - b in 32-bit sequence space, signed."""
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d & 0x80000000 else d


class StreamReassembler:
    """Bytes of one direction in sequence order, handed to `sink`; gaps told to `lost`."""

    __slots__ = ("gaps", "lost", "max_pending", "next_seq", "pending", "pending_bytes", "sink")

    def __init__(
        self, sink: Sink = ignore, lost: Lost = ignore_gap, max_pending: int = MAX_PENDING
    ) -> None:
        self.sink = sink
        self.lost = lost
        self.next_seq: int | None = None
        """The sequence number of the next byte expected; None until the first segment."""
        self.pending: dict[int, tuple[bytes, float]] = {}
        """Segments that came early, by sequence number (copies: the caller's buffer moves on)."""
        self.pending_bytes = 0
        self.max_pending = max_pending
        self.gaps = 0

    def syn(self, seq: int) -> None:
        """The SYN: data starts one after its sequence number."""
        if self.next_seq is None:
            self.next_seq = (seq + 1) & 0xFFFFFFFF

    def segment(self, seq: int, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        """Take the segment of sequence number `seq` whose payload is `buffer[start:end]`."""
        if start >= end:
            return
        expected = self.next_seq
        if seq != expected:
            if expected is None:  # a capture that starts mid-connection: take it from here
                expected = seq
            else:
                ahead = _delta(seq, expected)
                if ahead > 0:
                    self._hold(seq, buffer[start:end], timestamp)
                    return
                start -= ahead  # a retransmission or an overlap: its new bytes only
                if start >= end:
                    return
        self.next_seq = (expected + end - start) & 0xFFFFFFFF
        self.sink(buffer, start, end, timestamp)
        if self.pending:
            self._drain()

    def acked(self, ack: int) -> None:
        """The peer acknowledged up to `ack`: a hole it covers was received but not captured,
        and will never be filled: declare it a gap now rather than wait."""
        if not self.pending or self.next_seq is None or _delta(ack, self.next_seq) <= 0:
            return
        expected = self.next_seq
        first = min(self.pending, key=lambda seq: _delta(seq, expected))
        if _delta(ack, first) >= 0:
            self._skip_to_pending()

    def flush(self) -> None:
        """The connection ended: deliver whatever waits, with the holes before it as gaps."""
        while self.pending:
            self._skip_to_pending()

    def _hold(self, seq: int, payload: bytes, timestamp: float) -> None:
        held = self.pending.get(seq)
        if held is None or len(held[0]) < len(payload):
            self.pending_bytes += len(payload) - (len(held[0]) if held else 0)
            self.pending[seq] = (payload, timestamp)
        if self.pending_bytes > self.max_pending:
            self._skip_to_pending()

    def _skip_to_pending(self) -> None:
        assert self.next_seq is not None
        expected = self.next_seq
        first = min(self.pending, key=lambda seq: _delta(seq, expected))
        missing = _delta(first, expected)
        if missing > 0:
            self.gaps += 1
            self.next_seq = first
            self.lost(missing, self.pending[first][1])
        self._drain()

    def _drain(self) -> None:
        """Deliver waiting segments that now follow on (or overlap) the delivered bytes."""
        pending = self.pending
        while pending:
            expected = self.next_seq
            assert expected is not None
            progressed = False
            for seq in list(pending):
                ahead = _delta(seq, expected)
                if ahead > 0:
                    continue
                payload, timestamp = pending.pop(seq)
                self.pending_bytes -= len(payload)
                if -ahead < len(payload):
                    self.next_seq = expected = (expected + len(payload) + ahead) & 0xFFFFFFFF
                    self.sink(payload, -ahead, len(payload), timestamp)
                progressed = True
            if not progressed:
                return
