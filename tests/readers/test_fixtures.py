"""Every third-party capture in ../shared/fixtures is read: classified, or rejected clearly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.report import Report
from tests.conftest import fixture_path

# (file, protocol counts or None when the file must be rejected, problems or rejection text)
EXPECTED: list[tuple[str, dict[str, int] | None, int | str]] = [
    ("mitmproxy/corrupted_har/broken_headers.json", None, "not a HAR file: no log.entries"),
    ("mitmproxy/corrupted_har/brokenfile.har", None, "not a HAR file: 'log' is not an object"),
    ("mitmproxy/dumpfile-010.mitm", None, "flow format version 0.10.1 cannot be read"),
    ("mitmproxy/dumpfile-011.mitm", {"rest": 1}, 0),
    ("mitmproxy/dumpfile-012.legacy", {"rest": 1}, 0),
    ("mitmproxy/dumpfile-018.mitm", {"rest": 1}, 0),
    ("mitmproxy/dumpfile-019.mitm", {"rest": 1}, 0),
    ("mitmproxy/dumpfile-10.mitm", {"rest": 1}, 0),
    ("mitmproxy/dumpfile-19.mitm", {"rest": 1}, 0),
    ("mitmproxy/dumpfile-7-websocket.mitm", {"rest": 1, "websocket": 3}, 0),
    ("mitmproxy/dumpfile-7.mitm", {"rest": 2}, 0),
    ("mitmproxy/flows/compressed.zhar", {"rest": 2}, 0),
    ("mitmproxy/flows/corrupted_gzip_body.har", {"rest": 1}, 0),
    ("mitmproxy/flows/corrupted_gzip_body.mitm", {"rest": 1}, 1),
    ("mitmproxy/flows/diff_data.har", {"rest": 5}, 0),
    ("mitmproxy/flows/diff_data.mitm", {"rest": 5}, 0),
    ("mitmproxy/flows/error_log.har", {"rest": 2}, 0),
    ("mitmproxy/flows/error_log.mitm", {"rest": 2}, 0),
    ("mitmproxy/flows/event_stream.har", {"sse": 2}, 0),
    ("mitmproxy/flows/event_stream.mitm", {"sse": 2}, 0),
    ("mitmproxy/flows/incomplete_log.har", {"rest": 4}, 0),
    ("mitmproxy/flows/incomplete_log.mitm", {"rest": 4}, 0),
    ("mitmproxy/flows/successful_log.har", {"rest": 2}, 0),
    ("mitmproxy/flows/successful_log.mitm", {"rest": 2}, 0),
    ("mitmproxy/flows/websocket.har", {"websocket": 3}, 0),
    ("mitmproxy/flows/websocket.mitm", {"websocket": 3}, 0),
    ("mitmproxy/har_files/charles.har", {"rest": 1}, 0),
    ("mitmproxy/har_files/chrome.har", {"rest": 3}, 0),
    ("mitmproxy/har_files/firefox.har", {"rest": 14}, 0),
    ("mitmproxy/har_files/head-content-length.har", {"rest": 1}, 0),
    ("mitmproxy/har_files/insomnia.har", {"rest": 1}, 0),
    ("mitmproxy/har_files/postdata.har", {"rest": 1}, 0),
    ("mitmproxy/har_files/safari.har", {"rest": 19}, 0),
    ("mitmproxy/har_files/with-bom.har", {"rest": 1}, 0),
    ("mswjs/archives/empty.har", {}, 0),
    ("mswjs/archives/request-order.har", {"rest": 2}, 0),
    ("mswjs/archives/request-parameters.har", {"rest": 1}, 0),
    ("mswjs/archives/response-binary.har", {"rest": 1}, 0),
    ("mswjs/archives/response-cloning.har", {"rest": 2}, 0),
    ("mswjs/archives/response-compressed.har", {"rest": 1}, 0),
    ("mswjs/archives/response-cookies.har", {"rest": 1}, 0),
    ("mswjs/archives/response-error.har", {"rest": 1}, 0),
    ("mswjs/archives/response-json.har", {"rest": 1}, 0),
    ("mswjs/archives/response-status-101.har", {"websocket": 1}, 0),
    ("mswjs/archives/response-status-304.har", {"websocket": 1}, 0),
    ("mswjs/archives/response-stream.har", {"rest": 1}, 0),
    ("mswjs/archives/response-text.har", {"rest": 1}, 0),
    ("mswjs/archives/response-timing.har", {"rest": 2}, 0),
    ("mswjs/assets-historical/github.com.har", {"rest": 60}, 0),
    ("mswjs/assets-historical/localhost.har", {"rest": 1}, 0),
    ("mswjs/assets-historical/nodejs.org.har", {"rest": 1}, 0),
    ("mswjs/assets-historical/ws-polling.har", {"rest": 4}, 0),
    ("rama/firefox-147-sse-stream.har", {"rest": 6, "sse": 1}, 0),
    ("haralyzer/cnn-chrome.har", {"rest": 292}, 0),
    ("haralyzer/cnn.har", {"rest": 145}, 0),
    ("haralyzer/humanssuck.net.har", {"rest": 4}, 0),
    ("haralyzer/humanssuck.net_duplicate_url.har", {"rest": 5}, 0),
    ("haralyzer/missing_page.har", {}, 1),
    ("haralyzer/missing_pageref.har", {}, 2),
    ("haralyzer/multi_test_1.har", {"rest": 4}, 0),
    ("haralyzer/multi_test_2.har", {"rest": 4}, 0),
    ("haralyzer/multi_test_3.har", {"rest": 4}, 0),
    ("haralyzer/multi_test_4.har", {"rest": 4}, 0),
    ("haralyzer/no_title.har", {"rest": 4}, 0),
    ("haralyzer/single_entry.har", {"rest": 1}, 0),
]


def _analyze(*parts: str) -> Report:
    report, fatal = analyze_paths([fixture_path(*parts)])
    assert fatal == []
    return report


def test_every_fixture_file_is_listed() -> None:
    root = fixture_path()
    present = {
        str(p.relative_to(root))
        for folder in ("mitmproxy", "mswjs", "rama", "haralyzer")
        for p in (root / folder).rglob("*")
        if p.is_file() and p.suffix not in (".md", ".txt") and "LICENSE" not in p.name
    }
    assert present == {name for name, _, _ in EXPECTED}


@pytest.mark.parametrize(("name", "protocols", "problems"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_fixture(name: str, protocols: dict[str, int] | None, problems: int | str) -> None:
    path = fixture_path(*name.split("/"))
    report, fatal = analyze_paths([path])
    if protocols is None:
        assert len(fatal) == 1
        assert fatal[0].startswith(f"{path}: ")
        assert str(problems) in fatal[0]
        assert "\n" not in fatal[0]
        return
    assert fatal == []
    assert dict(Counter(e.protocol.value for e in report.exchanges)) == protocols
    assert report.sources[0].error_count == problems


def test_mitm_and_har_twins_agree() -> None:
    for stem in ("websocket", "event_stream", "diff_data", "error_log", "successful_log"):
        mitm = _analyze("mitmproxy", "flows", f"{stem}.mitm")
        har = _analyze("mitmproxy", "flows", f"{stem}.har")

        def summary(report: Report) -> list[tuple]:
            return sorted(
                (
                    e.request.method,
                    e.request.url,
                    e.protocol.value,
                    (e.websocket.counts.client, e.websocket.counts.server) if e.websocket else None,
                    e.sse.count if e.sse else None,
                )
                for e in report.exchanges
            )

        assert summary(mitm) == summary(har), stem


def test_websocket_flows_keep_messages_and_close() -> None:
    for name in ("websocket.mitm", "websocket.har"):
        report = _analyze("mitmproxy", "flows", name)
        sessions = [e.websocket for e in report.exchanges]
        assert all(ws is not None for ws in sessions)
        assert sum(ws.counts["client"] + ws.counts["server"] for ws in sessions if ws) == 5
    mitm = _analyze("mitmproxy", "flows", "websocket.mitm")
    assert all(e.websocket and e.websocket.handshake.ok for e in mitm.exchanges)
    assert {e.websocket.close_code for e in mitm.exchanges if e.websocket} == {1000, 1005}


def test_firefox_sse_body_is_parsed() -> None:
    report = _analyze("rama", "firefox-147-sse-stream.har")
    (stream,) = [e for e in report.exchanges if e.sse is not None]
    assert stream.request.http_version == "HTTP/2.0"  # Firefox says "HTTP/2": one name for all
    assert {e.request.http_version for e in report.exchanges} == {"HTTP/2.0"}
    assert stream.sse is not None and stream.sse.count == 4
    assert stream.sse.ids == 0


def test_chrome_har_versions_are_named_as_every_source_names_them() -> None:
    """Chrome writes `h2` and `http/1.1`: read as `HTTP/2.0` and `HTTP/1.1`, all classified."""
    report = _analyze("haralyzer", "cnn-chrome.har")
    versions = Counter(e.request.http_version for e in report.exchanges)
    assert set(versions) == {"HTTP/2.0", "HTTP/1.1"}
    assert versions["HTTP/2.0"] == 19
    responses = {e.response.http_version for e in report.exchanges if e.response}
    assert responses <= {"HTTP/2.0", "HTTP/1.1"}
    assert all(e.evidence for e in report.exchanges)


def test_socket_io_polling_is_named() -> None:
    report = _analyze("mswjs", "assets-historical", "ws-polling.har")
    assert {e.framework for e in report.exchanges} == {"socket.io"}
    assert any("transport=polling" in item for item in report.exchanges[0].evidence)


def test_chrome_websocket_entry_without_handshake_headers_is_a_failed_websocket() -> None:
    report = _analyze("mswjs", "archives", "response-status-304.har")
    (exchange,) = report.exchanges
    assert exchange.websocket is not None and not exchange.websocket.handshake.ok
    assert (
        exchange.websocket.handshake.reason
        == "server answered 304 instead of 101 Switching Protocols"
    )


def test_legacy_websocket_flow_saved_twice_counts_once() -> None:
    """mitmproxy 2.x wrote a flow again when it changed: the later state replaces the earlier."""
    report = _analyze("mitmproxy", "dumpfile-7-websocket.mitm")
    ids = [e.id for e in report.exchanges]
    assert len(ids) == len(set(ids)) == 4


def test_same_file_twice_keeps_both_copies_apart(tmp_path: Path) -> None:
    path = fixture_path("mitmproxy", "flows", "websocket.mitm")
    report, _ = analyze_paths([path, path])
    assert len(report.exchanges) == 6
    assert len({e.id for e in report.exchanges}) == 6
