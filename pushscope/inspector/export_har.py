"""HAR 1.2 from model events, real-time messages included: what `pushscope export` writes.

Any capture pushscope reads becomes HAR as its events arrive: an entry is written when its
exchange closes, so memory holds only the exchanges still open, each bounded by
`ExportLimits`. Besides the usual HAR fields an entry holds:

- `response.content`: the body decoded (Content-Encoding undone), UTF-8 text as it is and
  anything else base64 (`"encoding": "base64"`), cut at `body_bytes`;
- `_webSocketMessages`, as Chrome writes them: `type` (send|receive), `time` (epoch seconds),
  `opcode` (1, 2, and 8/9/10 for the control frames a packet capture holds), `data` (text, or
  base64 for every other opcode); `_resourceType` is `websocket`;
- `_eventSourceMessages`: `time`, `eventName` ("message" when the event names none), `eventId`
  (the last event ID, as EventSource reports it), `data`;
- `_pushscope`: what HAR has no field for, read back by pushscope's HAR reader so the file is
  analysed as its source is: `client` (the client's address), `chunks` ([offset, time] where
  each piece of the decoded body began, when that is more than "all at the end"), `close` (a
  WebSocket's `code`, `reason`, `by`), `sizes` ([index, size] of WebSocket messages whose data
  is not their whole payload), and what a source records instead of a body (`comments`: the
  times of SSE comments, `digest`, `retry`, `records`; `bodyUnknown`: the body passed but is
  not, or not all, here; `operation`: an RPC request's [protocol, name, operation_type,
  persisted], its body not kept; `url`: a CONNECT's authority, where `request.url` has
  `https://authority/` for readers that take only absolute URLs);
- `comment`: what was left out (a body or message list cut at a limit, a body not decoded).

Every string written is valid UTF-8: text that cannot be encoded (lone surrogates from a
broken source) becomes U+FFFD.
"""

from __future__ import annotations

import base64
import codecs
import json
import math
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

from pushscope import __version__
from pushscope.inspector.bodies import BodyDecoder, BodyError
from pushscope.inspector.classify import classify
from pushscope.inspector.events import (
    MAX_PROBLEMS,
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    SseItemSeen,
    WebSocketMessageSeen,
    WebSocketMessagesSeen,
)
from pushscope.inspector.model import (
    Exchange,
    Headers,
    Limits,
    Opcode,
    Protocol,
    Response,
    SseComment,
    SseEvent,
    WebSocketMessage,
    header,
)
from pushscope.inspector.readers import read_capture
from pushscope.inspector.readers.base import CaptureError
from pushscope.inspector.sse import SseParser
from pushscope.inspector.text import valid_text

if TYPE_CHECKING:
    from pushscope.inspector.pipeline import Progress

_CORE = Limits()
"""The analysis's own limits: the export decodes and parses bodies as the analyzer does."""
_EPOCH = datetime.fromtimestamp(0, UTC)


@dataclass(slots=True, frozen=True)
class ExportLimits:
    """What is kept per open exchange; past a limit the entry's `comment` says what is not."""

    body_bytes: int = 16 << 20
    """Bytes of each decoded response body."""
    messages: int = 100_000
    """WebSocket messages, SSE events and body arrival times."""
    message_bytes: int = 16 << 20
    """Payload bytes of a session's WebSocket messages or SSE events' data; later messages
    keep their size (in `_pushscope.sizes`) but not their data."""


@dataclass(slots=True)
class _Open:
    """An exchange being exported: what its events brought so far, bounded."""

    exchange: Exchange
    hint: bool
    response: Response | None = None
    protocol: Protocol = Protocol.REST
    decoder: BodyDecoder | None = None
    broken: bool = False
    body: bytearray = field(default_factory=bytearray)
    decoded: int = 0
    chunks: list[tuple[int, float | None]] = field(default_factory=list)
    sse: SseParser | None = None
    events: list[SseEvent] = field(default_factory=list)
    comments: list[float | None] = field(default_factory=list)
    """Times of the SSE comments a source parsed itself."""
    messages: list[tuple[str, float | None, int, str]] = field(default_factory=list)
    """(type, time, opcode, data) as `_webSocketMessages` holds them."""
    sizes: list[tuple[int, int]] = field(default_factory=list)
    kept_bytes: int = 0
    dropped: int = 0
    """Messages or events past `ExportLimits.messages`."""
    notes: list[str] = field(default_factory=list)


