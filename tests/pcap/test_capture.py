"""Link layers, IP versions and file formats: the same conversation read from each."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.pcap import capture
from pushscope.inspector.pcap.connections import Connections
from pushscope.inspector.readers.base import CaptureError
from tests.pcap.builder import CLIENT6, SERVER6, Conversation, pcapng
from tests.pcap.helpers import events, packets, problems, summary

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
    numbers = [p[0] for p in packets(conversation().pcap()) if not isinstance(p, str)]
    assert numbers == list(range(1, 8))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=400))
def test_any_read_size_gives_the_same_packets(chunk: int, cut: int) -> None:
    """Records wholly inside a read are taken in one loop, the others one by one: the packets
    and problems are the same whatever the size of the reads."""
    data = conversation().pcap()
    data = data[: len(data) - cut]
    whole = packets(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(capture, "CHUNK", chunk)
        assert packets(data) == whole


def _changed(change: Callable[[bytes], bytes]) -> bytes:
    """The conversation's pcap (Ethernet) with `change` made to every IP packet."""
    c = conversation()
    c.packets = [(timestamp, change(packet)) for timestamp, packet in c.packets]
    return c.pcap()


def _ip_options(packet: bytes) -> bytes:
    """The IPv4 header with 4 bytes of options (NOPs): IHL 6, the total length 4 more."""
    total = int.from_bytes(packet[2:4]) + 4
    return b"\x46" + packet[1:2] + total.to_bytes(2) + packet[4:20] + b"\x01" * 4 + packet[20:]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda packet: packet + bytes(18), id="ethernet-padding"),
        pytest.param(lambda packet: packet[:2] + b"\x00\x00" + packet[4:], id="total-length-0"),
        pytest.param(_ip_options, id="ip-options"),
    ],
)
def test_frames_read_as_their_headers_say(change: Callable[[bytes], bytes]) -> None:
    """Padding after the IP packet is not payload; a total length of 0 (segmentation offload)
    means the frame's end; IPv4 options move the TCP header."""
    assert summary(events(_changed(change))) == EXPECTED


def test_frames_cut_by_the_snap_length_lose_their_tail() -> None:
    found = summary(events(_changed(lambda p: p[:-1] if p.endswith(b"{}") else p)))
    assert found[:2] == EXPECTED[:2]
    assert "(received 1 bytes, expected 2)" in str(found[2][1])
    assert found[3] == ("closed", EXPECTED[2][1], b"{", False)


def test_packets_read_where_they_lie_in_the_buffer() -> None:
    """The frame is read in place, whatever lies before and after it in the buffer."""
    table = Connections(0)
    for number, item in enumerate(packets(conversation().pcap()), 1):
        assert not isinstance(item, str)
        _, timestamp, linktype, frame = item
        noise = bytes([number]) * number
        buffer = noise + frame + noise
        table.packet(number, timestamp, linktype, buffer, len(noise), len(noise) + len(frame))
    table.finish(None)
    assert summary(table.out) == EXPECTED
