"""pcap and pcapng files read into packets, and packets decoded down to TCP segments.

Written here rather than taken from a library, for speed and coverage: dpkt's pcap reader
builds an object per record header, and its pcapng reader honours only the first interface of
the first section (one link type and one timestamp resolution per file); python-pcapng and
pypcapkit build an object per block and per option. Both formats are small: the code below
reads every section and interface, and never trusts a length it has not checked.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import BinaryIO, NamedTuple

CHUNK = 1 << 20
MAX_RECORD = 16 << 20
"""A packet or block longer than this is a corrupt length, not a packet."""

# Link types (https://www.tcpdump.org/linktypes.html)
NULL, ETHERNET, RAW_OLD, RAW_BSD, LOOP, RAW, SLL, IPV4, IPV6, SLL2 = (
    0, 1, 12, 14, 108, 101, 113, 228, 229, 276,
)  # fmt: skip
LINK_TYPES = frozenset({NULL, ETHERNET, RAW_OLD, RAW_BSD, LOOP, RAW, SLL, IPV4, IPV6, SLL2})

_ETH_IPV4, _ETH_IPV6 = 0x0800, 0x86DD
_VLAN = frozenset({0x8100, 0x88A8, 0x9100})
_NULL_IPV6 = frozenset({24, 28, 30})  # BSD, FreeBSD, macOS values of AF_INET6
_IPV6_SKIPPABLE = frozenset({0, 43, 60})  # hop-by-hop, routing, destination options

Visit = Callable[[int, float, int, bytes, int, int], None]
"""Called with each packet: (packet number from 1, timestamp, link type, buffer, start, end);
the frame is `buffer[start:end]`, not cut out (most packets need only their payload)."""
Tally = tuple[int, float | None]
"""(packets read so far, timestamp of the last one)."""
TALLY_EVERY = 256
"""Packets between tallies (a power of two)."""


FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class _Source:
    """A file read in chunks, with bounds checks on every take."""

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp
        self.buffer = b""
        self.pos = 0
        self.offset = 0
        """File offset of buffer[0]."""

    def need(self, size: int) -> bool:
        """Make `size` bytes available at `pos`; False at end of file."""
        if len(self.buffer) - self.pos >= size:
            return True
        rest = self.buffer[self.pos :]
        self.offset += self.pos
        self.pos = 0
        parts = [rest]
        have = len(rest)
        while have < size:
            chunk = self._fp.read(max(CHUNK, size - have))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self.buffer = b"".join(parts)
        return have >= size

    @property
    def here(self) -> int:
        return self.offset + self.pos


def visit_packets(
    fp: BinaryIO, visit: Visit, secrets: Callable[[str], None] | None = None
) -> Iterator[Tally | str]:
    """Give every packet of a pcap or pcapng file to `visit`, in order; yield a `Tally` after
    every `TALLY_EVERY` packets, before each problem (one line, with the offset, as str) and at
    the end. The TLS key log text of a pcapng Decryption Secrets Block goes to `secrets`, in
    its place among the packets."""
    source = _Source(fp)
    source.need(4)
    if source.buffer[:4] != b"\x0a\x0d\x0d\x0a":
        yield from _pcap(source, visit)
        return
    number, timestamp = 0, None
    for item in _pcapng(source):
        if isinstance(item, tuple) and len(item) == 2:
            if secrets is not None:
                secrets(item[1])
            continue
        if isinstance(item, str):
            yield number, timestamp
            yield item
            continue
        number, timestamp, linktype, frame = item
        visit(number, timestamp, linktype, frame, 0, len(frame))
        if not number % TALLY_EVERY:
            yield number, timestamp
    yield number, timestamp


def _pcap(source: _Source, visit: Visit) -> Iterator[Tally | str]:
    if not source.need(24):
        yield 0, None
        yield "pcap file header is truncated"
        return
    magic = source.buffer[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    scale = 1e-9 if nano else 1e-6
    linktype = struct.unpack_from(order + "I", source.buffer, 20)[0] & 0x0FFFFFFF
    if linktype not in LINK_TYPES:
        yield 0, None
        yield f"link type {linktype} is not supported (Ethernet, Linux cooked, loopback, raw IP)"
        return
    source.pos = 24
    record = struct.Struct(order + "IIII").unpack_from
    every = TALLY_EVERY - 1  # a power of two
    number = 0
    timestamp: float | None = None
    while True:
        # Every record wholly in the buffer, without a bounds call each...
        buffer, pos = source.buffer, source.pos
        last = len(buffer) - 16
        while pos <= last:
            seconds, fraction, caplen, _ = record(buffer, pos)
            stop = pos + 16 + caplen
            if stop > last + 16 or caplen > MAX_RECORD:
                break
            number += 1
            timestamp = seconds + fraction * scale
            visit(number, timestamp, linktype, buffer, pos + 16, stop)
            pos = stop
            if not number & every:
                source.pos = pos
                yield number, timestamp
        source.pos = pos
        # ... then one record across the buffer's end (or a bad one) the careful way.
        if not source.need(16):
            break
        seconds, fraction, caplen, _ = record(source.buffer, source.pos)
        if caplen > MAX_RECORD:
            yield number, timestamp
            yield (
                f"packet {number + 1} at offset {source.here}: record length {caplen} is not "
                "plausible; the rest of the file was not read"
            )
            return
        source.pos += 16
        if not source.need(caplen):
            yield number, timestamp
            yield (
                f"packet {number + 1} at offset {source.here - 16}: truncated (file ends inside it)"
            )
            return
        number += 1
        start = source.pos
        source.pos += caplen
        timestamp = seconds + fraction * scale
        visit(number, timestamp, linktype, source.buffer, start, source.pos)
        if not number & every:
            yield number, timestamp
    yield number, timestamp
    if source.pos < len(source.buffer):
        yield f"offset {source.here}: file ends inside a packet record header"


class _Interface(NamedTuple):
    linktype: int
    scale: float
    offset: float


def _pcapng(
    source: _Source,
) -> Iterator[tuple[int, float, int, bytes] | tuple[int, str] | str]:
    """(packet number, timestamp, link type, frame) of each packet, (offset, key log text) of
    each TLS Decryption Secrets Block, or a problem."""
    order = "<"
    interfaces: list[_Interface] = []
    number = 0
    while source.need(12):
        at = source.here
        buffer, pos = source.buffer, source.pos
        if buffer[pos : pos + 4] == b"\x0a\x0d\x0d\x0a":
            bom = buffer[pos + 8 : pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                yield f"offset {at}: section header with unknown byte order; rest not read"
                return
            interfaces = []
        kind, length = struct.unpack_from(order + "II", buffer, pos)
        if length < 12 or length % 4 or length > MAX_RECORD:
            yield f"offset {at}: block length {length} is not plausible; the rest was not read"
            return
        if not source.need(length):
            yield f"offset {at}: truncated block (file ends inside it)"
            return
        body = source.buffer[source.pos + 8 : source.pos + length - 4]
        source.pos += length
        if kind == 1:
            interfaces.append(_interface(body, order))
        elif kind == 10 and len(body) >= 8:  # Decryption Secrets Block
            secrets_type, size = struct.unpack_from(order + "II", body, 0)
            if secrets_type == _TLS_KEY_LOG:
                yield at, bytes(body[8 : 8 + size]).decode("utf-8", "replace")
        elif kind in (6, 2, 3):
            number += 1
            packet = _packet_block(kind, body, order, interfaces)
            if isinstance(packet, str):
                yield f"packet {number} at offset {at}: {packet}"
            elif packet is not None:
                yield (number, *packet)
    if source.pos < len(source.buffer):
        yield f"offset {source.here}: file ends inside a block header"


_TLS_KEY_LOG = 0x544C534B
"""A Decryption Secrets Block's type for NSS key log lines ("TLSK")."""


