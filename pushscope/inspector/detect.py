"""The detector: finds polling and awkward push among finished exchanges, as they come.

Fed exchanges as they finish (in any order), it keeps compact per-series records and
re-evaluates a series as it grows, so findings appear and firm up while traffic flows. `finish`
evaluates everything once more on all the evidence, so the end result equals analysing the
whole capture at once.
"""

from __future__ import annotations

import bisect
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from statistics import median

from pushscope.inspector.advice import Context, polling_finding
from pushscope.inspector.endpoints import Target, target
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.model import Exchange, Headers, Protocol
from pushscope.inspector.operations import RPC_QUERY_FIELDS, Operation
from pushscope.inspector.periodic import Hint, hint, periodic_finding, periodic_kind
from pushscope.inspector.polling import Poll, PollingSeries
from pushscope.inspector.push_advice import Advisory, advise

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BROWSER_STREAMS_PER_ORIGIN = 6
"""Browsers allow six HTTP/1.1 connections per origin; more SSE streams starve the page."""
HELD_BACK_WINDOW = 0.1
"""Seconds after a stream closed within which a request the browser held back goes out."""
SSE_RECONNECTS = 3
"""Streams to one endpoint from one client before "reconnecting again and again" is said."""
SSE_SHORT_LIVED = 30.0
LIVE_WINDOW = 2048
"""Polls of a series evaluated while traffic flows: bounded work per evaluation. `finish`
evaluates every series whole, so the end result does not depend on it."""


@dataclass(slots=True)
class _Stream:
    exchange_id: str
    start: float
    end: float | None
    events: int


@dataclass(slots=True)
class _StreamGroup:
    """One client's event streams to one endpoint, to see it reconnect again and again."""

    client: str | None
    endpoint: str
    streams: list[_Stream] = field(default_factory=list)
    evaluated_at: int = 0


@dataclass(slots=True)
class _Concurrency:
    """One client's HTTP/1.1 event streams to one origin, as sorted start and end times."""

    client: str | None
    origin: str
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)

    def add(self, start: float, end: float | None) -> int:
        """Add a stream; return how many streams were open when it started."""
        bisect.insort(self.starts, start)
        bisect.insort(self.ends, end if end is not None else float("inf"))
        return bisect.bisect_right(self.starts, start) - bisect.bisect_right(self.ends, start)

    def waited(self, requests: array[float]) -> int:
        """Requests and streams that started just as a stream closed while the browser's
        limit of streams was open: the ones it held back until a connection was free."""
        starts = sorted([*requests, *self.starts])
        waited = 0
        for end in self.ends:
            if end == float("inf"):
                break
            open_before = bisect.bisect_left(self.starts, end) - bisect.bisect_left(self.ends, end)
            if open_before < BROWSER_STREAMS_PER_ORIGIN:
                continue
            first = bisect.bisect_left(starts, end)
            waited += bisect.bisect_right(starts, end + HELD_BACK_WINDOW) - first
        return waited

    def peak(self) -> int:
        """The most streams open at once (a stream ending as another starts is not overlap)."""
        peak = open_now = 0
        ends = iter(self.ends)
        next_end = next(ends, float("inf"))
        for start in self.starts:
            while next_end <= start:
                open_now -= 1
                next_end = next(ends, float("inf"))
            open_now += 1
            peak = max(peak, open_now)
        return peak


