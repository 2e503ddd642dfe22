"""The Markdown report, fit for a pull-request comment: the findings first, the details folded
in `<details>`, each polling series charted with Mermaid (GitHub renders it). Network text is
escaped."""

from __future__ import annotations

import itertools
import re

from pushscope.inspector.findings import Finding
from pushscope.inspector.report import Report
from pushscope.inspector.report.summary import SHOWN, finding_facts, summarize

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_UNQUOTABLE = re.compile(r"[^\w /.:?=&{}-]")
"""What a Mermaid quoted title cannot hold safely (quotes, markup, line breaks)."""
CHARTS = 3
"""Polling series charted; the rest are in the table."""
BARS = 60
"""Intervals drawn per chart, spread evenly over the series."""


def md(text: str) -> str:
    """Escape `text` for a Markdown table cell: no markup, no HTML, no line breaks."""
    return _SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def code(text: str) -> str:
    """`text` as an inline code span in a table cell: shown literally (Markdown and HTML do
    not apply inside), delimited by more backticks than it holds, pipes escaped for the table."""
    text = text.replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or text.startswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


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
        f"findings **{len(report.findings)}**{_baselined(report)}.",
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
                    code(f.endpoint),
                    md(finding_facts(f)),
                ]
                for f in report.findings[:SHOWN]
            ],
            len(report.findings),
        )
        out += _details(
            "Why",
            [
                f"- **{md(f.kind)}** {code(f.endpoint)}: {md(f.rationale)}"
                for f in report.findings[:SHOWN]
            ],
        )
        charts = [chart for f in report.findings if (chart := mermaid_series(f))][:CHARTS]
        if charts:
            out += _details("Polling series", [line for chart in charts for line in chart])
    if summary.endpoints:
        out += _details(
            f"Endpoints ({len(summary.endpoints)})",
            _table(
                ["endpoint", "protocol", "count", "status", "framework"],
                [
                    [
                        code(r.endpoint),
                        r.protocol,
                        str(r.count),
                        ", ".join(str(s) for s, _ in r.statuses.most_common(3)),
                        md(", ".join(sorted(r.frameworks))),
                    ]
                    for r in summary.endpoints[:SHOWN]
                ],
                len(summary.endpoints),
            ),
        )
    if summary.websockets:
        out += _details(
            f"WebSocket sessions ({len(summary.websockets)})",
            _table(
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
            ),
        )
    if summary.sse:
        out += _details(
            f"SSE streams ({len(summary.sse)})",
            _table(
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
            ),
        )
    if summary.problems:
        out += _details(
            f"Problems ({summary.problem_count})",
            [f"- {md(path)}: {md(problem)}" for path, problem in summary.problems],
        )
    return "\n".join(out)


def _baselined(report: Report) -> str:
    return "" if report.baselined is None else f" ({report.baselined} already in the baseline)"


def _details(title: str, lines: list[str]) -> list[str]:
    """`lines` folded under `title` (blank lines around them: GitHub renders Markdown inside
    `<details>` only then)."""
    return [f"<details><summary>{title}</summary>", "", *lines, "", "</details>", ""]


def mermaid_series(finding: Finding) -> list[str]:
    """A polling series as a Mermaid bar chart of the seconds between its requests, or
    nothing for a finding that is not a series."""
    verdict = finding.verdict
    if verdict is None or len(verdict.polls) < 3:
        return []
    starts = [poll.start for poll in verdict.polls]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    step = max(1, -(-len(gaps) // BARS))
    shown = gaps[::step]
    title = _UNQUOTABLE.sub("_", f"{finding.kind} {finding.endpoint}")[:80]
    top = max(shown) * 1.1 or 1.0
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "request{f" (every {step}th)" if step > 1 else ""}" 2 --> {len(gaps) + 1}',
        f'    y-axis "seconds since the previous request" 0 --> {top:.2f}',
        "    bar [" + ", ".join(f"{gap:.2f}" for gap in shown) + "]",
        "```",
        "",
    ]
