"""What a decoder reads and makes: the `Message` it is given, `Malformed` when the
message is not in its format, and the `Decoded` it returns, made safe and bounded in one
place (`safe_decoded`). The bounds on work and output are here too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pushscope.inspector.frameworks import SUBPROTOCOLS
from pushscope.inspector.model import Opcode
from pushscope.inspector.text import valid_text

MAX_BODY: Final = 64 << 10
"""Characters of `Decoded.body`; a longer rendering is cut and says so."""
MAX_SUMMARY: Final = 200
"""Characters of `Decoded.summary` (one line)."""
MAX_FIELD: Final = 200
"""Characters of each name and value in `Decoded.fields`."""
MAX_PARSE: Final = 1 << 20
"""Bytes of a message parsed as JSON; a longer one is shown, not parsed."""
HEX_BYTES: Final = 4096
"""Bytes a hex dump shows unless asked for another limit."""
MAX_PARTS: Final = 64
"""STOMP frames, MQTT packets or Engine.IO packets decoded from one message."""
PREVIEW: Final = 72
"""Characters of data previewed in a summary."""

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Decoded:
    """One message, decoded.

    `kind` names the format recognised ("socket.io", "engine.io", "graphql-ws",
    "graphql-transport-ws", "stomp", "mqtt", "json-rpc", "json", "msgpack", "text", "binary",
    "close", "ping", "pong", "sse"); `summary` is one line for a list; `body` the full rendering
    (pretty JSON, frame headers, hex dump); `fields` the key facts in order, the message type
    first as `("type", ...)`, then e.g. event, id, topic, and a `("note", ...)` for anything
    odd; `heartbeat` marks a keep-alive a view may hide.
    """

    kind: str
    summary: str
    body: str
    fields: Fields = ()
    heartbeat: bool = False

    @property
    def framework(self) -> str | None:
        """The framework recognised, named as `frameworks.detect` names it, or None."""
        return _FRAMEWORK_OF_KIND.get(self.kind)


_FRAMEWORK_OF_KIND: Final = {
    "socket.io": "socket.io",
    "engine.io": "socket.io",
    "graphql-ws": "graphql-ws",
    "graphql-transport-ws": "graphql-transport-ws",
    "stomp": "stomp",
    "mqtt": "mqtt",
    "json-rpc": "json-rpc",
}


class Malformed(ValueError):
    """The message is not in the format a decoder reads; the text says why."""


@dataclass(frozen=True, slots=True)
class Message:
    """One WebSocket message as the decoders read it, with the framework its session
    names (the subprotocol wins over detection)."""

    payload: bytes
    opcode: int
    text: str
    """The payload as UTF-8 (invalid sequences replaced), at most MAX_PARSE bytes of it."""
    cut: bool
    """`text` holds only the first MAX_PARSE bytes."""
    utf8: bool
    """The payload is valid UTF-8."""
    framework: str | None
    mqtt_version: int | None
    subprotocol: str | None

    @classmethod
    def of(
        cls,
        payload: bytes,
        opcode: int,
        framework: str | None,
        subprotocol: str | None,
        mqtt_version: int | None,
    ) -> Message:
        """The message, its text decoded from the first MAX_PARSE bytes, its framework named."""
        payload = bytes(payload)
        head = payload[:MAX_PARSE]
        try:
            text, utf8 = head.decode("utf-8"), True
        except UnicodeDecodeError as error:
            # A multi-byte character cut at MAX_PARSE is not an invalid one.
            utf8 = len(payload) > MAX_PARSE and error.start >= len(head) - 3
            text = head.decode("utf-8", "replace")
        protocol = (subprotocol or "").split(",")[0].strip().lower() or None
        named = SUBPROTOCOLS.get(protocol or "") or (framework or "").strip().lower() or None
        return cls(
            payload, opcode, text, len(payload) > MAX_PARSE, utf8, named, mqtt_version, protocol
        )

    @property
    def binary(self) -> bool:
        return self.opcode != Opcode.TEXT


# --- output: one place makes every string safe and bounded -----------------------------

_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


def _line(text: str, limit: int) -> str:
    """`text` as one line of at most `limit` characters: controls and bidi marks escaped."""
    line = _LINE_UNSAFE.sub(_escape, valid_text(text[: limit + 1]))
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _block(text: str, limit: int) -> str:
    """`text` as lines of at most `limit` characters in all: controls but newline and tab
    escaped, and a last line saying so when it was cut."""
    block = _BLOCK_UNSAFE.sub(_escape, valid_text(text[: limit + 1]))
    if len(block) <= limit:
        return block
    return block[:limit] + f"\n[cut: longer than {limit} characters]"


def safe_decoded(
    kind: str,
    summary: str,
    body: str,
    fields: Fields | list[tuple[str, str]] = (),
    *,
    heartbeat: bool = False,
    notes: list[str] | tuple[str, ...] = (),
) -> Decoded:
    """A `Decoded` with the notes first in the body and last in the fields, and every
    string made safe and bounded."""
    if notes:
        body = "".join(f"note: {note}\n" for note in notes) + "\n" + body
        fields = [*fields, *(("note", note) for note in notes)]
    return Decoded(
        kind,
        _line(summary, MAX_SUMMARY),
        _block(body, MAX_BODY),
        tuple((_line(name, MAX_FIELD), _line(value, MAX_FIELD)) for name, value in fields),
        heartbeat,
    )