class HarExporter:
    """Model events in, HAR entries out (sans-IO): `feed` returns the entry of the exchange an
    event closed. Exchanges are tracked as the analyzer tracks them: by id, a second opening
    of an open one ignored, body chunks before the response dropped. One opened again after it
    closed (a flow file that saved a flow twice) is written twice: an entry written is not
    taken back, where the analyzer keeps only the later one."""

    def __init__(self, limits: ExportLimits | None = None) -> None:
        self.limits = limits or ExportLimits()
        self.problems: dict[int, list[str]] = {}
        self.problem_counts: dict[int, int] = {}
        self._open: dict[str, _Open] = {}

    def feed(self, event: ModelEvent) -> dict[str, Any] | None:
        """Take the next event; the HAR entry of the exchange it closed, if it closed one."""
        match event:
            case BodyChunk():
                if (state := self._open.get(event.exchange_id)) is not None:
                    self._chunk(state, event)
            case WebSocketMessagesSeen():
                if (state := self._open.get(event.exchange_id)) is not None:
                    self._messages(state, event.messages, event.payload)
            case WebSocketMessageSeen():
                if (state := self._open.get(event.exchange_id)) is not None:
                    payload = event.payload
                    self._messages(state, (event.message,), lambda _: payload)
            case ExchangeOpened():
                if event.exchange.id not in self._open:
                    self._open[event.exchange.id] = _Open(event.exchange, event.websocket_hint)
            case ResponseStarted():
                if (state := self._open.get(event.exchange_id)) is not None:
                    self._response(state, event.response)
            case SseItemSeen():
                state = self._open.get(event.exchange_id)
                if state is not None and state.protocol is Protocol.SSE:
                    self._item(state, event.item)
            case ExchangeClosed():
                if (state := self._open.pop(event.exchange_id, None)) is not None:
                    return self._entry(state, event)
            case SourceProblem():
                problems = self.problems.setdefault(event.source, [])
                if len(problems) < MAX_PROBLEMS:
                    problems.append(event.message)
                self.problem_counts[event.source] = self.problem_counts.get(event.source, 0) + 1
        return None

    def close_open(self) -> list[dict[str, Any]]:
        """The entries of every exchange still open: its source ended before it did."""
        ended = "capture ended before the exchange did"
        return [self._entry(state, ExchangeClosed(key, error=ended)) for key, state in self._pop()]

    def _pop(self) -> Iterator[tuple[str, _Open]]:
        while self._open:
            yield self._open.popitem()

    def _response(self, state: _Open, response: Response) -> None:
        state.response = response
        state.protocol = classify(state.exchange.request, response, state.hint).protocol
        state.sse = SseParser(max_line=_CORE.sse_line) if state.protocol is Protocol.SSE else None
        encoding = response.fields.get("content-encoding")
        if encoding:
            try:
                state.decoder = BodyDecoder(encoding, _CORE.decoded_body)
            except BodyError as e:
                state.broken = True
                state.notes.append(f"response body not exported: {e}")

    def _chunk(self, state: _Open, event: BodyChunk) -> None:
        if state.response is None or state.broken or not event.data:
            return
        data = event.data
        if event.encoded and state.decoder is not None:
            try:
                data = state.decoder.decode(data)
            except BodyError as e:
                state.broken = True
                state.notes.append(f"response body not exported past byte {state.decoded}: {e}")
                return
        state.decoded += len(data)
        room = self.limits.body_bytes - len(state.body)
        if room <= 0 or not data:
            return
        kept = data[:room]
        if len(state.chunks) < self.limits.messages:
            state.chunks.append((len(state.body), _seconds(event.timestamp)))
        state.body += kept
        if state.sse is not None:
            items = state.sse.feed(kept, event.timestamp)
            self._events(state, [item for item in items if type(item) is SseEvent])

    def _item(self, state: _Open, item: SseEvent | SseComment) -> None:
        """An SSE event or comment a source parsed itself (it recorded no body)."""
        if type(item) is SseEvent:
            self._events(state, [item])
        elif len(state.comments) < self.limits.messages:
            state.comments.append(_seconds(item.timestamp))
        else:
            state.dropped += 1

    def _events(self, state: _Open, events: list[SseEvent]) -> None:
        room = self.limits.messages - len(state.events)
        state.dropped += max(0, len(events) - room)
        for event in events[: max(0, room)]:
            if state.kept_bytes < self.limits.message_bytes:
                state.kept_bytes += len(event.data)
                state.events.append(event)
            else:
                state.dropped += 1

    def _messages(
        self, state: _Open, messages: Sequence[WebSocketMessage], payload: Callable[[int], bytes]
    ) -> None:
        """Keep `messages` as Chrome writes them; the payloads are read now (a reader may not
        keep them), and only while the session's budget lasts."""
        limits = self.limits
        for i, message in enumerate(messages):
            if len(state.messages) >= limits.messages:
                state.dropped += len(messages) - i
                return
            budget = limits.message_bytes - state.kept_bytes
            raw = payload(i)[:budget] if budget > 0 else b""
            state.kept_bytes += len(raw)
            if message.opcode == Opcode.TEXT:
                data = raw.decode("utf-8", "replace")
                size = len(data) if data.isascii() else len(data.encode("utf-8"))
            else:
                data = base64.b64encode(raw).decode("ascii")
                size = len(raw)
            if size != message.size:  # cut by the source or here, or not valid UTF-8
                state.sizes.append((len(state.messages), message.size))
            kind = "send" if message.direction == "client" else "receive"
            state.messages.append((kind, _seconds(message.timestamp), message.opcode, data))

    def _entry(self, state: _Open, closed: ExchangeClosed) -> dict[str, Any]:
        exchange, response = state.exchange, state.response
        request = exchange.request
        if response is None:
            state.protocol = classify(request, None, state.hint).protocol
        if state.sse is not None and not state.broken:
            items = state.sse.close(closed.timestamp)
            self._events(state, [item for item in items if type(item) is SseEvent])
        started = _seconds(request.timestamp_start) or 0.0
        ended = _seconds(closed.timestamp)
        content, kept = self._content(state)
        entry: dict[str, Any] = {
            "startedDateTime": _iso(started, state.notes),
            # -1: the end is not known (pushscope's reader reads it back as unknown).
            "time": _ms(started, ended) if ended is not None else -1,
            "request": _request(exchange, closed),
            "response": _response(response, content, closed),
            "cache": {},
            "timings": _timings(started, response, ended),
        }
        if exchange.server:
            entry["serverIPAddress"] = _host(str(exchange.server))
        if state.protocol is Protocol.WEBSOCKET:
            entry["_resourceType"] = "websocket"
            entry["_webSocketMessages"] = [
                {"type": kind, "time": at, "opcode": opcode, "data": data}
                for kind, at, opcode, data in state.messages
            ]
        elif state.events:
            entry["_eventSourceMessages"] = [
                {
                    "time": _seconds(event.timestamp),
                    "eventName": str(event.type or "message"),
                    "eventId": str(event.id),
                    "data": str(event.data),
                }
                for event in state.events
            ]
        if closed.error:
            entry["_error"] = str(closed.error)
        extra = self._extra(state, closed, ended, kept)
        url = str(exchange.request.url)
        if "://" not in url:  # a CONNECT's authority: HAR readers want an absolute URL
            entry["request"]["url"] = f"https://{url}/"
            extra["url"] = url
        if extra:
            entry["_pushscope"] = extra
        if state.dropped:
            what = "WebSocket messages" if state.protocol is Protocol.WEBSOCKET else "SSE events"
            state.notes.append(f"{state.dropped} later {what} not exported (limit reached)")
        if state.notes:
            entry["comment"] = "; ".join(state.notes)
        return entry

    @staticmethod
    def _content(state: _Open) -> tuple[dict[str, Any], int]:
        """The response's HAR `content`, and how many bytes of the body its text holds."""
        response = state.response
        if response is None:
            return {"size": 0, "mimeType": ""}, 0
        content_type = response.fields.get("content-type") or ""
        content: dict[str, Any] = {"size": state.decoded, "mimeType": str(content_type)}
        kept = len(state.body)
        if kept:
            cut = kept < state.decoded
            content["text"], encoding, kept = _content_text(bytes(state.body), cut)
            if encoding:
                content["encoding"] = encoding
        if kept < state.decoded:
            state.notes.append(f"response body cut to its first {kept} of {state.decoded} bytes")
        return content, kept

    def _extra(
        self, state: _Open, closed: ExchangeClosed, ended: float | None, kept: int
    ) -> dict[str, Any]:
        """The `_pushscope` fields this entry needs (see the module docstring); `kept` is how
        many bytes of the body the entry holds."""
        extra: dict[str, Any] = {}
        if state.exchange.client:
            extra["client"] = str(state.exchange.client)
        chunks = [[offset, at] for offset, at in state.chunks if offset < kept]
        if len(chunks) > 1 or (chunks and chunks[0][1] != ended):
            extra["chunks"] = chunks
            if len(state.chunks) >= self.limits.messages:
                state.notes.append(f"arrival times kept for the first {len(chunks)} body pieces")
        code, by = closed.close_code, closed.closed_by
        if isinstance(code, int) or by in ("client", "server"):
            extra["close"] = {
                "code": code if isinstance(code, int) else None,
                "reason": str(closed.close_reason) if closed.close_reason else None,
                "by": by if by in ("client", "server") else None,
            }
        if state.comments:
            extra["comments"] = state.comments
        if state.sizes:
            extra["sizes"] = [list(pair) for pair in state.sizes]
        if isinstance(closed.body_digest, str):
            extra["digest"] = closed.body_digest
        if isinstance(closed.sse_retry_ms, int):
            extra["retry"] = closed.sse_retry_ms
        if isinstance(closed.stream_records, int):
            extra["records"] = closed.stream_records
        if closed.body_unknown or state.broken:  # so no digest is taken of what is here
            extra["bodyUnknown"] = True
        operation = closed.request_operation or state.exchange.request.operation
        if operation is not None:  # the body is not kept: what it asked for is
            extra["operation"] = list(operation)
        return extra


