"""MQTT 3.1, 3.1.1 and 5.0 control packets (OASIS mqtt-v3.1.1, mqtt-v5.0)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from pushscope.inspector.decoders.render import bytes_preview, show_bytes
from pushscope.inspector.decoders.result import MAX_PARTS, Decoded, Malformed, Message, safe_decoded
from pushscope.inspector.model import Opcode

_MQTT_TYPES: Final = (
    "RESERVED",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
)
_MQTT_LEVELS: Final = {3: "3.1", 4: "3.1.1", 5: "5.0"}
_MQTT_CONNACK_V3: Final = (
    "accepted",
    "unacceptable protocol version",
    "identifier rejected",
    "server unavailable",
    "bad user name or password",
    "not authorized",
)
_MQTT_REASONS_V5: Final = {
    0x00: "success",
    0x01: "granted qos 1",
    0x02: "granted qos 2",
    0x04: "disconnect with will message",
    0x10: "no matching subscribers",
    0x11: "no subscription existed",
    0x18: "continue authentication",
    0x19: "re-authenticate",
    0x80: "unspecified error",
    0x81: "malformed packet",
    0x82: "protocol error",
    0x83: "implementation specific error",
    0x84: "unsupported protocol version",
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x88: "server unavailable",
    0x89: "server busy",
    0x8A: "banned",
    0x8B: "server shutting down",
    0x8C: "bad authentication method",
    0x8D: "keep alive timeout",
    0x8E: "session taken over",
    0x8F: "topic filter invalid",
    0x90: "topic name invalid",
    0x91: "packet identifier in use",
    0x92: "packet identifier not found",
    0x93: "receive maximum exceeded",
    0x94: "topic alias invalid",
    0x95: "packet too large",
    0x96: "message rate too high",
    0x97: "quota exceeded",
    0x98: "administrative action",
    0x99: "payload format invalid",
    0x9A: "retain not supported",
    0x9B: "qos not supported",
    0x9C: "use another server",
    0x9D: "server moved",
    0x9E: "shared subscriptions not supported",
    0x9F: "connection rate exceeded",
    0xA0: "maximum connect time",
    0xA1: "subscription identifiers not supported",
    0xA2: "wildcard subscriptions not supported",
}
"""MQTT 5 reason codes (section 2.4); 0x00 also means "granted qos 0" or "normal
disconnection", as the packet says."""
_PUBLISH_ACK_REASONS: Final = frozenset({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99})
_MQTT_REASONS_BY_TYPE: Final = {
    "CONNACK": frozenset(
        {0x00, *range(0x80, 0x8B), 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F}
    ),
    "PUBACK": _PUBLISH_ACK_REASONS,
    "PUBREC": _PUBLISH_ACK_REASONS,
    "PUBREL": frozenset({0x00, 0x92}),
    "PUBCOMP": frozenset({0x00, 0x92}),
    "DISCONNECT": frozenset(
        {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, *range(0x8D, 0x91)}
        | frozenset(range(0x93, 0xA3))
    ),
    "AUTH": frozenset({0x00, 0x18, 0x19}),
}
"""The reason codes MQTT 5 defines for each packet type that carries one."""

# MQTT 5 properties (section 2.2.2.2): identifier -> (name, how its value is encoded).
_MQTT_PROPERTIES: Final = {
    0x01: ("payload format", "byte"),
    0x02: ("message expiry", "u32"),
    0x03: ("content type", "utf8"),
    0x08: ("response topic", "utf8"),
    0x09: ("correlation data", "bin"),
    0x0B: ("subscription identifier", "varint"),
    0x11: ("session expiry", "u32"),
    0x12: ("assigned client identifier", "utf8"),
    0x13: ("server keep alive", "u16"),
    0x15: ("authentication method", "utf8"),
    0x16: ("authentication data", "bin"),
    0x17: ("request problem information", "byte"),
    0x18: ("will delay", "u32"),
    0x19: ("request response information", "byte"),
    0x1A: ("response information", "utf8"),
    0x1C: ("server reference", "utf8"),
    0x1F: ("reason string", "utf8"),
    0x21: ("receive maximum", "u16"),
    0x22: ("topic alias maximum", "u16"),
    0x23: ("topic alias", "u16"),
    0x24: ("maximum qos", "byte"),
    0x25: ("retain available", "byte"),
    0x26: ("user property", "pair"),
    0x27: ("maximum packet size", "u32"),
    0x28: ("wildcard subscription available", "byte"),
    0x29: ("subscription identifiers available", "byte"),
    0x2A: ("shared subscription available", "byte"),
}
# Fixed-header flags each type must carry (section 2.1.3); PUBLISH's are its own.
_MQTT_FLAGS: Final = {6: 2, 8: 2, 10: 2}


