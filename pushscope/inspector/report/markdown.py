"""The Markdown report, fit for a pull-request comment. Network text is escaped."""

from __future__ import annotations

import re

from pushscope.inspector.report import Report
from pushscope.inspector.report.summary import SHOWN, finding_facts, summarize

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: str) -> str:
    """Escape `text` for a Markdown table cell: no markup, no HTML, no line breaks."""
    return _SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def _table(header: list[str], rows: list[list[str]], total: int) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if total > len(rows):
        lines.append(f"\n_and {total - len(rows)} more_")
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    summary = summarize(report)
    counts = ", ".join(f"{p} **{n}**" for p, n in summary.protocols.items())
    out = [
        "## pushscope report",
        "",
        f"{summary.total} exchanges from {len(report.sources)} source(s): {counts}; "
        f"findings **{len(report.findings)}**.",
        "",
    ]
    if report.findings:
        out += [f"### Findings ({len(report.findings)})", ""]
        out += _table(
            ["severity", "finding", "advice", "endpoint", "facts"],
            [
                [
                    f"**{f.severity.label}**",
                    f.kind,
                    f.recommendation or "",
                    f"`{md(f.endpoint)}`",
                    md(finding_facts(f)),
                ]
                for f in report.findings[:SHOWN]
            ],
            len(report.findings),
        )
        out += [
            f"- **{md(f.kind)}** `{md(f.endpoint)}`: {md(f.rationale)}"
            for f in report.findings[:SHOWN]
        ]
        out.append("")
    if summary.endpoints:
        out += ["### Endpoints", ""]
        out += _table(
            ["endpoint", "protocol", "count", "status", "framework"],
            [
                [
                    f"`{md(r.endpoint)}`",
                    r.protocol,
                    str(r.count),
                    ", ".join(str(s) for s, _ in r.statuses.most_common(3)),
                    md(", ".join(sorted(r.frameworks))),
                ]
                for r in summary.endpoints[:SHOWN]
            ],
            len(summary.endpoints),
        )
    if summary.websockets:
        out += ["### WebSocket sessions", ""]
        out += _table(
            ["url", "handshake", "subprotocol", "sent", "recv", "close"],
            [
                [
                    md(r.url),
                    md(r.handshake),
                    md(r.subprotocol),
                    str(r.sent),
                    str(r.received),
                    md(r.close),
                ]
                for r in summary.websockets[:SHOWN]
            ],
            len(summary.websockets),
        )
    if summary.sse:
        out += ["### SSE streams", ""]
        out += _table(
            ["request", "events", "types", "ids", "retry", "comments"],
            [
                [
                    md(f"{r.method} {r.url}"),
                    str(r.events),
                    md(r.types),
                    r.ids,
                    r.retry,
                    str(r.comments),
                ]
                for r in summary.sse[:SHOWN]
            ],
            len(summary.sse),
        )
    if summary.problems:
        out += [f"### Problems ({summary.problem_count})", ""]
        out += [f"- {md(path)}: {md(problem)}" for path, problem in summary.problems]
        out.append("")
    return "\n".join(out)
