"""One direction of a TCP connection put back in order: segments in, (bytes | gap) pieces out.

Sans-IO and bounded: retransmitted and overlapping bytes are dropped, early segments wait
until the bytes before them arrive, and when more than `max_pending` bytes wait, the missing
bytes are declared a gap and the stream resumes at the earliest waiting segment.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_PENDING = 4 << 20
"""Bytes of out-of-order segments held per direction before a hole is declared a gap."""

Piece = tuple[bytes | int, float]
"""Bytes delivered in order, or an int: that many bytes were never seen (a gap); and the
timestamp of the packet that completed them."""


def _delta(a: int, b: int) -> int:
    """a - b in 32-bit sequence space, signed."""
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d & 0x80000000 else d


class StreamReassembler:
    """Bytes of one direction in sequence order."""

    __slots__ = ("gaps", "max_pending", "next_seq", "pending", "pending_bytes", "sink")

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self.next_seq: int | None = None
        """The sequence number of the next byte expected; None until the first segment."""
        self.pending: dict[int, tuple[bytes, float]] = {}
        self.pending_bytes = 0
        self.max_pending = max_pending
        self.gaps = 0
        self.sink: Callable[[bytes, int, int, float], None] | None = None
        """Where the bytes of a usual in-order segment may go straight, as (buffer, start, end,
        timestamp), if whoever reads this direction asks for it (a WebSocket session's frames)."""

    def syn(self, seq: int) -> None:
        """The SYN: data starts one after its sequence number."""
        if self.next_seq is None:
            self.next_seq = (seq + 1) & 0xFFFFFFFF

    def segment(self, seq: int, payload: bytes, timestamp: float) -> list[Piece]:
        """Take a segment; return what can now be delivered in order."""
        if not payload:
            return []
        expected = self.next_seq
        if expected is None:  # a capture that starts mid-connection: take it from here
            expected = self.next_seq = seq
        ahead = _delta(seq, expected)
        if ahead < 0:  # retransmission or overlap
            if -ahead >= len(payload):
                return []
            payload = payload[-ahead:]
            seq = expected
            ahead = 0
        if ahead > 0:
            held = self.pending.get(seq)
            if held is None or len(held[0]) < len(payload):
                self.pending_bytes += len(payload) - (len(held[0]) if held else 0)
                self.pending[seq] = (payload, timestamp)
            if self.pending_bytes > self.max_pending:
                return self._skip_to_pending()
            return []
        self.next_seq = (seq + len(payload)) & 0xFFFFFFFF
        out: list[Piece] = [(payload, timestamp)]
        if self.pending:
            self._drain(out)
        return out

    def acked(self, ack: int) -> list[Piece]:
        """The peer acknowledged up to `ack`: a hole it covers was received but not captured,
        and will never be filled: declare it a gap now rather than wait."""
        if not self.pending or self.next_seq is None or _delta(ack, self.next_seq) <= 0:
            return []
        expected = self.next_seq
        first = min(self.pending, key=lambda seq: _delta(seq, expected))
        if _delta(ack, first) < 0:
            return []
        return self._skip_to_pending()

    def flush(self) -> list[Piece]:
        """The connection ended: deliver whatever waits, with the holes before it as gaps."""
        out: list[Piece] = []
        while self.pending:
            out.extend(self._skip_to_pending())
        return out

    def _skip_to_pending(self) -> list[Piece]:
        assert self.next_seq is not None
        expected = self.next_seq
        first = min(self.pending, key=lambda seq: _delta(seq, expected))
        missing = _delta(first, expected)
        out: list[Piece] = []
        if missing > 0:
            self.gaps += 1
            out.append((missing, self.pending[first][1]))
            self.next_seq = first
        self._drain(out)
        return out

    def _drain(self, out: list[Piece]) -> None:
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
                    payload = payload[-ahead:] if ahead else payload
                    out.append((payload, timestamp))
                    self.next_seq = expected = (expected + len(payload)) & 0xFFFFFFFF
                progressed = True
            if not progressed:
                return
