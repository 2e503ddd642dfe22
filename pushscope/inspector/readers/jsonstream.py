"""Walk a large JSON document one array element at a time, with the C decoder doing the work.

`json.load` holds the whole document; a HAR of 100,000 entries is gigabytes of dicts. Here only
the element being decoded is held: the structure around it is walked by hand, each element is
decoded by `json.JSONDecoder.raw_decode` from a sliding text buffer.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from pushscope.inspector.text import SURROGATE_ESCAPE, valid_texts

_BLOCK = 1 << 20
_AHEAD = 1 << 18
"""Characters kept ahead of a value about to be decoded (more than most HAR entries)."""
_WS = " \t\r\n"
_SKIP_WS = re.compile(r"[ \t\r\n]*").match


class JsonStreamError(ValueError):
    """Malformed JSON; `offset` counts characters from the start of the document."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at character {offset}")
        self.offset = offset


class JsonStream:
    """A cursor over a JSON document read from a binary file (UTF-8, BOM tolerated)."""

    def __init__(self, fp: BinaryIO, max_value: int = 1 << 30) -> None:
        self._fp = fp
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._json = json.JSONDecoder()
        # What raw_decode calls, without raw_decode's Python frame around it.
        self._scan: Callable[[str, int], tuple[Any, int]] = self._json.scan_once  # type: ignore[attr-defined]
        self._buf = ""
        self._pos = 0
        self._base = 0  # document offset of _buf[0]
        self._eof = False
        self._surrogates = False
        """The text read so far escapes a surrogate: values are made valid text."""
        self.max_value = max_value

    @property
    def offset(self) -> int:
        return self._base + self._pos

    def _fill(self, size: int = _BLOCK) -> bool:
        if self._eof:
            return False
        chunk = self._fp.read(size)
        text = self._decoder.decode(chunk, final=not chunk)
        if not chunk:
            self._eof = True
        if self._pos > len(self._buf) // 2:
            self._base += self._pos
            self._buf = self._buf[self._pos :]
            self._pos = 0
        self._buf += text
        if not self._surrogates:  # an escape may straddle two blocks: look 5 characters back
            start = max(len(self._buf) - len(text) - 5, 0)
            self._surrogates = SURROGATE_ESCAPE.search(self._buf, start) is not None
        return True

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end), without consuming it."""
        while True:
            match = _SKIP_WS(self._buf, self._pos)
            assert match is not None  # it matches the empty string
            self._pos = match.end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, chars: str) -> str:
        found = self.peek()
        if not found or found not in chars:
            wanted = " or ".join(repr(c) for c in chars)
            raise JsonStreamError(
                f"expected {wanted}, found {found!r}"
                if found
                else f"expected {wanted}, found the end",
                self.offset,
            )
        self._pos += 1
        return found

    def value(self) -> Any:
        """Decode the next complete JSON value."""
        self.peek()
        if len(self._buf) - self._pos < _AHEAD and not self._eof:
            # Read on before the value runs out: a failed decode at the end of the buffer
            # costs the decoding so far and an error whose line number counts every newline.
            self._fill()
        size = _BLOCK
        while True:
            try:
                try:
                    value, end = self._scan(self._buf, self._pos)
                except StopIteration as stop:  # as raw_decode turns it
                    raise json.JSONDecodeError("Expecting value", self._buf, stop.value) from None
            except json.JSONDecodeError as e:
                # An error near the end of the buffer may only mean the value goes on.
                incomplete = e.pos >= len(self._buf) - 64 or e.msg.startswith("Unterminated")
                if not incomplete or self._eof:
                    raise JsonStreamError(e.msg, self._base + e.pos) from None
                if len(self._buf) - self._pos > self.max_value:
                    raise JsonStreamError(
                        f"value larger than {self.max_value} characters", self.offset
                    ) from None
                self._fill(size)
                size *= 2
                continue
            if end == len(self._buf) and not self._eof and self._buf[self._pos] not in '{["':
                # A number may continue in the next block.
                self._fill()
                continue
            self._pos = end
            return valid_texts(value) if self._surrogates else value

    def members(self) -> Iterator[str]:
        """Walk an object: yield each key, with the cursor left on its value."""
        self.expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise JsonStreamError("expected an object key", self.offset)
            self.expect(":")
            yield key
            if self.expect(",}") == "}":
                return

    def items(self) -> Iterator[Any]:
        """Walk an array, decoding one element at a time."""
        self.expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]") == "]":
                return
