"""Small pcap and pcapng files written in code: one TCP conversation, any link type."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

CLIENT = (b"\x0a\x00\x00\x01", 40000)
SERVER = (b"\x0a\x00\x00\x02", 80)
CLIENT6 = (b"\xfd" + b"\x00" * 14 + b"\x01", 40000)
SERVER6 = (b"\xfd" + b"\x00" * 14 + b"\x02", 80)
SYN, FIN, RST, ACK, PSH = 0x02, 0x01, 0x04, 0x10, 0x08


def tcp(
    src: tuple[bytes, int],
    dst: tuple[bytes, int],
    seq: int,
    flags: int,
    payload: bytes,
    ack: int = 0,
) -> bytes:
    header = struct.pack(
        "!HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0
    )
    return header + payload


def ip(src: tuple[bytes, int], dst: tuple[bytes, int], segment: bytes) -> bytes:
    if len(src[0]) == 4:
        return (
            struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), 0, 0x4000, 64, 6, 0, src[0], dst[0]
            )
            + segment
        )
    return struct.pack("!IHBB16s16s", 6 << 28, len(segment), 6, 64, src[0], dst[0]) + segment


def link(linktype: int, packet: bytes, vlan: bool = False) -> bytes:
    v6 = packet[0] >> 4 == 6
    if linktype == 1:
        ethertype = b"\x86\xdd" if v6 else b"\x08\x00"
        tag = b"\x81\x00\x00\x07" if vlan else b""
        return b"\x02" * 6 + b"\x04" * 6 + tag + ethertype + packet
    if linktype == 113:
        return (
            b"\x00\x00\x03\x04\x00\x06"
            + b"\x00" * 8
            + (b"\x86\xdd" if v6 else b"\x08\x00")
            + packet
        )
    if linktype == 276:
        return (b"\x86\xdd" if v6 else b"\x08\x00") + b"\x00" * 18 + packet
    if linktype == 0:
        return struct.pack("<I", 30 if v6 else 2) + packet
    if linktype == 108:
        return struct.pack(">I", 30 if v6 else 2) + packet
    return packet  # raw IP


@dataclass
class Conversation:
    """A TCP conversation: handshake, data either way, FIN; sequence numbers tracked."""

    client: tuple[bytes, int] = CLIENT
    server: tuple[bytes, int] = SERVER
    time: float = 1_700_000_000.0
    packets: list[tuple[float, bytes]] = field(default_factory=list)
    seq: dict[str, int] = field(default_factory=lambda: {"client": 1000, "server": 5000})

    def _ends(self, side: str) -> tuple[tuple[bytes, int], tuple[bytes, int]]:
        return (self.client, self.server) if side == "client" else (self.server, self.client)

    def segment(
        self,
        side: str,
        flags: int,
        payload: bytes = b"",
        seq: int | None = None,
        step: float = 0.01,
    ) -> None:
        src, dst = self._ends(side)
        self.time += step
        at = self.seq[side] if seq is None else seq
        other = "server" if side == "client" else "client"
        segment = tcp(src, dst, at, flags, payload, self.seq[other] if flags & ACK else 0)
        self.packets.append((self.time, ip(src, dst, segment)))
        if seq is None:
            self.seq[side] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self) -> Conversation:
        self.segment("client", SYN)
        self.segment("server", SYN | ACK)
        self.segment("client", ACK)
        return self

    def send(self, side: str, data: bytes, mss: int = 1400, step: float = 0.01) -> Conversation:
        for start in range(0, len(data), mss):
            self.segment(side, ACK | PSH, data[start : start + mss], step=step)
        return self

    def close(self) -> Conversation:
        self.segment("client", FIN | ACK)
        self.segment("server", FIN | ACK)
        return self

    def pcap(self, linktype: int = 1, nano: bool = False, vlan: bool = False) -> bytes:
        return pcap(self.packets, linktype, nano, vlan)


def pcap(
    packets: list[tuple[float, bytes]], linktype: int = 1, nano: bool = False, vlan: bool = False
) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for time, packet in packets:
        frame = link(linktype, packet, vlan)
        fraction = round((time % 1) * (1e9 if nano else 1e6))
        out.append(struct.pack("<IIII", int(time), fraction, len(frame), len(frame)) + frame)
    return b"".join(out)


def pcapng(
    packets: list[tuple[float, bytes]], linktype: int = 1, big_endian: bool = False
) -> bytes:
    order = ">" if big_endian else "<"

    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return (
            struct.pack(order + "II", kind, len(body) + 12)
            + body
            + struct.pack(order + "I", len(body) + 12)
        )

    out = [block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    tsresol = (
        struct.pack(order + "HH", 9, 1) + b"\x09\x00\x00\x00" + struct.pack(order + "HH", 0, 0)
    )
    out.append(
        block(1, struct.pack(order + "HHI", 0xFFFF, 0, 0) + struct.pack(order + "HH", 0, 0))
    )  # unused link type
    out.append(block(1, struct.pack(order + "HHI", linktype, 0, 0) + tsresol))  # nanoseconds
    for time, packet in packets:
        frame = link(linktype, packet)
        ticks = round(time * 1e9)
        body = struct.pack(
            order + "IIIII", 1, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame)
        )
        out.append(block(6, body + frame))
    return b"".join(out)


def ws_frame(
    opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = None, rsv1: bool = False
) -> bytes:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    length = len(payload)
    if length < 126:
        head = bytes([first, (0x80 if mask else 0) | length])
    elif length < 65536:
        head = bytes([first, (0x80 if mask else 0) | 126]) + length.to_bytes(2)
    else:
        head = bytes([first, (0x80 if mask else 0) | 127]) + length.to_bytes(8)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + payload
    return head + payload
