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
        if "\n" not in text and "\r" not in text:
            # No line ends here: keep the piece without re-joining what came before.
            self._partial.append(text)
            self._partial_len += len(text)
        else:
            text = "".join(self._partial) + text if self._partial_len else text
            lines = _EOL.split(text) if "\r" in text else text.split("\n")
            last = lines.pop()
            self._partial = [last]
            self._partial_len = len(last)
            self._interpret(lines, timestamp, items)
        if self._partial_len > self.max_line:
            self._partial = []
            self._partial_len = 0
            self._skipping = True
            self._error(f"line longer than {self.max_line} characters", items)
        return items

    def _interpret(self, lines: list[str], timestamp: float | None, items: list[SseItem]) -> None:
        """Interpret whole lines, as the spec's "event stream interpretation" says. The event
        being built is held in locals while the lines go by, and put back at the end."""
        max_line, max_event = self.max_line, self.max_event
        data, size, event_type = self._data, self._data_len, self._event_type
        id_buffer, had_id, too_big = self._id_buffer, self._had_id, self._event_too_big
        last_id = self.last_event_id
        # Lines this short, with this little data pending, cannot reach either limit.
        checked = size + sum(map(len, lines)) + len(lines) > min(max_line, max_event)
        append = items.append
        for line in lines:
            if not line:  # a blank line dispatches the event
                last_id = id_buffer
                if data:  # (an event too big has none: it was dropped)
                    kind = event_type or "message"
                    append(SseEvent(kind, "\n".join(data), id_buffer, timestamp, had_id))
                    data = []
                size, event_type, had_id, too_big = 0, "", False, False
                continue
            if checked and len(line) > max_line:
                self._error(f"line longer than {max_line} characters", items)
                continue
            if line[:6] == "data: ":  # the usual line first (a slice is cheaper than startswith)
                value = line[6:]
            else:
                name, colon, value = line.partition(":")
                if not name:  # a comment: the line began with the colon
                    append(SseComment(value, timestamp))
                    continue
                if colon and value[:1] == " ":
                    value = value[1:]
                if name != "data":
                    if name == "event":
                        event_type = value
                    elif name == "id":
                        if "\0" not in value:
                            id_buffer = value
                            had_id = True
                    elif name == "retry" and value.isascii() and value.isdigit():
                        self.retry_ms = int(value)
                    continue
            if too_big:
                continue
            if checked:
                size += len(value) + 1
                if size > max_event:
                    too_big = True
                    data = []
                    self._error(f"event data longer than {max_event} characters", items)
                    continue
            data.append(value)
        if not checked:
            size = sum(map(len, data)) + len(data)
        self._data, self._data_len, self._event_type = data, size, event_type
        self._id_buffer, self._had_id, self._event_too_big = id_buffer, had_id, too_big
        self.last_event_id = last_id

    def _reset_event(self) -> None:
        self._data = []
        self._data_len = 0
        self._event_type = ""
        self._had_id = False
        self._event_too_big = False

    def _error(self, message: str, items: list[SseItem]) -> None:
        items.append(SseError(f"{message} at byte {self.offset}", self.offset))
