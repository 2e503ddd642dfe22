"""HAR 1.2 as browsers and tools export it, entries read one at a time.

Tolerates what real exports do: a BOM, missing optional fields, `-1` sizes, odd timestamps,
base64 bodies, Chrome's `_webSocketMessages` and `_resourceType`, `_eventSourceMessages` (read
when the entry has no body: a body is parsed as the stream it was). A broken entry is reported
by index and skipped; a file that is not HAR at all is a `CaptureError`. The `_pushscope`
fields of a HAR that `pushscope export` wrote (see `inspector.export_har`) are read too, so it
is analysed as the capture it came from.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from operator import itemgetter
from typing import Any, BinaryIO

from pushscope.inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    SseItemSeen,
    WebSocketMessagesSeen,
)
from pushscope.inspector.model import (
    Exchange,
    Headers,
    Opcode,
    Request,
    Response,
    SseComment,
    SseEvent,
    WebSocketMessage,
    header,
)
from pushscope.inspector.operations import (
    RPC_BODY_CAP,
    Operation,
    rpc_body_wanted,
    rpc_operation,
    stored_operation,
)
from pushscope.inspector.readers.ahead import read_ahead
from pushscope.inspector.readers.base import CaptureError, StringPool, http_version
from pushscope.inspector.readers.jsonstream import JsonStream, JsonStreamError


class _EntryError(ValueError):
    pass


_iso_time = datetime.fromisoformat
_intern = StringPool()
_NUMBER = (int, float)
"""For isinstance: a tuple, because `int | float` builds a new union each time it is met."""


def read_har(fp: BinaryIO, source: int, name: str) -> Iterator[ModelEvent]:
    """Model events for every entry of a HAR file.

    Reading is two steps: an entry's JSON becomes a plain record (`_entries`), the record
    becomes model events (`_events`). A large file is read in a process of its own, the first
    step there and the second here, so that decoding the JSON and analysing run side by side.
    """
    records = read_ahead(lambda: _entries(fp, name)) if _large(fp) else _entries(fp, name)
    for record in records:
        if isinstance(record, str):
            yield SourceProblem(source, record)
        else:
            yield from _events(record, source)


def _large(fp: BinaryIO) -> bool:
    """Is this a file of `READ_AHEAD_SIZE` or more?"""
    try:
        return os.fstat(fp.fileno()).st_size >= READ_AHEAD_SIZE
    except (OSError, ValueError, io.UnsupportedOperation):
        return False  # not a file (a test's bytes), or a compressed one: read here


READ_AHEAD_SIZE = 16 << 20
"""Files from this size are read in a process of their own (if the platform allows)."""


def _entries(fp: BinaryIO, name: str) -> Iterator[_Entry | str]:
    """Each entry's record, or a problem (a string) where an entry or the rest of the file
    cannot be used. Raises CaptureError if the file is not HAR at all."""
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
                    yield _checked_entry(entry, index)
    except JsonStreamError as e:
        where = f"after entry {index}" if index >= 0 else "before the first entry"
        if index < 0:
            raise CaptureError(f"{name}: invalid JSON {where}: {e}") from None
        yield f"invalid JSON {where}: {e}; the rest of the file was not read"
        return
    if not found_entries:
        if "request" in bare and "response" in bare:
            yield _checked_entry(bare, 0)
        else:
            raise CaptureError(f"{name}: not a HAR file: no log.entries")


def _checked_entry(entry: Any, index: int) -> _Entry | str:
    """The entry's record, or a problem naming the entry if it cannot be used."""
    try:
        if not isinstance(entry, dict):
            raise _EntryError(f"an entry must be an object, not {type(entry).__name__}")
        return _entry(entry, index)
    except (_EntryError, KeyError, TypeError, ValueError, AttributeError) as e:
        return f"entry {index}: {_describe(e)}; entry skipped"


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


