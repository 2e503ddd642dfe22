"""STOMP 1.0-1.2 frames (https://stomp.github.io/stomp-specification-1.2.html)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pushscope.inspector.decoders.render import show_bytes
from pushscope.inspector.decoders.result import MAX_PARTS, Decoded, Malformed, Message, safe_decoded

_STOMP_COMMANDS: Final = frozenset(
    {
        "CONNECT",
        "STOMP",
        "CONNECTED",
        "SEND",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "ACK",
        "NACK",
        "BEGIN",
        "COMMIT",
        "ABORT",
        "DISCONNECT",
        "MESSAGE",
        "RECEIPT",
        "ERROR",
    }
)
_STOMP_KEYS: Final = {
    "CONNECT": ("accept-version", "host", "login", "heart-beat"),
    "STOMP": ("accept-version", "host", "login", "heart-beat"),
    "CONNECTED": ("version", "server", "session", "heart-beat"),
    "SEND": ("destination", "transaction", "receipt"),
    "SUBSCRIBE": ("destination", "id", "ack"),
    "UNSUBSCRIBE": ("id",),
    "ACK": ("id", "transaction"),
    "NACK": ("id", "transaction"),
    "BEGIN": ("transaction",),
    "COMMIT": ("transaction",),
    "ABORT": ("transaction",),
    "DISCONNECT": ("receipt",),
    "MESSAGE": ("destination", "subscription", "message-id"),
    "RECEIPT": ("receipt-id",),
    "ERROR": ("message", "receipt-id"),
}
"""The headers that say what each frame is about, in the summary and the fields."""
_STOMP_SECRETS: Final = frozenset({"passcode"})
_STOMP_UNESCAPES: Final = {"\\r": "\r", "\\n": "\n", "\\c": ":", "\\\\": "\\"}
_STOMP_ESCAPE = re.compile(r"\\[rnc\\]")


@dataclass(frozen=True, slots=True)
class _StompFrame:
    command: str
    headers: list[tuple[str, str]]
    """As on the wire, in wire order (escapes kept: `_stomp_header` undoes them)."""
    body: bytes
    complete: bool


def decode_stomp(message: Message) -> Decoded:
    """The STOMP frames of a message (at most MAX_PARTS), or heart-beat end-of-lines."""
    data = message.payload
    if data and not data.strip(b"\r\n"):
        beats = max(1, data.count(b"\n"))
        return safe_decoded(
            "stomp",
            "STOMP heart-beat" + (f" x{beats}" if beats > 1 else ""),
            f"STOMP heart-beat: {beats} end-of-line{'s' if beats > 1 else ''}, no frame",
            [("type", "heart-beat")],
            heartbeat=True,
        )
    frames, rest = _stomp_frames(data)
    first = frames[0]
    fields = [("type", first.command)]
    seen = {_stomp_unescape(first, name) for name, _ in first.headers}
    wanted = _STOMP_KEYS.get(first.command, ())
    facts = [(name, _stomp_header(first, name)) for name in wanted if name in seen]
    fields += facts
    summary = f"STOMP {first.command}" + "".join(f" {name}={value}" for name, value in facts)
    preview, _ = show_bytes(first.body)
    if first.body:
        summary += f" {preview}"
    notes: list[str] = []
    if not first.complete:
        notes.append("frame incomplete: no NUL yet (it may continue in the next message)")
    if len(frames) > 1:
        fields.append(("frames", str(len(frames))))
        summary += f" (+{len(frames) - 1} more frame{'s' if len(frames) > 2 else ''})"
    if rest:
        notes.append(f"{rest} B after frame {len(frames)} not decoded")
    body = "\n\n".join(_stomp_rendering(frame) for frame in frames)
    return safe_decoded("stomp", summary, body, fields, notes=notes)


def _stomp_frames(data: bytes) -> tuple[list[_StompFrame], int]:
    """The frames of a message (heart-beat EOLs between them skipped), and how many bytes
    were left undecoded past MAX_PARTS frames."""
    frames: list[_StompFrame] = []
    at = 0
    while at < len(data) and len(frames) < MAX_PARTS:
        while data.startswith(b"\n", at) or data.startswith(b"\r\n", at):
            at += 1 if data[at] == 0x0A else 2
        if at >= len(data):
            break
        frame, at = _stomp_frame(data, at)
        frames.append(frame)
    if not frames:
        raise Malformed("no STOMP frame")
    return frames, len(data) - at


def _stomp_frame(data: bytes, at: int) -> tuple[_StompFrame, int]:
    """The frame at `at` (a command line, header lines, a blank line, the body, NUL) and
    where the next one starts. Content-length, when given, says where the body ends."""
    line_end = data.find(b"\n", at)
    if line_end < 0:
        line_end = len(data)
    command = _stomp_command(data[at:line_end].removesuffix(b"\r"))
    headers: list[tuple[str, str]] = []
    start = line_end + 1
    while True:
        line_end = data.find(b"\n", start)
        if line_end < 0:  # the headers have not ended: the rest is in a later message
            return _StompFrame(command, headers, b"", False), len(data)
        line = data[start:line_end].removesuffix(b"\r")
        start = line_end + 1
        if not line:
            break
        if b"\x00" in line:
            raise Malformed("NUL inside the headers")
        if len(headers) >= _STOMP_MAX_HEADERS:
            raise Malformed(f"more than {_STOMP_MAX_HEADERS} headers")
        name, colon, value = line.decode("utf-8", "replace").partition(":")
        if not colon:
            raise Malformed(f"header line without a colon: {name[:40]!r}")
        headers.append((name, value))
    length = next((value.strip() for name, value in headers if name == "content-length"), "")
    if length.isascii() and length.isdigit() and len(length) < 12:
        end = start + int(length)
        complete = end < len(data) and data[end] == 0
    else:
        nul = data.find(b"\x00", start)
        complete = nul >= 0
        end = nul if complete else len(data)
    return _StompFrame(command, headers, data[start:end], complete), (
        end + 1 if complete else len(data)
    )


_STOMP_MAX_HEADERS: Final = 1000


def _stomp_command(line: bytes) -> str:
    command = line.decode("utf-8", "replace")
    if command not in _STOMP_COMMANDS:
        raise Malformed(f"{command[:20]!r} is not a STOMP command")
    return command


def _stomp_unescape(frame: _StompFrame, value: str) -> str:
    """STOMP 1.2's header escapes undone, except in CONNECT and CONNECTED frames."""
    if frame.command in ("CONNECT", "CONNECTED") or "\\" not in value:
        return value
    return _STOMP_ESCAPE.sub(lambda match: _STOMP_UNESCAPES[match.group()], value)


def _stomp_header(frame: _StompFrame, name: str) -> str:
    """The first value of header `name` (the one STOMP 1.2 says counts), unescaped."""
    value = next(v for k, v in frame.headers if _stomp_unescape(frame, k) == name)
    if name in _STOMP_SECRETS:
        return f"({len(value)} characters, hidden)"
    return _stomp_unescape(frame, value)


def _stomp_rendering(frame: _StompFrame) -> str:
    lines = [frame.command]
    for name, value in frame.headers:
        shown = f"({len(value)} characters, hidden)" if name in _STOMP_SECRETS else value
        lines.append(f"{name}:{shown}")
    _, body = show_bytes(frame.body)
    lines += ["", body if frame.body else "(no body)"]
    if not frame.complete:
        lines.append("(frame not ended)")
    return "\n".join(lines)


def sniff_stomp(message: Message) -> bool:
    """A STOMP command as the first line, and a NUL somewhere after."""
    data = message.payload.lstrip(b"\r\n")
    line = data[:16].split(b"\n", 1)[0].removesuffix(b"\r")
    return b"\x00" in data and line.decode("ascii", "replace") in _STOMP_COMMANDS
