"""Findings on real browser recordings (captures/browser/) against their ground truth.

The captures were recorded by captures/browser/record_browser.py: real client libraries in
headless Chromium through a real mitmdump. These tests read them back (they never record) and
hold pushscope's analysis to captures/browser/truth.json. Where today's analysis disagrees with
the truth, the test says why in an xfail: the truth is not bent to match.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.findings import Finding
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.readers import read_capture
from pushscope.inspector.report import Report
from tests.conftest import CAPTURES

BROWSER = CAPTURES / "browser"
TRUTH: dict[str, Any] = json.loads((BROWSER / "truth.json").read_text())["captures"]
FORMATS = ("mitm", "har")
POLLING = ("short-polling", "long-polling")

KNOWN: dict[tuple[str, str, str], pytest.MarkDecorator] = {}
"""(capture, what, format or "*") -> an xfail saying why today's analysis disagrees with the
truth. Empty: every recorded expectation holds."""
DETAILS = ("framework", "hold_s_max", "concurrent")
"""Truth fields of a finding that test_expected_finding_details checks."""


def _params(what: str, entries: str, having: tuple[str, ...] = ()) -> list[Any]:
    """One test case per (capture, format, truth entry), with the mark of a known miss; with
    `having`, only for entries that have one of those fields."""
    cases = []
    for name, truth in TRUTH.items():
        for index, entry in enumerate(truth[entries]):
            if having and not any(entry.get(key) is not None for key in having):
                continue
            for fmt in entry.get("formats", FORMATS):
                mark = KNOWN.get((name, what, fmt)) or KNOWN.get((name, what, "*"))
                cases.append(
                    pytest.param(
                        name,
                        fmt,
                        index,
                        id=f"{name}-{fmt}-{index}",
                        marks=[mark] if mark else [],
                    )
                )
    return cases


@cache
def _report(name: str, fmt: str) -> Report:
    report, fatal = analyze_paths([BROWSER / f"{name}.{fmt}"])
    assert fatal == []
    assert report.sources[0].errors == []
    return report


def _origin(report: Report) -> str:
    url = urlsplit(report.exchanges[0].request.url)
    return f"{url.scheme}://{url.netloc}"


def _expand(text: str, report: Report) -> str:
    return text.replace("{origin}", _origin(report))


def _base(endpoint: str) -> str:
    """An endpoint without what follows its URL (an RPC operation, a poller's split)."""
    return " ".join(endpoint.split(" ")[:2])


def _on(finding: Finding, endpoint: str) -> bool:
    """The finding is about this endpoint, named with or without its operation."""
    return _base(finding.endpoint) == _base(endpoint)


def _expected(name: str, fmt: str, index: int) -> tuple[dict[str, Any], Finding]:
    """The truth's expected finding and the one analysis made (the test fails if none)."""
    report = _report(name, fmt)
    truth = TRUTH[name]["findings"][index]
    endpoint = _expand(truth["endpoint"], report)
    found = [f for f in report.findings if f.kind == truth["kind"] and _on(f, endpoint)]
    assert found, f"no {truth['kind']} finding on {endpoint}: {report.findings}"
    assert len(found) == 1, found
    return truth, found[0]


@pytest.mark.parametrize(("name", "fmt", "index"), _params("found", "findings"))
def test_expected_finding_is_made(name: str, fmt: str, index: int) -> None:
    _expected(name, fmt, index)


@pytest.mark.parametrize(("name", "fmt", "index"), _params("endpoint", "findings"))
def test_expected_finding_names_its_endpoint(name: str, fmt: str, index: int) -> None:
    truth, finding = _expected(name, fmt, index)
    assert finding.endpoint == _expand(truth["endpoint"], _report(name, fmt))


@pytest.mark.parametrize(("name", "fmt", "index"), _params("period", "findings"))
def test_expected_finding_period(name: str, fmt: str, index: int) -> None:
    truth, finding = _expected(name, fmt, index)
    if truth["period_s"] is None:
        return  # no beat: long polling is re-issued as each answer comes
    assert abs(finding.stats["period_s"] - truth["period_s"]) <= truth["period_tolerance_s"]


@pytest.mark.parametrize(("name", "fmt", "index"), _params("cadence", "findings"))
def test_expected_finding_cadence(name: str, fmt: str, index: int) -> None:
    truth, finding = _expected(name, fmt, index)
    assert finding.stats.get("cadence") == truth["cadence"]


@pytest.mark.parametrize(("name", "fmt", "index"), _params("recommendation", "findings"))
def test_expected_finding_recommendation(name: str, fmt: str, index: int) -> None:
    truth, finding = _expected(name, fmt, index)
    assert finding.recommendation == truth["recommendation"]


@pytest.mark.parametrize(("name", "fmt", "index"), _params("details", "findings", DETAILS))
def test_expected_finding_details(name: str, fmt: str, index: int) -> None:
    """What else the truth knows of a finding: a framework, how long polls are held, how many
    streams the browser held back."""
    truth, finding = _expected(name, fmt, index)
    if truth.get("framework") == "socket.io":
        assert "framework: socket.io" in finding.evidence
        assert "Socket.IO" in finding.rationale
    if "hold_s_max" in truth:
        assert 0 < finding.stats["hold_s"] <= truth["hold_s_max"]
    if "concurrent" in truth:
        assert finding.stats["concurrent"] == truth["concurrent"]
        assert finding.stats["waited"] >= truth["waited_at_least"]


@pytest.mark.parametrize(("name", "fmt", "index"), _params("not_polling", "not_polling"))
def test_periodic_traffic_is_not_polling(name: str, fmt: str, index: int) -> None:
    """Beacons, heartbeats and a transport's own requests are no polling finding; any finding
    on them is of the kind the truth names."""
    report = _report(name, fmt)
    truth = TRUTH[name]["not_polling"][index]
    endpoint = _expand(truth["endpoint"], report)
    on = [f for f in report.findings if _on(f, endpoint)]
    assert [f for f in on if f.kind in POLLING] == []
    assert {f.kind for f in on} <= ({truth["kind"]} if truth["kind"] else set()), on


@pytest.mark.parametrize(("name", "fmt", "index"), _params("periodic", "not_polling", ("kind",)))
def test_periodic_traffic_is_named(name: str, fmt: str, index: int) -> None:
    """A beacon or heartbeat is reported as an info finding of its kind, with its period."""
    report = _report(name, fmt)
    truth = TRUTH[name]["not_polling"][index]
    endpoint = _expand(truth["endpoint"], report)
    (finding,) = [f for f in report.findings if _on(f, endpoint)]
    assert (finding.kind, finding.severity.label, finding.recommendation) == (
        truth["kind"],
        "info",
        None,
    )
    assert abs(finding.stats["period_s"] - truth["period_s"]) <= truth["period_tolerance_s"]


@pytest.mark.parametrize(
    ("name", "fmt", "index"), _params("push_open", "not_polling", ("push_open",))
)
def test_periodic_advice_names_the_open_socket(name: str, fmt: str, index: int) -> None:
    """A heartbeat sent while a push connection to the origin is open could ride on it."""
    report = _report(name, fmt)
    truth = TRUTH[name]["not_polling"][index]
    endpoint = _expand(truth["endpoint"], report)
    (finding,) = [f for f in report.findings if _on(f, endpoint)]
    assert f"A {truth['push_open']} to this origin is open meanwhile" in finding.rationale


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(TRUTH))
def test_no_other_findings(name: str, fmt: str) -> None:
    """Nothing is found that the truth does not name: not the page loads, not the sockets."""
    report = _report(name, fmt)
    truth = TRUTH[name]
    named = [
        (entry["kind"], _expand(entry["endpoint"], report))
        for entry in truth["findings"]
        if fmt in entry.get("formats", FORMATS)
    ]
    named += [
        (entry["kind"], _expand(entry["endpoint"], report))
        for entry in truth["not_polling"]
        if entry["kind"]
    ]
    other = [f for f in report.findings if not any(f.kind == k and _on(f, e) for k, e in named)]
    assert other == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(TRUTH))