def _response(
    response: Response | None, content: dict[str, Any], closed: ExchangeClosed
) -> dict[str, Any]:
    if response is None:  # as browsers write a request that got no answer
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }
    size = closed.response_body_size
    return {
        "status": int(response.status),
        "statusText": str(response.reason or ""),
        "httpVersion": str(response.http_version or ""),
        "cookies": [],
        "headers": _headers(response.headers),
        "content": content,
        "redirectURL": str(header(response.headers, "location") or ""),
        "headersSize": -1,
        "bodySize": int(size if size is not None else response.body_size),
    }


def _content_text(body: bytes, cut: bool) -> tuple[str, str | None, int]:
    """The kept body as HAR content text, its encoding, and how many of its bytes that holds:
    UTF-8 text as it is, anything else base64. A body cut inside a character loses that
    character, not its textness."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(body, final=not cut)
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64", len(body)
    return text, None, len(body) - len(decoder.getstate()[0])


def _request(exchange: Exchange, closed: ExchangeClosed) -> dict[str, Any]:
    request = exchange.request
    size = closed.request_body_size
    entry: dict[str, Any] = {
        "method": str(request.method),
        "url": str(request.url),
        "httpVersion": str(request.http_version or ""),
        "cookies": [],
        "headers": _headers(request.headers),
        "queryString": _query(str(request.url)),
        "headersSize": -1,
        "bodySize": int(size if size is not None else request.body_size),
    }
    if request.body:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            pass  # HAR's postData holds text only; the size says a body was sent
        else:
            mime = header(request.headers, "content-type") or ""
            entry["postData"] = {"mimeType": mime, "text": text}
    return entry


def _headers(headers: Headers) -> list[dict[str, str]]:
    return [{"name": str(name), "value": str(value)} for name, value in headers]


def _query(url: str) -> list[dict[str, str]]:
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)]


def _timings(started: float, response: Response | None, ended: float | None) -> dict[str, float]:
    """HAR timings in ms, laid out so that the time before `receive` is when the response
    began (which pushscope's reader takes it for)."""
    began = _seconds(response.timestamp_start) if response is not None else None
    wait = _ms(started, began) if began is not None else 0.0
    receive = _ms(began if began is not None else started, ended) if ended is not None else 0.0
    unknown = -1.0
    return {
        "blocked": unknown,
        "dns": unknown,
        "connect": unknown,
        "ssl": unknown,
        "send": 0.0,
        "wait": wait,
        "receive": receive,
    }


def _host(address: str) -> str:
    """`1.2.3.4:443` -> `1.2.3.4`, `[::1]:80` -> `[::1]`: HAR's serverIPAddress has no port."""
    host, colon, port = address.rpartition(":")
    if colon and port.isdigit() and (host.endswith("]") or ":" not in host):
        return host
    return address


def _seconds(value: Any) -> float | None:
    """A finite number of seconds, or None (what JSON can hold)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _ms(start: float, end: float) -> float:
    """Milliseconds from `start` to `end`, never negative nor (from absurd times) infinite."""
    elapsed = (end - start) * 1000
    return elapsed if 0 < elapsed < math.inf else 0.0


def _iso(timestamp: float, notes: list[str]) -> str:
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        notes.append(f"start time {timestamp!r} cannot be written; 1970 given instead")
        moment = _EPOCH
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class HarWriter:
    """Writes a HAR log to a binary file an entry at a time: the head now, each entry as it
    comes (one per line), the tail on `close`."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.entries = 0
        creator = json.dumps({"name": "pushscope", "version": __version__})
        out.write(f'{{"log": {{"version": "1.2", "creator": {creator}, "entries": ['.encode())

    def write(self, entry: dict[str, Any]) -> None:
        text = json.dumps(entry, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates, only ever inside JSON strings
            data = valid_text(text).encode("utf-8")
        self._out.write(b"\n" if self.entries == 0 else b",\n")
        self._out.write(data)
        self.entries += 1

    def close(self) -> None:
        self._out.write(b"\n]}}\n")


@dataclass(slots=True)
class Exported:
    """What an export did: entries written, each source's problems, unusable inputs."""

    entries: int
    problems: list[tuple[str, list[str], int]]
    """(path, the first problems, how many in all) for each input."""
    fatal: list[str]


def _special(path: Path) -> bool:
    """Is `path` something other than a regular file (a device, a pipe)?"""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # not there yet: a new file


def export_paths(
    paths: Sequence[Path],
    output: Path,
    limits: ExportLimits | None = None,
    progress: Progress | None = None,
) -> Exported:
    """Export every capture into one HAR file at `output`.

    A file is written beside as `output.part` and moved into place when complete, so a failed
    export leaves no half file (and an input that is also the output is read whole first). A
    device or a pipe (`/dev/null`, `/dev/stdout`) is written to as it is: moving a file onto it
    would put the file in its place. Raises OSError when the output cannot be written;
    unusable inputs are listed in `fatal`.
    """
    exporter = HarExporter(limits)
    fatal: list[str] = []
    part = output if _special(output) else output.with_name(output.name + ".part")
    try:
        with open(part, "wb") as out:
            writer = HarWriter(out)
            for index, path in enumerate(paths):
                try:
                    capture = read_capture(path, index)
                    size = os.path.getsize(path)
                    for n, event in enumerate(capture.events):
                        entry = exporter.feed(event)
                        if entry is not None:
                            writer.write(entry)
                        if progress is not None and n % 4096 == 0:
                            progress(str(path), capture.position(), size)
                except CaptureError as e:
                    fatal.append(str(e))
                for entry in exporter.close_open():
                    writer.write(entry)
            writer.close()
        if part != output:
            os.replace(part, output)
    except BaseException:
        if part != output:
            part.unlink(missing_ok=True)
        raise
    problems = [
        (str(path), exporter.problems.get(i, []), exporter.problem_counts.get(i, 0))
        for i, path in enumerate(paths)
    ]
    return Exported(writer.entries, problems, fatal)
