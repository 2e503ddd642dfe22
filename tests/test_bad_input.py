"""Untrusted captures: truncated, lying, bombs, giant lines: clear errors, partial results."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow

from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.sse import SseError, SseEvent, SseParser
from tests.conftest import CAPTURES


def _analyze(path: Path):
    report, fatal = analyze_paths([path])
    return report, fatal, report.sources[0]


def test_truncated_flow_file_keeps_what_came_before(tmp_path: Path) -> None:
    data = (CAPTURES / "demo-mix.mitm").read_bytes()
    cut = tmp_path / "cut.mitm"
    cut.write_bytes(data[: len(data) * 2 // 3])
    report, fatal, source = _analyze(cut)
    assert fatal == []
    assert 0 < len(report.exchanges) < 9
    (error,) = source.errors
    assert "flows after it were not read" in error and "at byte" in error


def test_lying_length_is_not_an_allocation(tmp_path: Path) -> None:
    data = (CAPTURES / "rest.mitm").read_bytes()
    first = int(data.split(b":", 1)[0])
    lying = tmp_path / "lying.mitm"
    lying.write_bytes(data[: first + len(str(first)) + 2] + b"999999999999:" + b"x" * 100)
    tracemalloc.start()
    report, fatal, source = _analyze(lying)
    assert fatal == []
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(report.exchanges) == 1
    assert "claims 999999999999 bytes but the file ends first" in source.errors[0]
    assert peak < 16 << 20


def test_garbage_after_valid_har_entries(tmp_path: Path) -> None:
    text = (CAPTURES / "rest.har").read_text()
    entries_at = text.index('"entries"')
    second_entry = text.index('"startedDateTime"', text.index('"startedDateTime"', entries_at) + 1)
    broken = tmp_path / "broken.har"
    broken.write_text(text[:second_entry] + "@@@ not json")
    report, fatal, source = _analyze(broken)
    assert fatal == []
    assert len(report.exchanges) == 1
    assert source.errors[0].startswith("invalid JSON after entry 0")


def test_har_entry_with_wrong_types_is_skipped_by_index(tmp_path: Path) -> None:
    har = json.loads((CAPTURES / "rest.har").read_text())
    har["log"]["entries"][1]["request"] = "oops"
    har["log"]["entries"][2]["startedDateTime"] = "yesterday"
    path = tmp_path / "types.har"
    path.write_text(json.dumps(har))
    report, fatal, source = _analyze(path)
    assert fatal == []
    assert len(report.exchanges) == 2
    assert source.errors[0].startswith("entry 1: ")
    assert (
        source.errors[1]
        == "entry 2: startedDateTime 'yesterday' is not an ISO 8601 time; entry skipped"
    )


def test_gzip_bomb_in_a_flow_is_an_error_not_an_outage(tmp_path: Path) -> None:
    flow = tflow.tflow(resp=True)
    flow.response.headers["content-type"] = "text/event-stream"
    flow.response.headers["content-encoding"] = "gzip"
    flow.response.raw_content = gzip.compress(b"data: x\n\n" + b"\n" * (200 << 20))
    path = tmp_path / "bomb.mitm"
    with path.open("wb") as fp:
        FlowWriter(fp).add(flow)
    report, fatal, source = _analyze(path)
    assert fatal == []
    (exchange,) = report.exchanges
    assert exchange.protocol.value == "sse"
    assert "decompression bomb" in source.errors[0]


def test_gigabyte_sse_line_is_bounded() -> None:
    parser = SseParser(max_line=1 << 20)
    chunk = b"x" * (1 << 20)
    tracemalloc.start()
    items = parser.feed(b"data: first\n\ndata: ")
    for _ in range(1024):  # 1 GiB without a line end
        items += parser.feed(chunk)
    items += parser.feed(b"\n\ndata: after\n\n")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [e.data for e in items if isinstance(e, SseEvent)] == ["first", "after"]
    assert sum(isinstance(e, SseError) for e in items) == 1
    assert peak < 8 << 20


def test_deeply_nested_tnetstring(tmp_path: Path) -> None:
    body = b"0:]"
    for _ in range(200):
        body = str(len(body)).encode() + b":" + body + b"]"
    path = tmp_path / "nested.mitm"
    path.write_bytes(body)
    _, fatal, _ = _analyze(path)
    assert len(fatal) == 1 and "nested too deeply" in fatal[0]


def test_a_feed_field_of_the_wrong_type_is_a_problem_of_its_line(tmp_path: Path) -> None:
    records = [
        {"schema": "pushscope.feed/1"},
        {"type": "exchange.opened", "id": "a", "method": "GET", "url": "http://x/events",
         "started": 1000},
        {"type": "exchange.response", "id": "a", "status": 200, "response_started": "soon",
         "response_headers": [["content-type", "text/event-stream"]]},
        {"type": "sse.event", "id": "a", "event": "message", "data": "x", "at": "later"},
        {"type": "exchange.closed", "id": "a", "ended": 1001, "close_code": "x"},
        {"type": "exchange.closed", "id": "a", "ended": [1]},
    ]  # fmt: skip
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in records))
    report, fatal, source = _analyze(feed)
    assert fatal == []
    assert [x.id for x in report.exchanges] == ["a"]
    assert source.errors == [
        "line 3: response_started is not a number: 'soon'",
        "line 4: at is not a number: 'later'",
        "line 5: close_code is not a whole number: 'x'",
        "line 6: ended is not a number: [1]",
    ]
