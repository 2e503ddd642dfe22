"""The frame parser against wsproto's decoder (`wsproto_reference`): the same bytes give the
same frames, messages and verdicts, whole or cut anywhere, with the wire view or without."""

from __future__ import annotations

import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.pcap.websocket_frames import (
    FrameError,
    FrameEvent,
    FrameNote,
    FrameReader,
    WireFrame,
)
from tests.pcap.builder import ws_frame
from tests.pcap.wsproto_reference import WsprotoFrameReader


def _frame(opcode: int, payload: bytes, fin: bool, rsv: int, mask: bytes | None) -> bytes:
    raw = bytearray(ws_frame(opcode, payload, fin=fin, mask=mask))
    raw[0] |= rsv << 4
    return bytes(raw)


frames = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 2, 8, 9, 10, 1, 2, 0, 3]),
        st.binary(max_size=300),
        st.booleans(),
        st.sampled_from([0, 0, 0, 0, 4, 2, 1]),
        st.one_of(st.none(), st.binary(min_size=4, max_size=4)),
    ),
    max_size=12,
)


def _comparable(events: list[FrameEvent]) -> tuple[list[FrameEvent], bool, bool]:
    """Frames and messages before any error; whether there was an error; and a note."""
    kept = [e for e in events if not isinstance(e, FrameError | FrameNote)]
    return (
        kept,
        any(isinstance(e, FrameError) for e in events),
        any(isinstance(e, FrameNote) for e in events),
    )


def _both(stream: bytes, sender: str, deflate: bool, cuts: list[int]) -> None:
    reference = _comparable(WsprotoFrameReader(sender, deflate).feed(stream))  # type: ignore[arg-type]
    messages = ([e for e in reference[0] if not isinstance(e, WireFrame)], *reference[1:])
    for wire in (True, False):  # without the wire view, messages, notes and errors only
        reader = FrameReader(sender, deflate, wire=wire)  # type: ignore[arg-type]
        found: list[FrameEvent] = []
        start = 0
        for cut in [*sorted({c % (len(stream) + 1) for c in cuts}), len(stream)]:
            found += reader.feed(stream[start:cut])
            start = cut
        assert _comparable(found) == (reference if wire else messages)


@settings(max_examples=300, deadline=None)
@given(
    frames,
    st.sampled_from(["client", "server"]),
    st.booleans(),
    st.lists(st.integers(0, 4000), max_size=8),
)
def test_same_as_wsproto(spec: list, sender: str, deflate: bool, cuts: list[int]) -> None:  # type: ignore[type-arg]
    stream = b"".join(_frame(*f) for f in spec)
    _both(stream, sender, deflate, cuts)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.binary(max_size=2000), st.integers(1, 4)), min_size=1, max_size=6),
    st.lists(st.integers(0, 20000), max_size=10),
)
def test_same_as_wsproto_when_compressed(
    messages: list[tuple[bytes, int]], cuts: list[int]
) -> None:
    compressor = zlib.compressobj(wbits=-15)
    stream = b""
    for payload, pieces in messages:
        body = (compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
        step = max(1, len(body) // pieces)
        chunks = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            stream += _frame(0 if n else 1, chunk, last, 0 if n else 4, b"\x0a\x0b\x0c\x0d")
    _both(stream, "client", True, cuts)
