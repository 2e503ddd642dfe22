"""What the human-readable reports show, computed once for the text and Markdown renderers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pushscope.inspector.endpoints import endpoint
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, Protocol
from pushscope.inspector.periodic import KINDS as PERIODIC_KINDS
from pushscope.inspector.redact import redact_url
from pushscope.inspector.report import Report

SHOWN = 25
"""Rows per table; the rest is summarised as "and N more"."""


@dataclass(slots=True)
class EndpointRow:
    endpoint: str
    protocols: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    frameworks: set[str] = field(default_factory=set)
    count: int = 0

    @property
    def protocol(self) -> str:
        return " + ".join(p for p, _ in self.protocols.most_common())


@dataclass(slots=True)
class WebSocketRow:
    url: str
    handshake: str
    subprotocol: str
    extensions: str
    sent: int
    received: int
    bytes_sent: int
    bytes_received: int
    close: str
    framework: str


@dataclass(slots=True)
class SseRow:
    method: str
    url: str
    events: int
    types: str
    ids: str
    retry: str
    comments: int
    framework: str


@dataclass(slots=True)
class Summary:
    total: int
    protocols: dict[str, int]
    endpoints: list[EndpointRow]
    websockets: list[WebSocketRow]
    sse: list[SseRow]
    problems: list[tuple[str, str]]
    """(source path, problem), at most SHOWN of them."""
    problem_count: int


def summarize(report: Report) -> Summary:
    endpoints: dict[str, EndpointRow] = {}
    websockets: list[WebSocketRow] = []
    streams: list[SseRow] = []
    for exchange in report.exchanges:
        url = redact_url(exchange.request.url) if report.redact else exchange.request.url
        key = endpoint(exchange.request.method, url)
        row = endpoints.get(key)
        if row is None:
            row = endpoints[key] = EndpointRow(key)
        row.count += 1
        row.protocols[exchange.protocol.value] += 1
        if exchange.response is not None:
            row.statuses[exchange.response.status] += 1
        if exchange.framework:
            row.frameworks.add(exchange.framework)
        if exchange.protocol is Protocol.WEBSOCKET and exchange.websocket is not None:
            websockets.append(_websocket_row(exchange, url))
        if exchange.sse is not None:
            streams.append(_sse_row(exchange, url))
    problems = [(source.path, error) for source in report.sources for error in source.errors]
    return Summary(
        total=len(report.exchanges),
        protocols=report.protocol_counts(),
        endpoints=sorted(endpoints.values(), key=lambda r: (-r.count, r.endpoint)),
        websockets=websockets,
        sse=streams,
        problems=problems[:SHOWN],
        problem_count=sum(max(s.error_count, len(s.errors)) for s in report.sources),
    )


def _websocket_row(exchange: Exchange, url: str) -> WebSocketRow:
    ws = exchange.websocket
    assert ws is not None
    handshake = "ok" if ws.handshake.ok else f"failed: {ws.handshake.reason}"
    if ws.close_code is not None:
        close = f"{ws.close_code} by {ws.closed_by or '?'}"
        if ws.close_reason:
            close += f" ({ws.close_reason})"
    else:
        close = "not seen"
    return WebSocketRow(
        url=url,
        handshake=handshake,
        subprotocol=ws.handshake.subprotocol or "",
        extensions=", ".join(ws.handshake.extensions),
        sent=ws.counts["client"],
        received=ws.counts["server"],
        bytes_sent=ws.bytes["client"],
        bytes_received=ws.bytes["server"],
        close=close,
        framework=exchange.framework or "",
    )


def _sse_row(exchange: Exchange, url: str) -> SseRow:
    sse = exchange.sse
    assert sse is not None
    if sse.ids == 0:
        ids = "no"
    elif sse.ids == sse.count:
        ids = "yes"
    else:
        ids = f"{sse.ids} of {sse.count}"
    return SseRow(
        method=exchange.request.method,
        url=url,
        events=sse.count,
        types=", ".join(f"{t} x{n}" for t, n in sse.event_types.most_common(4)),
        ids=ids,
        retry=f"{sse.retry_ms} ms" if sse.retry_ms is not None else "",
        comments=sse.comments,
        framework=exchange.framework or "",
    )


def finding_facts(finding: Finding) -> str:
    """One line of numbers behind a finding: cadence, share wasted, cost per hour."""
    stats, impact = finding.stats, finding.impact or {}
    facts = []
    period = stats.get("period_s")
    if finding.kind in ("short-polling", "long-polling") and period:
        beat = f"every {seconds(period)}"
        if stats.get("jitter"):
            beat += f" +-{stats['jitter']:.0%}"
        if "hold_s" in stats:
            beat = f"held {seconds(stats['hold_s'])}, cycle {seconds(period)}"
        elif stats.get("factor"):
            cap = f" capped at {seconds(stats['cap_s'])}" if stats.get("cap_s") else ""
            beat = f"{stats['cadence']} x{stats['factor']:g} from {seconds(stats['base_s'])}{cap}"
        facts.append(f"{beat}, {stats['count']} requests over {seconds(stats['span_s'])}")
        facts.append(f"{stats['unchanged_ratio']:.0%} nothing new")
        if stats.get("pollers", 1) > 1:
            facts.append(f"one of {stats['pollers']} pollers of this endpoint on this host")
    elif finding.kind in PERIODIC_KINDS and period:
        facts.append(f"every {seconds(period)}, {stats['count']} requests")
        facts.append(f"{stats['requests_per_hour']:,.0f} req/h")
    elif "count" in stats:
        facts.append(f"{stats['count']} exchange(s)")
    if impact:
        after = impact["after_push"]
        facts.append(
            f"{impact['requests_per_hour']:,.0f} req/h, {human_bytes(impact['bytes_per_hour'])}/h"
            f" -> push ~{after['messages_per_hour']:,.0f} msg/h, "
            f"{human_bytes(after['bytes_per_hour'])}/h"
        )
        facts.append(
            f"staleness {seconds(impact['staleness_mean_s'])} mean, "
            f"{seconds(impact['staleness_worst_s'])} worst"
        )
    return "; ".join(facts)


def seconds(value: float) -> str:
    """`0.004` -> `4 ms`, `1.5` -> `1.50 s`, `95` -> `95 s`, `7200` -> `2.0 h`."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.2f} s"
    if value < 3600:
        return f"{value:.0f} s"
    return f"{value / 3600:.1f} h"


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
