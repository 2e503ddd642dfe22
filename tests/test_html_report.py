"""The HTML report: self-contained, escaped, and shown by a real headless Chromium.

The Chromium test runs the system's Debian `chromium` through Playwright's Python package
(nothing is downloaded) and saves screenshots under `PUSHSCOPE_ARTIFACTS` (default
`.artifacts/` in the checkout).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pushscope.cli import main
from tests.conftest import CAPTURES, ROOT

ARTIFACTS = Path(os.environ.get("PUSHSCOPE_ARTIFACTS", ROOT / ".artifacts"))
SCRIPT = "<script>window.__pwned = 1</script>"
IMAGE = '"><img src=x onerror="window.__pwned = 2">'
SVG = "<svg onload=window.__pwned=3>"
BASE = 1_780_000_000.0


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(BASE + seconds, UTC).isoformat().replace("+00:00", "Z")


def _entry(url: str, at: float, **extra: Any) -> dict[str, Any]:
    response = extra.pop("response", {})
    return {
        "startedDateTime": _when(at),
        "time": extra.pop("time", 20),
        "request": {
            "method": "GET",
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": extra.pop("headers", [{"name": "Accept", "value": SCRIPT}]),
            "queryString": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": 200,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "headers": response.get("headers", [{"name": "X-Note", "value": IMAGE}]),
            "content": response.get(
                "content", {"size": 12, "mimeType": "application/json", "text": '{"same": 1}'}
            ),
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 20, "receive": 0},
        **extra,
    }


def hostile_har(path: Path) -> Path:
    """A capture whose URLs, headers, WebSocket messages and SSE events carry markup: a poller
    (a finding with a timeline), a WebSocket session and an SSE stream."""
    poll = f"http://127.0.0.1:8000/api/{SCRIPT}?q={IMAGE}"
    entries = [_entry(poll, 2.0 * i) for i in range(12)]
    entries.append(
        _entry(
            f"ws://127.0.0.1:8000/live{SVG}",
            1.0,
            headers=[
                {"name": "Upgrade", "value": "websocket"},
                {"name": "Connection", "value": "Upgrade"},
                {"name": "Sec-WebSocket-Key", "value": "dGhlIHNhbXBsZSBub25jZQ=="},
                {"name": "Sec-WebSocket-Version", "value": "13"},
                {"name": "Sec-WebSocket-Protocol", "value": SCRIPT},
            ],
            response={
                "headers": [
                    {"name": "Upgrade", "value": "websocket"},
                    {"name": "Connection", "value": "Upgrade"},
                    {"name": "Sec-WebSocket-Accept", "value": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
                    {"name": "Sec-WebSocket-Protocol", "value": SCRIPT},
                ],
                "content": {"size": 0, "mimeType": "x-unknown"},
            },
            time=9000,
            _resourceType="websocket",
            _webSocketMessages=[
                {
                    "type": "send" if i % 2 else "receive",
                    "time": BASE + 1.5 + i,
                    "opcode": 1,
                    "data": f"{IMAGE} {SVG} {i}",
                }
                for i in range(8)
            ],
        )
    )
    events = "".join(f"event: {SCRIPT}\nid: {i}\ndata: {SVG}\n\n" for i in range(5))
    entries.append(
        _entry(
            f"http://127.0.0.1:8000/events?{SCRIPT}",
            3.0,
            response={
                "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
                "content": {"size": len(events), "mimeType": "text/event-stream", "text": events},
            },
            time=5000,
        )
    )
    entries.sort(key=lambda e: e["startedDateTime"])
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


def render(tmp_path: Path, *captures: Path) -> Path:
    out = tmp_path / "report.html"
    assert main(["analyze", "--format", "html", "--output", str(out), *map(str, captures)]) == 0
    return out


def test_the_report_is_one_escaped_self_contained_page(tmp_path: Path) -> None:
    capture = hostile_har(tmp_path / f"{IMAGE}.har")
    page = render(tmp_path, capture).read_text(encoding="utf-8")
    assert page.count("<script") == 1  # its own, and no other
    assert "onerror=" not in page.replace("onerror=&quot;", "")  # escaped as text only
    assert "<svg onload" not in page and "<img" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    # Nothing is fetched: no URL of a resource, and a policy that allows no other script.
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "default-src 'none'" in page and "script-src 'sha256-" in page
    for section in ("Findings (", "Endpoints (", "WebSocket sessions (1)", "SSE streams (1)"):
        assert section in page
    assert page.index("Findings (") < page.index("Endpoints (")
    assert "short-polling" in page and 'class="chart"' in page


def test_every_kind_of_traffic_is_drawn(tmp_path: Path) -> None:
    page = render(
        tmp_path,
        CAPTURES / "demo-mix.mitm",
        CAPTURES / "poll-short.mitm",
        CAPTURES / "long-poll.mitm",
        CAPTURES / "sse-reconnect.mitm",
    ).read_text()
    assert page.count('<article class="finding') == 3
    assert page.count('<circle class="new"') >= 4  # polls that brought news, filled
    assert 'class="hold"' in page  # long polls drawn as held requests
    assert "polling now" in page and "after push" in page  # the cost before and after
    assert "4 reconnect(s)" in page
    assert 'class="side0"' in page and 'class="side1"' in page  # messages each way


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not on PATH (Debian: apt-get install chromium)")
    return path


def test_chromium_shows_network_text_as_text_and_runs_nothing_of_it(tmp_path: Path) -> None:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    page_path = render(tmp_path, hostile_har(tmp_path / "hostile.har"), CAPTURES / "demo-mix.mitm")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], timeout=60_000
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            requests: list[str] = []
            dialogs: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_path.as_uri(), wait_until="load", timeout=30_000)
            page.wait_for_timeout(300)
            assert page.evaluate("window.__pwned") is None
            assert errors == [] and dialogs == []
            assert requests == [page_path.as_uri()]  # the page alone: nothing fetched
            text = page.inner_text("body")
            assert SCRIPT in text and SVG in text  # shown literally
            assert page.locator("svg.chart").count() >= 3

            # Sorting by count, both ways, where JavaScript runs.
            counts = "table.sortable tbody tr td:nth-child(3)"
            header = page.locator("table.sortable th", has_text="count")
            header.click()
            down = [int(c) for c in page.locator(counts).all_inner_texts()]
            header.click()
            up = [int(c) for c in page.locator(counts).all_inner_texts()]
            assert down == sorted(down, reverse=True) and up == sorted(up) and down != up

            page.screenshot(path=str(ARTIFACTS / "report-desktop.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(100)
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 1, "the page is wider than a phone's screen"
            page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "report-phone.png").stat().st_size > 0
