"""Link layers, IP versions and file formats: the same conversation read from each."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.pcap import capture, connections
from pushscope.inspector.pcap.capture import read_packets
from pushscope.inspector.pcap.connections import Connections
from pushscope.inspector.readers.base import CaptureError
from tests.pcap.builder import CLIENT6, SERVER6, Conversation, pcapng, ws_frame
from tests.pcap.helpers import events, problems, summary

REQUEST = b"GET /items HTTP/1.1\r\nHost: example.com\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def conversation(v6: bool = False) -> Conversation:
    c = Conversation(CLIENT6, SERVER6) if v6 else Conversation()
    return c.handshake().send("client", REQUEST).send("server", RESPONSE).close()


EXPECTED = summary(events(conversation().pcap()))


def test_one_exchange_read() -> None:
    assert [e[0] for e in EXPECTED] == ["open", "response", "closed"]
    assert EXPECTED[0][2:] == ("GET", "http://example.com/items")
    assert EXPECTED[2][2] == b"{}"


@pytest.mark.parametrize("linktype", [1, 113, 276, 0, 108, 101, 12, 228])
@pytest.mark.parametrize("v6", [False, True])
def test_every_link_type(linktype: int, v6: bool) -> None:
    if linktype == 228 and v6:
        linktype = 229
    assert summary(events(conversation(v6).pcap(linktype))) == EXPECTED


def test_vlan_tag_and_nanosecond_pcap() -> None:
    found = events(conversation().pcap(vlan=True, nano=True))
    assert summary(found) == EXPECTED
    opened = found[0]
    assert abs(opened.exchange.request.timestamp_start - conversation().packets[3][0]) < 1e-6  # type: ignore[union-attr]


@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_either_byte_order(big_endian: bool) -> None:
    c = conversation()
    found = events(pcapng(c.packets, big_endian=big_endian))
    assert summary(found) == EXPECTED
    assert abs(found[0].exchange.request.timestamp_start - c.packets[3][0]) < 1e-6  # type: ignore[union-attr]


def test_bogus_record_length_is_a_problem() -> None:
    data = bytearray(conversation().pcap())
    data[24 + 8 : 24 + 12] = (1 << 30).to_bytes(4, "little")
    with pytest.raises(CaptureError, match="not plausible"):
        events(bytes(data))  # before any packet: the file is unusable
    data = bytearray(conversation().pcap())
    first = 24 + 16 + int.from_bytes(data[24 + 8 : 24 + 12], "little")
    data[first + 8 : first + 12] = (1 << 30).to_bytes(4, "little")
    assert any("not plausible" in p for p in problems(events(bytes(data))))


def test_unknown_link_type_is_unusable() -> None:
    data = bytearray(conversation().pcap())
    data[20:24] = (147).to_bytes(4, "little")
    with pytest.raises(CaptureError, match="link type 147"):
        events(bytes(data))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.booleans())
def test_truncated_files_never_crash(cut: int, ng: bool) -> None:
    c = conversation()
    data = pcapng(c.packets) if ng else c.pcap()
    cut = min(cut, len(data))
    try:
        found = events(data[:cut])
    except CaptureError:
        return
    assert all(isinstance(p, str) for p in problems(found))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=0, max_value=400))
def test_corrupt_bytes_never_crash(noise: bytes, at: int) -> None:
    data = bytearray(conversation().pcap())
    at = min(at, len(data))
    data[at : at + len(noise)] = noise
    with contextlib.suppress(CaptureError):
        events(bytes(data))


def test_packets_keep_their_numbers() -> None:
    numbers = [
        p[0] for p in read_packets(io.BytesIO(conversation().pcap())) if not isinstance(p, str)
    ]
    assert numbers == list(range(1, 8))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=400))
def test_any_read_size_gives_the_same_packets(chunk: int, cut: int) -> None:
    """Records wholly inside a read are taken in a fast loop, the others one by one: the
    packets and problems are the same whatever the size of the reads."""
    data = conversation().pcap()
    data = data[: len(data) - cut]
    whole = list(read_packets(io.BytesIO(data)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(capture, "CHUNK", chunk)
        assert list(read_packets(io.BytesIO(data))) == whole


def _ws_conversation() -> Conversation:
    c = Conversation().handshake().send("client", REQUEST).send("server", RESPONSE)
    c.send(
        "client",
        b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    c.send(
        "server",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    )
    for n in range(4):
        c.send("client", ws_frame(1, b"ping %d" % n, mask=b"\x01\x02\x03\x04"))
        c.send("server", ws_frame(1, b"pong %d" % n) * (n + 1))
    c.send("client", ws_frame(8, b"\x03\xe8", mask=b"\x01\x02\x03\x04"))
    c.send("server", ws_frame(8, b"\x03\xe8"))
    return c.close()


WS_PACKETS = [
    p for p in read_packets(io.BytesIO(_ws_conversation().pcap())) if isinstance(p, tuple)
]


def _altered(frame: bytes, change: int, size: int) -> bytes:
    """The frame with Ethernet padding after the IP packet (1), an IP total length of 0 as
    with segmentation offload (2), its end cut off as by a short snap length (3)."""
    if change == 1:
        return frame + bytes(size)
    if change == 2:
        return frame[:16] + b"\x00\x00" + frame[18:]
    if change == 3:
        return frame[: max(14, len(frame) - size)]
    return frame


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=40)),
        min_size=len(WS_PACKETS),
        max_size=len(WS_PACKETS),
    ),
    st.binary(max_size=30),
)
def test_usual_packets_read_in_place_as_by_the_general_path(
    changes: list[tuple[int, int]], noise: bytes
) -> None:
    """The usual packet (Ethernet, IPv4, TCP) is read by one unpack where it lies in the file's
    buffer: the same events as the general path (`tcp_segment`) gives for a copy of the frame,
    with padding, an IP total length of 0 or a cut frame too."""
    packets = [
        (number, timestamp, linktype, _altered(frame, change, size))
        for (number, timestamp, linktype, frame), (change, size) in zip(
            WS_PACKETS, changes, strict=True
        )
    ]

    def read(feed: Callable[[Connections, tuple[int, float, int, bytes]], None]) -> list[object]:
        table = Connections(0)
        for packet in packets:
            feed(table, packet)
        table.finish(None)
        return summary(table.out)

    def in_place(table: Connections, packet: tuple[int, float, int, bytes]) -> None:
        number, timestamp, linktype, frame = packet
        buffer = noise + frame + noise
        table.packet_in(number, timestamp, linktype, buffer, len(noise), len(noise) + len(frame))

    fast = read(in_place)
    assert fast == read(lambda table, packet: table.packet(*packet))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connections, "ETHERNET", -1)  # only `tcp_segment` knows it now
        assert read(lambda table, packet: table.packet(*packet)) == fast
