"""`analyze --baseline` and `diff`: findings matched across recordings, and the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pushscope import cli
from pushscope.cli import main
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.report.compare import FindingKey, compare, finding_key
from pushscope.inspector.report.markdown import code
from tests.conftest import CAPTURES

POLL = CAPTURES / "poll-short.mitm"
SSE = CAPTURES / "sse-eventsource.mitm"


def _report(tmp_path: Path, *captures: Path, name: str = "report.json") -> Path:
    out = tmp_path / name
    args = ["analyze", *map(str, captures), "--format", "json", "-o", str(out)]
    assert main(args) in (0, 1)
    return out


def _edited(report: Path, tmp_path: Path, edit: Any, name: str = "edited.json") -> Path:
    """A copy of `report` with `edit` applied to each finding."""
    document = json.loads(report.read_text())
    for finding in document["findings"]:
        edit(finding)
    out = tmp_path / name
    out.write_text(json.dumps(document))
    return out


def _diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["diff", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _finding(endpoint: str, kind: str = "short-polling", client: str | None = None) -> Finding:
    return Finding(kind, Severity.HIGH, endpoint, client, [], {}, "sse", "")


def test_the_key_leaves_out_origin_ids_and_clients() -> None:
    a = _finding("GET http://127.0.0.1:37213/api/items/42/status?page=*", client="127.0.0.1")
    b = _finding("GET https://app.example:8443/api/items/7/status?page=*", client="10.0.0.9:5123")
    assert (
        finding_key(a)
        == finding_key(b)
        == FindingKey("short-polling", "GET", "/api/items/{id}/status?page=*")
    )
    # a split that names resources is kept, its id-like values folded; GraphQL operations stay
    assert finding_key(_finding("GET http://h:1/feed?room=* [room=7]")).resource == (
        "/feed?room=* [room={id}]"
    )
    graphql = finding_key(_finding("GET http://h:1/graphql?operationName=* [operationName=Feed]"))
    assert graphql.resource == "/graphql?operationName=* [operationName=Feed]"
    assert (
        finding_key(_finding("GET http://h:1/graphql?operationName=* [operationName=User]"))
        != graphql
    )
    operation = finding_key(_finding("GET http://h:1/graphql?page=* persisted:0123abcd4567"))
    assert operation.resource == "/graphql?page=* persisted:0123abcd4567"
    unread = finding_key(_finding("POST https://api.example/graphql UnreadCount [room=7]"))
    assert unread == FindingKey("short-polling", "POST", "/graphql UnreadCount [room={id}]")
    assert finding_key(_finding("POST http://h:1/graphql Feed")).resource == "/graphql Feed"
    # a finding about a whole origin, and the method and kind, tell findings apart
    origin = finding_key(_finding("http://127.0.0.1:5000", kind="sse-connection-limit"))
    assert origin == FindingKey("sse-connection-limit", "", "")
    long_polling = _finding("GET http://h:1/api/items/1/status?page=*", kind="long-polling")
    assert finding_key(long_polling) != finding_key(a)
    assert finding_key(_finding("POST http://h:1/api/items/1/status?page=*")) != finding_key(a)


def test_findings_with_one_key_pair_off_most_severe_first() -> None:
    low = _finding("GET http://h:1/api/status", client="a")
    low.severity = Severity.LOW
    high = _finding("GET http://h:2/api/status", client="b")
    comparison = compare([high], [low, _finding("GET http://h:3/api/status", client="c")])
    assert (comparison.unchanged, comparison.new, comparison.gone) == (1, [low], [])
    worse = compare([low], [high])
    assert [c.fields for c in worse.changed] == [["severity"]]
    assert (
        worse.failing(Severity.HIGH) == [high]
        and compare([high], [low]).failing(Severity.LOW) == []
    )


# --- analyze --baseline ---------------------------------------------------------------------


def test_baseline_suppresses_known_findings_and_not_new_ones(tmp_path: Path) -> None:
    baseline = _report(tmp_path, POLL)
    assert main(["analyze", str(POLL), "--fail-on", "high"]) == 1  # without: the poller fails
    assert main(["analyze", str(POLL), "--baseline", str(baseline), "--fail-on", "high"]) == 0
    etag = str(CAPTURES / "poll-etag.mitm")  # another high poller, not in the baseline
    assert main(["analyze", str(POLL), etag, "--baseline", str(baseline), "--fail-on", "high"]) == 1
    ws_rpc = str(CAPTURES / "ws-rpc.mitm")  # a new low finding: counted at low, not at medium
    assert (
        main(["analyze", str(POLL), ws_rpc, "--baseline", str(baseline), "--fail-on", "low"]) == 1
    )
    args = ["analyze", str(POLL), ws_rpc, "--baseline", str(baseline), "--fail-on", "medium"]
    assert main(args) == 0


def test_a_baseline_recorded_elsewhere_still_matches(tmp_path: Path) -> None:
    """Other ports, hosts, client addresses and ids: the same findings."""

    def elsewhere(finding: dict[str, Any]) -> None:
        finding["endpoint"] = finding["endpoint"].replace("127.0.0.1:37213", "staging.app:8080")
        finding["client"] = "10.1.2.3:40000"
        finding["id"] = "short-polling-00000000"
        finding["exchanges"] = ["x"]

    moved = _edited(_report(tmp_path, POLL), tmp_path, elsewhere)
    assert "staging.app:8080" in moved.read_text()
    assert main(["analyze", str(POLL), "--baseline", str(moved), "--fail-on", "high"]) == 0
    # a HAR of the same traffic (no client address at all) as the baseline of the flow file
    har = _report(tmp_path, CAPTURES / "poll-short.har", name="har.json")
    assert main(["analyze", str(POLL), "--baseline", str(har), "--fail-on", "info"]) == 0


def test_a_known_finding_that_got_worse_counts(tmp_path: Path) -> None:
    def milder(finding: dict[str, Any]) -> None:
        finding["severity"] = "low"

    mild = _edited(_report(tmp_path, POLL), tmp_path, milder)
    assert main(["analyze", str(POLL), "--baseline", str(mild), "--fail-on", "high"]) == 1
    assert main(["analyze", str(POLL), "--baseline", str(mild), "--fail-on", "low"]) == 1
    assert main(["diff", str(mild), str(POLL), "--fail-on", "high"]) == 1  # low -> high
    assert main(["diff", str(POLL), str(mild), "--fail-on", "low"]) == 0  # high -> low: better


def test_the_report_says_how_many_findings_the_baseline_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = str(_report(tmp_path, POLL))
    etag = str(CAPTURES / "poll-etag.mitm")
    assert main(["analyze", str(POLL), etag, "--baseline", baseline]) == 0  # no --fail-on: 0
    assert "findings 2 (1 already in the baseline)" in capsys.readouterr().out
    assert main(["analyze", str(POLL), etag, "--baseline", baseline, "--format", "markdown"]) == 0
    assert "findings **2** (1 already in the baseline)." in capsys.readouterr().out
    assert main(["analyze", str(POLL)]) == 0
    assert "baseline" not in capsys.readouterr().out


# --- diff -----------------------------------------------------------------------------------


def test_diff_measures_the_move_from_polling_to_push(capsys: pytest.CaptureFixture[str]) -> None:
    code, diff = _diff(capsys, str(POLL), str(SSE), "--fail-on", "info")
    assert code == 0  # nothing new
    assert [(f["kind"], f["recommendation"]) for f in diff["gone"]] == [("short-polling", "sse")]
    assert diff["new"] == [] and diff["changed"] == []
    before, after = diff["totals"]["before"], diff["totals"]["after"]
    assert before["requests_per_hour"] == diff["gone"][0]["impact"]["requests_per_hour"] > 2000
    assert after["requests_per_hour"] == 0 and after["bytes_per_hour"] == 0
    assert before["bytes_per_hour"] > 500_000
    assert 0 < before["staleness_mean_s"] < before["staleness_worst_s"]
    assert after["staleness_mean_s"] is None and after["staleness_worst_s"] is None
    assert (before["protocols"]["sse"], after["protocols"]["sse"]) == (0, 1)
    assert (before["exchanges"], after["exchanges"]) == (16, 2)
    # the other way round the poller is new: --fail-on fails on it
    code, back = _diff(capsys, str(SSE), str(POLL), "--fail-on", "high")
    assert code == 1 and [f["kind"] for f in back["new"]] == ["short-polling"]
    assert back["gone"] == []


def test_diff_json_follows_its_schema(tmp_path: Path) -> None:
    out = tmp_path / "diff.json"
    before = _report(tmp_path, CAPTURES / "poll-two-clients.mitm")
    after = CAPTURES / "poll-two-clients.har"  # one HAR client: two series become one
    assert main(["diff", str(before), str(after), "--format", "json", "-o", str(out)]) == 0
    diff = json.loads(out.read_bytes().decode("utf-8"))
    assert diff["schema"] == "pushscope.diff/1"
    assert diff["generator"].startswith("pushscope ")
    assert diff["sources"] == {
        "before": {"path": str(before), "kind": "report", "format": "pushscope.report/1"},
        "after": {"path": str(after), "kind": "capture", "format": "har"},
    }
    assert diff["summary"] == {"gone": 1, "new": 0, "changed": 1, "unchanged": 0}
    assert {"gone", "new", "changed", "totals"} <= diff.keys()
    report_findings = {f["id"]: f for f in json.loads(before.read_text())["findings"]}
    (gone,) = diff["gone"]
    assert gone == report_findings[gone["id"]]  # a finding as in the report
    (changed,) = diff["changed"]
    assert set(changed) == {"before", "after", "changes"}
    assert changed["before"] == report_findings[changed["before"]["id"]]
    assert changed["after"]["client"] is None
    assert "impact.requests_per_hour" in changed["changes"] and "severity" not in changed["changes"]
    totals = diff["totals"]
    assert set(totals) == {"before", "after"}
    assert set(totals["before"]) == {
        "exchanges",
        "protocols",
        "findings",
        "polling_findings",
        "requests_per_hour",
        "bytes_per_hour",
        "staleness_mean_s",
        "staleness_worst_s",
    }
    assert totals["before"]["polling_findings"] == 2 and totals["after"]["polling_findings"] == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("poll-short.mitm", "poll-short.har"),
        ("long-poll.mitm", "long-poll.pcap"),
        ("long-poll.har", "long-poll.pcap"),
        ("socketio-polling.mitm", "socketio-polling.har"),
        ("sse-reconnect.mitm", "sse-reconnect.har"),
        ("ws-one-way.mitm", "ws-one-way.har"),
        ("demo-mix.mitm", "demo-mix.pcap"),
    ],
)
def test_two_sources_of_one_app_match(
    first: str, second: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, diff = _diff(capsys, str(CAPTURES / first), str(CAPTURES / second), "--fail-on", "info")
    assert code == 0
    assert (diff["gone"], diff["new"]) == ([], [])


def test_reports_and_captures_diff_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, from_captures = _diff(capsys, str(POLL), str(SSE))
    reports = [str(_report(tmp_path, path, name=f"{path.stem}.json")) for path in (POLL, SSE)]
    _, from_reports = _diff(capsys, *reports)
    for key in ("gone", "new", "changed", "totals", "summary"):
        assert from_reports[key] == from_captures[key]


def test_diff_text_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(POLL), str(SSE)]) == 0
    text = capsys.readouterr().out
    assert "pushscope diff" in text and "gone 1" in text and "Gone (1)" in text
    assert "polling requests/h" in text and "2,422" in text and "-100%" in text
    assert main(["diff", str(POLL), str(SSE), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## pushscope diff")
    assert "**1** gone, **0** new, **0** changed, 0 unchanged." in markdown
    assert "### Totals" in markdown and "| polling requests/h | 2,422 | 0 |" in markdown
    assert "### Gone findings (1)" in markdown and "| **high** | short-polling | sse |" in markdown


def test_network_text_is_data_in_text_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def hostile(finding: dict[str, Any]) -> None:
        finding["endpoint"] = "GET http://h/[bold red]x[/]/<script>|*y*"

    report = _edited(_report(tmp_path, POLL), tmp_path, hostile)
    assert main(["diff", str(report), str(SSE)]) == 0
    assert "[bold red]x[/]" in capsys.readouterr().out  # printed, not applied
    assert main(["diff", str(report), str(SSE), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert code("GET http://h/[bold red]x[/]/<script>|*y*") in markdown  # shown literally
    row = next(line for line in markdown.splitlines() if "short-polling" in line)
    assert row.count(" | ") == 4  # the endpoint's pipe does not make a column


def test_diff_json_is_valid_utf8_from_a_report_with_lone_surrogates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(finding: dict[str, Any]) -> None:
        finding["endpoint"] = "GET http://h/api/st\udc80tus"
        finding["rationale"] = "half a pair: \ud800"

    report = _edited(_report(tmp_path, POLL), tmp_path, broken)  # json.dumps escapes them
    assert "\\udc80" in report.read_text()
    out = tmp_path / "diff.json"
    assert main(["diff", str(report), str(SSE), "--format", "json", "-o", str(out)]) == 0
    (gone,) = json.loads(out.read_bytes().decode("utf-8"))["gone"]
    assert "\ufffd" in gone["endpoint"]


def test_progress_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert main(["diff", str(POLL), str(SSE), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["gone"] == 1
    assert "poll-short.mitm" in captured.err and "sse-eventsource.mitm" in captured.err


# --- unusable inputs: exit 2, one line naming the file ---------------------------------------

REPORT_HEAD = '{"schema": "pushscope.report/1", "summary": {"exchanges": 0, "protocols": {}}, '
BAD_REPORTS = {
    "truncated": None,  # the first part of a real report
    "not-a-report": '{"foo": 1, "findings": []}',
    "other-schema": '{"schema": "acme.report/3", "findings": []}',
    "newer-schema": '{"schema": "pushscope.report/2", "findings": []}',
    "bad-severity": REPORT_HEAD
    + '"findings": [{"kind": "short-polling", "severity": "huge", "endpoint": "GET /x"}]}',
    "no-findings": REPORT_HEAD[:-2] + "}",
    "finding-not-object": REPORT_HEAD + '"findings": [3]}',
    "bad-impact": REPORT_HEAD + '"findings": [{"kind": "short-polling", "severity": "high", '
    '"endpoint": "GET /x", "impact": {"requests_per_hour": "lots"}}]}',
    "no-summary": '{"schema": "pushscope.report/1", "findings": []}',
}
WHY = {
    "truncated": "invalid or truncated JSON",
    "not-a-report": "not a pushscope report",
    "other-schema": "not a pushscope report: its schema is 'acme.report/3'",
    "newer-schema": "report schema 'pushscope.report/2' is not supported",
    "bad-severity": "finding 0 (short-polling): unknown severity 'huge'",
    "no-findings": "it has no 'findings'",
    "finding-not-object": "finding 0: not an object",
    "bad-impact": "'impact.requests_per_hour' is not a number",
    "no-summary": "'summary' is missing",
}


def _bad_report(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.json"
    text = BAD_REPORTS[name]
    if text is None:
        text = _report(tmp_path, POLL).read_text()[:2500]
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(BAD_REPORTS))
def test_a_bad_report_exits_2_with_one_line(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _bad_report(tmp_path, name)
    capsys.readouterr()
    assert main(["analyze", str(POLL), "--baseline", str(bad), "--fail-on", "high"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"pushscope: error: {bad}: ") and WHY[name] in line
    assert "16 exchanges from 1 source(s)" in captured.out  # the report is still written
    if name != "not-a-report":  # as a side of diff, a JSON without the schema is a HAR
        assert main(["diff", str(bad), str(POLL)]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        (line,) = captured.err.strip().splitlines()
        assert line.startswith(f"pushscope: error: {bad}: ") and WHY[name] in line


def test_unusable_diff_inputs_and_output_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01 not a capture")
    assert main(["diff", str(POLL), str(garbage)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"pushscope: error: {garbage}: not a capture pushscope can read")
    assert main(["diff", "/nonexistent/before.mitm", str(POLL)]) == 2
    assert "/nonexistent/before.mitm: cannot open" in capsys.readouterr().err
    har = CAPTURES / "poll-short.har"  # a capture is no baseline
    assert main(["analyze", str(POLL), "--baseline", str(har), "-o", str(tmp_path / "r")]) == 2
    assert f"{har}: not a pushscope report" in capsys.readouterr().err
    unwritable = tmp_path / "missing-dir" / "diff.md"
    assert main(["diff", str(POLL), str(SSE), "-o", str(unwritable)]) == 2
    assert f"cannot write {unwritable}" in capsys.readouterr().err
    baseline = str(_report(tmp_path, POLL))
    assert main(["analyze", str(POLL), "--baseline", baseline, "-o", str(unwritable)]) == 2
    assert f"cannot write {unwritable}" in capsys.readouterr().err


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    truncated = _bad_report(tmp_path, "truncated")
    for args in (
        ["diff", str(truncated), str(SSE)],
        ["analyze", str(SSE), "--baseline", str(truncated)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "pushscope", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1 and str(truncated) in result.stderr
