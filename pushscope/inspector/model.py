"""What travels: exchanges, WebSocket sessions, SSE streams and other streamed bodies.

Everything here is plain data. Readers and the live addon describe traffic with it through
`inspector.events`; the analyzer builds exchanges from that, and the reports and the TUI read
them. What a source gives out is not changed after: the analyzer keeps its own copies where
it keeps less (an SSE event's data cut to a preview), keeps WebSocket payload previews beside
the messages, and replaces a request or response when it learns more (how its body ended,
headers dropped). These are slotted dataclasses, not frozen ones or named tuples: millions
are made, and those cost about twice as much to make. Counts are exact; lists of messages and
events are capped (see `Limits`) so a long session cannot exhaust memory.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from pushscope.inspector.operations import Operation

Direction = Literal["client", "server"]
Headers = tuple[tuple[str, str], ...]
"""Header fields in wire order as (name, value); names keep their case."""


class Protocol(StrEnum):
    REST = "rest"
    SSE = "sse"
    WEBSOCKET = "websocket"
    STREAM = "stream"


class Opcode:
    """RFC 6455 opcodes (section 5.2)."""

    CONTINUATION: Final = 0
    TEXT: Final = 1
    BINARY: Final = 2
    CLOSE: Final = 8
    PING: Final = 9
    PONG: Final = 10


def header(headers: Headers, name: str) -> str | None:
    """The first value of header `name` (case-insensitive), or None."""
    name = name.lower()
    size = len(name)
    for key, value in headers:
        if len(key) == size and key.lower() == name:  # lengths first: lower() is the cost
            return value
    return None


REQUEST_FIELDS = frozenset(
    {
        "upgrade",
        "sec-websocket-key",
        "accept",
        "range",
        "last-event-id",
        "if-none-match",
        "if-modified-since",
        "content-type",
        "service-worker",
    }
)
"""The request header fields classification and polling detection read for every exchange
(the last two tell a beacon and a service worker's update check)."""
RESPONSE_FIELDS = frozenset({"content-type", "content-encoding", "upgrade"})
"""The response header fields read for every exchange."""


def headers_named(headers: Headers, names: frozenset[str]) -> dict[str, str]:
    """The first value of each of `names` (lower-case) present, in one pass over the headers,
    lower-casing only the names of a length one of `names` has (most are not among them)."""
    sizes = _SIZES.get(names)
    if sizes is None:
        sizes = _SIZES[names] = frozenset(len(name) for name in names)
    found: dict[str, str] = {}
    for key, value in headers:
        if len(key) in sizes:
            lowered = key.lower()
            if lowered in names and lowered not in found:
                found[lowered] = value
    return found


_SIZES: dict[frozenset[str], frozenset[int]] = {}


def header_all(headers: Headers, name: str) -> list[str]:
    """Every value of header `name`, comma-joined lists split into items."""
    name = name.lower()
    return [
        item.strip()
        for key, value in headers
        if key.lower() == name
        for item in value.split(",")
        if item.strip()
    ]


KEPT_ALWAYS = 1000
"""Messages, events or comments each exchange keeps (up to its own caps) whatever
`Limits.kept_bytes` has left: a live view that has spent its budget still shows a new
connection's first ones."""
KEPT_OVERHEAD = 160
"""Bytes a kept message, event or comment costs beside its payload (its record and the
payload's own object), as `Limits.kept_bytes` counts them."""


@dataclass(slots=True)
class Limits:
    """How much detail is kept per exchange; counts stay exact past every cap."""

    ws_messages: int = 1000
    sse_events: int = 1000
    """Events kept per exchange; SSE comments are kept up to the same number."""
    kept_bytes: int | None = None
    """Bytes all exchanges together may keep of messages, events and comments past the first
    `KEPT_ALWAYS` of each, each counted as its kept payload plus `KEPT_OVERHEAD` (None: no
    such budget). Once one does not fit, none after it is kept, so what each exchange keeps
    is always its first ones."""
    body_bytes: int = 0
    """Bytes of each request and response body kept for display (0: none)."""
    preview_bytes: int = 256
    """Bytes of each kept WebSocket message or SSE event payload."""
    sse_line: int = 1 << 20
    """Longest SSE line accepted, in characters; longer is an error for that stream."""
    decoded_body: int = 64 << 20
    """Most bytes a compressed body may expand to before it is treated as a bomb."""
    headers: bool = True
    """Keep header fields once an exchange is finished (views need them; reports do not)."""


@dataclass(slots=True)
class Request:
    method: str
    url: str
    http_version: str | None
    headers: Headers
    timestamp_start: float
    body_size: int = 0
    body: bytes | None = None
    """The body as kept for display (`Limits.body_bytes`)."""
    operation: Operation | None = None
    """The GraphQL operation or JSON-RPC method it asks for (`inspector.operations`): readers
    derive it from the body where it passes, and keep the operation, not the body."""
    known: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def fields(self) -> dict[str, str]:
        """The first value of each of `REQUEST_FIELDS` present, read in one pass when first
        asked for (set `known` to None after changing the headers)."""
        known = self.known
        if known is None:
            known = self.known = headers_named(self.headers, REQUEST_FIELDS)
        return known

    def finished(
        self, headers: Headers, body_size: int, operation: Operation | None = None
    ) -> Request:
        """This request as it ended (a new one: a request is not changed once given out);
        `operation` if it was learned only as the body passed."""
        ended = Request(
            self.method,
            self.url,
            self.http_version,
            headers,
            self.timestamp_start,
            body_size,
            self.body,
            operation or self.operation,
        )
        if headers is self.headers:
            ended.known = self.known
        return ended


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    http_version: str | None
    headers: Headers
    timestamp_start: float | None = None
    timestamp_end: float | None = None
    body_size: int = 0
    body: bytes | None = None
    body_digest: str | None = None
    """A short digest of the decoded body, to tell "nothing new" between polls."""
    known: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def fields(self) -> dict[str, str]:
        """`Request.fields` for `RESPONSE_FIELDS`."""
        known = self.known
        if known is None:
            known = self.known = headers_named(self.headers, RESPONSE_FIELDS)
        return known

    def finished(
        self,
        headers: Headers,
        body_size: int,
        timestamp_end: float | None,
        body: bytes | None,
        body_digest: str | None,
    ) -> Response:
        """This response as it ended (a new one: a response is not changed once given out)."""
        ended = Response(
            self.status,
            self.reason,
            self.http_version,
            headers,
            self.timestamp_start,
            timestamp_end,
            body_size,
            body,
            body_digest,
        )
        if headers is self.headers:
            ended.known = self.known
        return ended


@dataclass(slots=True)
class WebSocketMessage:
    """A whole WebSocket message or control frame, as its source saw it."""

    direction: Direction
    opcode: int
    size: int
    timestamp: float | None
    compressed: bool = False


@dataclass(slots=True)
class Activity:
    """When a connection last carried anything, and its longest silence, for heartbeat checks."""

    last: float | None = None
    longest_idle: float = 0.0

    def seen(self, timestamp: float | None) -> None:
        if timestamp is None:
            return
        if self.last is not None:
            self.longest_idle = max(self.longest_idle, timestamp - self.last)
        self.last = timestamp if self.last is None else max(self.last, timestamp)


@dataclass(slots=True)
class Handshake:
    """The HTTP/1.1 Upgrade handshake as checked against RFC 6455 section 4."""

    ok: bool
    reason: str | None
    subprotocol: str | None
    extensions: list[str]
    accept_checked: bool
    """True when Sec-WebSocket-Accept was present and verified against the key."""


@dataclass(slots=True)
class PerSide:
    """A number for each side of a connection (lighter than a dict, kept per session)."""

    client: int = 0
    server: int = 0

    def __getitem__(self, side: str) -> int:
        return self.client if side == "client" else self.server

    def add(self, side: str, amount: int) -> None:
        if side == "client":
            self.client += amount
        else:
            self.server += amount

    def as_dict(self) -> dict[str, int]:
        return {"client": self.client, "server": self.server}


@dataclass(slots=True)
class WebSocketSession:
    handshake: Handshake
    messages: list[WebSocketMessage] = field(default_factory=list)
    """The first messages, up to the cap (`Limits.ws_messages`)."""
    previews: list[bytes] = field(default_factory=list)
    """The first bytes of each kept message's payload: `previews[i]` is that of `messages[i]`."""
    counts: PerSide = field(default_factory=PerSide)
    """Data messages (text and binary) each side sent."""
    bytes: PerSide = field(default_factory=PerSide)
    control_frames: int = 0
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: Direction | None = None
    first_client_text: str | None = None
    """The first client text message, kept for framework detection (truncated)."""
    first_direction: Direction | None = None
    longest_run: PerSide = field(default_factory=PerSide)
    """Most data messages one side sent in a row: 1 and 1 is strict request/reply."""
    activity: Activity = field(default_factory=lambda: Activity())
    _run: tuple[str, int] = ("", 0)

    @property
    def total(self) -> int:
        """Messages seen, data and control frames alike (`messages` keeps the first)."""
        return self.counts.client + self.counts.server + self.control_frames

    def add(self, messages: Sequence[WebSocketMessage], cap: int) -> None:
        """Count `messages`, in order, and keep them while fewer than `cap` are kept."""
        activity = self.activity
        last, longest = activity.last, activity.longest_idle
        counts, sizes, runs = self.counts, self.bytes, self.longest_run
        side, length = self._run
        first = self.first_direction
        control = 0
        for message in messages:
            timestamp = message.timestamp
            if timestamp is not None:
                if last is None:
                    last = timestamp
                else:
                    if timestamp - last > longest:
                        longest = timestamp - last
                    if timestamp > last:
                        last = timestamp
            if message.opcode >= Opcode.CLOSE:
                control += 1
                continue
            direction = message.direction
            if first is None:
                first = direction
            if direction == side:
                length += 1
            else:
                side, length = direction, 1
            if direction == "client":
                counts.client += 1
                sizes.client += message.size
                if length > runs.client:
                    runs.client = length
            else:
                counts.server += 1
                sizes.server += message.size
                if length > runs.server:
                    runs.server = length
        activity.last, activity.longest_idle = last, longest
        self._run = (side, length)
        self.first_direction = first
        self.control_frames += control
        room = cap - len(self.messages)
        if room > 0:
            self.messages.extend(messages[:room])


@dataclass(slots=True)
class SseEvent:
    """A dispatched event, as an EventSource would deliver it."""

    type: str
    data: str
    id: str
    """The last event ID after this event (WHATWG: it persists across events)."""
    timestamp: float | None = None
    had_id: bool = False
    """True when this event's own block carried an `id:` field."""

    def kept(self, size: int) -> SseEvent:
        """This event as a stream keeps it, its data cut to `size` characters."""
        return SseEvent(self.type, self.data[:size], self.id, self.timestamp, self.had_id)


@dataclass(slots=True)
class SseComment:
    """A comment line (`:...`), the usual SSE heartbeat."""

    text: str
    timestamp: float | None = None
    after: int = 0
    """Events the stream had dispatched before it (set where a stream keeps it), which puts
    comments and events back in order."""


@dataclass(slots=True)
class SseError:
    """A line or event the parser dropped, and why."""

    message: str
    offset: int
    """Byte offset into the body where the problem was noticed."""


_EVENT_TYPE = operator.attrgetter("type")
_HAD_ID = operator.attrgetter("had_id")
_TIMESTAMP = operator.attrgetter("timestamp")


@dataclass(slots=True)
class SseStream:
    events: list[SseEvent] = field(default_factory=list)
    count: int = 0
    event_types: Counter[str] = field(default_factory=Counter)
    ids: int = 0
    """Events whose block carried an `id:` field."""
    retry_ms: int | None = None
    comments: int = 0
    kept_comments: list[SseComment] = field(default_factory=list)
    """The first comments, text cut like event data (`Limits.sse_events`, `Limits.kept_bytes`);
    they are not events: `events`, `count` and `event_types` never hold them."""
    errors: list[str] = field(default_factory=list)
    first_event_at: float | None = None
    last_event_at: float | None = None
    activity: Activity = field(default_factory=lambda: Activity())
    """Events and comments alike: a comment is the usual SSE heartbeat."""

    def add(self, events: Sequence[SseEvent], cap: int) -> None:
        """Count `events`, in order, and keep them while fewer than `cap` are kept."""
        if not events:
            return
        self.event_types.update(map(_EVENT_TYPE, events))
        self.ids += sum(map(_HAD_ID, events))
        # Events parsed from one chunk share its timestamp: each distinct one is seen once.
        for timestamp in dict.fromkeys(map(_TIMESTAMP, events)):
            if timestamp is not None:
                self.activity.seen(timestamp)
                if self.first_event_at is None:
                    self.first_event_at = timestamp
                self.last_event_at = timestamp
        if events[-1].timestamp is not None:
            self.last_event_at = events[-1].timestamp
        self.count += len(events)
        room = cap - len(self.events)
        if room > 0:
            self.events.extend(events[:room])


@dataclass(slots=True)
class StreamBody:
    """A streamed body that is neither SSE nor WebSocket (NDJSON, multipart, gRPC-web...)."""

    kind: str
    records: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """The TLS connection an exchange of a packet capture travelled in."""

    version: str | None
    cipher: str | None
    alpn: str | None
    sni: str | None
    decrypted: bool


@dataclass(slots=True)
class GrpcCall:
    """What the HTTP/2 framing of a gRPC call told: its status (from the trailers, or a
    trailers-only response) and how many length-prefixed messages each side sent."""

    status: int | None = None
    message: str | None = None
    request_messages: int = 0
    response_messages: int = 0


@dataclass(slots=True)
class Exchange:
    """One HTTP request and what came of it: a plain response, an SSE stream, a WebSocket..."""

    id: str
    source: int
    request: Request
    client: str | None = None
    server: str | None = None
    response: Response | None = None
    error: str | None = None
    ended: float | None = None
    protocol: Protocol = Protocol.REST
    evidence: list[str] = field(default_factory=list)
    framework: str | None = None
    websocket: WebSocketSession | None = None
    sse: SseStream | None = None
    stream: StreamBody | None = None
    tls_sni: str | None = None
    tls: TlsInfo | None = None
    """What a packet capture's TLS connection carrying the exchange told (None elsewhere)."""
    grpc: GrpcCall | None = None
    role: str | None = None
    """The exchange's part in a finding, e.g. `short-poll`, `long-poll`, `sse-reconnect`."""

    @property
    def started(self) -> float:
        return self.request.timestamp_start
