"""Everything the viewer knows, kept on the UI thread (no Textual).

Exchanges in the order they were opened, the findings and which exchanges belong to them,
counts per protocol, and the positions the current filter lets through. Batches from
`TrafficStore` are applied here; the widgets only read.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange
from pushscope.tui.filters import Filter, Key, key_of, parse_filter
from pushscope.tui.rows import Row, row_of
from pushscope.tui.store import Batch, Connections

ROW_CACHE = 4096


@dataclass(slots=True)
class Update:
    """What a batch changed, for the widgets to redraw."""

    rows: bool = False
    findings: bool = False
    status: bool = False


class Traffic:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.position: dict[str, int] = {}
        self.keys: list[Key] = []
        self.open: set[str] = set()
        self.findings: dict[str, Finding] = {}
        self.finding_of: dict[str, str] = {}
        """Exchange id -> the id of the (last) finding it belongs to."""
        self.protocols: Counter[str] = Counter()
        self.messages = 0
        self.events = 0
        self.connections = Connections()
        self.status = ""
        self.finished = False
        self.filter: Filter = parse_filter("")
        self.visible: list[int] = []
        self._visible_set: set[int] = set()
        self._rows: dict[int, Row] = {}
        self.marked: set[str] = set()
        """Ids of the exchanges the user marked (`m`)."""

    def __len__(self) -> int:
        return len(self.exchanges)

    # -- batches

    def apply(self, batch: Batch, connections: Connections | None = None) -> Update:
        update = Update()
        for exchange in batch.new:
            self._add(exchange)
        self.open.difference_update(batch.closed)
        for finding in batch.findings.values():
            self._finding(finding, batch.changed)
        for exchange_id in batch.changed:
            position = self.position.get(exchange_id)
            if position is not None:
                self._refresh(position)
        self.messages += batch.messages
        self.events += batch.events
        if connections is not None:
            self.connections = replace(connections)  # a snapshot: the source thread moves on
        if batch.status is not None:
            self.status = batch.status
        if batch.finished:
            self.finished = True
            self.open.clear()
        update.rows = bool(batch.new or batch.changed)
        update.findings = bool(batch.findings)
        update.status = True
        return update

    def _add(self, exchange: Exchange) -> None:
        position = len(self.exchanges)
        self.exchanges.append(exchange)
        self.position[exchange.id] = position
        self.open.add(exchange.id)
        key = key_of(exchange, False, True)
        self.keys.append(key)
        self.protocols[key.protocol] += 1
        if self.filter.empty or self.filter(key):
            self.visible.append(position)
            self._visible_set.add(position)

    def _refresh(self, position: int) -> None:
        exchange = self.exchanges[position]
        old = self.keys[position]
        key = key_of(exchange, exchange.id in self.finding_of, exchange.id in self.open)
        key.marked = exchange.id in self.marked
        self.keys[position] = key
        if key.protocol != old.protocol:
            self.protocols[old.protocol] -= 1
            self.protocols[key.protocol] += 1
        self._rows.pop(position, None)
        if self.filter.empty:
            return
        shown, wanted = position in self._visible_set, self.filter(key)
        if wanted and not shown:
            bisect.insort(self.visible, position)
            self._visible_set.add(position)
        elif shown and not wanted:
            del self.visible[bisect.bisect_left(self.visible, position)]
            self._visible_set.discard(position)

    def _finding(self, finding: Finding, changed: set[str]) -> None:
        self.findings[finding.id] = finding
        for exchange_id in finding.exchanges:
            if self.finding_of.get(exchange_id) != finding.id:
                self.finding_of[exchange_id] = finding.id
                changed.add(exchange_id)

    def toggle_mark(self, exchange_id: str) -> bool:
        """Mark the exchange, or unmark it; return whether it is marked now."""
        position = self.position.get(exchange_id)
        if position is None:
            return False
        self.marked ^= {exchange_id}
        self._refresh(position)
        return exchange_id in self.marked

    # -- reading

    def row(self, index: int) -> Row:
        """The row at `index` among the visible ones."""
        position = self.visible[index]
        row = self._rows.get(position)
        if row is None:
            if len(self._rows) >= ROW_CACHE:
                self._rows.clear()
            exchange = self.exchanges[position]
            row = row_of(exchange, exchange.id in self.finding_of, exchange.id in self.open)
            if exchange.id in self.marked:
                row = replace(row, marked=True)
            self._rows[position] = row
        if self.filter.message_terms:  # how many messages matched, beside how many there are
            hits = self.filter.message_hits(self.exchanges[position])
            row = replace(row, count=f"{hits}/{row.count}")
        return row

    def exchange_at(self, index: int) -> Exchange | None:
        if 0 <= index < len(self.visible):
            return self.exchanges[self.visible[index]]
        return None

    def index_of(self, exchange_id: str) -> int | None:
        """Where an exchange is among the visible rows, if it is shown."""
        position = self.position.get(exchange_id)
        if position is None or position not in self._visible_set:
            return None
        return bisect.bisect_left(self.visible, position)

    def set_filter(self, new: Filter) -> None:
        self.filter = new
        keys = self.keys
        visible: Iterable[int] = range(len(keys))
        for predicate in new.predicates:  # term by term, each over what the last one kept
            visible = [i for i in visible if predicate(keys[i])]
        self.visible = list(visible)
        self._visible_set = set(self.visible)

    def findings_by_severity(self) -> list[Finding]:
        return sorted(self.findings.values(), key=lambda f: (-f.severity, f.endpoint, f.kind))
