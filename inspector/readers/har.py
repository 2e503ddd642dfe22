"""HAR 1.2 as browsers and tools export it, entries read one at a time.

Tolerates what real exports do: a BOM, missing optional fields, `-1` sizes, odd timestamps,
base64 bodies, Chrome's `_webSocketMessages` and `_resourceType`. A broken entry is reported
by index and skipped; a file that is not HAR at all is a `CaptureError`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime
from operator import itemgetter
from typing import Any, BinaryIO

from inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    WebSocketMessagesSeen,
)
from inspector.model import (
    Exchange,
    Headers,
    Opcode,
    Request,
    Response,
    WebSocketMessage,
)
from inspector.readers.base import CaptureError, StringPool
from inspector.readers.jsonstream import JsonStream, JsonStreamError


class _EntryError(ValueError):
    pass


_iso_time = datetime.fromisoformat
_intern = StringPool()
_NUMBER = (int, float)
"""For isinstance: a tuple, because `int | float` builds a new union each time it is met."""


def read_har(fp: BinaryIO, source: int, name: str) -> Iterator[ModelEvent]:
    """Model events for every entry of a HAR file."""
    stream = JsonStream(fp)
    index = -1
    found_entries = False
    bare: dict[str, Any] = {}  # a lone entry object, as some tools save one request
    try:
        if stream.peek() != "{":
            raise CaptureError(f"{name}: not a HAR file: it does not start with a JSON object")
        for key in stream.members():
            if key != "log":
                bare[key] = stream.value()
                continue
            if stream.peek() != "{":
                raise CaptureError(f"{name}: not a HAR file: 'log' is not an object")
            for log_key in stream.members():
                if log_key != "entries":
                    stream.value()
                    continue
                found_entries = True
                if stream.peek() != "[":
                    raise CaptureError(f"{name}: not a HAR file: 'log.entries' is not a list")
                for index, entry in enumerate(stream.items()):
                    yield from _checked_entry(entry, source, index)
    except JsonStreamError as e:
        where = f"after entry {index}" if index >= 0 else "before the first entry"
        if index < 0:
            raise CaptureError(f"{name}: invalid JSON {where}: {e}") from None
        yield SourceProblem(source, f"invalid JSON {where}: {e}; the rest of the file was not read")
        return
    if not found_entries:
        if "request" in bare and "response" in bare:
            yield from _checked_entry(bare, source, 0)
        else:
            raise CaptureError(f"{name}: not a HAR file: no log.entries")


def _checked_entry(entry: Any, source: int, index: int) -> list[ModelEvent]:
    """The entry's events, or one problem naming the entry if it cannot be used."""
    try:
        if not isinstance(entry, dict):
            raise _EntryError(f"an entry must be an object, not {type(entry).__name__}")
        return _entry_events(entry, source, index)
    except (_EntryError, KeyError, TypeError, ValueError, AttributeError) as e:
        return [SourceProblem(source, f"entry {index}: {_describe(e)}; entry skipped")]


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error) or type(error).__name__


def _time(value: Any, what: str) -> float:
    if isinstance(value, _NUMBER):
        return float(value) / 1000 if value > 1e11 else float(value)
    if not isinstance(value, str) or not value:
        raise _EntryError(f"{what} is missing")
    text = value.strip().replace(" ", "T", 1)
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise _EntryError(f"{what} {value[:40]!r} is not an ISO 8601 time") from None


def _headers(fields: Any) -> Headers:
    if not fields:
        return ()
    # A list, not a generator, into the tuple: twice as fast.
    return tuple([(str(f["name"]), str(f.get("value", ""))) for f in fields])


def _size(*candidates: Any) -> int:
    for value in candidates:
        if isinstance(value, int) and value >= 0:
            return value
    return 0


def _body(content: dict[str, Any]) -> bytes:
    text = content.get("text")
    if not text:
        return b""
    if not isinstance(text, str):
        raise _EntryError("response content.text is not a string")
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError) as e:
            raise _EntryError(f"response body is not valid base64 ({e})") from None
    return text.encode("utf-8", "surrogatepass")


