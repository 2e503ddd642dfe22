"""Findings: what pushscope advises, with the evidence and the cost."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pushscope.inspector.polling import Verdict


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {names})") from None


@dataclass(slots=True)
class Finding:
    kind: str
    """`short-polling`, `long-polling`, `websocket-one-way`, `websocket-rpc`, `sse-no-id`..."""
    severity: Severity
    endpoint: str
    client: str | None
    exchanges: list[str]
    stats: dict[str, Any]
    recommendation: str | None
    """`sse`, `websocket`, `keep-polling` or `rest`; None for advice that is not a switch."""
    rationale: str
    impact: dict[str, Any] | None = None
    role: str | None = None
    """What each exchange of this finding is, e.g. `short-poll`."""
    evidence: list[str] = field(default_factory=list)
    id: str = ""
    verdict: Verdict | None = field(default=None, repr=False, compare=False)
    """A polling finding's series: each request's times and answer, for charts."""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = self.make_id(f"{self.kind}|{self.client}|{self.endpoint}")

    @staticmethod
    def make_id(identity: str) -> str:
        """A short stable id: the kind (what `identity` starts with) and a hash of it all."""
        digest = hashlib.blake2b(identity.encode(), digest_size=4).hexdigest()
        return f"{identity.partition('|')[0]}-{digest}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity.label,
            "endpoint": self.endpoint,
            "client": self.client,
            "exchanges": self.exchanges,
            "stats": self.stats,
            "recommendation": self.recommendation,
            "rationale": self.rationale,
            "impact": self.impact,
            "evidence": self.evidence,
        }
