"""`pushscope demo --headless`: the README's main job, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(120)
def test_headless_demo_reports_live_traffic(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    saved = tmp_path / "saved"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pushscope",
            "demo",
            "--headless",
            "--duration",
            "8",
            "--format",
            "json",
            "--save",
            str(saved),
        ],
        capture_output=True,
        text=True,
        timeout=100,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["protocols"]["sse"] > 0
    assert report["summary"]["protocols"]["websocket"] > 0
    kinds = {f["kind"] for f in report["findings"]}
    assert {"short-polling", "long-polling", "websocket-one-way"} <= kinds
    assert {p.name for p in saved.iterdir()} >= {"feed.jsonl", "flows.mitm", "report.json"}
    assert not any(temp.iterdir())  # the demo's working folder is gone


HTTPS_ARGS = ("--duration", "6", "--format", "json")


@pytest.mark.timeout(120)
def test_headless_https_demo_is_http2_through_tls_interception() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pushscope", "demo", "--headless", "--https", *HTTPS_ARGS],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    exchanges = report["exchanges"]
    http = [e for e in exchanges if e["protocol"] != "websocket"]
    assert http and all(e["url"].startswith("https://") for e in http)
    assert {e["http_version"] for e in http} == {"HTTP/2.0"}
    # websockets clients offer no h2 WebSocket (RFC 8441): wss over HTTP/1.1
    assert {e["http_version"] for e in exchanges if e["protocol"] == "websocket"} == {"HTTP/1.1"}
    assert report["summary"]["protocols"]["sse"] > 0
    kinds = {f["kind"] for f in report["findings"]}
    # 6 s is enough for the short poller and the ticker; the long poller's cycles, not always
    assert {"short-polling", "websocket-one-way"} <= kinds
    assert "sse-connection-limit" not in kinds


def test_without_a_terminal_the_viewer_says_so() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pushscope", "demo"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--headless" in result.stderr