_Entry = tuple[Any, ...]
"""An entry reduced to what the model needs, in plain values (cheap to pickle): index,
started, ended, a problem with the start time or None, method, url, HTTP version, request
headers, request body size, server address, WebSocket hint, response (status, reason,
version, headers, start, body size, body) or None, error, WebSocket messages or None, SSE
events (read only for an entry without a body) or None, `_pushscope`'s client, body
chunks, SSE comment times and ExchangeClosed fields (`_extra`) or None, and the request's RPC
operation or None."""


def _entry(entry: dict[str, Any], index: int) -> _Entry:
    get = entry.get
    req = entry["request"]
    started_at = get("startedDateTime")
    problem = None
    if started_at is None:
        started = 0.0
        problem = f"entry {index}: no startedDateTime; its time is unknown"
    else:
        try:  # the usual ISO 8601 text without a call; anything else as `_time` takes it
            started = _iso_time(started_at.strip().replace(" ", "T", 1)).timestamp()
        except (AttributeError, ValueError):
            started = _time(started_at, "startedDateTime")
    duration = get("time")
    ended = started + duration / 1000 if isinstance(duration, _NUMBER) and duration >= 0 else None
    post = req.get("postData") or {}
    request_size = req.get("bodySize")
    posted = len(post.get("text") or "")
    if type(request_size) is not int or request_size < 0:  # the usual case without a call
        request_size = _size(request_size, posted)
    version = req.get("httpVersion")
    messages = get("_webSocketMessages")
    ws = _ws_messages(messages) if messages else None
    extra = get("_pushscope")
    method = str(req["method"])
    url = _url(req["url"], extra)
    headers = _headers(req.get("headers"))
    operation = None
    if method == "GET" or (method == "POST" and posted):
        operation = _operation(method, url, headers, post)
    if operation is None and isinstance(extra, dict) and "operation" in extra:
        operation = stored_operation(extra["operation"])
    resp = get("response") or {}
    status = resp.get("status")
    error = get("_error") or resp.get("_error") or None
    response = None
    if isinstance(status, int) and status > 0:
        content = resp.get("content") or {}
        body = _body(content)
        response_size = resp.get("bodySize")
        content_size = content.get("size")
        if type(response_size) is not int or response_size < 0:
            response_size = _size(response_size, content_size, len(body))
        reason = resp.get("statusText")
        response_version = resp.get("httpVersion")
        response = (
            status,
            str(reason) if reason else "",
            http_version(response_version),
            _headers(resp.get("headers")),
            _response_start(started, get("timings")),
            response_size,
            body,
        )
    elif error is None:
        error = "no response"
    return (
        index,
        started,
        ended,
        problem,
        method,
        url,
        http_version(version),
        headers,
        request_size,
        get("serverIPAddress") or None,
        get("_resourceType") == "websocket" or bool(messages),
        response,
        str(error) if error else None,
        ws,
        _sse_messages(get("_eventSourceMessages")) if response and not response[6] else None,
        _extra(extra, ws) if extra else None,
        operation,
    )


def _operation(method: str, url: str, headers: Headers, post: Any) -> Operation | None:
    """The RPC operation of a GET's URL or of a POST's `postData` (its text encoded only if
    it may be RPC); `mimeType` says the content type where the headers do not."""
    if method == "GET":
        return rpc_operation(method, url, None, None)
    text = post.get("text")
    content_type = header(headers, "content-type") or post.get("mimeType")
    if not isinstance(text, str) or not rpc_body_wanted(method, url, content_type):
        return None
    body = text[:RPC_BODY_CAP].encode("utf-8", "surrogatepass")[:RPC_BODY_CAP]
    return rpc_operation(method, url, content_type, body)