def _interface(body: bytes, order: str) -> _Interface:
    if len(body) < 8:
        return _Interface(-1, 1e-6, 0.0)
    linktype = struct.unpack_from(order + "H", body, 0)[0]
    scale, offset = 1e-6, 0.0
    pos = 8
    while pos + 4 <= len(body):
        code, size = struct.unpack_from(order + "HH", body, pos)
        value = body[pos + 4 : pos + 4 + size]
        if code == 0:
            break
        if code == 9 and size >= 1:  # if_tsresol
            exponent = value[0] & 0x7F
            scale = 2.0**-exponent if value[0] & 0x80 else 10.0**-exponent
        elif code == 14 and size == 8:  # if_tsoffset
            offset = float(struct.unpack(order + "q", value)[0])
        pos += 4 + (size + 3) // 4 * 4
    return _Interface(linktype, scale, offset)


def _packet_block(
    kind: int, body: bytes, order: str, interfaces: list[_Interface]
) -> tuple[float, int, bytes] | str | None:
    if kind == 3:  # simple packet block: interface 0, no timestamp
        if not interfaces or len(body) < 4:
            return "simple packet block without an interface"
        return 0.0, interfaces[0].linktype, body[4:]
    if kind == 6:
        if len(body) < 20:
            return "enhanced packet block too short"
        interface, high, low, caplen = struct.unpack_from(order + "IIII", body, 0)
        start = 20
    else:  # obsolete packet block
        if len(body) < 20:
            return "packet block too short"
        interface, _, high, low, caplen = struct.unpack_from(order + "HHIII", body, 0)
        start = 20
    if interface >= len(interfaces):
        return f"refers to interface {interface}, which was not described"
    if caplen > len(body) - start:
        return f"captured length {caplen} exceeds its block"
    iface = interfaces[interface]
    if iface.linktype not in LINK_TYPES:
        return None
    timestamp = ((high << 32) | low) * iface.scale + iface.offset
    return timestamp, iface.linktype, body[start : start + caplen]


