"""Periodic traffic that asks for nothing is never polling: beacons, heartbeats, token refresh,
telemetry and service-worker update checks are `info` findings of their own kind."""

from __future__ import annotations

import pytest

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ModelEvent
from pushscope.inspector.findings import Finding, Severity
from tests.traffic import http, in_time_order, websocket

T0 = 1_700_000_000.0
POLLING = ("short-polling", "long-polling")


def _findings(*groups: list[ModelEvent]) -> list[Finding]:
    analyzer = Analyzer(detector=Detector(incremental=False))
    analyzer.run(in_time_order(*groups))
    return analyzer.finish()


def _every(
    period: float,
    count: int,
    url: str,
    *,
    method: str = "POST",
    status: int = 200,
    bodies: list[bytes] | None = None,
    request_headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "application/json",
    sent: int = 0,
) -> list[ModelEvent]:
    """`count` requests `period` s apart, each sending `sent` bytes."""
    events: list[ModelEvent] = []
    for i in range(count):
        body = bodies[i % len(bodies)] if bodies else b""
        events += http(
            T0 + i * period,
            url,
            method=method,
            status=status,
            body=body,
            request_headers=request_headers,
            content_type=content_type,
            request_body_size=sent,
        )
    return events


CASES = [
    pytest.param(
        _every(
            1.0, 20, "http://api.test/g/collect", status=204, content_type="text/plain", sent=180
        ),
        "beacon",
        id="sendBeacon",
    ),
    pytest.param(
        _every(
            2.0,
            12,
            "http://api.test/b",
            status=204,
            request_headers=(("Content-Type", "text/plain;charset=UTF-8"),),
            sent=180,
        ),
        "beacon",
        id="sendBeacon-told-by-its-content-type",
    ),
    pytest.param(
        _every(1.0, 20, "http://api.test/presence", bodies=[b'{"ok": true}'], sent=40),
        "heartbeat",
        id="presence",
    ),
    pytest.param(
        _every(
            3.0,
            12,
            "http://api.test/auth/refresh",
            bodies=[b'{"token": "t%d", "expires_in": 5}' % i for i in range(12)],
            sent=30,
        ),
        "token-refresh",
        id="token-refresh",
    ),
    pytest.param(
        _every(2.0, 12, "http://api.test/logs", status=204, sent=2000),
        "telemetry",
        id="log-shipping",
    ),
    pytest.param(
        _every(
            2.0,
            12,
            "http://api.test/sw.js",
            method="GET",
            bodies=[b"self.addEventListener('fetch', () => {});"],
            request_headers=(("Service-Worker", "script"),),
            content_type="text/javascript",
        ),
        "sw-update-check",
        id="sw-update",
    ),
    pytest.param(
        _every(
            60.0,
            10,
            "http://api.test/static/offline-v2.js",
            method="GET",
            bodies=[b"self.addEventListener('fetch', () => {});"],
            request_headers=(("Service-Worker", "script"),),
            content_type="text/javascript",
        ),
        "sw-update-check",
        id="sw-update-told-by-its-header",
    ),
    pytest.param(
        _every(1.0, 20, "http://api.test/api/typing", bodies=[b'{"ok":1}'], sent=60),
        "heartbeat",
        id="sends-and-is-acknowledged",
    ),
]


@pytest.mark.parametrize(("events", "kind"), CASES)
def test_periodic_traffic_that_asks_for_nothing_is_not_polling(
    events: list[ModelEvent], kind: str
) -> None:
    findings = _findings(events)
    assert not [f for f in findings if f.kind in POLLING]
    (finding,) = [f for f in findings if f.kind == kind]
    assert finding.severity is Severity.INFO and finding.recommendation is None
    assert "not polling" in finding.rationale and finding.stats["requests_per_hour"] > 0


def test_a_post_that_asks_for_data_is_still_polling() -> None:
    bodies = [b'{"results": [%d], "total": 1}' % (i // 3) for i in range(20)]
    events = _every(2.0, 20, "http://api.test/api/search", bodies=bodies, sent=50)
    (finding,) = [f for f in _findings(events) if f.kind in POLLING]
    assert finding.kind == "short-polling"


def test_folding_into_an_open_websocket_is_priced() -> None:
    presence = _every(1.0, 20, "http://api.test/presence", bodies=[b'{"ok": true}'], sent=40)
    socket = websocket(T0 - 1, [(T0 + 30, "server", b"{}")], client="10.0.0.1:50000")
    (finding,) = [f for f in _findings(presence, socket) if f.kind == "heartbeat"]
    assert "WebSocket to this origin is open meanwhile" in finding.rationale
    assert "3600 requests an hour" in finding.rationale