class _Reader:
    """Reads MQTT's encodings from a packet's bytes; Malformed when they run out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    @property
    def left(self) -> int:
        return len(self.data) - self.at

    def take(self, size: int) -> bytes:
        if size > self.left:
            raise Malformed(f"packet too short: {size} B wanted at byte {self.at}")
        self.at += size
        return self.data[self.at - size : self.at]

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def varint(self) -> int:
        """A variable byte integer: 7 bits a byte, at most 4 bytes (section 1.5.5)."""
        value = 0
        for shift in range(0, 28, 7):
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
        raise Malformed("invalid variable byte integer (more than 4 bytes)")

    def binary(self) -> bytes:
        return self.take(self.u16())

    def utf8(self) -> str:
        raw = self.binary()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("string is not UTF-8") from None


@dataclass(slots=True)
class _MqttPacket:
    """What one packet says, as it will be shown."""

    kind: str
    version: str
    summary: list[str]
    fields: list[tuple[str, str]]
    lines: list[str]
    notes: list[str]


def decode_mqtt(message: Message) -> Decoded:
    """The MQTT control packets of a binary message (at most MAX_PARTS)."""
    if message.opcode == Opcode.TEXT:
        raise Malformed("MQTT travels in binary messages")
    data = message.payload
    if not data:
        raise Malformed("an empty message")
    packets: list[_MqttPacket] = []
    at = 0
    version = message.mqtt_version
    problem = ""
    while at < len(data) and len(packets) < MAX_PARTS:
        try:
            packet, at = _mqtt_packet(data, at, version)
        except Malformed as error:
            if not packets:
                raise
            problem = f"packet {len(packets) + 1} at byte {at}: {error}"
            break
        packets.append(packet)
    first = packets[0]
    summary = " ".join(["MQTT", first.kind, *first.summary])
    fields = [("type", first.kind), *first.fields]
    notes = list(first.notes)
    if len(packets) > 1:
        fields.append(("packets", str(len(packets))))
        summary += f" (+{len(packets) - 1} more packet{'s' if len(packets) > 2 else ''})"
        notes += [note for packet in packets[1:] for note in packet.notes]
    if at < len(data):
        left = f"{len(data) - at} B after packet {len(packets)} not decoded"
        notes.append(f"{left}: {problem}" if problem else left)
    sections = [
        "\n".join([f"MQTT {packet.kind} (version {packet.version})", *packet.lines])
        for packet in packets
    ]
    return safe_decoded(
        "mqtt",
        summary,
        "\n\n".join(sections),
        fields,
        heartbeat=first.kind in ("PINGREQ", "PINGRESP") and len(packets) == 1,
        notes=notes,
    )


def _mqtt_packet(data: bytes, at: int, version: int | None) -> tuple[_MqttPacket, int]:
    """The packet at `at`, and where the next one starts."""
    head = _Reader(data[at : at + 5])
    byte = head.u8()
    number, flags = byte >> 4, byte & 0x0F
    if number == 0:
        raise Malformed("packet type 0 is reserved")
    kind = _MQTT_TYPES[number]
    try:
        length = head.varint()
    except Malformed as error:
        raise Malformed(f"{kind}: remaining length: {error}") from None
    start = at + head.at
    end = start + length
    if end > len(data):
        packet = _MqttPacket(kind, "?", [], [], [], [])
        packet.summary.append(f"(incomplete: {len(data) - start} of {length} B)")
        packet.notes.append(f"{kind} incomplete: it may continue in the next message")
        packet.lines.append(f"remaining length {length} B, {len(data) - start} B here")
        return packet, len(data)
    body = data[start:end]
    notes = []
    if number != 3 and flags != _MQTT_FLAGS.get(number, 0):
        notes.append(
            f"fixed header flags {flags:#x}: {kind} must have {_MQTT_FLAGS.get(number, 0):#x}"
        )
    packet = _mqtt_body(number, flags, body, version)
    packet.notes[:0] = notes
    packet.lines.insert(
        0, f"fixed header: type {number}, flags {flags:#06b}, remaining length {length}"
    )
    return packet, end


def _mqtt_body(number: int, flags: int, body: bytes, version: int | None) -> _MqttPacket:
    """Read the variable header and payload. Without a known version a packet is read as
    MQTT 5 when that reading finds properties, else as 3.1.1, else as 5 without properties;
    the packet's version says which, and whether the other reading fits too."""
    if number == 1:
        return _mqtt_connect(_Reader(body), flags)
    if number == 15:
        packet = _mqtt_read(number, flags, body, 5)[0]
        if version not in (None, 5):
            packet.notes.append("AUTH is an MQTT 5 packet, in a session of another version")
        return packet
    if version is not None:
        return _mqtt_read(number, flags, body, 5 if version == 5 else 4)[0]
    try:
        as_5, properties = _mqtt_read(number, flags, body, 5)
    except Malformed:
        as_5, properties = None, 0
    if as_5 is not None and properties:
        as_5.version = "5.0 (it has MQTT 5 properties)"
        return as_5
    try:
        as_3 = _mqtt_read(number, flags, body, 4)[0]
    except Malformed:
        if as_5 is None:
            raise
        as_5.version = "5.0 (3.1.1 does not fit)"
        return as_5
    as_3.version = "3.1.1" + (" or 5.0, read as 3.1.1" if as_5 is not None else "")
    return as_3


