"""WebSocket control frames: close, ping and pong (RFC 6455 section 5.5)."""

from __future__ import annotations

from typing import Final

from pushscope.inspector.decoders.render import quoted, show_bytes
from pushscope.inspector.decoders.result import Decoded, safe_decoded

_CLOSE_CODES: Final = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no status",
    1006: "abnormal closure",
    1007: "invalid payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake",
}


def decode_close(payload: bytes) -> Decoded:
    """A close frame: its status code, what the code means, and the reason."""
    if len(payload) < 2:
        note = ["a close payload of 1 byte is invalid"] if payload else []
        return safe_decoded(
            "close", "close (no code)", "no status code", [("type", "close")], notes=note
        )
    code = int.from_bytes(payload[:2], "big")
    reason = payload[2:].decode("utf-8", "replace")
    meaning = _CLOSE_CODES.get(code, "application code" if code >= 3000 else "")
    head = f"close {code}" + (f" {meaning}" if meaning else "")
    summary = head + (f" {quoted(reason)}" if reason else "")
    fields = [("type", "close"), ("code", str(code))] + ([("reason", reason)] if reason else [])
    return safe_decoded("close", summary, f"{head}\nreason: {reason or '(none)'}", fields)


def decode_ping_pong(payload: bytes, kind: str) -> Decoded:
    """A ping or pong (`kind`): a heartbeat, its payload shown."""
    preview, rendering = show_bytes(payload)
    summary = kind if not payload else f"{kind} {preview}"
    return safe_decoded(kind, summary, rendering, [("type", kind)], heartbeat=True)
