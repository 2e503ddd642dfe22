"""The HTML report: one self-contained page (no fetches), readable without JavaScript.

Every piece of text from the network goes through `_e` (HTML escaping) and nowhere else is
markup built from data. The page's Content-Security-Policy allows only its own inline script
(by hash) and inline styles, so even a missed escape could not run a script.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pushscope import __version__
from pushscope.inspector.endpoints import endpoint
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange
from pushscope.inspector.polling import Poll
from pushscope.inspector.redact import redact_url
from pushscope.inspector.report import Report
from pushscope.inspector.report.summary import (
    SHOWN,
    EndpointRow,
    finding_facts,
    human_bytes,
    seconds,
    summarize,
)

KEPT_MESSAGES = 2000
"""WebSocket messages and SSE events kept per exchange for the charts (counts stay exact)."""
MARKS = 600
"""A series with more requests than this is drawn as bins, not one mark per request."""
ENDPOINT_ROWS = 500
WIDTH = 760
"""The charts' drawing width in SVG units (they scale to the page)."""

_e = html.escape


def render_html(report: Report) -> str:
    summary = summarize(report)
    by_id = {exchange.id: exchange for exchange in report.exchanges}
    body = [
        "<header><h1>pushscope report</h1>",
        f"<p>{summary.total} exchanges from {len(report.sources)} source(s): "
        + ", ".join(_e(s.path) for s in report.sources)
        + f"; findings <b>{len(report.findings)}</b>.</p>",
        '<ul class="protocols">',
        *(f'<li class="p-{_e(p)}"><b>{n}</b> {_e(p)}</li>' for p, n in summary.protocols.items()),
        "</ul></header>",
    ]
    if report.findings:
        body.append(f"<section><h2>Findings ({len(report.findings)})</h2>")
        body += (_finding(f, by_id) for f in report.findings)
        body.append("</section>")
    if summary.endpoints:
        body.append(_endpoints(summary.endpoints))
    websockets = [x for x in report.exchanges if x.websocket is not None]
    if websockets:
        body.append(_websockets(websockets, report.redact))
    streams = [x for x in report.exchanges if x.sse is not None]
    if streams:
        body.append(_streams(streams, report.redact))
    if summary.problems:
        body.append(f"<section><h2>Problems ({summary.problem_count})</h2><ul>")
        body += (f"<li>{_e(path)}: {_e(problem)}</li>" for path, problem in summary.problems)
        body.append("</ul></section>")
    body.append(f"<footer>pushscope {_e(__version__)}</footer>")
    return _page("\n".join(body))


def _page(body: str) -> str:
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>pushscope report</title><style>{_STYLE}</style></head>\n<body>\n{body}\n"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


# -- findings


def _finding(finding: Finding, by_id: dict[str, Exchange]) -> str:
    advice = f" &rarr; <b>{_e(finding.recommendation)}</b>" if finding.recommendation else ""
    parts = [
        f'<article class="finding sev-{finding.severity.label}">',
        f'<h3><span class="badge">{finding.severity.label}</span> {_e(finding.kind)}'
        f"{advice} <code>{_e(finding.endpoint)}</code></h3>",
        f"<p>{_e(finding.rationale)}</p>",
    ]
    facts = finding_facts(finding)
    if facts:
        parts.append(f'<p class="facts">{_e(facts)}</p>')
    if finding.verdict is not None:
        parts.append(_series_chart(finding))
    if finding.impact:
        parts.append(_cost(finding.impact))
    if finding.evidence:
        parts.append("<details><summary>Evidence</summary><ul>")
        parts += (f"<li>{_e(line)}</li>" for line in finding.evidence)
        parts.append("</ul></details>")
    if not finding.verdict and finding.exchanges:
        shown = [by_id[i] for i in finding.exchanges[:5] if i in by_id]
        if shown:
            parts.append(
                '<p class="involved">'
                + ", ".join(
                    f"<code>{_e(x.request.method)} {_e(x.request.url)}</code>" for x in shown
                )
                + ("" if len(finding.exchanges) <= 5 else f" and {len(finding.exchanges) - 5} more")
                + "</p>"
            )
    parts.append("</article>")
    return "\n".join(parts)


@dataclass(slots=True)
class _Scale:
    """Seconds since `start` to x in the chart."""

    start: float
    span: float

    def x(self, t: float) -> float:
        """Times outside the scale (a capture's clock is not to be trusted) sit at its ends."""
        share = min(max((t - self.start) / self.span, 0.0), 1.0)
        return round(40 + share * (WIDTH - 50), 1)