def _mqtt_read(number: int, flags: int, body: bytes, level: int) -> tuple[_MqttPacket, int]:
    """The packet read as protocol `level` (4: 3.1.1, 5), and how many properties it had."""
    reader = _Reader(body)
    packet = _MqttPacket(_MQTT_TYPES[number], _MQTT_LEVELS[level], [], [], [], [])
    properties = _MQTT_READERS[number](reader, flags, level, packet)
    if reader.left:
        raise Malformed(f"{reader.left} B left over after the {packet.kind}")
    return packet, properties


def _mqtt_properties(reader: _Reader, packet: _MqttPacket) -> int:
    """Read MQTT 5 properties into the packet's lines; how many there were."""
    size = reader.varint()
    block = _Reader(reader.take(size))
    count = 0
    while block.left:
        ident = block.varint()
        if ident not in _MQTT_PROPERTIES:
            raise Malformed(f"unknown property {ident:#x}")
        name, encoding = _MQTT_PROPERTIES[ident]
        value: str
        if encoding == "byte":
            value = str(block.u8())
        elif encoding == "u16":
            value = str(block.u16())
        elif encoding == "u32":
            value = str(block.u32())
        elif encoding == "varint":
            value = str(block.varint())
        elif encoding == "utf8":
            value = block.utf8()
        elif encoding == "bin":
            value = bytes_preview(block.binary())
        else:
            value = f"{block.utf8()}={block.utf8()}"
        packet.lines.append(f"property {name}: {value}")
        count += 1
    if count == 0 and size == 0:
        packet.lines.append("properties: none")
    return count


def _mqtt_connect(reader: _Reader, flags: int) -> _MqttPacket:
    name = reader.utf8()
    level = reader.u8()
    if name not in ("MQTT", "MQIsdp"):
        raise Malformed(f"protocol name {name!r} is not MQTT")
    version = _MQTT_LEVELS.get(level & 0x7F)
    if version is None:
        raise Malformed(f"unknown protocol level {level}")
    connect = reader.u8()
    keepalive = reader.u16()
    packet = _MqttPacket("CONNECT", version, [], [("version", str(level & 0x7F))], [], [])
    packet.lines.append(f"protocol {name} level {level}" + (" (bridge)" if level & 0x80 else ""))
    if level & 0x7F == 5:
        _mqtt_properties(reader, packet)
    client = reader.utf8()
    packet.fields += [("client", client), ("keepalive", str(keepalive))]
    packet.summary += [f"client={client or '(empty)'}", f"v{version}", f"keepalive={keepalive}"]
    if connect & 0x02:
        packet.summary.append("clean")
    packet.lines += [f"client identifier: {client or '(empty)'}", f"keep alive: {keepalive} s"]
    packet.lines.append(f"flags: {connect:#010b}" + (" clean" if connect & 0x02 else ""))
    if connect & 0x01:
        packet.notes.append("reserved connect flag (bit 0) is set")
    if not connect & 0x04 and connect & 0x38:
        packet.notes.append("will QoS or retain set without a will")
    if connect & 0x04:
        if level & 0x7F == 5:
            _mqtt_properties(reader, packet)
        topic = reader.utf8()
        will = reader.binary()
        qos = (connect >> 3) & 3
        packet.fields.append(("will topic", topic))
        packet.lines.append(f"will: topic {topic} qos {qos}, {show_bytes(will)[0]}")
    if connect & 0x80:
        user = reader.utf8()
        packet.fields.append(("username", user))
        packet.lines.append(f"user name: {user}")
    if connect & 0x40:
        packet.lines.append(f"password: ({len(reader.binary())} B, hidden)")
    if reader.left:
        packet.notes.append(f"{reader.left} B after the payload")
    return packet


