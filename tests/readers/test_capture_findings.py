"""Findings on the project's own recordings of real polling, push and decoy traffic."""

from __future__ import annotations

import pytest

from pushscope.inspector.findings import Finding
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.report import Report
from tests.conftest import CAPTURES

FORMATS = ["mitm", "har"]


def _report(name: str, fmt: str) -> Report:
    report, fatal = analyze_paths([CAPTURES / f"{name}.{fmt}"])
    assert fatal == []
    return report


def _only(name: str, fmt: str, kind: str) -> Finding:
    findings = _report(name, fmt).findings
    assert [f.kind for f in findings] == [kind], findings
    return findings[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_short_polling_mostly_unchanged(fmt: str) -> None:
    finding = _only("poll-short", fmt, "short-polling")
    assert finding.recommendation == "sse"
    assert finding.endpoint.endswith("/api/status")
    assert finding.stats["count"] == 16
    assert abs(finding.stats["period_s"] - 1.5) < 0.15
    assert 0.02 < finding.stats["jitter"] < 0.2
    assert finding.stats["unchanged_ratio"] == 0.75
    assert finding.impact is not None
    assert finding.impact["wasted_ratio"] == 0.75


@pytest.mark.parametrize("fmt", FORMATS)
def test_etag_polling(fmt: str) -> None:
    finding = _only("poll-etag", fmt, "short-polling")
    assert finding.recommendation == "sse"
    assert abs(finding.stats["period_s"] - 1.2) < 0.05
    assert finding.stats["unchanged_ratio"] == round(11 / 15, 3)
    assert finding.stats["conditional_requests"] >= 14
    assert "ETag" not in finding.rationale  # it already uses them


@pytest.mark.parametrize("fmt", FORMATS)
def test_backoff_polling(fmt: str) -> None:
    finding = _only("poll-backoff", fmt, "short-polling")
    assert finding.stats["cadence"] == "backoff"
    assert 1.8 < finding.stats["factor"] < 2.2
    assert finding.endpoint.endswith("/api/jobs/{id}")
    assert "exponential backoff" in finding.rationale


@pytest.mark.parametrize("fmt", FORMATS)
def test_chat_polling_with_posts(fmt: str) -> None:
    finding = _only("poll-chat", fmt, "short-polling")
    assert finding.recommendation == "websocket"
    assert finding.endpoint.endswith("/chat/messages?since=*")
    assert finding.stats["count"] == 20
    assert "wrote 5 times" in finding.rationale


@pytest.mark.parametrize("fmt", [*FORMATS, "pcap"])
def test_long_polling(fmt: str) -> None:
    finding = _only("long-poll", fmt, "long-polling")
    assert finding.recommendation == "sse"
    assert finding.stats["count"] == 6
    assert abs(finding.stats["server_timeout_s"] - 1.5) < 0.1
    assert finding.stats["unchanged_ratio"] == round(4 / 6, 3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_socket_io_polling_transport(fmt: str) -> None:
    report = _report("socketio-polling", fmt)
    (finding,) = report.findings
    assert (finding.kind, finding.recommendation) == ("long-polling", "websocket")
    assert "Socket.IO" in finding.rationale
    assert finding.stats["unchanged_ratio"] == round(4 / 6, 3)  # noop packets count as nothing
    assert {e.framework for e in report.exchanges} == {"socket.io"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_sse_reconnecting(fmt: str) -> None:
    finding = _only("sse-reconnect", fmt, "sse-reconnects")
    assert finding.stats["count"] == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_websocket_advice(fmt: str) -> None:
    assert _only("ws-one-way", fmt, "websocket-one-way").recommendation == "sse"
    assert _only("ws-rpc", fmt, "websocket-rpc").recommendation == "rest"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name",
    [
        "decoy-user-rest",
        "decoy-page-load",
        "rest",
        "sse-eventsource",
        "sse-post-tokens",
        "ndjson-stream",
        "websocket-chat",
        "demo-mix",
    ],
)
def test_no_findings(name: str, fmt: str) -> None:
    assert _report(name, fmt).findings == []


def test_two_clients_are_two_series() -> None:
    findings = _report("poll-two-clients", "mitm").findings
    assert [f.kind for f in findings] == ["short-polling", "short-polling"]
    assert {f.client for f in findings} == {"127.0.0.1"}  # one host, two pollers
    assert len({f.id for f in findings}) == 2
    assert all(f.stats["pollers"] == 2 for f in findings)
    assert all(f.stats["count"] == 10 for f in findings)
    assert all(abs(f.stats["period_s"] - 0.5) < 0.05 for f in findings)


def test_two_clients_in_a_har_cannot_be_told_apart() -> None:
    """A HAR records no client connection: both pollers look like one at twice the rate."""
    (finding,) = _report("poll-two-clients", "har").findings
    assert finding.stats["count"] == 20


def test_roles_in_the_json_report() -> None:
    report = _report("poll-chat", "mitm")
    roles = [e.role for e in report.exchanges]
    assert roles.count("short-poll") == 20 and roles.count(None) == 5


def test_live_and_offline_agree_on_findings() -> None:
    """The same traffic fed incrementally (as the addon will) or at once yields equal findings."""
    from pushscope.inspector.analysis import Analyzer
    from pushscope.inspector.detect import Detector
    from pushscope.inspector.readers import read_capture

    for name in ("poll-short", "poll-chat", "long-poll", "socketio-polling", "sse-reconnect"):
        batch = _report(name, "mitm").findings
        live = Analyzer(detector=Detector(incremental=True))
        live.run(read_capture(CAPTURES / f"{name}.mitm", 0).events)
        assert [f.to_dict() for f in live.finish()] == [f.to_dict() for f in batch]