_IPV4_TCP = struct.Struct("!BxH2xHxB2x12sIIBB")
"""From the IPv4 header on, when it has no options: version+IHL, total length, flags+fragment,
protocol; then addresses and ports as one 12-byte key (source, destination, source port,
destination port), as they lie; TCP sequence, acknowledgement, data offset, flags."""
_ETHERNET_IPV4_TCP = struct.Struct("!12xH" + _IPV4_TCP.format[1:])
"""An Ethernet header's ethertype, then `_IPV4_TCP`: the usual frame, read in one go."""
_TCP = struct.Struct("!4sIIBB")
"""A TCP header: both ports (4 bytes, for the key), sequence, acknowledgement, data offset,
flags."""

TcpSegment = tuple[bytes, int, int, int, int, int]
"""(key, sequence, acknowledgement, flags, payload start, payload end) of a TCP segment in a
frame: the payload is `buffer[start:end]`. The key is the source address, the destination
address, the source port and the destination port, as raw bytes (4 or 16 bytes an address):
a direction of a connection, at no cost of formatting."""


def tcp_segment(linktype: int, buffer: bytes, start: int, end: int) -> TcpSegment | None:
    """The TCP segment inside the link-layer frame `buffer[start:end]`, or None (not TCP, an IP
    fragment, truncated). Read where it lies: nothing is copied but the key of an IPv6 packet
    or of an IPv4 one with options."""
    if linktype == ETHERNET and end - start >= 54:  # most frames: IPv4 without options, TCP
        ethertype, version, total, fragment, protocol, key, seq, ack, offset, flags = (
            _ETHERNET_IPV4_TCP.unpack_from(buffer, start)
        )
        if (
            ethertype == _ETH_IPV4
            and version == 0x45
            and protocol == 6
            and not fragment & 0x3FFF
            and offset >= 0x50
        ):  # (else read the careful way below)
            tcp = start + 34
            stop = tcp - 20 + total
            if stop > end or stop < tcp:
                stop = end
            first = tcp + (offset >> 4) * 4
            return key, seq, ack, flags, first if first < stop else stop, stop
    # The link layer: what follows it (an ethertype) and where.
    if linktype == ETHERNET:
        if end - start < 14:
            return None
        ethertype = buffer[start + 12] << 8 | buffer[start + 13]
        ip = start + 14
        while ethertype != _ETH_IPV4 and ethertype in _VLAN and end - ip >= 4:
            ethertype = buffer[ip + 2] << 8 | buffer[ip + 3]
            ip += 4
    elif linktype == SLL:
        if end - start < 16:
            return None
        ethertype, ip = buffer[start + 14] << 8 | buffer[start + 15], start + 16
    elif linktype == SLL2:
        if end - start < 20:
            return None
        ethertype, ip = buffer[start] << 8 | buffer[start + 1], start + 20
    elif linktype in (NULL, LOOP):
        if end - start < 4:
            return None
        family = int.from_bytes(buffer[start : start + 4], "big" if linktype == LOOP else "little")
        if family > 0xFFFF:  # a NULL header written in the other byte order
            family = int.from_bytes(buffer[start : start + 4], "big")
        ethertype = _ETH_IPV4 if family == 2 else _ETH_IPV6 if family in _NULL_IPV6 else 0
        ip = start + 4
    else:  # raw IP: the version nibble says which
        version = buffer[start] >> 4 if end > start else 0
        ethertype = _ETH_IPV4 if version == 4 else _ETH_IPV6 if version == 6 else 0
        ip = start
    # The IP header: where the TCP header starts and the IP packet ends (a frame may be padded
    # past it, or cut short of it by the snap length).
    if ethertype == _ETH_IPV4:
        if end - ip < 40:
            return None
        version, total, fragment, protocol, key, seq, ack, offset, flags = _IPV4_TCP.unpack_from(
            buffer, ip
        )
        if protocol != 6 or fragment & 0x3FFF:  # not TCP, or a fragment: not reassembled
            return None
        tcp = ip + 20
        if version != 0x45:  # options (the ports are not where the key above took them) or junk
            tcp = ip + (version & 0x0F) * 4
            if version >> 4 != 4 or tcp < ip + 20 or end - tcp < 20:
                return None
            ports, seq, ack, offset, flags = _TCP.unpack_from(buffer, tcp)
            key = buffer[ip + 12 : ip + 20] + ports
        stop = ip + total  # (0 with TCP segmentation offload: the frame's end, then)
        if stop > end or stop < tcp:
            stop = end
    elif ethertype == _ETH_IPV6:
        if end - ip < 40:
            return None
        following = buffer[ip + 6]
        length = buffer[ip + 4] << 8 | buffer[ip + 5]
        stop = ip + 40 + length if length else end
        if stop > end:
            stop = end
        tcp = ip + 40
        while following in _IPV6_SKIPPABLE and end - tcp >= 8:
            following, tcp = buffer[tcp], tcp + (buffer[tcp + 1] + 1) * 8
        if following != 6 or end - tcp < 20:
            return None
        ports, seq, ack, offset, flags = _TCP.unpack_from(buffer, tcp)
        key = buffer[ip + 8 : ip + 40] + ports
    else:
        return None
    if offset < 0x50:  # a data offset under 5 words: not a TCP header
        return None
    first = tcp + (offset >> 4) * 4
    return key, seq, ack, flags, first if first < stop else stop, stop


def ends(key: bytes) -> tuple[tuple[bytes, int], tuple[bytes, int]]:
    """The (address, port) of the sender and of the receiver in a `TcpSegment` key."""
    size = (len(key) - 4) // 2
    ports = 2 * size
    return (
        (key[:size], int.from_bytes(key[ports : ports + 2])),
        (key[size:ports], int.from_bytes(key[ports + 2 :])),
    )


def address(raw: bytes, port: int) -> str:
    """`10.0.0.1:80` or `[::1]:80`."""
    if len(raw) == 4:
        return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}:{port}"
    import ipaddress

    return f"[{ipaddress.IPv6Address(raw)}]:{port}"