def _mqtt_connack(reader: _Reader, flags: int, level: int, packet: _MqttPacket) -> int:
    session = reader.u8()
    if session & 0xFE:
        packet.notes.append("connack flags bits 7-1 must be 0")
    code = reader.u8() if reader.left else 0
    properties = _mqtt_properties(reader, packet) if level == 5 and reader.left else 0
    _check_reason(code, level, packet)
    meaning = _mqtt_reason(code, level, _MQTT_CONNACK_V3)
    packet.fields.append(("code", str(code)))
    packet.summary.append(f"code={code} ({meaning})")
    if session & 1:
        packet.summary.append("session-present")
    packet.lines.insert(0, f"session present: {bool(session & 1)}, code {code} ({meaning})")
    return properties


def _mqtt_publish(reader: _Reader, flags: int, level: int, packet: _MqttPacket) -> int:
    qos = (flags >> 1) & 3
    if qos == 3:
        raise Malformed("PUBLISH with QoS 3")
    topic = reader.utf8()
    packet.fields += [("topic", topic), ("qos", str(qos))]
    packet.summary += [f"topic={topic}", f"qos={qos}"]
    head = f"topic {topic}, qos {qos}"
    if qos:
        ident = reader.u16()
        packet.fields.append(("id", str(ident)))
        packet.summary.append(f"id={ident}")
        head += f", packet id {ident}"
    marks = [name for bit, name in ((1, "retain"), (8, "dup")) if flags & bit]
    packet.summary += marks
    packet.lines.append(head + "".join(f", {mark}" for mark in marks))
    properties = _mqtt_properties(reader, packet) if level == 5 else 0
    payload = reader.take(reader.left)
    preview, rendering = show_bytes(payload)
    packet.summary.append(preview)
    packet.lines += ["", f"payload ({len(payload)} B):", rendering]
    return properties


def _mqtt_ack(reader: _Reader, flags: int, level: int, packet: _MqttPacket) -> int:
    """PUBACK, PUBREC, PUBREL, PUBCOMP: a packet id, then in 5.0 a reason and properties."""
    ident = reader.u16()
    packet.fields.append(("id", str(ident)))
    packet.summary.append(f"id={ident}")
    packet.lines.append(f"packet id {ident}")
    if level == 5 and reader.left:
        return _mqtt_reason_and_properties(reader, packet)
    return 0


def _mqtt_reason_and_properties(reader: _Reader, packet: _MqttPacket) -> int:
    code = reader.u8()
    _check_reason(code, 5, packet)
    meaning = _mqtt_reason(code, 5, ())
    packet.fields.append(("reason", str(code)))
    if code:
        packet.summary.append(f"reason={code} ({meaning})")
    packet.lines.append(f"reason code {code} ({meaning})")
    # A reason code alone says "no properties" as a zero length would.
    return _mqtt_properties(reader, packet) if reader.left else 0


def _mqtt_subscribe(reader: _Reader, flags: int, level: int, packet: _MqttPacket) -> int:
    """SUBSCRIBE and UNSUBSCRIBE: a packet id, properties in 5.0, then the topic filters."""
    ident = reader.u16()
    properties = _mqtt_properties(reader, packet) if level == 5 else 0
    subscribe = packet.kind == "SUBSCRIBE"
    topics = []
    while reader.left:
        topic = reader.utf8()
        if subscribe:
            options = reader.u8()
            retain_handling = (options >> 4) & 3 if level == 5 else 0
            if options & 3 == 3 or retain_handling == 3 or options & (0xC0 if level == 5 else 0xFC):
                raise Malformed(f"subscription options {options:#x} invalid")
            topics.append(f"{topic} (qos {options & 3})")
        else:
            topics.append(topic)
        if len(topics) > 1000:
            break
    if not topics:
        raise Malformed(f"{packet.kind} without a topic filter")
    packet.fields += [("id", str(ident)), ("topics", ", ".join(topics[:20]))]
    names = ",".join(t.split(" (qos")[0] for t in topics[:8])
    packet.summary += [f"id={ident}", f"topics={names}" + ("..." if len(topics) > 8 else "")]
    packet.lines[:0] = [f"packet id {ident}"]
    packet.lines += [f"topic filter: {topic}" for topic in topics]
    return properties


