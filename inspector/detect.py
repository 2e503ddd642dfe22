"""The detector: finds polling and awkward push among finished exchanges, as they come.

Fed exchanges as they finish (in any order), it keeps compact per-series records and
re-evaluates a series as it grows, so findings appear and firm up while traffic flows. `finish`
evaluates everything once more on all the evidence, so the end result equals analysing the
whole capture at once.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from inspector.advice import Context, polling_finding
from inspector.endpoints import Target, target
from inspector.findings import Finding, Severity
from inspector.model import Exchange, Headers, Protocol, header
from inspector.polling import Poll, PollingSeries
from inspector.push_advice import Advisory, advise

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BROWSER_STREAMS_PER_ORIGIN = 6
"""Browsers allow six HTTP/1.1 connections per origin; more SSE streams starve the page."""
SSE_RECONNECTS = 3
"""Streams to one endpoint from one client before "reconnecting again and again" is said."""
SSE_SHORT_LIVED = 30.0


@dataclass(slots=True)
class _Stream:
    exchange_id: str
    start: float
    end: float | None
    events: int


@dataclass(slots=True)
class _StreamGroup:
    client: str | None
    endpoint: str
    streams: list[_Stream] = field(default_factory=list)


class Detector:
    """Polling series, SSE reconnects and connection counts, and advice on push in use."""

    def __init__(self, incremental: bool = True) -> None:
        self.incremental = incremental
        self._series: dict[tuple[str, str], PollingSeries] = {}
        self._writes: dict[tuple[str, str], list[tuple[float, str, str]]] = defaultdict(list)
        self._streams: dict[tuple[str, str], _StreamGroup] = {}
        self._open_streams: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
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
        host, client = _client(exchange)
        where = target(exchange.request.method, exchange.request.url)
        if exchange.protocol is Protocol.REST and _pollable(exchange):
            key = (host, where.endpoint)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = PollingSeries(
                    client or "", where.endpoint, where.origin, where.family, exchange.framework
                )
            series.add(_poll(exchange, where))
            if self.incremental and _due(series):
                changed += self._evaluate(key)
        if exchange.request.method in WRITE_METHODS:
            bisect.insort(
                self._writes[(host, where.origin)],
                (exchange.started, where.family, where.endpoint),
            )
        if exchange.protocol is Protocol.SSE or _eventsource_attempt(exchange):
            changed += self._stream(exchange, host, client, where)
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
        return self.findings

    def roles(self) -> dict[str, str]:
        """Exchange id -> its role in a finding."""
        return {
            exchange_id: finding.role
            for finding in self._findings.values()
            if finding.role
            for exchange_id in finding.exchanges
        }

    def _evaluate(self, key: tuple[str, str]) -> list[Finding]:
        series = self._series[key]
        host = key[0]
        findings = []
        for verdict in series.evaluate():
            start, end = verdict.polls[0].start, verdict.span + verdict.polls[0].start
            context = Context(
                series.client or None,
                series.endpoint,
                series.family,
                series.framework,
                self._count_writes(host, series, start, end),
            )
            findings.append(polling_finding(verdict, context))
        return self._replace(key, findings)

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
        changed = self._evaluate_streams(key) if self.incremental else []
        http1 = (exchange.request.http_version or "").startswith("HTTP/1")
        if exchange.protocol is Protocol.SSE and http1:
            spans = self._open_streams[(host, where.origin)]
            spans.append((exchange.started, exchange.ended or float("inf")))
            changed += self._connection_limit(host, client, where, spans)
        return changed

    def _evaluate_streams(self, key: tuple[str, str]) -> list[Finding]:
        group = self._streams[key]
        streams = [s for s in group.streams if s.end is not None]
        if len(streams) < SSE_RECONNECTS:
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

    def _connection_limit(
        self, host: str, client: str | None, where: Target, spans: list[tuple[float, float]]
    ) -> list[Finding]:
        edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
        peak = current = 0
        for _, step in edges:
            current += step
            peak = max(peak, current)
        if peak <= BROWSER_STREAMS_PER_ORIGIN:
            return []
        finding = Finding(
            kind="sse-connection-limit",
            severity=Severity.HIGH,
            endpoint=where.origin,
            client=client,
            exchanges=[],
            stats={"count": len(spans), "concurrent": peak},
            recommendation=None,
            rationale=(
                f"{peak} SSE streams to {where.origin} were open at once over HTTP/1.1; "
                f"browsers allow {BROWSER_STREAMS_PER_ORIGIN} connections per origin, so other "
                "requests to it stall. Share one stream, or serve it over HTTP/2."
            ),
        )
        return self._replace(("limit", host, where.origin), [finding])

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
    return f"capture#{exchange.source}", None


def _pollable(exchange: Exchange) -> bool:
    request = exchange.request
    if request.method in ("OPTIONS", "CONNECT"):
        return False
    if header(request.headers, "range") is not None:
        return False
    if exchange.response is not None and exchange.response.status in (201, 202, 206):
        return False  # a write that created something, or a piece of a download
    return not _eventsource_attempt(exchange)


def _eventsource_attempt(exchange: Exchange) -> bool:
    """An EventSource (re)connection that got no stream: it belongs to the SSE, not polling."""
    accept = header(exchange.request.headers, "accept") or ""
    return (
        "text/event-stream" in accept
        or header(exchange.request.headers, "last-event-id") is not None
    )


def _related(a: str, b: str) -> bool:
    """Same resource family: equal paths, or one below the other."""
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _due(series: PollingSeries) -> bool:
    """Re-evaluate while small, then each time the series grows by a quarter."""
    n = len(series.polls)
    return n >= 3 and (n <= 16 or n >= series.evaluated_at * 1.25)


def _headers_size(headers: Headers) -> int:
    return sum(len(name) + len(value) + 4 for name, value in headers) + 2


def _poll(exchange: Exchange, where: Target) -> Poll:
    request, response = exchange.request, exchange.response
    wire = len(request.method) + len(request.url) + 12 + _headers_size(request.headers)
    wire += request.body_size
    if response is not None:
        wire += 15 + len(response.reason) + _headers_size(response.headers) + response.body_size
    return Poll(
        exchange_id=exchange.id,
        start=exchange.started,
        end=exchange.ended,
        status=response.status if response else None,
        digest=response.body_digest if response else None,
        body_bytes=response.body_size if response else 0,
        wire_bytes=wire,
        conditional=header(request.headers, "if-none-match") is not None
        or header(request.headers, "if-modified-since") is not None,
        connection=exchange.client,
        params=where.params,
    )
