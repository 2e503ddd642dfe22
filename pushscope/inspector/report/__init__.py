"""Reports over analysed exchanges: JSON (the contract), text (Rich) and Markdown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, Protocol

SCHEMA = "pushscope.report/1"


@dataclass(slots=True)
class Source:
    path: str
    format: str | None
    exchanges: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    """All problems, including those past the kept list."""
    unusable: bool = False


@dataclass(slots=True)
class Report:
    sources: list[Source]
    exchanges: list[Exchange]
    findings: list[Finding] = field(default_factory=list)
    redact: bool = True
    baselined: int | None = None
    """Findings that `analyze --baseline` found in the baseline already; None without one."""
    marked: list[str] = field(default_factory=list)
    """Ids of the exchanges a user marked in the viewer, kept with the report."""

    def protocol_counts(self) -> dict[str, int]:
        counts = Counter(exchange.protocol.value for exchange in self.exchanges)
        return {protocol.value: counts.get(protocol.value, 0) for protocol in Protocol}
