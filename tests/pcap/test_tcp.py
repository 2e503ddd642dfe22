"""TCP reassembly: order, retransmission, overlap, gaps, bounded waiting, wrap-around."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushscope.inspector.pcap.tcp import StreamReassembler

DATA = bytes(range(256)) * 40


def _stream(pieces: list[tuple[bytes | int, float]]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else b"?" * p for p, _ in pieces)


def _segments(data: bytes, size: int, isn: int) -> list[tuple[int, bytes]]:
    return [((isn + i) & 0xFFFFFFFF, data[i : i + size]) for i in range(0, len(data), size)]


def test_in_order_and_out_of_order() -> None:
    r = StreamReassembler()
    r.syn(99)
    assert r.segment(104, b"efg", 2.0) == []
    assert r.segment(100, b"abc", 1.0) == [(b"abc", 1.0)]
    assert r.segment(107, b"h", 3.0) == []  # still behind the missing byte 103
    assert r.segment(103, b"d", 4.0) == [(b"d", 4.0), (b"efg", 2.0), (b"h", 3.0)]


def test_retransmission_and_overlap_are_dropped() -> None:
    r = StreamReassembler()
    r.syn(0)
    assert _stream(r.segment(1, b"hello", 1.0)) == b"hello"
    assert r.segment(1, b"hello", 2.0) == []
    assert _stream(r.segment(4, b"lo world", 3.0)) == b" world"


def test_gap_reported_on_flush_and_stream_resumes() -> None:
    r = StreamReassembler()
    r.syn(0)
    r.segment(1, b"abc", 1.0)
    assert r.segment(10, b"xyz", 2.0) == []
    assert r.flush() == [(6, 2.0), (b"xyz", 2.0)]
    assert _stream(r.segment(13, b"!", 3.0)) == b"!"
    assert r.gaps == 1


def test_waiting_bytes_are_bounded() -> None:
    r = StreamReassembler(max_pending=100)
    r.syn(0)
    out: list[tuple[bytes | int, float]] = []
    for i in range(20):
        out += r.segment(1000 + i * 10, b"x" * 10, float(i))
    assert r.pending_bytes <= 100
    assert out[0] == (999, 0.0)  # the hole before the first waiting segment is given up


def test_sequence_numbers_wrap() -> None:
    r = StreamReassembler()
    r.syn(0xFFFFFFF0)
    pieces = []
    for seq, chunk in reversed(_segments(DATA[:64], 8, 0xFFFFFFF1)):
        pieces += r.segment(seq, chunk, 0.0)
    assert _stream(pieces) == DATA[:64]


def test_mid_connection_start() -> None:
    r = StreamReassembler()
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
    r = StreamReassembler()
    r.syn(isn)
    pieces = []
    for seq, chunk in segments:
        pieces += r.segment(seq, chunk, 0.0)
    pieces += r.flush()
    assert _stream(pieces) == DATA
    assert r.gaps == 0
