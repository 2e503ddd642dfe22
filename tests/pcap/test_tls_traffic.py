"""The TLS 1.3 + HTTP/2 capture the benchmark generates (`bench/tls_traffic.py`, timed by
`bench/bench_tls.py`) is read as it was made: by pushscope with its key log (exchanges by
kind, status codes, SSE events, gRPC messages and statuses, WebSocket messages each way over
HTTP/2 and HTTP/1.1, each connection's suite), and by tshark with the same key log where it is
installed (requests, status codes, gRPC messages, wss frames)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.tls_traffic import Truth, generate, paths, report_mismatches, tshark_mismatches
from pushscope.cli import main

TSHARK = shutil.which("tshark")
MB = 0.5
Generated = tuple[Path, Path, Truth]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("tls-traffic")
    truth = generate(out, MB, seed=3)
    capture, keys, _ = paths(out, MB)
    return capture, keys, truth


def _report(tmp_path: Path, capture: Path, *keylog: str) -> dict[str, object]:
    out = tmp_path / "report.json"
    assert main(["analyze", str(capture), *keylog, "--format", "json", "--output", str(out)]) == 0
    report: dict[str, object] = json.loads(out.read_text())
    return report


def test_the_mix_is_there(generated: Generated) -> None:
    capture, keys, truth = generated
    assert capture.stat().st_size == truth.bytes >= MB * 1_000_000
    assert len(keys.read_text().splitlines()) == 4 * truth.connections
    assert set(truth.kinds) == {"rest", "sse", "grpc", "websocket", "wss"}
    assert len(truth.suites) == 3
    assert {"200", "201", "101"} <= set(truth.statuses)
    assert truth.sse_events and truth.grpc_messages["server"]
    assert all(truth.ws_messages.values()) and all(truth.wss_messages.values())


def test_pushscope_reads_what_was_generated(generated: Generated, tmp_path: Path) -> None:
    capture, keys, truth = generated
    report = _report(tmp_path, capture, "--keylog", str(keys))
    assert report_mismatches(report, truth) == []


def test_without_the_key_log_the_check_fails(generated: Generated, tmp_path: Path) -> None:
    capture, _, truth = generated
    report = _report(tmp_path, capture)
    found = report_mismatches(report, truth)
    assert f"exchanges: pushscope read {truth.connections}, generated {truth.exchanges}" in found


def test_a_cached_capture_is_not_made_again(generated: Generated) -> None:
    capture, _, truth = generated
    written = capture.stat().st_mtime_ns
    assert generate(capture.parent, MB, seed=3) == truth
    assert capture.stat().st_mtime_ns == written


@pytest.mark.skipif(TSHARK is None, reason="tshark is not on PATH (Debian: apt-get install tshark)")
def test_tshark_reads_what_was_generated(generated: Generated) -> None:
    capture, keys, truth = generated
    assert TSHARK is not None
    assert tshark_mismatches(TSHARK, capture, keys, truth) == []
