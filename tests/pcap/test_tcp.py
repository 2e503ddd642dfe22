"""TCP reassembly: order, retransmission, overlap, gaps, bounded waiting, wrap-around."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushscope.inspector.pcap.tcp import StreamReassembler

DATA = bytes(range(256)) * 40
Piece = tuple[bytes | int, float]


class Recorder:
    """A stream whose sink and gaps are written down, in order: bytes, or an int for a gap."""

    def __init__(self, max_pending: int = 4 << 20) -> None:
        self.pieces: list[Piece] = []
        self.stream = StreamReassembler(self._bytes, self._gap, max_pending)

    def _bytes(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self.pieces.append((buffer[start:end], timestamp))

    def _gap(self, size: int, timestamp: float) -> None:
        self.pieces.append((size, timestamp))

    def segment(self, seq: int, payload: bytes, timestamp: float) -> list[Piece]:
        """What the segment let through."""
        self.stream.segment(seq, payload, 0, len(payload), timestamp)
        return self.taken()

    def taken(self) -> list[Piece]:
        out, self.pieces = self.pieces, []
        return out


def _stream(pieces: list[Piece]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else b"?" * p for p, _ in pieces)


def _segments(data: bytes, size: int, isn: int) -> list[tuple[int, bytes]]:
    return [((isn + i) & 0xFFFFFFFF, data[i : i + size]) for i in range(0, len(data), size)]


def test_in_order_and_out_of_order() -> None:
    r = Recorder()
    r.stream.syn(99)
    assert r.segment(104, b"efg", 2.0) == []
    assert r.segment(100, b"abc", 1.0) == [(b"abc", 1.0)]
    assert r.segment(107, b"h", 3.0) == []  # still behind the missing byte 103
    assert r.segment(103, b"d", 4.0) == [(b"d", 4.0), (b"efg", 2.0), (b"h", 3.0)]


def test_retransmission_and_overlap_are_dropped() -> None:
    r = Recorder()
    r.stream.syn(0)
    assert _stream(r.segment(1, b"hello", 1.0)) == b"hello"
    assert r.segment(1, b"hello", 2.0) == []
    assert _stream(r.segment(4, b"lo world", 3.0)) == b" world"


def test_gap_reported_on_flush_and_stream_resumes() -> None:
    r = Recorder()
    r.stream.syn(0)
    r.segment(1, b"abc", 1.0)
    assert r.segment(10, b"xyz", 2.0) == []
    r.stream.flush()
    assert r.taken() == [(6, 2.0), (b"xyz", 2.0)]
    assert _stream(r.segment(13, b"!", 3.0)) == b"!"
    assert r.stream.gaps == 1


def test_an_acknowledged_hole_is_a_gap_at_once() -> None:
    r = Recorder()
    r.stream.syn(0)
    r.segment(1, b"abc", 1.0)
    assert r.segment(10, b"xyz", 2.0) == []
    r.stream.acked(4)  # nothing missing acknowledged yet
    assert r.taken() == []
    r.stream.acked(13)  # the peer had bytes 4 to 9: the capture lost them
    assert r.taken() == [(6, 2.0), (b"xyz", 2.0)]


def test_bytes_in_order_are_handed_on_where_they_lie() -> None:
    seen: list[tuple[bytes, int, int]] = []
    stream = StreamReassembler(lambda buffer, start, end, _: seen.append((buffer, start, end)))
    buffer = b"....hello...."
    stream.segment(7, buffer, 4, 9, 1.0)
    assert seen == [(buffer, 4, 9)]


def test_waiting_bytes_are_bounded() -> None:
    r = Recorder(max_pending=100)
    r.stream.syn(0)
    out: list[Piece] = []
    for i in range(20):
        out += r.segment(1000 + i * 10, b"x" * 10, float(i))
    assert r.stream.pending_bytes <= 100
    assert out[0] == (999, 0.0)  # the hole before the first waiting segment is given up


def test_sequence_numbers_wrap() -> None:
    r = Recorder()
    r.stream.syn(0xFFFFFFF0)
    pieces = []
    for seq, chunk in reversed(_segments(DATA[:64], 8, 0xFFFFFFF1)):
        pieces += r.segment(seq, chunk, 0.0)
    assert _stream(pieces) == DATA[:64]


def test_mid_connection_start() -> None:
    r = Recorder()
    assert _stream(r.segment(5000, b"late", 1.0)) == b"late"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.large_base_example])
@given(
    st.integers(min_value=64, max_value=700),
    st.integers(min_value=0, max_value=0xFFFFFFFF),
    st.randoms(use_true_random=False),
    st.integers(min_value=0, max_value=10),
)
def test_any_order_with_duplicates_gives_the_stream(size: int, isn: int, rnd, dupes: int) -> None:  # type: ignore[no-untyped-def]
    segments = _segments(DATA, size, (isn + 1) & 0xFFFFFFFF)
    segments += [rnd.choice(segments) for _ in range(dupes)]
    rnd.shuffle(segments)
    r = Recorder()
    r.stream.syn(isn)
    pieces = []
    for seq, chunk in segments:
        pieces += r.segment(seq, chunk, 0.0)
    r.stream.flush()
    pieces += r.taken()
    assert _stream(pieces) == DATA
    assert r.stream.gaps == 0