def _entry_events(entry: dict[str, Any], source: int, index: int) -> list[ModelEvent]:
    # Model objects are built with positional arguments: keywords make a dataclass's
    # __init__ over twice as slow, and this runs for every entry.
    events: list[ModelEvent] = []
    get = entry.get
    req = entry["request"]
    started_at = get("startedDateTime")
    if started_at is None:
        started = 0.0
        events.append(
            SourceProblem(source, f"entry {index}: no startedDateTime; its time is unknown")
        )
    else:
        try:  # the usual ISO 8601 text without a call; anything else as `_time` takes it
            started = _iso_time(started_at.strip().replace(" ", "T", 1)).timestamp()
        except (AttributeError, ValueError):
            started = _time(started_at, "startedDateTime")
    duration = get("time")
    ended = started + duration / 1000 if isinstance(duration, _NUMBER) and duration >= 0 else None
    exchange_id = f"{source}-{index}"
    post = req.get("postData") or {}
    request_size = req.get("bodySize")
    posted = len(post.get("text") or "")
    if type(request_size) is not int or request_size < 0:  # the usual case without a call
        request_size = _size(request_size, posted)
    version = req.get("httpVersion")
    # Short, much-repeated strings (method, HTTP version, reason) are pooled: stored once.
    request = Request(
        _intern(str(req["method"])),
        str(req["url"]),
        _intern(str(version)) if version else None,
        _headers(req.get("headers")),
        started,
        request_size,
    )
    exchange = Exchange(exchange_id, source, request, None, get("serverIPAddress") or None)
    messages = get("_webSocketMessages")
    hint = get("_resourceType") == "websocket" or bool(messages)
    events.append(ExchangeOpened(exchange, hint))

    resp = get("response") or {}
    status = resp.get("status")
    error = get("_error") or resp.get("_error") or None
    if isinstance(status, int) and status > 0:
        content = resp.get("content") or {}
        body = _body(content)
        response_size = resp.get("bodySize")
        content_size = content.get("size")
        if type(response_size) is not int or response_size < 0:
            response_size = _size(response_size, content_size, len(body))
        reason = resp.get("statusText")
        version = resp.get("httpVersion")
        response = Response(
            status,
            _intern(str(reason)) if reason else "",
            _intern(str(version)) if version else None,
            _headers(resp.get("headers")),
            _response_start(started, get("timings")),
            ended,
            response_size,
        )
        events.append(ResponseStarted(exchange_id, response))
        if body:
            events.append(BodyChunk(exchange_id, body, ended, False))
    elif error is None:
        error = "no response"
    if messages:
        events.append(_ws_messages(exchange_id, messages))
    events.append(ExchangeClosed(exchange_id, ended, str(error) if error else None))
    return events


_BEFORE_RESPONSE = ("blocked", "dns", "connect", "send", "wait")


def _response_start(started: float, timings: Any) -> float | None:
    if not isinstance(timings, dict):
        return None
    before: float = 0
    for key in _BEFORE_RESPONSE:
        value = timings.get(key)
        if isinstance(value, _NUMBER) and value > 0:
            before += value
    return started + before / 1000


_MESSAGE_FIELDS = itemgetter("type", "time", "opcode", "data")


def _ws_messages(exchange_id: str, messages: Any) -> WebSocketMessagesSeen:
    """All of a session's messages as one event. A text message's payload is its UTF-8
    encoding, made only if asked for: its size needs no encoding when it is ASCII."""
    seen: list[WebSocketMessage] = []
    payloads: list[str | bytes] = []
    for message in messages:
        try:  # one lookup for the four fields of the usual message
            kind, timestamp, opcode, data = _MESSAGE_FIELDS(message)
        except (KeyError, TypeError):
            get = message.get
            kind, timestamp, opcode, data = (
                get("type"),
                get("time"),
                get("opcode", Opcode.TEXT),
                get("data"),
            )
        if type(opcode) is not int:
            opcode = int(opcode)
        data = data or ""
        payload: str | bytes
        if opcode == Opcode.TEXT:
            if not isinstance(data, str):
                raise _EntryError("a WebSocket text message's data is not a string")
            payload = data
            size = len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
        else:
            try:
                payload = base64.b64decode(data)
            except (binascii.Error, ValueError):
                payload = data.encode("utf-8", "surrogatepass")
            size = len(payload)
        seen.append(
            WebSocketMessage(
                "client" if kind == "send" else "server",
                opcode,
                size,
                float(timestamp) if isinstance(timestamp, _NUMBER) else None,
            )
        )
        payloads.append(payload)

    def payload_of(i: int) -> bytes:
        payload = payloads[i]
        return payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload

    return WebSocketMessagesSeen(exchange_id, seen, payload_of)
