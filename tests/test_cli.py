"""`pushscope analyze`: exit codes, formats, the JSON contract, redaction, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pushscope.cli import main
from tests.conftest import CAPTURES, fixture_path

MIX = CAPTURES / "demo-mix.mitm"


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["analyze", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _json(capsys, str(MIX), str(CAPTURES / "demo-mix.har"))
    assert code == 0
    assert report["schema"] == "pushscope.report/1"
    assert report["generator"].startswith("pushscope ")
    assert [(s["format"], s["exchanges"], s["errors"]) for s in report["sources"]] == [
        ("mitm", 9, []),
        ("har", 9, []),
    ]
    assert report["summary"] == {
        "exchanges": 18,
        "protocols": {"rest": 10, "sse": 4, "websocket": 2, "stream": 2},
        "findings": 0,
    }
    assert report["findings"] == []
    required = {
        "id",
        "source",
        "client",
        "started",
        "ended",
        "method",
        "url",
        "http_version",
        "status",
        "protocol",
        "evidence",
        "framework",
        "websocket",
        "sse",
    }
    for exchange in report["exchanges"]:
        assert required <= exchange.keys()
        assert isinstance(exchange["started"], float)
        assert exchange["evidence"]
        assert (exchange["websocket"] is not None) == (exchange["protocol"] == "websocket")
        assert (exchange["sse"] is not None) == (exchange["protocol"] == "sse")
    (ws, _) = [e["websocket"] for e in report["exchanges"] if e["websocket"]]
    assert ws["handshake"] == "ok"
    assert ws["subprotocol"] == "chat.v1"
    assert ws["messages"] == {"client": 3, "server": 6}
    assert (ws["close_code"], ws["closed_by"]) == (1000, "client")
    assert ws["extensions"][0].startswith("permessage-deflate")
    sse = sorted((e["sse"] for e in report["exchanges"] if e["sse"]), key=lambda s: s["events"])
    assert sse[0] == {
        "events": 8,
        "event_types": {"tick": 6, "price": 2},
        "ids": True,
        "events_with_id": 8,
        "retry_ms": 200,
        "comments": 2,
        "errors": [],
    }
    assert mitm_client(report).startswith("127.0.0.1:")


def mitm_client(report: dict) -> str:
    return next(e["client"] for e in report["exchanges"] if e["source"] == 0)


def test_text_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(MIX)]) == 0
    text = capsys.readouterr().out
    assert "9 exchanges" in text and "WebSocket sessions" in text and "SSE streams" in text
    assert main(["analyze", str(MIX), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## pushscope report")
    assert "<summary>WebSocket sessions (1)</summary>" in markdown and "| chat.v1 |" in markdown


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert main(["analyze", str(MIX), "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["exchanges"] == 9


def test_secrets_are_redacted_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(fixture_path("mitmproxy", "flows", "websocket.mitm"))
    secret = "VCXCEuvhGcBDP7XhiJJUDvR1e1D3ei"
    for fmt in ("text", "json", "markdown", "html"):
        assert main(["analyze", path, "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert secret not in out
        if fmt != "text":  # the text table may fold the URL anywhere
            assert "api_key=REDACTED" in out.replace("\\_", "_")
    assert main(["analyze", path, "--format", "json", "--no-redact"]) == 0
    assert secret in capsys.readouterr().out


def test_unusable_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01 this is not a capture")
    assert main(["analyze", str(garbage), str(MIX), "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["exchanges"] == 9  # the good input is still analysed
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"pushscope: error: {garbage}: not a capture pushscope can read")


def test_missing_file_and_too_old_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "/nonexistent/file.har"]) == 2
    assert "cannot open" in capsys.readouterr().err
    assert main(["analyze", str(fixture_path("mitmproxy", "dumpfile-010.mitm"))]) == 2
    err = capsys.readouterr().err.strip()
    assert "flow format version 0.10.1 cannot be read" in err and "\n" not in err


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    broken = tmp_path / "broken.har"
    broken.write_text('{"log": {"entries": [{"request": ')
    result = subprocess.run(
        [sys.executable, "-m", "pushscope", "analyze", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(broken) in result.stderr


def test_fail_on_gates_ci(capsys: pytest.CaptureFixture[str]) -> None:
    polling = str(CAPTURES / "poll-short.mitm")
    assert main(["analyze", polling, "--fail-on", "high"]) == 1
    assert main(["analyze", polling, "--fail-on", "medium"]) == 1
    assert main(["analyze", str(CAPTURES / "ws-rpc.mitm"), "--fail-on", "medium"]) == 0
    assert main(["analyze", str(CAPTURES / "ws-rpc.mitm"), "--fail-on", "low"]) == 1
    assert main(["analyze", str(CAPTURES / "decoy-user-rest.mitm"), "--fail-on", "info"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", polling, "--fail-on", "severe"])
    assert exit_info.value.code == 2
    assert "unknown severity 'severe'" in capsys.readouterr().err


def test_reports_lead_with_findings(capsys: pytest.CaptureFixture[str]) -> None:
    polling = str(CAPTURES / "poll-chat.mitm")
    assert main(["analyze", polling]) == 0
    text = capsys.readouterr().out
    assert text.index("Findings (1)") < text.index("Endpoints")
    assert "short-polling -> websocket" in text
    assert main(["analyze", polling, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.index("### Findings (1)") < markdown.index("<summary>Endpoints (")
    code, report = _json(capsys, polling)
    assert code == 0
    (finding,) = report["findings"]
    assert {
        "id",
        "kind",
        "severity",
        "endpoint",
        "client",
        "exchanges",
        "stats",
        "recommendation",
        "rationale",
        "impact",
    } <= finding.keys()
    assert {"count", "period_s", "jitter", "unchanged_ratio", "span_s"} <= finding["stats"].keys()
    assert report["summary"]["findings"] == 1
    roles = {e["id"]: e["role"] for e in report["exchanges"]}
    assert all(roles[i] == "short-poll" for i in finding["exchanges"])
