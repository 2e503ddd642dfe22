"""Two recordings compared: findings gone, new and changed, and what the polling costs.

Two recordings of one app differ in ids, hosts and ports, client addresses and connection
ids. A finding's key (`finding_key`) leaves all of those out, so the same polling loop matches
in both: `analyze --baseline` and `diff` match findings by it alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from pushscope import __version__
from pushscope.inspector.endpoints import CACHE_BUSTERS, path_template
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.report import Report
from pushscope.inspector.report.summary import human_bytes, seconds

DIFF_SCHEMA = "pushscope.diff/1"
FIGURE_TOLERANCE = 0.10
"""Stats and impact figures within 10% (or 0.01) of each other are the same figure: two
recordings of one polling loop never agree to the millisecond or the byte."""


class FindingKey(NamedTuple):
    """What a finding is about, the same in every recording of the app."""

    kind: str
    method: str
    """`GET`, `POST`...; empty for a finding about a whole origin (`sse-connection-limit`)."""
    resource: str
    """The path template, its query keys, the RPC operation and any split (`/feed?page=*
    [room=a]`, `/graphql UnreadCount`); no scheme, host or port. Empty for a whole origin."""


_SPLIT = re.compile(r" \[([^\[\]]*)\]$")
"""The suffix of a series split by a parameter that names resources: ` [room=a topic=b]`."""
_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)(?:\?([^#]*))?")
"""An optional `scheme://authority`, then the path and the query."""


def finding_key(finding: Finding) -> FindingKey:
    """The finding's kind, method and resource, from `Finding.endpoint`.

    `endpoint` is `METHOD scheme://host:port/path/{id}?key=*`, perhaps with an RPC operation
    (` UnreadCount`) and a split suffix (` [room=a]`), or an origin alone (`http://host:port`).
    The origin is dropped: the same app runs on other hosts and ports. Ids are folded again,
    in the path and in split values (`[id=7]` -> `[id={id}]`), so an endpoint written by any
    version matches; GraphQL operations, named after the URL or where a split names them
    (`[operationName=Feed]`, as older versions wrote), are kept.
    """
    endpoint = finding.endpoint
    split = ""
    if (found := _SPLIT.search(endpoint)) is not None:
        endpoint = endpoint[: found.start()]
        split = " [" + " ".join(_split_part(part) for part in found.group(1).split()) + "]"
    method, space, url = endpoint.partition(" ")
    if not space or "://" in method:
        method, url = "", endpoint
    url, space, operation = url.partition(" ")  # a URL has no space: an operation follows
    return FindingKey(finding.kind, method, _resource(url) + space + operation + split)


def _resource(url: str) -> str:
    """`http://host:8080/api/items/42?page=1` -> `/api/items/{id}?page=*`; an origin -> ``."""
    if "://" not in url and not url.startswith("/"):
        return ""  # an authority (`host:443`, a CONNECT's): only host and port
    parts = _URL.match(url)
    assert parts is not None  # every part is optional: it always matches
    path, query = parts.groups("")
    template = path_template(path)
    names = sorted(
        {
            name
            for name, _, _ in (pair.partition("=") for pair in query.split("&") if pair)
            if name.lower() not in CACHE_BUSTERS
        }
    )
    keys = "&".join(f"{name}=*" for name in names)
    if not template and not keys:
        return ""
    return (template or "/") + (f"?{keys}" if keys else "")


def _split_part(part: str) -> str:
    name, equals, value = part.partition("=")
    return f"{name}{equals}{path_template(value)}"


@dataclass(slots=True)
class Change:
    """One finding in both recordings, and what differs between the two."""

    before: Finding
    after: Finding
    fields: list[str]
    """`severity`, `recommendation`, `stats.period_s`, `impact.after_push.bytes_per_hour`..."""

    @property
    def worse(self) -> bool:
        return self.after.severity > self.before.severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "changes": self.fields,
        }


@dataclass(slots=True)
class Comparison:
    """Findings of BEFORE and AFTER, paired by key."""

    gone: list[Finding]
    new: list[Finding]
    changed: list[Change]
    unchanged: int

    @property
    def known(self) -> int:
        """AFTER's findings that BEFORE already held, changed or not."""
        return len(self.changed) + self.unchanged

    def failing(self, threshold: Severity) -> list[Finding]:
        """What `--fail-on threshold` counts: new findings at or above it, and findings that
        got worse and are now at or above it. A finding BEFORE held as bad is not counted."""
        return [f for f in self.new if f.severity >= threshold] + [
            c.after for c in self.changed if c.worse and c.after.severity >= threshold
        ]


