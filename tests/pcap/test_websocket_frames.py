"""WebSocket frames of one direction: vectors, fragmentation, deflate with a cap, bad input."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.pcap.websocket_frames import (
    FrameError,
    FrameEvent,
    FrameNote,
    FrameReader,
    Message,
    WireFrame,
)
from tests.conftest import fixture_path
from tests.pcap.builder import ws_frame

MASK = b"\x37\xfa\x21\x3d"


def _feed(reader: FrameReader, data: bytes, cuts: list[int] | None = None) -> list[FrameEvent]:
    out: list[FrameEvent] = []
    if cuts is None:
        return reader.feed(data)
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        out += reader.feed(data[start:cut])
        start = cut
    return out


def _vectors() -> list[dict]:  # type: ignore[type-arg]
    path = fixture_path("vectors", "ws_frame_vectors.json")
    return json.loads(path.read_text())["vectors"]  # type: ignore[no-any-return]


def test_frame_vectors() -> None:
    for vector in _vectors():
        reader = FrameReader(vector["sender"])
        found = reader.feed(bytes.fromhex(vector["hex"]))
        expect = vector["expect"]
        if expect == "protocol_error":
            # Masking breaches are noted and read on (real clients break this rule); the rest
            # stop the direction.
            assert any(isinstance(e, FrameError | FrameNote) for e in found), vector["name"]
            continue
        wire = [e for e in found if isinstance(e, WireFrame)]
        if "protocol_error" in vector.get("expect_alternatives", ()) and any(
            isinstance(e, FrameError) for e in found
        ):
            continue
        assert len(wire) == len(expect), vector["name"]
        for frame, want in zip(wire, expect, strict=True):
            assert frame.fin == want["fin"] and frame.opcode == want["opcode"], vector["name"]
            assert (frame.mask is not None) == want["masked"], vector["name"]
            if "payload_len" in want:
                assert frame.length == want["payload_len"], vector["name"]
            if "payload_utf8" in want:
                assert frame.payload == want["payload_utf8"].encode(), vector["name"]
        if "message" in vector:
            (message,) = [e for e in found if isinstance(e, Message)]
            assert message.payload == vector["message"].encode()


def test_control_frames_between_fragments_and_masks() -> None:
    data = (
        ws_frame(1, b"Hel", fin=False, mask=MASK)
        + ws_frame(9, b"ping", mask=MASK)
        + ws_frame(0, b"lo", mask=MASK)
        + ws_frame(8, (1000).to_bytes(2) + b"bye", mask=MASK)
    )
    found = FrameReader("client").feed(data)
    messages = [(m.opcode, m.payload, m.frames) for m in found if isinstance(m, Message)]
    assert messages == [(9, b"ping", 1), (1, b"Hello", 2), (8, b"\x03\xe8bye", 1)]
    wire = [f for f in found if isinstance(f, WireFrame)]
    assert {f.mask for f in wire} == {int.from_bytes(MASK)}
    assert [f.offset for f in wire] == [0, 9, 19, 27]


def _deflated(messages: list[bytes]) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    out = b""
    for payload in messages:
        body = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
        out += ws_frame(1, body[:-4], rsv1=True)
    return out


def test_permessage_deflate_with_context_takeover() -> None:
    texts = [b"hello hello hello", b"hello hello hello again", b"x" * 10000]
    found = FrameReader("server", deflate=True).feed(_deflated(texts))
    assert [(m.payload, m.compressed) for m in found if isinstance(m, Message)] == [
        (t, True) for t in texts
    ]


def test_decompression_bomb_is_an_error() -> None:
    bomb = _deflated([b"\x00" * (50 << 20)])
    assert len(bomb) < 100_000
    reader = FrameReader("server", deflate=True, max_message=1 << 20)
    (frame_error,) = [e for e in reader.feed(bomb) if isinstance(e, FrameError)]
    assert "larger than 1048576 bytes once inflated" in frame_error.message
    assert reader.feed(ws_frame(1, b"more")) == []  # the direction stays stopped


@pytest.mark.parametrize(
    "data, why",
    [
        (b"\x83\x00", "Invalid opcode"),
        (ws_frame(0, b"x"), "continuation frame without a message"),
        (ws_frame(1, b"a", fin=False) + ws_frame(2, b"b"), "new binary message"),
        (b"\x89\x7e\x00\x7d" + b"a" * 125, "extended field"),
        (b"\x88\x7e\x01\x02" + b"a" * 258, "258-byte payload"),
        (b"\x88\x01x", "1-byte payload"),
        (b"\xc1\x01x", "Reserved bit"),
        (b"\x81\x02ok\x81\x7e\x00\x7d" + b"a" * 125, "2 bytes when 1 would have sufficed"),
    ],
)
@pytest.mark.parametrize("wire", [True, False])
def test_invalid_frames_are_errors(data: bytes, why: str, wire: bool) -> None:
    found = FrameReader("server", wire=wire).feed(data)
    assert isinstance(found[-1], FrameError) and why in found[-1].message
    assert found[-1] == FrameReader("server").feed(data)[-1]  # the same offset either way


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=40), st.booleans())
def test_any_cut_gives_the_same_frames(cuts: list[int], deflate: bool) -> None:
    stream = (
        ws_frame(1, b"Hel", fin=False, mask=MASK)
        + ws_frame(9, b"ping", mask=MASK)
        + ws_frame(0, b"lo" * 100, mask=MASK)
        + ws_frame(2, bytes(range(256)), mask=MASK)
        + ws_frame(8, (1001).to_bytes(2), mask=MASK)
    )
    whole = FrameReader("client", deflate).feed(stream)
    cut = _feed(FrameReader("client", deflate), stream, [c % (len(stream) + 1) for c in cuts])
    assert cut == whole
    one_by_one = _feed(FrameReader("client", deflate), stream, list(range(len(stream))))
    assert one_by_one == whole
