"""The findings panel: what pushscope advises, most severe first."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from inspector.findings import Finding, Severity
from inspector.report.summary import seconds
from tui.rows import safe

SEVERITY_STYLES = {
    Severity.HIGH: "bold white on red3",
    Severity.MEDIUM: "bold black on orange1",
    Severity.LOW: "black on khaki1",
    Severity.INFO: "black on grey70",
}


def severity_badge(severity: Severity) -> Text:
    return Text(f" {severity.label} ", style=SEVERITY_STYLES[severity])


def period(finding: Finding) -> str:
    value = finding.stats.get("period_s")
    return seconds(value) if isinstance(value, int | float) and value > 0 else ""


def wasted(finding: Finding) -> str:
    ratio = (finding.impact or {}).get("wasted_ratio", finding.stats.get("unchanged_ratio"))
    return f"{ratio:.0%}" if isinstance(ratio, int | float) else ""


def advice(finding: Finding) -> str:
    return f"-> {finding.recommendation}" if finding.recommendation else ""


class FindingsPanel(DataTable[Text]):
    """One row per finding; `enter` posts `Chosen`. Every cell is `Text`: never markup."""

    class Chosen(Message):
        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.findings: list[Finding] = []

    def on_mount(self) -> None:
        for title in ("severity", "finding", "endpoint", "period", "wasted", "advice"):
            self.add_column(title, key=title)
        self.border_title = "findings (none)"

    def show(self, findings: list[Finding]) -> None:
        chosen = self.findings[self.cursor_row].id if self.findings and self.row_count else None
        self.findings = findings
        self.clear()
        for finding in findings:
            self.add_row(
                severity_badge(finding.severity),
                Text(finding.kind),
                Text(safe(finding.endpoint)),
                Text(period(finding)),
                Text(wasted(finding)),
                Text(advice(finding), style="bold"),
                key=finding.id,
            )
        if chosen is not None:
            for index, finding in enumerate(findings):
                if finding.id == chosen:
                    self.move_cursor(row=index, animate=False)
        self.border_title = f"findings ({len(findings)})" if findings else "findings (none)"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.findings):
            self.post_message(self.Chosen(self.findings[event.cursor_row]))