class Detector:
    """Polling series, SSE reconnects and connection counts, and advice on push in use."""

    def __init__(self, incremental: bool = True, window: int = LIVE_WINDOW) -> None:
        self.incremental = incremental
        self.window = window
        self._series: dict[tuple[str, str], PollingSeries] = {}
        self._hints: dict[tuple[str, str], Hint] = {}
        self._operations: dict[tuple[str, str], Operation] = {}
        """Series key -> the RPC operation it repeats (only series of RPC requests have one)."""
        self._push: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)
        """(host, origin) -> the push connections open there: (start, end, what)."""
        self._http1_starts: dict[tuple[str, str], array[float]] = defaultdict(lambda: array("d"))
        """(host, origin) -> when each HTTP/1.1 request started, for origins with streams."""
        self._writes: dict[tuple[str, str], list[tuple[float, str, str]]] = defaultdict(list)
        self._streams: dict[tuple[str, str], _StreamGroup] = {}
        self._http1_streams: dict[tuple[str, str], _Concurrency] = {}
        self._advisories: dict[tuple[str, str | None, str], Finding] = {}
        self._by_series: dict[tuple[str, ...], list[str]] = {}
        self._findings: dict[str, Finding] = {}

    @property
    def findings(self) -> list[Finding]:
        """Current findings, most severe first."""
        return sorted(self._findings.values(), key=lambda f: (-f.severity, f.endpoint, f.id))

    def add(self, exchange: Exchange) -> list[Finding]:
        """Take a finished exchange; return the findings it created or changed."""
        changed: list[Finding] = []
        request = exchange.request
        host, client = _client(exchange)
        where = target(request.method, request.url)
        operation = request.operation
        if operation is not None:
            where = _operation_target(request.method, where, operation)
        fields = request.fields
        if exchange.protocol is Protocol.REST and _pollable(exchange, fields):
            key = (host, where.endpoint)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = PollingSeries(
                    client or "", where.endpoint, where.origin, where.family, exchange.framework
                )
                self._hints[key] = hint(
                    request.method,
                    where.path,
                    fields.get("content-type", ""),
                    request.body_size,
                    fields,
                    asks=operation is not None and not operation.writes,
                )
                if operation is not None:
                    self._operations[key] = operation
            series.add(_poll(exchange, where, fields))
            if self.incremental and _due(len(series.polls), series.evaluated_at):
                changed += self._evaluate(key, self.window)
        if request.method in WRITE_METHODS and (operation is None or operation.writes):
            bisect.insort(
                self._writes[(host, where.origin)],
                (request.timestamp_start, where.family, where.endpoint),
            )
        if exchange.protocol is Protocol.SSE or _eventsource_attempt(fields):
            changed += self._stream(exchange, host, client, where)
        if exchange.protocol in (Protocol.WEBSOCKET, Protocol.SSE):
            what = "SSE stream" if exchange.protocol is Protocol.SSE else "WebSocket"
            if exchange.framework:
                what = f"{exchange.framework} {what}"
            end = exchange.ended if exchange.ended is not None else float("inf")
            self._push[(host, _http_origin(where.origin))].append((exchange.started, end, what))
        elif client is not None and (request.http_version or "").startswith("HTTP/1"):
            self._http1_starts[(host, where.origin)].append(request.timestamp_start)
        for advisory in advise(exchange):
            changed.append(self._advisory(advisory, exchange, client, where))
        return changed

    def finish(self) -> list[Finding]:
        """Evaluate every series on all the evidence; return all findings."""
        for key, series in self._series.items():
            if len(series.polls) >= 3:
                self._evaluate(key)
        for key in self._streams:
            self._evaluate_streams(key)
        for (host, _), streams in self._http1_streams.items():
            self._connection_limit(host, streams)
        return self.findings

    def roles(self) -> dict[str, str]:
        """Exchange id -> its role in a finding."""
        return {
            exchange_id: finding.role
            for finding in self._findings.values()
            if finding.role
            for exchange_id in finding.exchanges
        }

    def _evaluate(self, key: tuple[str, str], window: int | None = None) -> list[Finding]:
        series = self._series[key]
        host = key[0]
        findings = []
        operation = self._operations.get(key)
        for verdict in series.evaluate(window):
            start, end = verdict.polls[0].start, verdict.span + verdict.polls[0].start
            context = Context(
                series.client or None,
                series.endpoint,
                series.family,
                series.framework,
                self._count_writes(host, series, start, end),
                push=self._push_open(host, series.origin, start, end),
                operation=operation.kind if operation is not None else None,
            )
            kind = periodic_kind(self._hints[key], verdict)
            if kind is not None:
                findings.append(periodic_finding(verdict, context, kind))
            elif operation is None or not operation.writes:  # a mutation on a beat is no poll
                findings.append(polling_finding(verdict, context))
        return self._replace(key, findings)

    def _push_open(self, host: str, origin: str, start: float, end: float) -> str | None:
        """A push connection of this host's to the origin open during most of [start, end]."""
        for opened, closed, what in self._push.get((host, origin), ()):
            overlap = min(closed, end) - max(opened, start)
            if overlap >= 0.5 * (end - start):
                return what
        return None

    def _count_writes(self, host: str, series: PollingSeries, start: float, end: float) -> int:
        writes = self._writes.get((host, series.origin), [])
        first = bisect.bisect_left(writes, (start,))
        last = bisect.bisect_right(writes, (end, "\uffff"))
        return sum(
            1
            for _, family, endpoint in writes[first:last]
            if endpoint != series.endpoint and _related(family, series.family)
        )

    def _replace(self, key: tuple[str, ...], findings: list[Finding]) -> list[Finding]:
        for old in self._by_series.get(key, []):
            self._findings.pop(old, None)
        changed = []
        for finding in findings:
            previous = self._findings.get(finding.id)
            if previous is None or previous.to_dict() != finding.to_dict():
                changed.append(finding)
            self._findings[finding.id] = finding
        self._by_series[key] = [f.id for f in findings]
        return changed

    def _stream(
        self, exchange: Exchange, host: str, client: str | None, where: Target
    ) -> list[Finding]:
        changed = []
        if exchange.request.method == "GET":  # EventSource reconnects; a POST stream is one answer
            key = (host, where.endpoint)
            group = self._streams.get(key)
            if group is None:
                group = self._streams[key] = _StreamGroup(client, where.endpoint)
            events = exchange.sse.count if exchange.sse else 0
            bisect.insort(
                group.streams,
                _Stream(exchange.id, exchange.started, exchange.ended, events),
                key=lambda s: (s.start, s.exchange_id),
            )
            if self.incremental and _due(len(group.streams), group.evaluated_at):
                changed += self._evaluate_streams(key)
        http1 = (exchange.request.http_version or "").startswith("HTTP/1")
        # Only with a known client: a HAR records none, and one exported by a proxy merges
        # many clients, whose streams would add up to a limit no browser of theirs reached.
        if exchange.protocol is Protocol.SSE and http1 and client is not None:
            streams = self._http1_streams.get((host, where.origin))
            if streams is None:
                streams = self._http1_streams[(host, where.origin)] = _Concurrency(
                    client, where.origin
                )
            at_start = streams.add(exchange.started, exchange.ended)
            if self.incremental and at_start >= BROWSER_STREAMS_PER_ORIGIN:
                changed += self._connection_limit(host, streams)
        return changed

    def _evaluate_streams(self, key: tuple[str, str]) -> list[Finding]:
        group = self._streams[key]
        group.evaluated_at = len(group.streams)
        streams = [s for s in group.streams if s.end is not None]
        if len(streams) < SSE_RECONNECTS or _reconnects(streams) < SSE_RECONNECTS - 1:
            return self._replace(("sse", *key), [])
        lasted = median((s.end or s.start) - s.start for s in streams)
        if lasted >= SSE_SHORT_LIVED:
            return self._replace(("sse", *key), [])
        span = (streams[-1].end or streams[-1].start) - streams[0].start
        events = sum(s.events for s in streams)
        finding = Finding(
            kind="sse-reconnects",
            severity=Severity.MEDIUM,
            endpoint=group.endpoint,
            client=group.client,
            exchanges=[s.exchange_id for s in streams],
            stats={
                "count": len(streams),
                "period_s": round(span / (len(streams) - 1), 3),
                "jitter": None,
                "unchanged_ratio": None,
                "span_s": round(span, 3),
                "median_stream_s": round(lasted, 3),
                "events": events,
            },
            recommendation=None,
            rationale=(
                f"The event stream was opened {len(streams)} times in {span:.1f} s, each "
                f"lasting about {lasted:.1f} s ({events} events in all): the server ends the "
                "stream and the client reconnects, which is long polling in SSE clothing. "
                "Keep the stream open and send a comment line as a heartbeat."
            ),
            role="sse-reconnect",
            evidence=[f"{len(streams)} streams, median length {lasted:.2f} s"],
        )
        return self._replace(("sse", *key), [finding])

    def _connection_limit(self, host: str, streams: _Concurrency) -> list[Finding]:
        key = ("limit", host, streams.origin)
        peak = streams.peak()
        if peak < BROWSER_STREAMS_PER_ORIGIN:
            return self._replace(key, [])
        waited = 0
        if peak == BROWSER_STREAMS_PER_ORIGIN:  # a browser held the rest back: did any wait?
            waited = streams.waited(self._http1_starts.get((host, streams.origin), array("d")))
            if not waited:
                return self._replace(key, [])
        if waited:
            held = (
                f"{peak} SSE streams to {streams.origin} were open at once over HTTP/1.1, the "
                f"{BROWSER_STREAMS_PER_ORIGIN} connections a browser allows an origin, and "
                f"{waited} requests went out only as a stream closed: the browser held them "
                "back until a connection was free."
            )
        else:
            held = (
                f"{peak} SSE streams to {streams.origin} were open at once over HTTP/1.1; "
                f"browsers allow {BROWSER_STREAMS_PER_ORIGIN} connections per origin, so other "
                "requests to it stall."
            )
        finding = Finding(
            kind="sse-connection-limit",
            severity=Severity.HIGH,
            endpoint=streams.origin,
            client=streams.client,
            exchanges=[],
            stats={"count": len(streams.starts), "concurrent": peak, "waited": waited},
            recommendation=None,
            rationale=f"{held} Share one stream between the page's listeners, or serve it "
            "over HTTP/2, where the streams share one connection.",
        )
        return self._replace(key, [finding])

    def _advisory(
        self, advisory: Advisory, exchange: Exchange, client: str | None, where: Target
    ) -> Finding:
        key = (advisory.kind, client, where.endpoint)
        finding = self._advisories.get(key)
        if finding is None:
            finding = self._advisories[key] = Finding(
                kind=advisory.kind,
                severity=advisory.severity,
                endpoint=where.endpoint,
                client=client,
                exchanges=[],
                stats={"count": 0},
                recommendation=advisory.recommendation,
                rationale=advisory.rationale,
            )
            self._findings[finding.id] = finding
        finding.exchanges.append(exchange.id)
        finding.stats["count"] = len(finding.exchanges)
        finding.severity = max(finding.severity, advisory.severity)
        return finding