def _mqtt_suback(reader: _Reader, flags: int, level: int, packet: _MqttPacket) -> int:
    """SUBACK and UNSUBACK: a packet id, properties in 5.0, then one code per filter (an
    UNSUBACK of 3.1.1 has no codes)."""
    ident = reader.u16()
    properties = _mqtt_properties(reader, packet) if level == 5 else 0
    codes = list(reader.take(reader.left))
    if packet.kind == "SUBACK" and not codes:
        raise Malformed("SUBACK without return codes")
    if level != 5 and packet.kind == "UNSUBACK" and codes:
        raise Malformed("UNSUBACK of 3.1.1 carries no codes")
    allowed = _MQTT_ACK_CODES[packet.kind, level == 5]
    if any(code not in allowed for code in codes):
        raise Malformed(f"{packet.kind} code not one of {sorted(allowed)}")
    shown = ",".join(map(str, codes[:16])) + ("..." if len(codes) > 16 else "")
    packet.fields.append(("id", str(ident)))
    packet.summary.append(f"id={ident}")
    if codes:
        packet.fields.append(("codes", shown))
        packet.summary.append(f"codes={shown}")
    packet.lines[:0] = [f"packet id {ident}"]
    packet.lines += [f"code {code} ({_mqtt_reason(code, level, ())})" for code in codes[:256]]
    return properties


_MQTT_ACK_CODES: Final = {
    ("SUBACK", False): frozenset({0, 1, 2, 0x80}),
    ("SUBACK", True): frozenset({0, 1, 2, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2}),
    ("UNSUBACK", False): frozenset(),
    ("UNSUBACK", True): frozenset({0, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}),
}
"""The codes a SUBACK or UNSUBACK may carry, by (type, is MQTT 5)."""


def _mqtt_empty(reader: _Reader, flags: int, level: int, packet: _MqttPacket) -> int:
    """PINGREQ and PINGRESP; DISCONNECT and AUTH, which in 5.0 may carry a reason."""
    if packet.kind in ("DISCONNECT", "AUTH") and level == 5 and reader.left:
        return _mqtt_reason_and_properties(reader, packet)
    if reader.left:
        raise Malformed(f"{packet.kind} with a body")
    return 0


def _check_reason(code: int, level: int, packet: _MqttPacket) -> None:
    allowed = _MQTT_REASONS_BY_TYPE.get(packet.kind) if level == 5 else None
    if allowed is not None and code not in allowed:
        packet.notes.append(f"reason code {code:#04x} is not one MQTT 5 defines for {packet.kind}")


def _mqtt_reason(code: int, level: int, v3: tuple[str, ...]) -> str:
    if level != 5:
        if v3:
            return v3[code] if code < len(v3) else "unknown"
        return "granted qos " + str(code) if code < 3 else "failure" if code == 0x80 else "unknown"
    return _MQTT_REASONS_V5.get(code, f"granted qos {code}" if code < 3 else "reason code")


_MQTT_READERS: Final[dict[int, Callable[[_Reader, int, int, _MqttPacket], int]]] = {
    2: _mqtt_connack,
    3: _mqtt_publish,
    4: _mqtt_ack,
    5: _mqtt_ack,
    6: _mqtt_ack,
    7: _mqtt_ack,
    8: _mqtt_subscribe,
    9: _mqtt_suback,
    10: _mqtt_subscribe,
    11: _mqtt_suback,
    12: _mqtt_empty,
    13: _mqtt_empty,
    14: _mqtt_empty,
    15: _mqtt_empty,
}


def sniff_mqtt(message: Message) -> bool:
    """A CONNECT names its protocol: the only MQTT packet unmistakable without a hint."""
    data = message.payload
    if not message.binary or data[:1] != b"\x10":
        return False
    body = data[2:12] if len(data) > 1 and data[1] < 0x80 else data[3:13]
    return body.startswith((b"\x00\x04MQTT", b"\x00\x06MQIsdp"))
