"""The terminal diff, rendered with Rich. Paths and findings go in as `Text`, never markup."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from pushscope.inspector.findings import Finding
from pushscope.inspector.report.compare import Change, Diff, Recording, totals_rows
from pushscope.inspector.report.summary import finding_facts
from pushscope.inspector.report.text import SEVERITY_STYLES


def render_diff_text(diff: Diff) -> RenderableType:
    comparison = diff.comparison
    parts: list[RenderableType] = [_headline(diff), _totals(diff)]
    if comparison.new:
        parts.append(_findings("New", comparison.new))
    if comparison.changed:
        parts.append(_changed(comparison.changed))
    if comparison.gone:
        parts.append(_findings("Gone", comparison.gone))
    return Group(*parts)


def write_diff_text(diff: Diff, console: Console) -> None:
    console.print(render_diff_text(diff))


def _headline(diff: Diff) -> Text:
    comparison = diff.comparison
    line = Text()
    line.append("pushscope diff\n", style="bold")
    for label, recording in (("before", diff.before), ("after", diff.after)):
        line.append(f"  {label:<7}")
        line.append_text(_recording(recording))
        line.append("\n")
    line.append(" ")
    for label, count, style in (
        ("gone", len(comparison.gone), "green"),
        ("new", len(comparison.new), "red"),
        ("changed", len(comparison.changed), "yellow"),
        ("unchanged", comparison.unchanged, ""),
    ):
        line.append(f" {label} ", style=f"bold {style}" if count else "dim")
        line.append(f"{count}  ")
    return line


def _recording(recording: Recording) -> Text:
    text = Text(recording.path)
    text.append(f"  {recording.kind}", style="dim")
    if recording.format:
        text.append(f", {recording.format}", style="dim")
    return text


def _totals(diff: Diff) -> Table:
    table = Table(title=Text("Totals", style="bold"), title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True)
    for column in ("before", "after", "change"):
        table.add_column(column, justify="right", no_wrap=True)
    for what, before, after, change in totals_rows(diff.before.totals, diff.after.totals):
        table.add_row(what, before, after, change)
    return table


def _head(finding: Finding, severity: Text) -> tuple[Text, Text]:
    head = Text(finding.kind, style="bold")
    if finding.recommendation:
        head.append(" -> ")
        head.append(finding.recommendation, style="bold green")
    head.append(f"  {finding.endpoint}")
    if finding.client:
        head.append(f"  client {finding.client}", style="dim")
    return severity, head


def _severity(finding: Finding) -> Text:
    label = finding.severity.label
    return Text(label.upper(), style=SEVERITY_STYLES[label])


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _findings(title: str, findings: list[Finding]) -> Group:
    grid = _grid()
    for finding in findings:
        grid.add_row(*_head(finding, _severity(finding)))
        if facts := finding_facts(finding):
            grid.add_row("", Text(facts, style="dim"))
    return Group(Text(f"{title} ({len(findings)})", style="bold"), grid, Text(""))


def _changed(changes: list[Change]) -> Group:
    grid = _grid()
    for change in changes:
        severity = _severity(change.before)
        if change.after.severity != change.before.severity:
            severity.append(" -> ")
            severity.append_text(_severity(change.after))
        grid.add_row(*_head(change.after, severity))
        grid.add_row("", Text("changed: " + ", ".join(change.fields), style="yellow"))
        for when, finding in (("before", change.before), ("after", change.after)):
            if facts := finding_facts(finding):
                grid.add_row("", Text(f"{when}: {facts}", style="dim"))
    return Group(Text(f"Changed ({len(changes)})", style="bold"), grid, Text(""))
