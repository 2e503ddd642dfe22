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

from pushscope.inspector.model import SseComment, SseError, SseEvent

_EOL = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


SseItem = SseEvent | SseComment | SseError
__all__ = ["SseComment", "SseError", "SseEvent", "SseItem", "SseParser"]


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