def _series_chart(finding: Finding) -> str:
    """Each request a mark on a time line, filled when its answer brought something new;
    the period; above it how long a change would wait to reach the client, and the band
    between the mean and the worst wait."""
    verdict = finding.verdict
    assert verdict is not None
    polls = verdict.polls
    news = verdict.news()
    start = polls[0].start
    scale = _Scale(start, max(verdict.span, 1e-3))
    impact = finding.impact or {}
    mean = float(impact.get("staleness_mean_s") or 0)
    worst = float(impact.get("staleness_worst_s") or 0)
    top = max(worst, verdict.period, 1e-3)

    def y(age: float) -> float:  # staleness axis: 0 at y=70, `top` at y=10
        return round(70 - min(age, top) / top * 60, 1)

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} 130" role="img" '
        f'aria-label="{len(polls)} requests over {_e(seconds(verdict.span))}">',
        f'<rect class="band" x="40" y="{y(worst)}" width="{WIDTH - 50}" '
        f'height="{round(y(mean) - y(worst), 1)}"><title>staleness: {_e(seconds(mean))} mean, '
        f"{_e(seconds(worst))} worst</title></rect>",
        f'<line class="axis" x1="40" y1="70" x2="{WIDTH - 10}" y2="70"/>',
        f'<text x="0" y="14">{_e(seconds(top))}</text>',
        '<text x="0" y="74">0</text>',
        f'<text x="44" y="8">a change waits: {_e(seconds(mean))} mean, '
        f"{_e(seconds(worst))} worst</text>",
    ]
    # How long a change made at that moment would wait to reach the client: until the next
    # request, or nothing while a long poll is held.
    points = []
    step = max(1, len(polls) // MARKS)
    for index in range(0, len(polls) - 1, step):
        poll, following = polls[index], polls[index + 1]
        listening = poll.end if verdict.hold is not None and poll.end is not None else poll.start
        listening = min(listening, following.start)
        points += [
            f"{scale.x(poll.start)},{y(0)}",
            f"{scale.x(listening)},{y(0)}",
            f"{scale.x(listening)},{y(following.start - listening)}",
            f"{scale.x(following.start)},{y(0)}",
        ]
    out.append(f'<polyline class="age" points="{" ".join(points)}"/>')
    if len(polls) <= MARKS:
        for poll, new in zip(polls, news, strict=True):
            x = scale.x(poll.start)
            state = "new" if new else "same" if new is False else "unknown"
            held = ""
            if verdict.hold is not None and poll.end is not None:
                held = (
                    f'<rect class="hold" x="{x}" y="86" height="8" '
                    f'width="{max(scale.x(poll.end) - x, 1.0)}"/>'
                )
            out.append(
                f'{held}<circle class="{state}" cx="{x}" cy="90" r="4"><title>'
                f"+{poll.start - start:.2f} s, status {poll.status}, {state}</title></circle>"
            )
    else:
        out += _bins(polls, news, scale)
    out.append(
        f'<text x="40" y="120">0</text><text x="{WIDTH - 10}" y="120" text-anchor="end">'
        f"{_e(seconds(verdict.span))}</text>"
        f'<text x="{WIDTH / 2}" y="120" text-anchor="middle">{len(polls)} requests, period '
        f"{_e(seconds(verdict.period))}; filled: brought something new</text></svg>"
    )
    return "\n".join(out)


def _bins(polls: Sequence[Poll], news: Sequence[bool | None], scale: _Scale) -> list[str]:
    """Requests counted in 200 bins; a bin's shade is the share that brought news."""
    count = [0] * 200
    fresh = [0] * 200
    for poll, new in zip(polls, news, strict=True):
        index = min(max(int((poll.start - scale.start) / scale.span * 200), 0), 199)
        count[index] += 1
        fresh[index] += bool(new)
    most = max(count)
    width = (WIDTH - 50) / 200
    out = []
    for index, n in enumerate(count):
        if n:
            height = round(4 + 16 * n / most, 1)
            out.append(
                f'<rect class="bin" x="{round(40 + index * width, 1)}" y="{round(100 - height, 1)}"'
                f' width="{round(width, 1)}" height="{height}" fill-opacity="'
                f'{round(0.2 + 0.8 * fresh[index] / n, 2)}"><title>{n} requests, '
                f"{fresh[index]} with news</title></rect>"
            )
    return out


def _cost(impact: dict[str, Any]) -> str:
    """Requests, bytes and staleness per hour now and after the recommended push."""
    after = impact["after_push"]
    rows: list[tuple[str, float, float, Callable[[float], str]]] = [
        (
            "requests / messages per hour",
            impact["requests_per_hour"],
            after["messages_per_hour"],
            lambda v: f"{v:,.0f}",
        ),
        (
            "bytes per hour",
            impact["bytes_per_hour"],
            after["bytes_per_hour"],
            lambda v: human_bytes(int(v)),
        ),
        ("mean staleness", impact["staleness_mean_s"], after["staleness_s"], seconds),
    ]
    out = ['<table class="cost"><tr><th></th><th>polling now</th><th>after push</th></tr>']
    for label, now, then, show in rows:
        most = max(now, then) or 1
        out.append(
            f"<tr><td>{label}</td>"
            f'<td><span class="bar now" style="width:{round(100 * now / most)}%"></span>'
            f"{_e(show(now))}</td>"
            f'<td><span class="bar after" style="width:{round(100 * then / most)}%"></span>'
            f"{_e(show(then))}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


# -- endpoints, WebSocket sessions, SSE streams


def _endpoints(rows: Sequence[EndpointRow]) -> str:
    out = [
        f"<section><h2>Endpoints ({len(rows)})</h2>",
        '<table class="sortable"><thead><tr><th>endpoint</th><th>protocol</th>'
        '<th data-type="number">count</th><th>status</th><th>framework</th></tr></thead><tbody>',
    ]
    for row in rows[:ENDPOINT_ROWS]:
        statuses = ", ".join(str(s) for s, _ in row.statuses.most_common(3))
        out.append(
            f"<tr><td><code>{_e(row.endpoint)}</code></td><td>{_e(row.protocol)}</td>"
            f'<td class="n">{row.count}</td><td>{statuses}</td>'
            f"<td>{_e(', '.join(sorted(row.frameworks)))}</td></tr>"
        )
    out.append("</tbody></table>")
    if len(rows) > ENDPOINT_ROWS:
        out.append(f"<p>and {len(rows) - ENDPOINT_ROWS} more</p>")
    out.append("</section>")
    return "\n".join(out)


def _url(exchange: Exchange, redact: bool) -> str:
    url = exchange.request.url
    return redact_url(url) if redact else url


def _websockets(exchanges: Sequence[Exchange], redact: bool) -> str:
    out = [f"<section><h2>WebSocket sessions ({len(exchanges)})</h2>"]
    for exchange in exchanges[:SHOWN]:
        ws = exchange.websocket
        assert ws is not None
        framework = f" &middot; {_e(exchange.framework)}" if exchange.framework else ""
        out.append(
            f"<h3><code>{_e(_url(exchange, redact))}</code>{framework}</h3>"
            f"<p>{ws.counts.client} sent ({_e(human_bytes(ws.bytes.client))}), "
            f"{ws.counts.server} received ({_e(human_bytes(ws.bytes.server))})"
            + (f"; closed {ws.close_code} by {_e(ws.closed_by or '?')}" if ws.close_code else "")
            + "</p>"
        )
        times = [(m.timestamp, m.direction) for m in ws.messages]
        total = ws.counts.client + ws.counts.server
        out.append(_activity(exchange, times, total, "messages", ("client", "server")))
    if len(exchanges) > SHOWN:
        out.append(f"<p>and {len(exchanges) - SHOWN} more sessions</p>")
    out.append("</section>")
    return "\n".join(out)


def _activity(
    exchange: Exchange,
    times: Iterable[tuple[float | None, str]],
    total: int,
    what: str,
    sides: tuple[str, ...],
) -> str:
    """Messages over time in 60 bins: the first side's up, the second's down."""
    kept = [(t, side) for t, side in times if t is not None]
    if not kept:
        return f'<p class="note">no timed {what} kept</p>'
    start = min(exchange.request.timestamp_start, min(t for t, _ in kept))
    end = max(exchange.ended or start, max(t for t, _ in kept))
    span = max(end - start, 1e-3)
    bins = {side: [0] * 60 for side in sides}
    for t, side in kept:
        bins[side][min(int((t - start) / span * 60), 59)] += 1
    most = max(max(b) for b in bins.values()) or 1
    width = (WIDTH - 50) / 60
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} 110" role="img" aria-label="{what}">',
        f'<line class="axis" x1="40" y1="50" x2="{WIDTH - 10}" y2="50"/>',
    ]
    for number, side in enumerate(sides):
        for index, n in enumerate(bins[side]):
            if n:
                height = round(40 * n / most, 1)
                top = 50 - height if number == 0 else 50
                out.append(
                    f'<rect class="side{number}" x="{round(40 + index * width, 1)}" y="{top}" '
                    f'width="{round(width - 1, 1)}" height="{height}"><title>{n} from '
                    f"{side}</title></rect>"
                )
        out.append(f'<text x="0" y="{30 if number == 0 else 80}">{_e(side)}</text>')
    note = f"first {len(kept)} of {total} {what}" if total > len(kept) else f"{total} {what}"
    out.append(
        f'<text x="40" y="105">0</text><text x="{WIDTH - 10}" y="105" text-anchor="end">'
        f"{_e(seconds(span))}</text>"
        f'<text x="{WIDTH / 2}" y="105" text-anchor="middle">{_e(note)}</text></svg>'
    )
    return "\n".join(out)


