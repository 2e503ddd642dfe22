"""TLS key derivation and record protection: TLS 1.2 PRF key expansion, TLS 1.3
HKDF-Expand-Label, and AEAD record openers (AES-GCM, ChaCha20-Poly1305) made once per key."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand


@dataclass(frozen=True, slots=True)
class Suite:
    """A cipher suite this reader decrypts."""

    name: str
    aead: str  # aes-gcm | chacha20
    key_size: int
    hash: str  # sha256 | sha384
    tls13: bool


_SUITES = [
    Suite("TLS_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256", True),
    Suite("TLS_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384", True),
    Suite("TLS_CHACHA20_POLY1305_SHA256", "chacha20", 32, "sha256", True),
]
SUITES: dict[int, Suite] = dict(zip((0x1301, 0x1302, 0x1303), _SUITES, strict=True))
for _code, _kx in (
    (0x009C, "RSA"),
    (0x009E, "DHE_RSA"),
    (0xC02B, "ECDHE_ECDSA"),
    (0xC02F, "ECDHE_RSA"),
):
    SUITES[_code] = Suite(f"TLS_{_kx}_WITH_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256", False)
    SUITES[_code + 1] = Suite(f"TLS_{_kx}_WITH_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384", False)
for _code, _kx in ((0xCCA8, "ECDHE_RSA"), (0xCCA9, "ECDHE_ECDSA"), (0xCCAA, "DHE_RSA")):
    SUITES[_code] = Suite(
        f"TLS_{_kx}_WITH_CHACHA20_POLY1305_SHA256", "chacha20", 32, "sha256", False
    )


def hkdf_expand_label(secret: bytes, label: str, context: bytes, length: int, hash: str) -> bytes:
    """RFC 8446 section 7.1 HKDF-Expand-Label."""
    full = b"tls13 " + label.encode()
    info = length.to_bytes(2) + bytes([len(full)]) + full + bytes([len(context)]) + context
    algorithm = hashes.SHA384() if hash == "sha384" else hashes.SHA256()
    return HKDFExpand(algorithm, length, info).derive(secret)


def next_traffic_secret(secret: bytes, hash: str) -> bytes:
    """The traffic secret after a KeyUpdate (RFC 8446 section 7.2)."""
    return hkdf_expand_label(secret, "traffic upd", b"", len(secret), hash)


def prf(secret: bytes, label: bytes, seed: bytes, length: int, hash: str) -> bytes:
    """RFC 5246 section 5 P_hash with the suite's hash."""
    seed = label + seed
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac.digest(secret, a, hash)
        out += hmac.digest(secret, a + seed, hash)
    return bytes(out[:length])


def _aead(suite: Suite, key: bytes) -> AESGCM | ChaCha20Poly1305:
    return AESGCM(key) if suite.aead == "aes-gcm" else ChaCha20Poly1305(key)


class Opener:
    """Opens one direction's records under one key; the sequence number counts records."""

    __slots__ = ("aead", "explicit", "iv", "mask", "seq", "tls13")

    def __init__(self, suite: Suite, key: bytes, iv: bytes) -> None:
        self.aead = _aead(suite, key)
        self.iv = iv
        self.mask = int.from_bytes(iv)
        """The IV as a number: the nonce is it XOR the sequence number (unless explicit)."""
        self.tls13 = suite.tls13
        self.explicit = not suite.tls13 and suite.aead == "aes-gcm"  # 8-byte nonce in records
        self.seq = 0

    def open(self, header: bytes, body: memoryview) -> tuple[int, bytes] | None:
        """(content type, plaintext) of the record `header` + `body`; None when the tag does
        not verify (wrong key, or a damaged record)."""
        seq = self.seq
        try:
            if self.explicit:
                nonce = self.iv + bytes(body[:8])
                aad = seq.to_bytes(8) + header[:3] + (len(body) - 24).to_bytes(2)
                plain = self.aead.decrypt(nonce, body[8:], aad)
            else:
                nonce = (self.mask ^ seq).to_bytes(12)
                aad = (
                    header  # TLS 1.3: the record header
                    if self.tls13
                    else seq.to_bytes(8) + header[:3] + (len(body) - 16).to_bytes(2)
                )
                plain = self.aead.decrypt(nonce, body, aad)
        except (InvalidTag, ValueError):
            return None
        self.seq = seq + 1
        if not self.tls13:
            return header[0], plain
        inner = plain.rstrip(b"\x00")  # TLSInnerPlaintext: content, type, zero padding
        if not inner:
            return None
        return inner[-1], inner[:-1]


def tls13_opener(suite: Suite, secret: bytes) -> Opener:
    """The opener of a TLS 1.3 traffic secret."""
    key = hkdf_expand_label(secret, "key", b"", suite.key_size, suite.hash)
    iv = hkdf_expand_label(secret, "iv", b"", 12, suite.hash)
    return Opener(suite, key, iv)


def tls12_openers(
    suite: Suite, master: bytes, client_random: bytes, server_random: bytes
) -> tuple[Opener, Opener]:
    """The client's and the server's openers from a TLS 1.2 master secret (RFC 5246 6.3)."""
    iv_size = 4 if suite.aead == "aes-gcm" else 12
    size = 2 * (suite.key_size + iv_size)
    block = prf(master, b"key expansion", server_random + client_random, size, suite.hash)
    k = suite.key_size
    client_key, server_key = block[:k], block[k : 2 * k]
    client_iv, server_iv = block[2 * k : 2 * k + iv_size], block[2 * k + iv_size :]
    return Opener(suite, client_key, client_iv), Opener(suite, server_key, server_iv)