def compare(before: Sequence[Finding], after: Sequence[Finding]) -> Comparison:
    """Pair findings by key. Several findings with one key (two clients polling one endpoint)
    pair off most severe first; the rest of either side is gone or new."""
    waiting: dict[FindingKey, list[Finding]] = defaultdict(list)
    for finding in sorted(before, key=_order):
        waiting[finding_key(finding)].append(finding)
    new: list[Finding] = []
    changed: list[Change] = []
    unchanged = 0
    for finding in sorted(after, key=_order):
        matches = waiting.get(finding_key(finding))
        if not matches:
            new.append(finding)
            continue
        old = matches.pop(0)
        if fields := differences(old, finding):
            changed.append(Change(old, finding, fields))
        else:
            unchanged += 1
    gone = sorted((f for rest in waiting.values() for f in rest), key=_order)
    return Comparison(gone, new, changed, unchanged)


def _order(finding: Finding) -> tuple[int, FindingKey, str, str]:
    return (-finding.severity, finding_key(finding), finding.client or "", finding.endpoint)


def differences(before: Finding, after: Finding) -> list[str]:
    """What differs between two findings with one key; figures within `FIGURE_TOLERANCE`
    count as equal."""
    fields = []
    if before.severity != after.severity:
        fields.append("severity")
    if before.recommendation != after.recommendation:
        fields.append("recommendation")
    fields += _figures("stats", before.stats, after.stats)
    if (before.impact is None) != (after.impact is None):
        fields.append("impact")
    else:
        fields += _figures("impact", before.impact or {}, after.impact or {})
    return fields


