"""The findings panel: what pushscope advises, most severe first, however many there are."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip

from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.report.summary import seconds
from pushscope.tui.rows import safe
from pushscope.tui.widgets.columns import Column, ColumnTitles, fit, row_strip
from pushscope.tui.widgets.virtual_list import VirtualList

SEVERITY_STYLES = {
    Severity.HIGH: Style(bold=True, color="white", bgcolor="red3"),
    Severity.MEDIUM: Style(bold=True, color="black", bgcolor="orange1"),
    Severity.LOW: Style(color="black", bgcolor="khaki1"),
    Severity.INFO: Style(color="black", bgcolor="grey70"),
}
ADVICE = Style(bold=True)


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


COLUMNS = (
    Column("severity", 8),
    Column("finding", 18),
    Column("endpoint", 10, flex=True),
    Column("period", 8, right=True),
    Column("wasted", 7, right=True),
    Column("advice", 12),
)


class FindingsList(VirtualList):
    """One line per finding; `enter` posts `Chosen`."""

    class Chosen(Message):
        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[Finding] = []

    def show(self, findings: list[Finding]) -> None:
        chosen = None
        if self.has_focus and self.cursor < len(self.findings):
            chosen = self.findings[self.cursor].id  # the user's choice stays chosen
        self.findings = findings
        self.rows_changed()
        self.cursor = next((i for i, f in enumerate(findings) if f.id == chosen), 0)

    def row_count(self) -> int:
        return len(self.findings)

    def select(self, index: int) -> None:
        self.post_message(self.Chosen(self.findings[index]))

    def render_row(self, index: int, width: int, style: Style) -> Strip:
        finding = self.findings[index]
        values = (
            finding.severity.label,
            finding.kind,
            safe(finding.endpoint),
            period(finding),
            wasted(finding),
            advice(finding),
        )

        def accent(column: Column, value: str) -> Style | None:
            if column.title == "severity":
                return SEVERITY_STYLES[finding.severity]
            return ADVICE if column.title == "advice" else None

        return row_strip(fit(COLUMNS, width), values, style, accent)


class FindingsPanel(Vertical):
    """The list under a header line, titled with how many there are."""

    def compose(self) -> ComposeResult:
        yield ColumnTitles(COLUMNS)
        yield FindingsList()

    def on_mount(self) -> None:
        self.border_title = "findings (none)"

    @property
    def findings_list(self) -> FindingsList:
        return self.query_one(FindingsList)

    def show(self, findings: list[Finding]) -> None:
        self.findings_list.show(findings)
        self.border_title = f"findings ({len(findings)})" if findings else "findings (none)"
