"""An incremental, WHATWG-conformant parser for `text/event-stream` bodies.

Sans-IO in the manner of h11: feed bytes as they arrive, get back what they completed.
Feeding a body whole or a byte at a time yields the same items. Garbage never raises:
an over-long line or event becomes an `SseError`, that line or event is dropped, and
parsing resumes at the next line, so memory stays bounded whatever the input.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from pushscope.inspector.model import SseEvent

_EOL = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


@dataclass(slots=True)
class SseComment:
    text: str
    timestamp: float | None = None


@dataclass(slots=True)
class SseError:
    message: str
    offset: int
    """Byte offset into the body where the problem was noticed."""


SseItem = SseEvent | SseComment | SseError


@dataclass(slots=True)
class SseTally:
    """What a piece of a stream amounted to, for a consumer that counts events, not keeps them."""

    events: int = 0
    types: dict[str, int] = field(default_factory=dict)
    """Events of each type, in the order the types first appeared."""
    with_id: int = 0
    """Events whose block carried an `id:` field."""
    comments: int = 0
    errors: list[SseError] = field(default_factory=list)

    def add(self, items: list[SseItem]) -> None:
        for item in items:
            if isinstance(item, SseEvent):
                self.events += 1
                self.types[item.type] = self.types.get(item.type, 0) + 1
                self.with_id += item.had_id
            elif isinstance(item, SseComment):
                self.comments += 1
            else:
                self.errors.append(item)


class SseParser:
    """Turns event-stream bytes into events, comments and errors.

    `max_line` caps one line and `max_event` the data of one event, in characters.
    """

    def __init__(self, max_line: int = 1 << 20, max_event: int = 16 << 20) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self.last_event_id = ""
        self.retry_ms: int | None = None
        self.offset = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._started = False
        self._after_cr = False
        self._partial: list[str] = []
        self._partial_len = 0
        self._skipping = False
        self._data: list[str] = []
        self._data_len = 0
        self._event_type = ""
        self._id_buffer = ""
        self._had_id = False
        self._event_too_big = False

    def feed(self, data: bytes, timestamp: float | None = None) -> list[SseItem]:
        """Parse the next chunk of the body; `timestamp` is when it arrived."""
        text = self._decoder.decode(data)
        items = self._lines(text, timestamp)
        self.offset += len(data)
        return items

    def tally(self, data: bytes, timestamp: float | None = None) -> SseTally:
        """Parse the next chunk like `feed`, but only count what it completed.

        The parser ends in the same state as after `feed`. Whole blocks of a chunk that starts
        a fresh line with no event pending (a body read whole, as from a capture) are counted
        without building an event each; anything unusual (CR line ends, lines or events near
        the limits) goes through `feed`'s own path."""
        text = self._decoder.decode(data)
        tally = SseTally()
        if (
            text
            and "\r" not in text
            and len(text) <= self.max_line
            and len(text) <= self.max_event
            and not self._partial_len
            and not self._skipping
            and not self._after_cr
            and not self._data
            and not self._event_type
            and not self._had_id
            and not self._event_too_big
        ):
            if not self._started:
                self._started = True
                if text.startswith(_BOM):
                    text = text[1:]
            cut = text.rfind("\n\n")
            if cut >= 0:
                self._count_lines(text[: cut + 1], tally)  # its last line is the blank one
                text = text[cut + 2 :]
        tally.add(self._lines(text, timestamp))
        self.offset += len(data)
        return tally

    def _count_lines(self, text: str, tally: SseTally) -> None:
        """Count the events of `text`, `_line` by `_line` but without building them: whole
        lines ending in a blank one, no CR, no line or event over the limits, and no event
        pending before it."""
        types = tally.types
        id_buffer = self._id_buffer
        has_data = had_id = False
        event_type = ""
        events = with_id = comments = 0
        for line in text.split("\n"):
            if not line:  # dispatch
                if has_data:
                    events += 1
                    event_type = event_type or "message"
                    types[event_type] = types.get(event_type, 0) + 1
                    with_id += had_id
                    has_data = False
                had_id = False
                event_type = ""
                continue
            if line.startswith("data"):  # the usual line first
                if len(line) == 4 or line[4] == ":":
                    has_data = True
                    continue
            elif line[0] == ":":
                comments += 1
                continue
            name, colon, value = line.partition(":")
            if colon and value.startswith(" "):
                value = value[1:]
            if name == "event":
                event_type = value
            elif name == "id":
                if "\0" not in value:
                    id_buffer = value
                    had_id = True
            elif name == "retry" and value.isascii() and value.isdigit():
                self.retry_ms = int(value)
        tally.events += events
        tally.with_id += with_id
        tally.comments += comments
        self._id_buffer = self.last_event_id = id_buffer

    def close(self, timestamp: float | None = None) -> list[SseItem]:
        """The body ended. A final event not followed by a blank line is not dispatched."""
        items = self._lines(self._decoder.decode(b"", final=True), timestamp)
        # An unterminated last line is not a line, and an undispatched event is dropped.
        self._partial = []
        self._partial_len = 0
        self._reset_event()
        return items

    def _lines(self, text: str, timestamp: float | None) -> list[SseItem]:
        items: list[SseItem] = []
        if not text:
            return items
        if not self._started:
            self._started = True
            if text.startswith(_BOM):
                text = text[1:]
        if self._after_cr and text.startswith("\n"):
            text = text[1:]
        self._after_cr = text.endswith("\r")
        if self._skipping:
            match = _EOL.search(text)
            if match is None:
                return items
            self._skipping = False
            text = text[match.end() :]
        if _EOL.search(text) is None:
            # No line ends here: keep the piece without re-joining what came before.
            self._partial.append(text)
            self._partial_len += len(text)
        else:
            parts = _EOL.split("".join(self._partial) + text)
            last = parts.pop()
            self._partial = [last]
            self._partial_len = len(last)
            for line in parts:
                self._line(line, timestamp, items)
        if self._partial_len > self.max_line:
            self._partial = []
            self._partial_len = 0
            self._skipping = True
            self._error(f"line longer than {self.max_line} characters", items)
        return items

    def _line(self, line: str, timestamp: float | None, items: list[SseItem]) -> None:
        if not line:
            self._dispatch(timestamp, items)
            return
        if len(line) > self.max_line:
            self._error(f"line longer than {self.max_line} characters", items)
            return
        if line[0] == ":":
            items.append(SseComment(line[1:], timestamp))
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            if self._event_too_big:
                return
            self._data_len += len(value) + 1
            if self._data_len > self.max_event:
                self._event_too_big = True
                self._data.clear()
                self._error(f"event data longer than {self.max_event} characters", items)
                return
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
                self._had_id = True
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)

    def _dispatch(self, timestamp: float | None, items: list[SseItem]) -> None:
        self.last_event_id = self._id_buffer
        if self._data and not self._event_too_big:
            items.append(
                SseEvent(
                    type=self._event_type or "message",
                    data="\n".join(self._data),
                    id=self.last_event_id,
                    timestamp=timestamp,
                    had_id=self._had_id,
                )
            )
        self._reset_event()

    def _reset_event(self) -> None:
        self._data = []
        self._data_len = 0
        self._event_type = ""
        self._had_id = False
        self._event_too_big = False

    def _error(self, message: str, items: list[SseItem]) -> None:
        items.append(SseError(f"{message} at byte {self.offset}", self.offset))
