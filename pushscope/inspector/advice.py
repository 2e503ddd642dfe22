"""What to do about a polling series: the recommendation, why, and what it costs.

The rule: if the server never needs to send unasked, request/response is right; if it must push
one way, SSE; if both sides talk often or latency must be sub-second, WebSocket; and when polling
is slow or nearly every poll brings news, polling is the simpler answer and we say so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from statistics import fmean, median
from typing import Any

from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.polling import Verdict

SLOW_PERIOD = 60.0
"""Polling at least this slow is cheap enough to keep."""
BUSY_PERIOD = 10.0
"""At or above this period, polling that nearly always finds news is fine."""
FRESH_RATIO = 0.2
"""At most this share of unchanged answers counts as "almost every poll brings news"."""
FAST_PERIOD = 1.0
"""Below this period latency matters and the request overhead dominates: WebSocket."""
OFTEN_WRITES = 3
"""Writes to the polled resource family during the series that make it two-way."""
FIRM_EVIDENCE = 6
"""Below this many requests a cadence may be chance: severity is capped at low."""
PUSH_FRAMING_BYTES = 16
"""Rough per-message overhead of an SSE event or WebSocket frame, for the after-push estimate."""


@dataclass(slots=True)
class Context:
    """What else the capture says about the series' client and resource family."""

    client: str | None
    endpoint: str
    family: str
    framework: str | None
    writes: int
    push: str | None = None
    """A push connection this host holds to the origin during the series: `WebSocket`,
    `graphql-transport-ws WebSocket`, `SSE stream`."""
    operation: str | None = None
    """The kind of RPC operation the series repeats (`Operation.kind`): `graphql query`,
    `graphql mutation`, `json-rpc`..."""


def polling_finding(verdict: Verdict, context: Context) -> Finding:
    news = verdict.news()
    unchanged = verdict.unchanged_ratio()
    stats = _stats(verdict, unchanged)
    impact = _impact(verdict, news, unchanged)
    recommendation, severity, rationale = _advise(verdict, context, unchanged, impact)
    evidence = _evidence(verdict, context, unchanged)
    if len(verdict.polls) < FIRM_EVIDENCE:
        severity = min(severity, Severity.LOW)
        evidence.append(f"only {len(verdict.polls)} requests so far: early evidence")
    endpoint = context.endpoint
    if verdict.split_by:
        endpoint += " [" + " ".join(f"{k}={v}" for k, v in verdict.split_by) + "]"
    identity = None
    if verdict.poller is not None:
        number, pollers = verdict.poller
        evidence.append(f"poller {number} of {pollers} of this endpoint on this host")
        identity = f"{verdict.kind}|{context.client}|{endpoint}|{number}"
    return Finding(
        kind=verdict.kind,
        severity=severity,
        endpoint=endpoint,
        client=context.client,
        exchanges=[p.exchange_id for p in verdict.polls],
        stats=stats,
        recommendation=recommendation,
        rationale=rationale,
        impact=impact,
        role="short-poll" if verdict.kind == "short-polling" else "long-poll",
        evidence=evidence,
        verdict=verdict,
        id=Finding.make_id(identity) if identity else "",
    )


def _stats(verdict: Verdict, unchanged: float) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "count": len(verdict.polls),
        "period_s": round(verdict.period, 3),
        "jitter": round(verdict.jitter, 3),
        "unchanged_ratio": round(unchanged, 3),
        "span_s": round(verdict.span, 3),
    }
    cadence = verdict.cadence
    if cadence is not None:
        stats["cadence"] = cadence.kind
        stats["missed_beats"] = cadence.missed_beats
        stats["pauses"] = cadence.pauses
        if cadence.growth is not None:
            stats["base_s"] = round(cadence.first_interval or 0.0, 3)
            stats["factor"] = round(cadence.growth, 2)
            stats["cap_s"] = round(cadence.cap, 3) if cadence.cap is not None else None
            stats["resets"] = cadence.resets
    stats["pollers"] = verdict.poller[1] if verdict.poller else 1
    if verdict.hold is not None:
        stats["hold_s"] = round(verdict.hold, 3)
        stats["server_timeout_s"] = round(verdict.timeout, 3) if verdict.timeout else None
    stats["conditional_requests"] = sum(1 for p in verdict.polls if p.conditional)
    return stats


