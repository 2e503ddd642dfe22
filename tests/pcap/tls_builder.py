"""TLS 1.3 connections written in code, with the key log that decrypts them: the parts (hellos,
record protection under any TLS 1.3 suite) and one AES-128-GCM conversation built of them."""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from pushscope.inspector.pcap.tls_keys import (
    SUITES,
    Suite,
    hkdf_expand_label,
    next_traffic_secret,
)
from tests.pcap.builder import Conversation

CLIENT_RANDOM = bytes(range(32))
SECRETS = {
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET": b"\x01" * 32,
    "SERVER_HANDSHAKE_TRAFFIC_SECRET": b"\x02" * 32,
    "CLIENT_TRAFFIC_SECRET_0": b"\x03" * 32,
    "SERVER_TRAFFIC_SECRET_0": b"\x04" * 32,
}


def keylog_text(secrets: dict[str, bytes] = SECRETS, client_random: bytes = CLIENT_RANDOM) -> str:
    return "".join(f"{label} {client_random.hex()} {s.hex()}\n" for label, s in secrets.items())


def handshake(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3) + body


def extension(kind: int, body: bytes) -> bytes:
    return struct.pack("!HH", kind, len(body)) + body


def plain(kind: int, body: bytes) -> bytes:
    return bytes([kind, 3, 3]) + len(body).to_bytes(2) + body


def client_hello(
    sni: str = "api.example.com",
    alpn: tuple[bytes, ...] = (b"http/1.1",),
    client_random: bytes = CLIENT_RANDOM,
    suites: tuple[int, ...] = (0x1301,),
) -> bytes:
    name = sni.encode()
    names = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    protocols = b"".join(bytes([len(p)]) + p for p in alpn)
    extensions = extension(0, names) + extension(16, len(protocols).to_bytes(2) + protocols)
    offered = b"".join(code.to_bytes(2) for code in suites)
    body = b"\x03\x03" + client_random + b"\x00" + len(offered).to_bytes(2) + offered + b"\x01\x00"
    return plain(22, handshake(1, body + len(extensions).to_bytes(2) + extensions))


def server_hello(suite: int = 0x1301, server_random: bytes = b"\x77" * 32) -> bytes:
    extensions = extension(43, b"\x03\x04")
    body = b"\x03\x03" + server_random + b"\x00" + suite.to_bytes(2) + b"\x00"
    return plain(22, handshake(2, body + len(extensions).to_bytes(2) + extensions))


def encrypted_extensions(alpn: bytes) -> bytes:
    """The server's EncryptedExtensions handshake message, choosing the protocol `alpn`."""
    protocols = bytes([len(alpn)]) + alpn
    return handshake(
        8, (len(protocols) + 6).to_bytes(2) + extension(16, len(protocols).to_bytes(2) + protocols)
    )


class Protector:
    """Encrypts one direction's records under a traffic secret (TLS 1.3, any of its suites:
    AES-128-GCM unless told)."""

    def __init__(self, secret: bytes, suite: Suite = SUITES[0x1301], padding: int = 3) -> None:
        self.suite = suite
        self.padding = b"\x00" * padding
        self.use(secret)

    def use(self, secret: bytes) -> None:
        suite = self.suite
        self.secret = secret
        key = hkdf_expand_label(secret, "key", b"", suite.key_size, suite.hash)
        self.iv = int.from_bytes(hkdf_expand_label(secret, "iv", b"", 12, suite.hash))
        self.aead = AESGCM(key) if suite.aead == "aes-gcm" else ChaCha20Poly1305(key)
        self.seq = 0

    def update(self) -> None:
        self.use(next_traffic_secret(self.secret, self.suite.hash))

    def record(self, kind: int, content: bytes) -> bytes:
        inner = content + bytes([kind]) + self.padding
        header = b"\x17\x03\x03" + (len(inner) + 16).to_bytes(2)
        nonce = (self.iv ^ self.seq).to_bytes(12)
        self.seq += 1
        return header + self.aead.encrypt(nonce, inner, header)


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
    flight = encrypted_extensions(alpn) + handshake(11, b"\x00" * 40) + handshake(20, b"\x00" * 32)
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
