"""The terminal report, rendered with Rich. Network text always goes in as `Text`, not markup."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from pushscope.inspector.report import Report
from pushscope.inspector.report.summary import SHOWN, Summary, finding_facts, human_bytes, summarize

PROTOCOL_STYLES = {"rest": "cyan", "sse": "green", "websocket": "magenta", "stream": "yellow"}


def render_text(report: Report) -> RenderableType:
    summary = summarize(report)
    parts: list[RenderableType] = [_headline(report, summary)]
    if report.findings:
        parts.append(_findings(report))
    if summary.endpoints:
        parts.append(_endpoints(summary))
    if summary.websockets:
        parts.append(_websockets(summary))
    if summary.sse:
        parts.append(_sse(summary))
    if summary.problems:
        parts.append(_problems(summary))
    return Group(*parts)


def write_text(report: Report, console: Console) -> None:
    console.print(render_text(report))


def _headline(report: Report, summary: Summary) -> Text:
    line = Text()
    line.append("pushscope", style="bold")
    line.append(f": {summary.total} exchanges from {len(report.sources)} source(s)\n")
    for protocol, count in summary.protocols.items():
        line.append(f"  {protocol} ", style=f"bold {PROTOCOL_STYLES[protocol]}")
        line.append(f"{count}")
    line.append(f"   findings {len(report.findings)}")
    if report.baselined is not None:
        line.append(f" ({report.baselined} already in the baseline)", style="dim")
    return line


def _more(shown: int, total: int) -> str | None:
    return f"and {total - shown} more" if total > shown else None


def _table(title: str, total: int, *columns: str) -> Table:
    """A table whose URL column takes the spare width and folds; the others never wrap."""
    table = Table(
        title=Text(title, style="bold"),
        title_justify="left",
        caption=_more(SHOWN, total),
        box=box.SIMPLE_HEAD,
    )
    for column in columns:
        if column in ("endpoint", "url", "request"):
            table.add_column(column, overflow="fold", ratio=1, min_width=16)
        else:
            numeric = column in ("count", "sent", "recv", "events", "comments")
            table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    return table


def _endpoints(summary: Summary) -> Table:
    table = _table("Endpoints", len(summary.endpoints), "protocol", "count", "status", "endpoint")
    for row in summary.endpoints[:SHOWN]:
        style = PROTOCOL_STYLES.get(row.protocols.most_common(1)[0][0], "")
        statuses = ",".join(f"{s}" for s, _ in row.statuses.most_common(3))
        endpoint = Text(row.endpoint)
        if row.frameworks:
            endpoint.append(f"  {', '.join(sorted(row.frameworks))}", style="dim")
        table.add_row(Text(row.protocol, style=style), str(row.count), statuses, endpoint)
    return table


def _websockets(summary: Summary) -> Table:
    table = _table(
        "WebSocket sessions", len(summary.websockets), "sent", "recv", "bytes", "close", "url"
    )
    for row in summary.websockets[:SHOWN]:
        url = Text(row.url)
        details = [row.subprotocol, row.extensions.split(";")[0], row.framework]
        if any(details):
            url.append(f"  {' '.join(d for d in details if d)}", style="dim")
        if row.handshake != "ok":
            url.append(f"\nhandshake {row.handshake}", style="red")
        table.add_row(
            str(row.sent),
            str(row.received),
            f"{human_bytes(row.bytes_sent)}/{human_bytes(row.bytes_received)}",
            Text(row.close),
            url,
        )
    return table


def _sse(summary: Summary) -> Table:
    table = _table(
        "SSE streams", len(summary.sse), "events", "ids", "retry", "comments", "types", "request"
    )
    for row in summary.sse[:SHOWN]:
        table.add_row(
            str(row.events),
            Text(row.ids, style="yellow" if row.ids == "no" else ""),
            row.retry,
            str(row.comments),
            Text(row.types),
            Text(f"{row.method} {row.url}"),
        )
    return table


SEVERITY_STYLES = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _findings(report: Report) -> Group:
    """Each finding: what and where on one line, then its numbers and the rationale, indented
    under it (a grid keeps wrapped lines aligned at any width)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for finding in report.findings[:SHOWN]:
        severity = finding.severity.label
        head = Text(finding.kind, style="bold")
        if finding.recommendation:
            head.append(" -> ")
            head.append(finding.recommendation, style="bold green")
        head.append(f"  {finding.endpoint}")
        if finding.client:
            head.append(f"  client {finding.client}", style="dim")
        grid.add_row(Text(severity.upper(), style=SEVERITY_STYLES[severity]), head)
        facts = finding_facts(finding)
        if facts:
            grid.add_row("", Text(facts, style="dim"))
        grid.add_row("", Text(finding.rationale))
    parts: list[RenderableType] = [Text(f"Findings ({len(report.findings)})", style="bold"), grid]
    if len(report.findings) > SHOWN:
        parts.append(Text(f"  and {len(report.findings) - SHOWN} more (see --format json)"))
    return Group(*parts, Text(""))


def _problems(summary: Summary) -> Text:
    text = Text(f"Problems ({summary.problem_count})\n", style="bold red")
    for path, problem in summary.problems:
        text.append(f"  {path}: ", style="dim")
        text.append(f"{problem}\n")
    if summary.problem_count > len(summary.problems):
        text.append(
            f"  and {summary.problem_count - len(summary.problems)} more (see --format json)\n"
        )
    return text
