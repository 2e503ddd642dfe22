"""The Markdown diff, fit for a pull-request comment. Paths and findings are escaped."""

from __future__ import annotations

from pushscope.inspector.findings import Finding
from pushscope.inspector.report.compare import Diff, Recording, totals_rows
from pushscope.inspector.report.markdown import code, md
from pushscope.inspector.report.summary import finding_facts


def render_diff_markdown(diff: Diff) -> str:
    comparison = diff.comparison
    out = [
        "## pushscope diff",
        "",
        f"{_recording(diff.before)} -> {_recording(diff.after)}: "
        f"**{len(comparison.gone)}** gone, **{len(comparison.new)}** new, "
        f"**{len(comparison.changed)}** changed, {comparison.unchanged} unchanged.",
        "",
        "### Totals",
        "",
        "| | before | after | change |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {md(what.strip())} | {md(before)} | {md(after)} | {md(change)} |"
        for what, before, after, change in totals_rows(diff.before.totals, diff.after.totals)
    ]
    out.append("")
    for title, findings in (("New", comparison.new), ("Gone", comparison.gone)):
        if findings:
            out += [f"### {title} findings ({len(findings)})", ""]
            out += _table(
                ["severity", "finding", "advice", "endpoint", "facts"],
                [
                    [
                        f"**{f.severity.label}**",
                        md(f.kind),
                        md(f.recommendation or ""),
                        code(f.endpoint),
                        md(finding_facts(f)),
                    ]
                    for f in findings
                ],
            )
    if comparison.changed:
        out += [f"### Changed findings ({len(comparison.changed)})", ""]
        out += _table(
            ["severity", "finding", "endpoint", "changed", "before", "after"],
            [
                [
                    _severity(c.before, c.after),
                    md(c.after.kind),
                    code(c.after.endpoint),
                    md(", ".join(c.fields)),
                    md(finding_facts(c.before)),
                    md(finding_facts(c.after)),
                ]
                for c in comparison.changed
            ],
        )
    return "\n".join(out)


def _recording(recording: Recording) -> str:
    return f"{code(recording.path)} ({md(recording.kind)})"


def _severity(before: Finding, after: Finding) -> str:
    if before.severity == after.severity:
        return f"**{after.severity.label}**"
    return f"{before.severity.label} -> **{after.severity.label}**"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