def _impact(verdict: Verdict, news: list[bool | None], unchanged: float) -> dict[str, Any]:
    per_hour = 3600 / verdict.period if verdict.period > 0 else 0.0
    round_trips = [p.end - p.start for p in verdict.polls if p.end is not None]
    rtt = median(round_trips) if round_trips and verdict.kind == "short-polling" else 0.0
    if verdict.kind == "long-polling":
        gaps = [b.start - a.end for a, b in itertools.pairwise(verdict.polls) if a.end is not None]
        staleness_mean = median(gaps) if gaps else 0.0
        staleness_worst = max(gaps) if gaps else 0.0
    else:
        staleness_mean = verdict.period / 2
        staleness_worst = verdict.period + rtt
    changed = [p.body_bytes for p, new in zip(verdict.polls, news, strict=True) if new]
    messages = per_hour * (1 - unchanged)
    return {
        "requests_per_hour": round(per_hour, 1),
        "bytes_per_hour": round(per_hour * fmean(p.wire_bytes for p in verdict.polls)),
        "wasted_ratio": round(unchanged, 3),
        "wasted_requests_per_hour": round(per_hour * unchanged, 1),
        "staleness_mean_s": round(staleness_mean, 3),
        "staleness_worst_s": round(staleness_worst, 3),
        "after_push": {
            "messages_per_hour": round(messages, 1),
            "bytes_per_hour": round(
                messages * ((fmean(changed) if changed else 0) + PUSH_FRAMING_BYTES)
            ),
            "staleness_s": round(rtt / 2, 3),
        },
    }