def test_frameworks(name: str, fmt: str) -> None:
    """The libraries' traffic is named for its framework."""
    report = _report(name, fmt)
    for rule in TRUTH[name]["frameworks"]:
        matched = [
            e
            for e in report.exchanges
            if urlsplit(e.request.url).path.startswith(rule["path"])
            and rule.get("protocol", e.protocol.value) == e.protocol.value
        ]
        assert matched, rule
        assert {e.framework for e in matched} == {rule["framework"]}, rule


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(TRUTH))
def test_recording_is_what_the_truth_describes(name: str, fmt: str) -> None:
    """The capture holds the push connections the truth speaks of (a re-recording that went
    wrong fails here, not in the findings)."""
    report = _report(name, fmt)
    protocols = [e.protocol.value for e in report.exchanges]
    assert protocols.count("websocket") == TRUTH[name]["websocket_sessions"]
    assert protocols.count("sse") == TRUTH[name]["sse_streams"]
    page = _origin(report) + TRUTH[name]["page"]
    assert report.exchanges[0].request.url == page


@pytest.mark.parametrize("name", list(TRUTH))
def test_live_and_offline_agree(name: str) -> None:
    """Fed incrementally, as the addon feeds it, the analysis finds what it finds at once."""
    batch = _report(name, "mitm").findings
    live = Analyzer(detector=Detector(incremental=True))
    live.run(read_capture(BROWSER / f"{name}.mitm", 0).events)
    assert [f.to_dict() for f in live.finish()] == [f.to_dict() for f in batch]


def test_the_vendored_clients_are_the_pinned_ones() -> None:
    """The client libraries the pages loaded are the pinned npm releases, byte for byte
    (captures/browser/vendor/MANIFEST.json, checked offline)."""
    spec = importlib.util.spec_from_file_location("fetch_vendor", BROWSER / "fetch_vendor.py")
    assert spec is not None and spec.loader is not None
    fetch_vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_vendor)
    assert fetch_vendor.check() == []
    assert {p.name for p in fetch_vendor.PACKAGES} >= {"subscriptions-transport-ws", "graphql-ws"}