def _client(exchange: Exchange) -> tuple[str, str | None]:
    """(grouping key, shown client): the peer host, or the capture for a HAR's browser."""
    if exchange.client:
        host = exchange.client.rsplit(":", 1)[0] if ":" in exchange.client else exchange.client
        return host, host.strip("[]")
    return _capture(exchange.source), None


@cache
def _capture(source: int) -> str:
    """The grouping key of a capture's client (one string per source: its hash is kept)."""
    return f"capture#{source}"


def _pollable(exchange: Exchange, fields: dict[str, str]) -> bool:
    if exchange.request.method in ("OPTIONS", "CONNECT") or "range" in fields:
        return False
    if exchange.response is not None and exchange.response.status in (201, 202, 206):
        return False  # a write that created something, or a piece of a download
    return not _eventsource_attempt(fields)


def _eventsource_attempt(fields: dict[str, str]) -> bool:
    """An EventSource (re)connection that got no stream: it belongs to the SSE, not polling.
    An EventSource accepts only `text/event-stream`; a client that lists it among other types
    (urql, for GraphQL over SSE) asks for whatever the server prefers."""
    accept = fields.get("accept", "").partition(";")[0].strip()
    return accept == "text/event-stream" or "last-event-id" in fields


def _related(a: str, b: str) -> bool:
    """Same resource family: equal paths, or one below the other."""
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _reconnects(streams: list[_Stream]) -> int:
    """How many of the ended `streams` (sorted by start) opened when no earlier one was still
    open: an EventSource replacing one that ended. Streams opened beside each other (widgets,
    tabs, one page's streams over HTTP/2) are subscriptions, not reconnects."""
    count, open_until = 0, streams[0].end or streams[0].start
    for stream in streams[1:]:
        count += stream.start >= open_until
        open_until = max(open_until, stream.end or stream.start)
    return count


