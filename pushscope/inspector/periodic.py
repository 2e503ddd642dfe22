"""Periodic traffic that asks for nothing: beacons, heartbeats, token refresh, telemetry and
service-worker update checks.

It keeps a beat as polling does, but push would not replace it: polling asks the server for
what changed, these send something (an event, a sign of life, logs) or renew something. What a
series is follows from what travels: the method, which way the payload goes, how much the
answers say, content types and well-known paths.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pushscope.inspector.advice import Context
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.polling import Verdict

TRIVIAL_ANSWER_BYTES = 32
"""An answer this short that never changes (`{"ok": true}`) says nothing but "received"."""
TRIVIAL_SHARE = 0.8
"""Share of answers that must be trivial for a series that sends data to be a heartbeat."""

_WORDS = re.compile(r"[a-z0-9]+")
_SERVICE_WORKER = re.compile(r"(?:^|[/_.-])(?:sw|service-?worker|ngsw-worker)\.js$")
_TELEMETRY = frozenset(
    {
        "log",
        "logs",
        "logging",
        "metrics",
        "telemetry",
        "traces",
        "otlp",
        "ingest",
        "rum",
        "envelope",
        "errors",
        "sentry",
        "vitals",
    }
)
_BEACON = frozenset({"beacon", "beacons", "collect", "track", "analytics", "pixel", "ping"})
_HEARTBEAT = frozenset({"presence", "heartbeat", "keepalive", "alive", "online", "touch"})
_TOKEN = frozenset({"token", "refresh", "renew"})
_SENDING_TYPES = ("text/plain", "application/x-www-form-urlencoded", "text/ping")
"""Request content types of beacons: `navigator.sendBeacon` with a string sends text/plain,
`<a ping>` text/ping."""

KINDS = {
    "beacon": "an analytics beacon: it reports to the server and expects no answer",
    "heartbeat": "a heartbeat: a sign of life or presence, answered with an acknowledgement",
    "token-refresh": "a session or token refresh: it renews credentials on a timer",
    "telemetry": "metrics or log shipping: it sends batches and expects no data back",
    "sw-update-check": "a service worker's update check: the browser asks for its script",
}
"""The kinds of periodic traffic that is not polling, and what each is."""


class Hint(NamedTuple):
    """What a series' requests say of it, taken from its first request."""

    kind: str | None
    """The kind its path, headers or content type name, if any."""
    sends: bool
    """It carries a body (POST, PUT, PATCH): whether it sends rather than asks."""
    asks: bool
    """It is an RPC query (GraphQL query, JSON-RPC call): it asks, whatever it sends."""


def hint(
    method: str, path: str, content_type: str, body_size: int, fields: dict[str, str], asks: bool
) -> Hint:
    """The hint of a series from its first request."""
    lowered = path.lower()
    words = set(_WORDS.findall(lowered.partition("?")[0]))
    kind: str | None = None
    if fields.get("service-worker") == "script" or _SERVICE_WORKER.search(lowered):
        kind = "sw-update-check"
    elif words & _HEARTBEAT:
        kind = "heartbeat"
    elif words & _TOKEN or ("session" in words and "auth" in words):
        kind = "token-refresh"
    elif method == "POST" and words & _TELEMETRY:
        kind = "telemetry"
    elif method == "POST" and (words & _BEACON or content_type.startswith(_SENDING_TYPES)):
        kind = "beacon"
    sends = method in ("POST", "PUT", "PATCH") and body_size > 0
    return Hint(kind, sends, asks)


def periodic_kind(hint: Hint, verdict: Verdict) -> str | None:
    """The kind of periodic traffic a polling verdict really is, or None for polling."""
    if hint.asks:
        return hint.kind if hint.kind in ("heartbeat", "token-refresh") else None
    if hint.kind is not None:
        return hint.kind
    if hint.sends and _trivial_answers(verdict):
        return "heartbeat"
    return None


def _trivial_answers(verdict: Verdict) -> bool:
    """Answers that say only "received": 202 or 204, or one short body that never changes."""
    polls = verdict.polls
    digests = {p.digest for p in polls if p.status not in (202, 204) and p.body_bytes}
    trivial = sum(
        1 for p in polls if p.status in (202, 204) or p.body_bytes <= TRIVIAL_ANSWER_BYTES
    )
    return len(digests) <= 1 and trivial >= TRIVIAL_SHARE * len(polls)


def periodic_finding(verdict: Verdict, context: Context, kind: str) -> Finding:
    """An `info` finding of the periodic traffic's own kind: what it is and what it costs, and
    when folding it into a push connection would pay."""
    period = verdict.period
    per_hour = 3600 / period if period > 0 else 0.0
    wire = sum(p.wire_bytes for p in verdict.polls) / len(verdict.polls)
    beat = f"every {period:.1f} s" if period >= 1 else f"every {period * 1000:.0f} ms"
    what = KINDS[kind]
    if kind == "sw-update-check":
        fold = "The browser schedules these itself; nothing to change."
    elif context.push is not None:
        fold = (
            f"A {context.push} to this origin is open meanwhile: sent as a message on it, this "
            f"would save {per_hour:.0f} requests an hour (about {per_hour * wire / 1024:.0f} "
            "KiB of headers and bodies)."
        )
    else:
        fold = (
            "Folding it into a push connection pays only once the page holds one to this "
            f"origin anyway; on its own it costs {per_hour:.0f} requests an hour."
        )
    return Finding(
        kind=kind,
        severity=Severity.INFO,
        endpoint=context.endpoint,
        client=context.client,
        exchanges=[p.exchange_id for p in verdict.polls],
        stats={
            "count": len(verdict.polls),
            "period_s": round(period, 3),
            "jitter": round(verdict.jitter, 3),
            "span_s": round(verdict.span, 3),
            "requests_per_hour": round(per_hour, 1),
            "bytes_per_hour": round(per_hour * wire),
        },
        recommendation=None,
        rationale=(
            f"The client sends {context.endpoint} {beat}: {what}. It asks for nothing, so it "
            f"is not polling, and push would not replace it. {fold}"
        ),
        role="periodic",
        evidence=[f"{len(verdict.polls)} requests on a {period:.2f} s beat", f"kind: {kind}"],
    )
