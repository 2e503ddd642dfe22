"""What the exchange table shows of an exchange: plain strings, safe to display (no Textual).

Network text is data. It reaches the screen as `Segment`s and `Text` objects, never as
markup, and control characters are replaced here so they cannot move the cursor or ring.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from pushscope.inspector.model import Exchange, Protocol
from pushscope.inspector.report.summary import human_bytes, seconds

BADGES = {
    Protocol.REST: "REST",
    Protocol.SSE: "SSE",
    Protocol.WEBSOCKET: "WS",
    Protocol.STREAM: "STREAM",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return _CONTROL_PICTURES.get(code, f"\\x{code:02x}")


def safe(text: str, newlines: bool = False) -> str:
    """`text` with control characters shown as symbols (keep newlines when `newlines`)."""
    if not newlines:
        text = text.replace("\n", "\u2424").replace("\t", " ")
    return _CONTROL.sub(_picture, text)


def split_url(url: str) -> tuple[str, str]:
    """(host[:port], path?query) of an absolute URL, cheaply; a relative one is all path."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        return "", url
    rest = url[scheme_end + 3 :]
    slash = rest.find("/")
    if slash < 0:
        question = rest.find("?")
        return (rest, "/") if question < 0 else (rest[:question], "/" + rest[question:])
    return rest[:slash], rest[slash:]


@dataclass(slots=True, frozen=True)
class Row:
    """One line of the exchange table, as text."""

    time: str
    client: str
    method: str
    host: str
    path: str
    status: str
    protocol: Protocol
    size: str
    duration: str
    count: str
    finding: bool
    open: bool
    failed: bool
    marked: bool = False
    """The user marked it (`m`)."""


def row_of(exchange: Exchange, in_finding: bool, is_open: bool) -> Row:
    request, response = exchange.request, exchange.response
    host, path = split_url(request.url)
    status = str(response.status) if response is not None else ("ERR" if exchange.error else "")
    size = (response.body_size if response else 0) + request.body_size
    if exchange.websocket is not None:
        size += exchange.websocket.bytes.client + exchange.websocket.bytes.server
    return Row(
        time=clock(exchange.started),
        client=safe((exchange.client or "").rsplit(":", 1)[0]),
        method=safe(request.method),
        host=safe(host),
        path=safe(path),
        status=status,
        protocol=exchange.protocol,
        size=human_bytes(size) if size else "",
        duration=_duration(exchange, is_open),
        count=_count(exchange),
        finding=in_finding,
        open=is_open,
        failed=bool(exchange.error)
        or (exchange.websocket is not None and not exchange.websocket.handshake.ok),
    )


def clock(timestamp: float | None) -> str:
    """Local wall-clock time with milliseconds, as a capture shows it."""
    if not timestamp:
        return ""
    local = time.localtime(timestamp)
    return time.strftime("%H:%M:%S", local) + f".{int(timestamp * 1000) % 1000:03d}"


def _duration(exchange: Exchange, is_open: bool) -> str:
    if is_open:
        return "open"
    if exchange.ended is None or not exchange.started:
        return ""
    return seconds(max(0.0, exchange.ended - exchange.started))


def _count(exchange: Exchange) -> str:
    if exchange.websocket is not None:
        counts = exchange.websocket.counts
        total = counts.client + counts.server
        return f"{total} msg" if total else ""
    if exchange.sse is not None:
        return f"{exchange.sse.count} ev" if exchange.sse.count else ""
    if exchange.stream is not None and exchange.stream.records:
        return f"{exchange.stream.records} rec"
    return ""
