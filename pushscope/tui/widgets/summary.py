"""The line above the table: counts per protocol, open connections, findings, status."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from pushscope.inspector.findings import Severity
from pushscope.inspector.model import Protocol
from pushscope.tui.rows import BADGES, safe
from pushscope.tui.traffic import Traffic
from pushscope.tui.widgets.exchange_table import BADGE_STYLES


def summary_text(traffic: Traffic, paused: bool = False) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{len(traffic):,} exchanges  ", style="bold")
    for protocol in Protocol:
        text.append(f" {BADGES[protocol]} ", style=BADGE_STYLES[protocol])
        text.append(f" {traffic.protocols.get(protocol.value, 0):,}  ")
    now = traffic.connections
    text.append("  open ")
    text.append(f"WS {now.websocket}", style="bold")
    text.append(f" (peak {now.peak_websocket}) ")
    text.append(f"SSE {now.sse}", style="bold")
    text.append(f" (peak {now.peak_sse})")
    text.append(f"   {traffic.messages:,} msgs {traffic.events:,} events")
    findings = traffic.findings.values()
    high = sum(1 for f in findings if f.severity >= Severity.MEDIUM)
    text.append("   findings ")
    text.append(str(len(traffic.findings)), style="bold orange1" if high else "bold")
    if paused:
        text.append("   PAUSED", style="bold reverse yellow")
    return text


class TrafficSummary(Static):
    """Counts that change with every batch, and the source's status line under them."""

    DEFAULT_CSS = """
    TrafficSummary {
        height: 2; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def show(self, traffic: Traffic, paused: bool) -> None:
        text = summary_text(traffic, paused)
        text.append("\n")
        text.append(safe(traffic.status), style="dim")
        self.update(text)