def _streams(exchanges: Sequence[Exchange], redact: bool) -> str:
    """SSE streams grouped by client and endpoint: each connection a segment with its events
    as ticks; a gap between segments is a reconnect."""
    groups: dict[tuple[str, str], list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        key = endpoint(exchange.request.method, _url(exchange, redact))
        groups[(exchange.client or "", key)].append(exchange)
    out = [f"<section><h2>SSE streams ({len(exchanges)})</h2>"]
    for (client, key), streams in list(groups.items())[:SHOWN]:
        events = sum(s.sse.count for s in streams if s.sse)
        reconnects = len(streams) - 1
        who = f" from {_e(client)}" if client else ""
        out.append(
            f"<h3><code>{_e(key)}</code>{who}</h3><p>{events} events on {len(streams)} "
            f"connection(s), {reconnects} reconnect(s)</p>"
        )
        out.append(_segments(streams))
    if len(groups) > SHOWN:
        out.append(f"<p>and {len(groups) - SHOWN} more streams</p>")
    out.append("</section>")
    return "\n".join(out)


def _segments(streams: Sequence[Exchange]) -> str:
    start = min(s.request.timestamp_start for s in streams)
    end = start
    for stream in streams:
        assert stream.sse is not None
        end = max(end, stream.ended or 0.0, stream.sse.last_event_at or 0.0)
    scale = _Scale(start, max(end - start, 1e-3))
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} 60" role="img" aria-label="events">']
    for stream in streams:
        assert stream.sse is not None
        left = scale.x(stream.request.timestamp_start)
        right = scale.x(stream.ended or end)
        out.append(
            f'<rect class="segment" x="{left}" y="20" width="{max(right - left, 1.0)}" '
            f'height="16"><title>{stream.sse.count} events</title></rect>'
        )
        timed = [e.timestamp for e in stream.sse.events if e.timestamp is not None]
        step = max(1, len(timed) // MARKS)
        out += (
            f'<line class="event" x1="{scale.x(t)}" y1="16" x2="{scale.x(t)}" y2="40"/>'
            for t in timed[::step]
        )
    out.append(
        f'<text x="40" y="55">0</text><text x="{WIDTH - 10}" y="55" text-anchor="end">'
        f"{_e(seconds(scale.span))}</text></svg>"
    )
    return "\n".join(out)


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1em;color:#222;
overflow-wrap:break-word}
h1{margin:.2em 0}h2{border-bottom:1px solid #ccc;margin-top:1.6em}
h3{font-size:1em;margin:.8em 0 .3em}
code{font:13px ui-monospace,monospace;overflow-wrap:anywhere}
.protocols{display:flex;flex-wrap:wrap;gap:.5em;list-style:none;padding:0}
.protocols li{border:1px solid #ccc;border-radius:4px;padding:.2em .6em}
.finding{border-left:5px solid #999;margin:1em 0;padding:.2em .8em;background:#fafafa}
.sev-high{border-color:#c0392b}.sev-medium{border-color:#e67e22}.sev-low{border-color:#2980b9}
.badge{font-size:.8em;text-transform:uppercase;background:#555;color:#fff;padding:0 .4em}
.sev-high .badge{background:#c0392b}.sev-medium .badge{background:#e67e22}
.sev-low .badge{background:#2980b9}
.facts{color:#555;font-size:.92em}
.chart{width:100%;height:auto;display:block;max-width:100%}
.chart text{font:11px sans-serif;fill:#555}.axis{stroke:#999}
.band{fill:#f39c12;fill-opacity:.18}.age{fill:none;stroke:#e67e22;stroke-width:1}
circle.new{fill:#27ae60;stroke:#27ae60}circle.same{fill:#fff;stroke:#7f8c8d}
circle.unknown{fill:#fff;stroke:#bbb;stroke-dasharray:2}.hold{fill:#bdc3c7}
.bin{fill:#27ae60}.side0{fill:#2980b9}.side1{fill:#8e44ad}
.segment{fill:#d6eaf8}.event{stroke:#2471a3}
table{border-collapse:collapse;width:100%;font-size:.92em}
td,th{border-bottom:1px solid #e5e5e5;padding:.25em .4em;text-align:left;vertical-align:top}
td.n{text-align:right}.cost td{width:33%}
.bar{display:block;height:6px;margin-bottom:2px}.bar.now{background:#e67e22}.bar.after{background:#27ae60}
.sortable th{cursor:pointer}.note{color:#777}
footer{color:#999;margin-top:2em;font-size:.85em}
@media (max-width:600px){body{font-size:14px;padding:.5em}td,th{padding:.2em}}
"""

_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.title = "sort";
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.dataset.type === "number";
      var down = th.dataset.order !== "down";
      th.dataset.order = down ? "down" : "up";
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return down ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""
