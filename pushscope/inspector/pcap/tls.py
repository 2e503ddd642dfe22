"""TLS seen from outside (is this a TLS stream, which server name the client asked for) and the
reader a decrypted connection's plaintext goes to."""

from __future__ import annotations

from typing import Protocol

from pushscope.inspector.events import ModelEvent
from pushscope.inspector.model import Direction, TlsInfo
from pushscope.inspector.pcap.http1 import HttpConnection
from pushscope.inspector.pcap.http2 import Http2Connection
from pushscope.inspector.pcap.websocket_frames import MAX_MESSAGE

MAX_HELLO = 16 << 10
"""Bytes of a client's first flight read to find its ClientHello."""


def looks_like_tls(data: bytes) -> bool:
    """A TLS record header: content type 20-23, version 3.x."""
    return len(data) >= 3 and 20 <= data[0] <= 23 and data[1] == 3 and data[2] <= 4


def client_hello_sni(data: bytes) -> str | bool | None:
    """The server_name of the ClientHello at the start of `data`: a str, None when there is no
    SNI (or this is not a ClientHello), False when more bytes are needed."""
    if len(data) < 5:
        return False
    if data[0] != 22:
        return None
    record = int.from_bytes(data[3:5])
    body = data[5 : 5 + record]
    if len(body) < 4:
        return False if len(data) < 5 + record else None
    if body[0] != 1:  # not a ClientHello
        return None
    length = int.from_bytes(body[1:4])
    if len(body) < 4 + length and len(data) < 5 + record:
        return False  # the record is not all here yet
    try:
        return _sni(body[4 : 4 + length])
    except IndexError:
        return None


def _sni(hello: bytes) -> str | None:
    pos = 2 + 32  # version, random
    pos += 1 + hello[pos]  # session id
    pos += 2 + int.from_bytes(hello[pos : pos + 2])  # cipher suites
    pos += 1 + hello[pos]  # compression methods
    end = pos + 2 + int.from_bytes(hello[pos : pos + 2])
    pos += 2
    while pos + 4 <= min(end, len(hello)):
        kind = int.from_bytes(hello[pos : pos + 2])
        size = int.from_bytes(hello[pos + 2 : pos + 4])
        if kind == 0:  # server_name: list length, then (type, length, name)
            names = hello[pos + 4 : pos + 4 + size]
            if len(names) >= 5 and names[2] == 0:
                name_length = int.from_bytes(names[3:5])
                return names[5 : 5 + name_length].decode("ascii", "replace") or None
            return None
        pos += 4 + size
    return None


KEYLOG_HINT = (
    "to read inside, log its keys: set SSLKEYLOGFILE=keys.log for curl, Firefox, Chromium or "
    "httpx (or run Chromium with --ssl-key-log-file=keys.log), then pass --keylog keys.log"
)


class InnerReader(Protocol):
    """What reads a decrypted connection's plaintext: `HttpConnection`'s interface."""

    out: list[ModelEvent]

    def data(self, side: Direction, data: bytes, timestamp: float) -> None: ...
    def end(self, side: Direction, timestamp: float) -> None: ...
    def close(self, timestamp: float, error: str | None) -> None: ...


def reader_for(
    alpn: str | None, source: int, key: str, client: str, server: str, tls: TlsInfo
) -> InnerReader | None:
    """The reader of a decrypted connection's plaintext, by its ALPN: HTTP/1.1 (or no ALPN),
    HTTP/2; None for anything else."""
    if alpn in (None, "http/1.1", "http/1.0"):
        return HttpConnection(source, key, client, server, False, MAX_MESSAGE, tls=tls)
    if alpn == "h2":
        return Http2Connection(source, key, client, server, False, MAX_MESSAGE, tls=tls)
    return None
