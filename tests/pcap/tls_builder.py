"""A TLS 1.3 connection written in code (AES-128-GCM), with the key log that decrypts it."""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pushscope.inspector.pcap.tls_keys import hkdf_expand_label, next_traffic_secret
from tests.pcap.builder import Conversation

CLIENT_RANDOM = bytes(range(32))
SECRETS = {
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET": b"\x01" * 32,
    "SERVER_HANDSHAKE_TRAFFIC_SECRET": b"\x02" * 32,
    "CLIENT_TRAFFIC_SECRET_0": b"\x03" * 32,
    "SERVER_TRAFFIC_SECRET_0": b"\x04" * 32,
}


def keylog_text(secrets: dict[str, bytes] = SECRETS) -> str:
    return "".join(f"{label} {CLIENT_RANDOM.hex()} {s.hex()}\n" for label, s in secrets.items())


def handshake(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3) + body


def extension(kind: int, body: bytes) -> bytes:
    return struct.pack("!HH", kind, len(body)) + body


def plain(kind: int, body: bytes) -> bytes:
    return bytes([kind, 3, 3]) + len(body).to_bytes(2) + body


def client_hello(sni: str = "api.example.com", alpn: tuple[bytes, ...] = (b"http/1.1",)) -> bytes:
    name = sni.encode()
    names = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    protocols = b"".join(bytes([len(p)]) + p for p in alpn)
    extensions = extension(0, names) + extension(16, len(protocols).to_bytes(2) + protocols)
    body = b"\x03\x03" + CLIENT_RANDOM + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    return plain(22, handshake(1, body + len(extensions).to_bytes(2) + extensions))


def server_hello() -> bytes:
    extensions = extension(43, b"\x03\x04")
    body = b"\x03\x03" + b"\x77" * 32 + b"\x00" + b"\x13\x01" + b"\x00"
    return plain(22, handshake(2, body + len(extensions).to_bytes(2) + extensions))


class Protector:
    """Encrypts one direction's records under a traffic secret (TLS 1.3, AES-128-GCM)."""

    def __init__(self, secret: bytes) -> None:
        self.use(secret)

    def use(self, secret: bytes) -> None:
        self.secret = secret
        self.key = hkdf_expand_label(secret, "key", b"", 16, "sha256")
        self.iv = hkdf_expand_label(secret, "iv", b"", 12, "sha256")
        self.seq = 0

    def update(self) -> None:
        self.use(next_traffic_secret(self.secret, "sha256"))

    def record(self, kind: int, content: bytes) -> bytes:
        inner = content + bytes([kind]) + b"\x00" * 3  # padded
        header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2)
        nonce = (int.from_bytes(self.iv) ^ self.seq).to_bytes(12)
        self.seq += 1
        return header + AESGCM(self.key).encrypt(nonce, inner, header)


REQUEST = b"GET /poll HTTP/1.1\r\nHost: api.example.com\r\n\r\n"
RESPONSE = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
)


def conversation(alpn: bytes = b"http/1.1", mss: int = 90) -> Conversation:
    """A TLS 1.3 connection to api.example.com:443 carrying one GET and its 200 answer: the
    server's first flight split across records, several records per segment, records across
    segments, a KeyUpdate from each side between two parts of the exchange."""
    client = Protector(SECRETS["CLIENT_HANDSHAKE_TRAFFIC_SECRET"])
    server = Protector(SECRETS["SERVER_HANDSHAKE_TRAFFIC_SECRET"])
    protocols = bytes([len(alpn)]) + alpn
    encrypted_extensions = handshake(
        8, (len(protocols) + 6).to_bytes(2) + extension(16, len(protocols).to_bytes(2) + protocols)
    )
    flight = encrypted_extensions + handshake(11, b"\x00" * 40) + handshake(20, b"\x00" * 32)
    c = Conversation(server=(b"\x0a\x00\x00\x02", 443)).handshake()
    c.send("client", client_hello(alpn=(alpn,)), mss=mss)
    first = server.record(22, flight[:30]) + server.record(22, flight[30:])
    c.send("server", server_hello() + plain(20, b"\x01") + first, mss=mss)
    c.send("client", plain(20, b"\x01") + client.record(22, handshake(20, b"\x00" * 32)), mss=mss)
    client.use(SECRETS["CLIENT_TRAFFIC_SECRET_0"])
    server.use(SECRETS["SERVER_TRAFFIC_SECRET_0"])
    c.send("server", server.record(22, handshake(4, b"\x00" * 20)), mss=mss)  # NewSessionTicket
    c.send(
        "client",
        client.record(23, REQUEST[:10]) + client.record(22, handshake(24, b"\x01")),
        mss=mss,
    )
    client.update()
    c.send("client", client.record(23, REQUEST[10:]), mss=mss)
    c.send(
        "server",
        server.record(23, RESPONSE[:40]) + server.record(22, handshake(24, b"\x00")),
        mss=mss,
    )
    server.update()
    c.send("server", server.record(23, RESPONSE[40:]), mss=mss)
    return c.close()
