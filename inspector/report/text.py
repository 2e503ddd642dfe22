"""The terminal report, rendered with Rich. Network text always goes in as `Text`, not markup."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from inspector.report import Report
from inspector.report.summary import SHOWN, Summary, human_bytes, summarize

PROTOCOL_STYLES = {"rest": "cyan", "sse": "green", "websocket": "magenta", "stream": "yellow"}


def render_text(report: Report) -> RenderableType:
    summary = summarize(report)
    parts: list[RenderableType] = [_headline(report, summary)]
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
    return line


def _more(shown: int, total: int) -> str | None:
    return f"and {total - shown} more" if total > shown else None


def _table(title: str, total: int, *columns: str) -> Table:
    table = Table(
        title=Text(title, style="bold"), title_justify="left", caption=_more(SHOWN, total)
    )
    for column in columns:
        justify = "right" if column in ("count", "sent", "recv", "events", "comments") else "left"
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    return table


def _endpoints(summary: Summary) -> Table:
    table = _table(
        "Endpoints", len(summary.endpoints), "endpoint", "protocol", "count", "status", "framework"
    )
    for row in summary.endpoints[:SHOWN]:
        style = PROTOCOL_STYLES.get(row.protocols.most_common(1)[0][0], "")
        statuses = ", ".join(f"{s}" for s, _ in row.statuses.most_common(3))
        table.add_row(
            Text(row.endpoint),
            Text(row.protocol, style=style),
            str(row.count),
            statuses,
            Text(", ".join(sorted(row.frameworks))),
        )
    return table


def _websockets(summary: Summary) -> Table:
    table = _table(
        "WebSocket sessions",
        len(summary.websockets),
        "url",
        "handshake",
        "subprotocol",
        "sent",
        "recv",
        "bytes sent/recv",
        "close",
        "framework",
    )
    for row in summary.websockets[:SHOWN]:
        handshake = Text(row.handshake, style="green" if row.handshake == "ok" else "red")
        table.add_row(
            Text(row.url),
            handshake,
            Text(row.subprotocol),
            str(row.sent),
            str(row.received),
            f"{human_bytes(row.bytes_sent)} / {human_bytes(row.bytes_received)}",
            Text(row.close),
            Text(row.framework),
        )
    return table


def _sse(summary: Summary) -> Table:
    table = _table(
        "SSE streams", len(summary.sse), "request", "events", "types", "ids", "retry", "comments"
    )
    for row in summary.sse[:SHOWN]:
        table.add_row(
            Text(f"{row.method} {row.url}"),
            str(row.events),
            Text(row.types),
            Text(row.ids, style="yellow" if row.ids == "no" else ""),
            row.retry,
            str(row.comments),
        )
    return table


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