def _events(record: _Entry, source: int) -> list[ModelEvent]:
    """The model events of an entry's record."""
    # Model objects are built with positional arguments, the cheapest to bind: this runs
    # for every entry.
    index, started, ended, problem, method, url, version, headers, size, server = record[:10]
    hint, response, error, messages, sse, extra, operation = record[10:]
    client, chunks, comments, closed = extra or (None, None, None, _NOTHING)
    events: list[ModelEvent] = []
    if problem is not None:
        events.append(SourceProblem(source, problem))
    exchange_id = f"{source}-{index}"
    # Short, much-repeated strings (method, HTTP version, reason) are pooled: stored once.
    request = Request(
        _intern(method),
        url,
        _intern(version) if version else None,
        headers,
        started,
        size,
        None,
        operation,
    )
    exchange = Exchange(exchange_id, source, request, client, server)
    events.append(ExchangeOpened(exchange, hint))
    if response is not None:
        status, reason, version, headers, response_start, response_size, body = response
        events.append(
            ResponseStarted(
                exchange_id,
                Response(
                    status,
                    _intern(reason),
                    _intern(version) if version else None,
                    headers,
                    response_start,
                    ended,
                    response_size,
                ),
            )
        )
        if chunks and body:
            events += _body_chunks(exchange_id, body, chunks)
        elif body:
            events.append(BodyChunk(exchange_id, body, ended, False))
        elif sse or comments:
            events += _sse_items(exchange_id, sse or (), comments or ())
    if messages is not None:
        events.append(_ws_event(exchange_id, *messages))
        # A HAR entry's time ends with the handshake: the session lasted at least until its
        # last message.
        times = [m[3] for m in messages[0] if m[3] is not None]
        if times and (ended is None or max(times) > ended):
            ended = max(times)
    events.append(ExchangeClosed(exchange_id, ended, error, **closed))
    return events


_NOTHING: dict[str, Any] = {}


def _body_chunks(exchange_id: str, body: bytes, chunks: list[tuple[int, Any]]) -> list[ModelEvent]:
    """The body in the pieces it arrived in, each at its time (`_pushscope.chunks`)."""
    ends = [offset for offset, _ in chunks[1:]]
    ends.append(len(body))
    return [
        BodyChunk(exchange_id, body[start:end], at, False)
        for (start, at), end in zip(chunks, ends, strict=True)
    ]


def _sse_items(
    exchange_id: str, sse: Iterable[tuple[Any, ...]], comments: Iterable[float | None]
) -> list[SseItemSeen]:
    """An entry's SSE events and comments, in the order of their times."""
    items = [SseItemSeen(exchange_id, SseEvent(*event)) for event in sse]
    items += [SseItemSeen(exchange_id, SseComment("", at)) for at in comments]
    if comments:
        items.sort(key=lambda seen: (seen.item.timestamp is None, seen.item.timestamp or 0.0))
    return items


def _sse_messages(messages: Any) -> list[tuple[str, str, str, float | None, bool]] | None:
    """`_eventSourceMessages` as SseEvent fields (type, data, last event ID, time, had an id).
    Whether an event's own block carried `id:` is not recorded: one whose ID changed did."""
    if not messages or not isinstance(messages, list):
        return None
    events = []
    last = ""
    for message in messages:
        if not isinstance(message, dict):
            raise _EntryError("an _eventSourceMessages item is not an object")
        get = message.get
        name, data, event_id, at = get("eventName"), get("data"), get("eventId"), get("time")
        event_id = "" if event_id is None else str(event_id)
        if isinstance(at, _NUMBER):
            at = float(at) / 1000 if at > 1e11 else float(at)
        else:
            at = None
        kind = str(name) if name else "message"
        events.append((kind, "" if data is None else str(data), event_id, at, event_id != last))
        last = event_id
    return events


