"""The analyzer: consumes model events from any source and builds classified exchanges."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mypy_extensions import mypyc_attr

from pushscope.inspector import frameworks
from pushscope.inspector.bodies import BodyDecoder, BodyError
from pushscope.inspector.classify import classify
from pushscope.inspector.detect import Detector
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
from pushscope.inspector.findings import Finding
from pushscope.inspector.grpc import GrpcMessageCounter
from pushscope.inspector.model import (
    KEPT_ALWAYS,
    KEPT_OVERHEAD,
    Exchange,
    Limits,
    Opcode,
    Protocol,
    Response,
    SseComment,
    SseError,
    SseEvent,
    SseStream,
    StreamBody,
    WebSocketMessage,
    WebSocketSession,
)
from pushscope.inspector.sse import SseItem, SseParser
from pushscope.inspector.websocket import is_websocket_request


@dataclass(slots=True)
class _Body:
    """Per-exchange body state while the response streams in."""

    decoder: BodyDecoder | None = None
    sse: SseParser | None = None
    hasher: hashlib.blake2b | None = None
    kept: bytearray | None = None
    broken: bool = False
    grpc: GrpcMessageCounter | None = None


_NO_BODY = _Body()
"""The body state of an exchange not yet answered: nothing to decode, hash or parse (shared,
never changed: only a body state with a decoder is ever marked broken)."""


@dataclass(slots=True)
class _Open:
    exchange: Exchange
    hint: bool
    body: _Body
    framework_final: bool = False
    """The framework was looked for, and nothing still to come can change the answer (only a
    WebSocket's messages can)."""


@mypyc_attr(allow_interpreted_subclasses=True)  # (the viewer, the addon, tests subclass it)
class Observer:
    """Told what the analyzer learns as it learns it (the live feed, the TUI). Override what
    you need; every method does nothing by default."""

    def opened(self, exchange: Exchange) -> None:
        """A request was seen (classified provisionally)."""

    def responded(self, exchange: Exchange) -> None:
        """Response headers arrived; the exchange is classified."""

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        """An SSE event or comment was parsed."""

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        """A WebSocket message passed."""

    def closed(self, exchange: Exchange) -> None:
        """The exchange is over."""

    def finding(self, finding: Finding) -> None:
        """A finding was raised or changed."""


class Analyzer:
    """Builds `Exchange`s from events, classifying each when its response headers arrive."""

    def __init__(
        self,
        limits: Limits | None = None,
        detector: Detector | None = None,
        observers: Iterable[Observer] = (),
    ) -> None:
        self.limits = limits or Limits()
        self.detector = detector
        self.observers = list(observers)
        self._exchanges: dict[str, Exchange] = {}
        self.problems: dict[int, list[str]] = {}
        self.problem_counts: dict[int, int] = {}
        self._open: dict[str, _Open] = {}
        self._kept_left = self.limits.kept_bytes
        """What is left of `Limits.kept_bytes` (None: no budget)."""

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange seen so far, in the order they were first opened."""
        return list(self._exchanges.values())

    def __len__(self) -> int:
        return len(self._exchanges)

    def __bool__(self) -> bool:  # (mypyc's truth test of a class calls __bool__, never __len__)
        return bool(self._exchanges)

    def get(self, exchange_id: str) -> Exchange | None:
        return self._exchanges.get(exchange_id)

    def is_open(self, exchange_id: str) -> bool:
        return exchange_id in self._open

    def run(self, events: Iterable[ModelEvent]) -> None:
        for event in events:
            self.feed(event)

    def feed(self, event: ModelEvent) -> None:
        match event:  # the most frequent events first
            case WebSocketMessageSeen():
                if (state := self._open.get(event.exchange_id)) is not None:
                    payload = event.payload
                    self._ws_messages(state, (event.message,), lambda _: payload)
            case BodyChunk():
                if (state := self._open.get(event.exchange_id)) is not None:
                    self._chunk(state, event)
            case WebSocketMessagesSeen():  # (what a capture's reader gives instead)
                if (state := self._open.get(event.exchange_id)) is not None:
                    self._ws_messages(state, event.messages, event.payload)
            case ExchangeOpened():
                self._opened(event)
            case ResponseStarted():
                if (state := self._open.get(event.exchange_id)) is not None:
                    self._response(state, event)
            case SseItemSeen():
                state = self._open.get(event.exchange_id)
                if state is not None and state.exchange.sse is not None:
                    self._sse_items(state.exchange, [event.item])
            case ExchangeClosed():
                if (state := self._open.pop(event.exchange_id, None)) is not None:
                    self._closed(state, event)
            case SourceProblem():
                self.problem(event.source, event.message)

    def problem(self, source: int, message: str) -> None:
        """Record a problem inside a source; past `MAX_PROBLEMS` only the count grows."""
        problems = self.problems.setdefault(source, [])
        if len(problems) < MAX_PROBLEMS:
            problems.append(message)
        self.problem_counts[source] = self.problem_counts.get(source, 0) + 1

    def close_open(self) -> None:
        """Close every exchange still open: its source ended before it did."""
        for key in list(self._open):
            self.feed(ExchangeClosed(key, error="capture ended before the exchange did"))

    def finish(self) -> list[Finding]:
        """End of input: close whatever is still open (a capture cut mid-exchange), run the
        detector over all the evidence and return its findings."""
        self.close_open()
        if self.detector is None:
            return []
        findings = self.detector.finish()
        roles = self.detector.roles()
        for exchange in self._exchanges.values():
            exchange.role = roles.get(exchange.id)
        return findings

    def _opened(self, event: ExchangeOpened) -> None:
        opened = event.exchange
        key = opened.id
        if key in self._open:
            self.problem(opened.source, f"exchange {key} opened twice; the second one is ignored")
            return
        exchange_id = key
        earlier = self._exchanges.get(key)
        if earlier is not None and earlier.source != opened.source:
            n = 2
            while f"{key}~{n}" in self._exchanges:
                n += 1
            exchange_id = f"{key}~{n}"
        exchange = Exchange(
            exchange_id, opened.source, opened.request, opened.client, opened.server
        )
        if opened.tls_sni is not None:
            exchange.tls_sni = opened.tls_sni
        if opened.tls is not None:
            exchange.tls = opened.tls
        if opened.evidence:
            exchange.evidence = list(opened.evidence)
        # A flow saved again under the same id in the same source is a later state of it
        # (mitmproxy writes a flow each time it changes): the new one replaces the old.
        self._exchanges[exchange.id] = exchange
        state = _Open(exchange, event.websocket_hint, _NO_BODY)
        self._open[key] = state
        # Provisional until the response arrives (readers of files send it right away, so only
        # a request that could be a WebSocket upgrade is worth checking now). With nobody to
        # show it to, it waits for a WebSocket message that comes before any response.
        if self.observers:
            self._provisional(state)
            for observer in self.observers:
                observer.opened(exchange)

    def _provisional(self, state: _Open) -> WebSocketSession | None:
        """Classify an exchange not yet classified if it may be a WebSocket; its session."""
        exchange = state.exchange
        if not exchange.evidence and (state.hint or is_websocket_request(exchange.request)):
            self._classify(state, framework=False)
        return exchange.websocket

    def _response(self, state: _Open, event: ResponseStarted) -> None:
        state.exchange.response = event.response
        self._classify(state)
        for observer in self.observers:
            observer.responded(state.exchange)

    def _classify(self, state: _Open, framework: bool = True) -> None:
        exchange = state.exchange
        verdict = classify(exchange.request, exchange.response, state.hint)
        exchange.protocol = verdict.protocol
        exchange.evidence = verdict.evidence
        exchange.websocket = WebSocketSession(verdict.handshake) if verdict.handshake else None
        exchange.sse = SseStream() if verdict.protocol is Protocol.SSE else None
        exchange.stream = StreamBody(verdict.stream_kind) if verdict.stream_kind else None
        if exchange.response is not None:
            state.body = self._body_state(exchange)
        if framework:
            self._detect_framework(exchange)
            state.framework_final = exchange.websocket is None

    def _body_state(self, exchange: Exchange) -> _Body:
        assert exchange.response is not None
        limits = self.limits
        body = _Body(  # positional: this runs for every response
            None,
            SseParser(max_line=limits.sse_line) if exchange.sse is not None else None,
            hashlib.blake2b(digest_size=8) if exchange.protocol is Protocol.REST else None,
            bytearray() if limits.body_bytes else None,
        )
        encoding = exchange.response.fields.get("content-encoding")
        if encoding:
            try:
                body.decoder = BodyDecoder(encoding, limits.decoded_body)
            except BodyError as e:
                body.broken = True
                self._body_problem(exchange, str(e))
        if exchange.stream is not None and exchange.stream.kind == "grpc":
            body.grpc = GrpcMessageCounter()  # records: whole length-prefixed messages
        return body

    def _chunk(self, state: _Open, event: BodyChunk) -> None:
        body = state.body
        if body.broken or not event.data:
            return
        data = event.data
        if event.encoded and body.decoder is not None:
            try:
                data = body.decoder.decode(data)
            except BodyError as e:
                body.broken = True
                self._body_problem(state.exchange, str(e))
                return
        if body.kept is not None and len(body.kept) < self.limits.body_bytes:
            body.kept += data[: self.limits.body_bytes - len(body.kept)]
        if body.hasher is not None:
            body.hasher.update(data)
        if body.sse is not None:
            self._sse_items(state.exchange, body.sse.feed(data, event.timestamp))
        stream = state.exchange.stream
        if stream is not None:
            stream.bytes += len(data)
            if body.grpc is not None:
                stream.records += body.grpc.feed(data)
            else:
                stream.records += data.count(b"\n") if stream.kind == "ndjson" else 1

    def _sse_items(self, exchange: Exchange, items: list[SseItem]) -> None:
        stream = exchange.sse
        assert stream is not None
        if not items:
            return
        limits = self.limits
        room = limits.sse_events - len(stream.events)
        preview = limits.preview_bytes
        for i, item in enumerate(items):  # the events the stream keeps are kept cut
            if room <= 0:
                break
            if type(item) is SseEvent:
                room -= 1
                if len(item.data) > preview:
                    items[i] = item.kept(preview)
        events = [item for item in items if type(item) is SseEvent]
        if len(events) < len(items):
            dispatched = stream.count
            for item in items:
                if type(item) is SseEvent:
                    dispatched += 1
                elif type(item) is SseComment:
                    stream.comments += 1
                    stream.activity.seen(item.timestamp)
                    self._keep_comment(stream, item, dispatched)
                elif type(item) is SseError:
                    stream.errors.append(item.message)
                    message = f"exchange {exchange.id}: SSE stream: {item.message}"
                    self.problem(exchange.source, message)
        kept = max(0, min(len(events), limits.sse_events - len(stream.events)))
        if kept and self._kept_left is not None:
            kept = self._spend(len(stream.events), [len(event.data) for event in events[:kept]])
        stream.add(events, len(stream.events) + kept)
        for observer in self.observers:
            for item in items:
                if type(item) is SseEvent or type(item) is SseComment:
                    observer.sse(exchange, item)

    def _keep_comment(self, stream: SseStream, comment: SseComment, after: int) -> None:
        """Keep a copy of `comment`, cut like event data, while the limits allow."""
        limits = self.limits
        if len(stream.kept_comments) < limits.sse_events:
            text = comment.text[: limits.preview_bytes]
            if self._kept_left is None or self._spend(len(stream.kept_comments), [len(text)]):
                stream.kept_comments.append(SseComment(text, comment.timestamp, after))

    def _spend(self, have: int, sizes: list[int]) -> int:
        """How many of the next items of payload `sizes` an exchange that keeps `have` may
        keep: its first `KEPT_ALWAYS` always, the rest while what is left of
        `Limits.kept_bytes` holds them, which they spend; the first that does not fit spends
        it all."""
        free = max(0, KEPT_ALWAYS - have)
        left = self._kept_left
        if left is None or len(sizes) <= free:
            return len(sizes)
        total = sum(sizes[free:]) + KEPT_OVERHEAD * (len(sizes) - free)
        if total <= left:
            self._kept_left = left - total
            return len(sizes)
        self._kept_left = 0
        for n, size in enumerate(sizes[free:], free):
            left -= size + KEPT_OVERHEAD
            if left < 0:
                return n
        return len(sizes)

    def _ws_messages(
        self, state: _Open, messages: Sequence[WebSocketMessage], payload: Callable[[int], bytes]
    ) -> None:
        """Count and keep `messages` (`payload(i)`: the payload of `messages[i]`), and read
        the payloads that matter: the first close frame's, the first client text, and, for
        observers, every one."""
        session = state.exchange.websocket or self._provisional(state)
        if session is None:
            return
        limits = self.limits
        kept = max(0, min(len(messages), limits.ws_messages - len(session.messages)))
        if kept:
            size = limits.preview_bytes
            previews = [payload(i)[:size] for i in range(kept)]
            if self._kept_left is not None:
                kept = self._spend(len(session.messages), list(map(len, previews)))
                del previews[kept:]
            session.previews += previews
        session.add(messages, len(session.messages) + kept)
        observers = self.observers
        for i, message in enumerate(messages):
            if not observers and session.first_client_text is not None and session.closed_by:
                break
            if message.opcode == Opcode.CLOSE and session.closed_by is None:
                self._ws_close(session, message, payload(i))
            elif (
                message.opcode == Opcode.TEXT
                and message.direction == "client"
                and session.first_client_text is None
            ):
                session.first_client_text = payload(i)[:512].decode("utf-8", "replace")
            for observer in observers:
                observer.ws_message(state.exchange, message, payload(i))

    @staticmethod
    def _ws_close(session: WebSocketSession, message: WebSocketMessage, payload: bytes) -> None:
        session.closed_by = message.direction
        if len(payload) >= 2:
            session.close_code = int.from_bytes(payload[:2], "big")
            session.close_reason = payload[2:125].decode("utf-8", "replace")

    def _closed(self, state: _Open, event: ExchangeClosed) -> None:
        exchange = state.exchange
        if not exchange.evidence:  # never answered, never classified
            self._classify(state)
        exchange.ended = event.timestamp if event.timestamp is not None else exchange.ended
        if event.error:
            exchange.error = event.error
        if event.grpc is not None:
            exchange.grpc = event.grpc
        body = state.body
        if body.sse is not None and not body.broken:
            self._sse_items(exchange, body.sse.close(event.timestamp))
        if exchange.sse is not None:
            retry = body.sse.retry_ms if body.sse is not None else None
            exchange.sse.retry_ms = retry if retry is not None else event.sse_retry_ms
        if event.request_body_size is not None or event.request_operation is not None:
            request = exchange.request
            size = event.request_body_size
            exchange.request = request.finished(
                request.headers,
                request.body_size if size is None else size,
                event.request_operation,
            )
        if exchange.response is not None:
            exchange.response = _ended(exchange.response, body, event)
        if exchange.stream is not None and event.stream_records is not None:
            exchange.stream.records = event.stream_records
            exchange.stream.bytes = exchange.response.body_size if exchange.response else 0
        session = exchange.websocket
        if session is not None:
            if event.close_code is not None:
                session.close_code = event.close_code
                session.close_reason = event.close_reason
            if event.closed_by is not None:
                session.closed_by = event.closed_by
        if exchange.framework is None and not state.framework_final:
            self._detect_framework(exchange)
        if self.detector is not None:
            self._found(self.detector.add(exchange))
        for observer in self.observers:
            observer.closed(exchange)
        if not self.limits.headers:
            exchange.request = exchange.request.finished((), exchange.request.body_size)
            response = exchange.response
            if response is not None:
                exchange.response = response.finished(
                    (),
                    response.body_size,
                    response.timestamp_end,
                    response.body,
                    response.body_digest,
                )

    def _found(self, findings: list[Finding]) -> None:
        for finding in findings:
            # Only a finding with a role gives its exchanges one, as `finish` does. An advice
            # finding has none, and comes back with all its exchanges each time one is added:
            # walking them here would make a long series quadratic.
            if finding.role:
                for exchange_id in finding.exchanges:
                    if (exchange := self._exchanges.get(exchange_id)) is not None:
                        exchange.role = finding.role
            for observer in self.observers:
                observer.finding(finding)

    def _detect_framework(self, exchange: Exchange) -> None:
        found = frameworks.detect(exchange)
        if found is not None:
            exchange.framework, evidence = found
            if evidence not in exchange.evidence:
                exchange.evidence.append(evidence)

    def _body_problem(self, exchange: Exchange, message: str) -> None:
        self.problem(exchange.source, f"exchange {exchange.id}: response body: {message}")


def _ended(response: Response, body: _Body, event: ExchangeClosed) -> Response:
    """`response` as it ended: its body's size, end, digest and kept bytes."""
    digest = response.body_digest
    if event.body_digest is not None:
        digest = event.body_digest
    elif body.hasher is not None and not body.broken and not event.body_unknown:
        digest = body.hasher.hexdigest()
    size, ended = event.response_body_size, event.response_ended
    return response.finished(
        response.headers,
        response.body_size if size is None else size,
        response.timestamp_end if ended is None else ended,
        bytes(body.kept) if body.kept is not None else response.body,
        digest,
    )
