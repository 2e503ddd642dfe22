"""The WebSocket opening handshake (RFC 6455 section 4) checked from both sides' headers."""

from __future__ import annotations

import base64
import hashlib

from pushscope.inspector.model import Handshake, Headers, Request, header, header_all

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_for(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer to `key` (RFC 6455 section 4.2.2)."""
    digest = hashlib.sha1(key.strip().encode("latin-1", "replace") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def is_websocket_request(request: Request) -> bool:
    """Does the request ask for a WebSocket upgrade?"""
    fields = request.fields
    upgrade = fields.get("upgrade")
    if upgrade is not None and "websocket" in upgrade.lower():
        return True
    return "sec-websocket-key" in fields


def upgrade_target(headers: Headers) -> str | None:
    """The protocol a 101 response switches to, lower-cased (`websocket`, `h2c`, `tcp`...)."""
    upgrade = header(headers, "upgrade")
    return upgrade.strip().lower() if upgrade else None


def check_handshake(
    request: Headers, status: int | None, response: Headers | None, extended: bool = False
) -> Handshake:
    """Check a WebSocket handshake; the first problem found is the reason it failed.

    `extended`: an HTTP/2 (or HTTP/3) extended CONNECT (RFC 8441, RFC 9220), which a 2xx
    accepts, with no key, accept, Upgrade or Connection header."""
    problems: list[str] = []
    response = response or ()
    key = header(request, "sec-websocket-key")
    accept = header(response, "sec-websocket-accept")
    version = header(request, "sec-websocket-version")
    if status is None:
        problems.append("no response")
    elif extended:
        if not 200 <= status < 300:
            problems.append(f"server answered {status} to the extended CONNECT")
    elif status != 101:
        problems.append(f"server answered {status} instead of 101 Switching Protocols")
    if not key and not extended:
        problems.append("request has no Sec-WebSocket-Key")
    if version is not None and version.strip() != "13":
        problems.append(f"Sec-WebSocket-Version is {version.strip()}, not 13")
    accept_checked = False
    if status == 101:
        if "websocket" not in (header(response, "upgrade") or "").lower():
            problems.append("101 response lacks Upgrade: websocket")
        if not any(v.lower() == "upgrade" for v in header_all(response, "connection")):
            problems.append("101 response lacks Connection: Upgrade")
        if accept is None:
            problems.append("101 response has no Sec-WebSocket-Accept")
        elif key:
            accept_checked = True
            if accept.strip() != accept_for(key):
                problems.append(
                    f"Sec-WebSocket-Accept {accept.strip()!r} does not match the key "
                    f"(expected {accept_for(key)!r})"
                )
    offered = header_all(request, "sec-websocket-protocol")
    subprotocol = header(response, "sec-websocket-protocol")
    if subprotocol is not None:
        subprotocol = subprotocol.strip()
        if offered and subprotocol not in offered:
            problems.append(f"server chose subprotocol {subprotocol!r}, which was not offered")
    return Handshake(
        ok=not problems,
        reason=problems[0] if problems else None,
        subprotocol=subprotocol or None,
        extensions=negotiated_extensions(response),
        accept_checked=accept_checked,
    )


def negotiated_extensions(response: Headers) -> list[str]:
    """Extensions the server agreed to, with parameters, e.g.
    `permessage-deflate; server_no_context_takeover; client_max_window_bits=12`."""
    return [
        "; ".join(part.strip() for part in item.split(";") if part.strip())
        for item in header_all(response, "sec-websocket-extensions")
    ]