def _due(size: int, evaluated_at: int) -> bool:
    """Re-evaluate a group while small, then each time it has grown by a quarter: findings
    firm up as evidence arrives, at O(n log n) total cost."""
    return size >= 3 and (size <= 16 or size >= evaluated_at * 1.25)


def _headers_size(headers: Headers) -> int:
    """Bytes of the header block: each `name: value` line and its CRLF, and the blank line."""
    size = 4 * len(headers) + 2
    for name, value in headers:
        size += len(name) + len(value)
    return size


def _poll(exchange: Exchange, where: Target, fields: dict[str, str]) -> Poll:
    request, response = exchange.request, exchange.response
    wire = len(request.method) + len(request.url) + 14 + request.body_size
    wire += _headers_size(request.headers)
    if response is not None:
        wire += 17 + len(response.reason) + response.body_size + _headers_size(response.headers)
    return Poll(  # positional, the cheapest to bind: one per exchange
        exchange.id,
        request.timestamp_start,
        exchange.ended,
        response.status if response else None,  # status
        response.body_digest if response else None,  # digest
        response.body_size if response else 0,  # body_bytes
        wire,
        "if-none-match" in fields or "if-modified-since" in fields,
        exchange.client,  # connection
        where.params,
    )


def _operation_target(method: str, where: Target, operation: Operation) -> Target:
    """Where an RPC request goes: the endpoint names its operation (`POST
    https://host/graphql UnreadCount`), so that each operation polled on the one path is a
    series of its own; a GraphQL GET's `query`, `operationName`, `extensions` and `variables`
    leave the query keys and the parameters that could split it."""
    params = where.params
    if params:
        params = tuple(pair for pair in params if pair[0] not in RPC_QUERY_FIELDS)
    if not where.origin:
        return where._replace(endpoint=f"{where.endpoint} {operation.name}", params=params)
    keys = "&".join(f"{name}=*" for name in dict(params))
    endpoint = f"{method} {where.origin}{where.path}{'?' + keys if keys else ''} {operation.name}"
    return where._replace(endpoint=endpoint, params=params)


def _http_origin(origin: str) -> str:
    """A WebSocket URL's origin as the HTTP origin its page polls: `ws:` -> `http:`."""
    if origin.startswith("ws"):
        return "http" + origin[2:]
    return origin