def _figures(where: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    fields = []
    for name in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(name), after.get(name)
        if isinstance(a, dict) and isinstance(b, dict):
            fields += _figures(f"{where}.{name}", a, b)
        elif not _same(a, b):
            fields.append(f"{where}.{name}")
    return fields


def _same(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return bool(abs(a - b) <= max(0.01, FIGURE_TOLERANCE * max(abs(a), abs(b))))
    return bool(a == b)


def is_number(value: Any) -> bool:
    """An int or float, not a bool (JSON's numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(slots=True)
class Totals:
    """What one recording holds and what its polling costs (summed over the findings whose
    `impact` gives a polling rate: short and long polling)."""

    exchanges: int
    protocols: dict[str, int]
    findings: int
    polling: int
    """Findings with a polling impact."""
    requests_per_hour: float
    bytes_per_hour: int
    staleness_mean_s: float | None
    """The mean of the polling findings' mean staleness; None where nothing polls."""
    staleness_worst_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exchanges": self.exchanges,
            "protocols": self.protocols,
            "findings": self.findings,
            "polling_findings": self.polling,
            "requests_per_hour": self.requests_per_hour,
            "bytes_per_hour": self.bytes_per_hour,
            "staleness_mean_s": self.staleness_mean_s,
            "staleness_worst_s": self.staleness_worst_s,
        }


def totals(exchanges: int, protocols: dict[str, int], findings: Sequence[Finding]) -> Totals:
    impacts = [
        f.impact for f in findings if f.impact and is_number(f.impact.get("requests_per_hour"))
    ]
    means = [i["staleness_mean_s"] for i in impacts if is_number(i.get("staleness_mean_s"))]
    worst = [i["staleness_worst_s"] for i in impacts if is_number(i.get("staleness_worst_s"))]
    return Totals(
        exchanges=exchanges,
        protocols=dict(protocols),
        findings=len(findings),
        polling=len(impacts),
        requests_per_hour=round(sum(i["requests_per_hour"] for i in impacts), 1),
        bytes_per_hour=round(sum(i.get("bytes_per_hour") or 0 for i in impacts)),
        staleness_mean_s=round(sum(means) / len(means), 3) if means else None,
        staleness_worst_s=round(max(worst), 3) if worst else None,
    )


@dataclass(slots=True)
class Recording:
    """One side of a comparison: a capture analysed now, or a JSON report read back."""

    path: str
    kind: str
    """`capture` or `report`."""
    format: str | None
    """The capture's format (`mitm`, `har`...), or the report's schema."""
    findings: list[Finding]
    totals: Totals

    @classmethod
    def of_report(cls, report: Report, path: str) -> Recording:
        formats = sorted({s.format for s in report.sources if s.format})
        return cls(
            path,
            "capture",
            ", ".join(formats) or None,
            report.findings,
            totals(len(report.exchanges), report.protocol_counts(), report.findings),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "format": self.format}


@dataclass(slots=True)
class Diff:
    """BEFORE and AFTER, and their findings compared."""

    before: Recording
    after: Recording
    comparison: Comparison

    @classmethod
    def of(cls, before: Recording, after: Recording) -> Diff:
        return cls(before, after, compare(before.findings, after.findings))

    def to_dict(self) -> dict[str, Any]:
        """The `pushscope.diff/1` document: findings as in a report's `findings`."""
        comparison = self.comparison
        return {
            "schema": DIFF_SCHEMA,
            "generator": f"pushscope {__version__}",
            "sources": {"before": self.before.to_dict(), "after": self.after.to_dict()},
            "summary": {
                "gone": len(comparison.gone),
                "new": len(comparison.new),
                "changed": len(comparison.changed),
                "unchanged": comparison.unchanged,
            },
            "gone": [f.to_dict() for f in comparison.gone],
            "new": [f.to_dict() for f in comparison.new],
            "changed": [c.to_dict() for c in comparison.changed],
            "totals": {
                "before": self.before.totals.to_dict(),
                "after": self.after.totals.to_dict(),
            },
        }


def totals_rows(before: Totals, after: Totals) -> list[tuple[str, str, str, str]]:
    """(what, before, after, change) for the text and Markdown diffs, formatted."""
    rows = [_row("exchanges", before.exchanges, after.exchanges, str)]
    for protocol in [*before.protocols, *(p for p in after.protocols if p not in before.protocols)]:
        rows.append(
            _row(
                f"  {protocol}",
                before.protocols.get(protocol, 0),
                after.protocols.get(protocol, 0),
                str,
            )
        )
    rows.append(_row("findings", before.findings, after.findings, str))
    rows.append(_row("polling findings", before.polling, after.polling, str))
    rows.append(
        _row("polling requests/h", before.requests_per_hour, after.requests_per_hour, _count)
    )
    rows.append(_row("polling bytes/h", before.bytes_per_hour, after.bytes_per_hour, human_bytes))
    rows.append(_staleness("staleness mean", before.staleness_mean_s, after.staleness_mean_s))
    rows.append(_staleness("staleness worst", before.staleness_worst_s, after.staleness_worst_s))
    return rows


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _row(what: str, before: Any, after: Any, shown: Any) -> tuple[str, str, str, str]:
    change = ""
    if after != before:
        delta = after - before
        sign = "+" if delta > 0 else "-"
        change = f"{sign}{shown(abs(delta))}"
        if before:
            ratio = delta / before
            change += f" ({ratio:+.1%})" if abs(ratio) < 0.01 else f" ({ratio:+.0%})"
    return what, shown(before), shown(after), change


def _staleness(what: str, before: float | None, after: float | None) -> tuple[str, str, str, str]:
    if before is None or after is None:
        return what, _seconds(before), _seconds(after), ""
    return _row(what, before, after, seconds)


def _seconds(value: float | None) -> str:
    return seconds(value) if value is not None else "no polling"