def _advise(
    verdict: Verdict, context: Context, unchanged: float, impact: dict[str, Any]
) -> tuple[str, Severity, str]:
    who = "The client"
    what = context.endpoint
    n = len(verdict.polls)
    period = verdict.period
    wasted = impact["wasted_requests_per_hour"]
    per_hour = impact["requests_per_hour"]
    after = impact["after_push"]["messages_per_hour"]
    severity = (
        Severity.HIGH if wasted >= 1000 else Severity.MEDIUM if wasted >= 100 else Severity.LOW
    )
    two_way = context.writes >= OFTEN_WRITES

    if verdict.kind == "long-polling":
        held = f"{n} requests to {what} were each held about {verdict.hold:.1f} s"
        if verdict.timeout:
            held += f" (the server gives up at {verdict.timeout:.1f} s)"
        held += " and re-issued as soon as they were answered: server push built from requests"
        nothing = f"; {unchanged:.0%} of answers brought nothing new" if unchanged else ""
        if context.framework == "socket.io":
            return (
                "websocket",
                Severity.MEDIUM,
                f"{held}{nothing}. Socket.IO is on its HTTP long-polling transport: let it "
                "upgrade to WebSocket (allow the websocket transport and make sure proxies "
                "pass the Upgrade header).",
            )
        if two_way:
            return (
                "websocket",
                max(severity, Severity.LOW),
                f"{held}{nothing}, and the client also wrote {context.writes} times to "
                f"{context.family}: two-way traffic that one WebSocket carries both ways.",
            )
        return (
            "sse",
            Severity.MEDIUM if per_hour >= 120 else Severity.LOW,
            f"{held}{nothing}. SSE keeps one stream open, pushes each event the moment it "
            "happens and resumes after a reconnect with Last-Event-ID.",
        )

    cadence = verdict.cadence
    if cadence is not None and cadence.growth is not None:
        capped = f", capped at {cadence.cap:.1f} s" if cadence.cap is not None else ""
        grows = f"x{cadence.growth:.1f} per poll from {cadence.first_interval:.1f} s{capped}"
        if cadence.kind == "backoff-reset":
            shape = (
                f"with a backoff that starts again after each change ({grows}; "
                f"{cadence.resets} resets, every {period:.1f} s on average)"
            )
        else:
            shape = f"with exponential backoff ({grows}) until the answer changes"
        return (
            "sse",
            Severity.LOW if cadence.kind == "backoff" else max(severity, Severity.LOW),
            f"{who} polls {what} {shape}: still polling, {unchanged:.0%} of {n} answers "
            "brought nothing new, and each change waits for the next poll. One pushed event "
            "(SSE) per change would end the wait the moment it happens.",
        )
    beat = f"every {period:.1f} s" if period >= 1 else f"every {period * 1000:.0f} ms"
    jitter = f" (+-{verdict.jitter:.0%})" if verdict.jitter >= 0.05 else ""
    polls = f"{who} polls {what} {beat}{jitter}"
    news = f"{unchanged:.0%} of {n} answers brought nothing new"
    if context.operation == "graphql query" and "graphql" in (context.push or ""):
        return (
            "websocket",
            max(severity, Severity.MEDIUM),
            f"{polls} ({news}), while the client holds a {context.push} to the same "
            "origin: a subscription on that socket would push each change as it happens, "
            "with no request per poll.",
        )
    if two_way:
        return (
            "websocket",
            max(severity, Severity.MEDIUM),
            f"{polls} and also wrote {context.writes} times to {context.family} meanwhile: "
            f"traffic flows both ways, often ({news}). A WebSocket carries both directions "
            "on one connection, without a request per message.",
        )
    if period < FAST_PERIOD:
        return (
            "websocket",
            max(severity, Severity.MEDIUM),
            f"{polls}: at a sub-second cadence the per-request overhead dominates and "
            f"latency matters ({news}). Keep one connection open: a WebSocket, or SSE if "
            "the client never needs to send.",
        )
    if period >= SLOW_PERIOD or (period >= BUSY_PERIOD and unchanged <= FRESH_RATIO):
        reason = (
            f"{per_hour:.0f} requests an hour are cheap"
            if period >= SLOW_PERIOD
            else f"{1 - unchanged:.0%} of answers bring news, so each request carries an update"
        )
        tip = ""
        if unchanged > FRESH_RATIO and not any(p.conditional for p in verdict.polls):
            tip = (
                " Tip: most answers repeat the last one and no If-None-Match is sent: an ETag "
                "lets unchanged polls cost a 304 without a body."
            )
        return (
            "keep-polling",
            Severity.INFO,
            f"{polls}; {reason}. Polling is the simpler answer here.{tip}",
        )
    return (
        "sse",
        severity,
        f"{polls}; {news}, and the client never writes to {context.family}: data flows one "
        f"way. SSE would push each change as it happens, about {after:.0f} messages an hour "
        f"instead of {per_hour:.0f} requests, with no {period / 2:.1f} s average staleness.",
    )


def _evidence(verdict: Verdict, context: Context, unchanged: float) -> list[str]:
    evidence = []
    cadence = verdict.cadence
    if cadence is not None:
        evidence.append(
            f"{cadence.on_beat} intervals on a {verdict.period:.2f} s beat"
            + (f", {cadence.missed_beats} missed beats" if cadence.missed_beats else "")
            + (f", {cadence.pauses} pauses" if cadence.pauses else "")
        )
    if verdict.hold is not None:
        evidence.append(f"median hold {verdict.hold:.2f} s, re-issued right after each answer")
    evidence.append(f"{unchanged:.0%} of answers unchanged, 304, 204 or empty")
    if context.framework:
        evidence.append(f"framework: {context.framework}")
    if context.writes:
        evidence.append(f"{context.writes} writes to {context.family} during the series")
    return evidence