def _extra(
    value: Any, ws: tuple[list[tuple[str, int, int, float | None]], list[Any]] | None
) -> tuple[str | None, list[tuple[int, Any]] | None, list[float | None], dict[str, Any]] | None:
    """What `_pushscope` (written by `pushscope export`) adds: the client's address, where the
    body's pieces began and when, the times of SSE comments a bodiless entry had, and the
    ExchangeClosed fields HAR has none for. Sizes of WebSocket messages whose data is cut are
    put into `ws`. Malformed fields are ignored."""
    if not isinstance(value, dict):
        return None
    get = value.get
    closed: dict[str, Any] = {}
    close = get("close")
    if isinstance(close, dict):
        code, reason, by = close.get("code"), close.get("reason"), close.get("by")
        if type(code) is int:
            closed["close_code"] = code
            closed["close_reason"] = reason if isinstance(reason, str) else None
        if by in ("client", "server"):
            closed["closed_by"] = by
    for key, name, kind in _OUTCOMES:
        found = get(key)
        if type(found) is kind:
            closed[name] = found
    if get("bodyUnknown") is True:
        closed["body_unknown"] = True
    sizes = get("sizes")
    if ws is not None and isinstance(sizes, list):
        seen = ws[0]
        for pair in sizes:
            if isinstance(pair, list) and len(pair) == 2:
                i, size = pair
                if type(i) is int and type(size) is int and 0 <= i < len(seen) and size >= 0:
                    direction, opcode, _, at = seen[i]
                    seen[i] = (direction, opcode, size, at)
    client = get("client")
    comments = get("comments")
    return (
        client if isinstance(client, str) and client else None,
        _chunks(get("chunks")),
        [_at(at) for at in comments] if isinstance(comments, list) else [],
        closed,
    )


def _url(url: Any, extra: Any) -> str:
    """The request's URL; a CONNECT's authority where `pushscope export` kept it aside."""
    if isinstance(extra, dict) and isinstance(original := extra.get("url"), str):
        return original
    return str(url)


def _at(value: Any) -> float | None:
    return float(value) if isinstance(value, _NUMBER) else None


_OUTCOMES = (
    ("digest", "body_digest", str),
    ("retry", "sse_retry_ms", int),
    ("records", "stream_records", int),
)


def _chunks(value: Any) -> list[tuple[int, Any]] | None:
    """`_pushscope.chunks`, [[offset, time], ...] from offset 0 on, or None if malformed."""
    if not isinstance(value, list) or not value:
        return None
    chunks: list[tuple[int, Any]] = []
    previous = 0
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            return None
        offset, at = pair
        if type(offset) is not int or offset < previous or (not chunks and offset != 0):
            return None
        chunks.append((offset, _at(at)))
        previous = offset
    return chunks


_BEFORE_RESPONSE = ("blocked", "dns", "connect", "send", "wait")


def _response_start(started: float, timings: Any) -> float | None:
    if not isinstance(timings, dict):
        return None
    before: float = 0.0
    for key in _BEFORE_RESPONSE:
        value = timings.get(key)
        if isinstance(value, _NUMBER) and value > 0:
            before += value
    return started + before / 1000


_MESSAGE_FIELDS = itemgetter("type", "time", "opcode", "data")


def _ws_messages(messages: Any) -> tuple[list[tuple[str, int, int, float | None]], list[Any]]:
    """A session's messages as (direction, opcode, size, time), and their payloads. A text
    message's payload is its text, encoded only if asked for: its size needs no encoding when
    it is ASCII."""
    seen: list[tuple[str, int, int, float | None]] = []
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
            (
                "client" if kind == "send" else "server",
                opcode,
                size,
                float(timestamp) if isinstance(timestamp, _NUMBER) else None,
            )
        )
        payloads.append(payload)
    return seen, payloads


def _ws_event(
    exchange_id: str, seen: list[tuple[Any, int, int, float | None]], payloads: list[Any]
) -> WebSocketMessagesSeen:
    """All of a session's messages as one event."""

    def payload_of(i: int) -> bytes:
        payload = payloads[i]
        return payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload

    messages = [WebSocketMessage(*message) for message in seen]
    return WebSocketMessagesSeen(exchange_id, messages, payload_of)
