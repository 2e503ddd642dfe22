"""One TLS connection read from both directions, decrypted with logged secrets (sans-IO).

Records are cut from each direction's bytes (a record may span segments, a segment may hold
several); handshake messages are joined across records. The ClientHello gives the client
random, SNI and the ALPN offered; the ServerHello the server random, the suite and the version
(supported_versions); a HelloRetryRequest waits for the next ServerHello. Keys are then looked
up by client random: TLS 1.3 handshake traffic secrets until each side's Finished, then the
application traffic secrets, renewed on each KeyUpdate; TLS 1.2 keys from the master secret,
in use after each side's ChangeCipherSpec. Application data leaves in `out`, in order, with the
timestamp of the packet that completed its record; problems (one line each) in `problems`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from pushscope.inspector.model import Direction
from pushscope.inspector.pcap.keylog import KeyLog
from pushscope.inspector.pcap.tls_keys import (
    SUITES,
    Opener,
    Suite,
    next_traffic_secret,
    tls12_openers,
    tls13_opener,
)

MAX_RECORD = (1 << 14) + 2048
"""The largest record length RFC 5246 allows (ciphertext); a longer one is not a record."""
MAX_HANDSHAKE = 1 << 18
"""Bytes of one handshake message held while it is joined (certificate chains fit)."""
_HEADER = struct.Struct("!BBxH")
"""A record header: content type, major version (minor skipped), length."""
_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
_VERSIONS = {0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}


@dataclass(slots=True)
class _Side:
    """One direction: bytes of an unfinished record, the opener in use and the next ones."""

    pending: bytes = b""
    waiting: list[bytes] = field(default_factory=list)
    """Pieces after `pending`, held until the record they are part of is whole."""
    need: int = 0
    """Bytes the record in progress needs in all (`pending`, `waiting` and more)."""
    have: int = 0
    opener: Opener | None = None
    next_opener: Opener | None = None  # TLS 1.2: after ChangeCipherSpec
    secret: bytes | None = None  # TLS 1.3: the traffic secret in use
    app_secret: bytes | None = None  # TLS 1.3: after this side's Finished
    handshake: bytes = b""
    records: int = 0
    """Records decrypted."""
    changed: bool = False
    """TLS 1.2: ChangeCipherSpec sent, what follows is encrypted."""
    stopped: bool = False


@dataclass(slots=True)
class TlsSession:
    """Feed each direction's in-order bytes to `data`; take plaintext from `out`."""

    keylog: KeyLog | None
    client_random: bytes | None = None
    server_random: bytes | None = None
    sni: str | None = None
    alpn_offered: tuple[str, ...] = ()
    alpn: str | None = None
    version: str | None = None
    suite: Suite | None = None
    hello_seen: bool = False
    decided: bool = False
    """The ServerHello was read and keys looked up (or the handshake was given up)."""
    decrypting: bool = False
    missing_keys: bool = False
    out: list[tuple[Direction, bytes, float]] = field(default_factory=list)
    sink: Callable[[Direction, bytes, float], None] | None = None
    """Takes application data as it is decrypted, when set; else it waits in `out`."""
    problems: list[str] = field(default_factory=list)
    sides: dict[Direction, _Side] = field(
        default_factory=lambda: {"client": _Side(), "server": _Side()}
    )

    @property
    def records(self) -> int:
        """Records decrypted, both directions."""
        return self.sides["client"].records + self.sides["server"].records

    def stop(self, side: Direction, why: str) -> None:
        """Stop reading `side`, saying why once."""
        state = self.sides[side]
        if not state.stopped:
            state.stopped = True
            state.pending, state.waiting = b"", []
            self.problems.append(why)

    def data(self, side: Direction, data: bytes, timestamp: float) -> None:
        """In-order bytes `side` sent, in a packet captured at `timestamp`."""
        state = self.sides[side]
        if state.stopped:
            return
        if state.need:  # a record spread over segments: join its pieces once, when whole
            state.have += len(data)
            if state.have < state.need:
                state.waiting.append(data)
                return
            data = b"".join((*state.waiting, data))
            state.waiting.clear()
            state.need = 0
        buffer = state.pending + data if state.pending else data
        view = memoryview(buffer)
        size = len(buffer)
        pos = 0
        header = _HEADER.unpack_from
        while size - pos >= 5:
            kind, major, length = header(buffer, pos)
            if not 20 <= kind <= 24 or major != 3:
                self.stop(side, f"the {side}'s bytes are not TLS records (at a record's start)")
                return
            if length > MAX_RECORD:
                self.stop(side, f"the {side} sent a record of {length} bytes, over the limit")
                return
            if size - pos - 5 < length:
                state.need, state.have = 5 + length, size - pos
                break
            end = pos + 5 + length
            opener = state.opener
            if kind != 23 or opener is None:  # (application data under keys: most records)
                opener = self._record(side, state, kind, view[pos + 5 : end])
            if opener is not None:
                opened = opener.open(buffer[pos : pos + 5], view[pos + 5 : end])
                if opened is None:
                    self.stop(
                        side,
                        f"the {side}'s record {opener.seq + 1} does not decrypt with the logged "
                        "keys (AEAD tag check failed: wrong key log?); the rest of this side is "
                        "not read",
                    )
                    return
                state.records += 1
                inner, plain = opened
                if inner == 23:
                    if plain:
                        sink = self.sink
                        if sink is None:
                            self.out.append((side, plain, timestamp))
                        else:
                            sink(side, plain, timestamp)
                elif inner == 22:
                    self._handshake(side, state, plain)
            pos = end
            if state.stopped:
                return
        state.pending = buffer[pos:] if pos < size else b""

    def end(self) -> None:
        """The connection is over: an unfinished record is a problem."""
        for side, state in self.sides.items():
            if state.pending and not state.stopped:
                self.stop(
                    side, f"the {side}'s last record is truncated ({len(state.pending)} bytes)"
                )

    # --- records ----------------------------------------------------------------------------

    def _record(self, side: Direction, state: _Side, kind: int, body: memoryview) -> Opener | None:
        """A record that is not application data under keys: read here, or the opener to open
        it with (TLS 1.2 encrypts every kind after ChangeCipherSpec)."""
        if kind == 20:  # ChangeCipherSpec: TLS 1.2 turns this side's keys on
            state.changed = self.version != "TLS 1.3"
            if state.next_opener is not None:
                state.opener, state.next_opener = state.next_opener, None
            return None
        opener = state.opener
        if opener is None or (opener.tls13 and kind != 23):
            if kind == 22 and not state.changed:
                self._handshake(side, state, bytes(body))
            return None
        return opener

    # --- handshake --------------------------------------------------------------------------

    def _handshake(self, side: Direction, state: _Side, data: bytes) -> None:
        buffer = state.handshake + data if state.handshake else data
        pos = 0
        while len(buffer) - pos >= 4:
            length = int.from_bytes(buffer[pos + 1 : pos + 4])
            if length > MAX_HANDSHAKE:
                self.stop(side, f"the {side} sent a handshake message of {length} bytes")
                return
            if len(buffer) - pos - 4 < length:
                break
            try:
                self._message(side, state, buffer[pos], buffer[pos + 4 : pos + 4 + length])
            except (IndexError, ValueError):
                self.problems.append(f"the {side}'s handshake message {buffer[pos]} is malformed")
            pos += 4 + length
        state.handshake = buffer[pos:]

    def _message(self, side: Direction, state: _Side, kind: int, body: bytes) -> None:
        if side == "client" and kind == 1 and self.client_random is None:
            self._client_hello(body)
        elif side == "server" and kind == 2 and not self.decided:
            self._server_hello(body)
        elif kind == 8 and side == "server":  # EncryptedExtensions (TLS 1.3)
            alpn = _extensions(body, 0).get(16)
            if alpn is not None:
                names = _alpn(alpn)
                self.alpn = names[0] if names else None
        elif kind == 20 and state.secret is not None and self.suite is not None:  # Finished
            if state.app_secret is None:
                state.stopped = True  # (said when the secrets were looked up)
                return
            state.secret, state.app_secret = state.app_secret, None
            state.opener = tls13_opener(self.suite, state.secret)
        elif kind == 24 and state.secret is not None and self.suite is not None:  # KeyUpdate
            state.secret = next_traffic_secret(state.secret, self.suite.hash)
            state.opener = tls13_opener(self.suite, state.secret)

    def _client_hello(self, body: bytes) -> None:
        self.hello_seen = True
        self.client_random = body[2:34]
        pos = 34
        pos += 1 + body[pos]  # session id
        pos += 2 + int.from_bytes(body[pos : pos + 2])  # cipher suites
        pos += 1 + body[pos]  # compression methods
        extensions = _extensions(body, pos)
        names = extensions.get(0)
        if names is not None and len(names) >= 5 and names[2] == 0:
            size = int.from_bytes(names[3:5])
            self.sni = names[5 : 5 + size].decode("ascii", "replace") or None
        if 16 in extensions:
            self.alpn_offered = _alpn(extensions[16])

    def _server_hello(self, body: bytes) -> None:
        legacy = int.from_bytes(body[0:2])
        random = body[2:34]
        pos = 34
        pos += 1 + body[pos]
        code = int.from_bytes(body[pos : pos + 2])
        extensions = _extensions(body, pos + 3)
        versions = extensions.get(43)
        version = int.from_bytes(versions[:2]) if versions and len(versions) >= 2 else legacy
        self.version = _VERSIONS.get(version, f"0x{version:04x}")
        if random == _HRR_RANDOM:
            return  # HelloRetryRequest: the next ClientHello and ServerHello follow
        self.server_random = random
        if 16 in extensions:
            offered = _alpn(extensions[16])
            self.alpn = offered[0] if offered else None
        self.decided = True
        self.suite = SUITES.get(code)
        self._keys(code, version)

    def _keys(self, code: int, version: int) -> None:
        suite = self.suite
        secrets = self.keylog.get(self.client_random or b"") if self.keylog else None
        if secrets is None:
            self.missing_keys = True
            return
        if suite is None or suite.tls13 != (version == 0x0304):
            self.problems.append(f"cipher suite 0x{code:04x} ({self.version}) is not decrypted")
            return
        client, server = self.sides["client"], self.sides["server"]
        if suite.tls13:
            handshake = (
                secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
                secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
            )
            application = (
                secrets.get("CLIENT_TRAFFIC_SECRET_0"),
                secrets.get("SERVER_TRAFFIC_SECRET_0"),
            )
            if None in handshake:
                self.missing_keys = True
                return
            if None in application:
                self.problems.append(
                    "the key log has this connection's handshake secrets but not its "
                    "application traffic secrets: only the handshake is read"
                )
            for state, hs, app in zip((client, server), handshake, application, strict=True):
                assert hs is not None
                state.secret, state.app_secret = hs, app
                state.opener = tls13_opener(suite, hs)
        else:
            master = secrets.get("CLIENT_RANDOM")
            if master is None or self.server_random is None or self.client_random is None:
                self.missing_keys = True
                return
            client.next_opener, server.next_opener = tls12_openers(
                suite, master, self.client_random, self.server_random
            )
        self.decrypting = True


def _extensions(body: bytes, pos: int) -> dict[int, bytes]:
    """The extensions of a hello or EncryptedExtensions, from their length at `pos`."""
    if pos + 2 > len(body):
        return {}
    end = min(len(body), pos + 2 + int.from_bytes(body[pos : pos + 2]))
    pos += 2
    found: dict[int, bytes] = {}
    while pos + 4 <= end:
        kind = int.from_bytes(body[pos : pos + 2])
        size = int.from_bytes(body[pos + 2 : pos + 4])
        found.setdefault(kind, body[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return found


def _alpn(data: bytes) -> tuple[str, ...]:
    """The protocol names of an ALPN extension."""
    names: list[str] = []
    pos = 2
    while pos < len(data) and len(names) < 32:
        size = data[pos]
        names.append(data[pos + 1 : pos + 1 + size].decode("ascii", "replace"))
        pos += 1 + size
    return tuple(names)
