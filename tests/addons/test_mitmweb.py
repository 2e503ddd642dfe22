"""The addon inside a real mitmweb on 127.0.0.1: annotated flows, the content view and the
commands, read through mitmweb's REST API while an SSE stream is still open; and mitmweb's
page in a real headless Chromium (screenshots under `.artifacts/`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from mitmproxy.utils.emoji import emoji
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from pushscope.addons import SCRIPT
from pushscope.demo.proxy import MITMDUMP, Mitmdump
from tests.test_html_report import ARTIFACTS

pytestmark = pytest.mark.timeout(180)
HOST = "127.0.0.1"
PASSWORD = "pushscope-test"
EVENTS = 60
"""Events of the slow stream, 0.2 s apart: it is still open while the test looks."""


async def _slow_events(request: Request) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for n in range(1, EVENTS + 1):
            yield f'id: {n}\nevent: tick\ndata: {{"n": {n}}}\n\n'.encode()
            await asyncio.sleep(0.2)

    return StreamingResponse(body(), media_type="text/event-stream")


async def _status(request: Request) -> JSONResponse:
    return JSONResponse({"state": "unchanged"})


@contextlib.contextmanager
def _server() -> Iterator[str]:
    app = Starlette(routes=[Route("/events", _slow_events), Route("/status", _status)])
    config = uvicorn.Config(app, host=HOST, port=0, log_level="warning", log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _api(web: str, path: str) -> Any:
    response = httpx.get(
        f"{web}{path}", headers={"Authorization": f"Bearer {PASSWORD}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def _until(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_mitmweb_shows_annotations_and_the_open_streams_events(tmp_path: Path) -> None:
    web_port = _free_port()
    web = f"http://{HOST}:{web_port}"
    proxy_process = Mitmdump(
        [
            "--no-web-open-browser",
            "--web-host",
            HOST,
            "--web-port",
            str(web_port),
            "--set",
            f"web_password={PASSWORD}",
            "-s",
            str(SCRIPT),
        ],
        tmp_path / "confdir",
        executable=MITMDUMP.with_name("mitmweb"),
    )
    with _server() as origin, proxy_process as proxy:
        with httpx.Client(proxy=proxy, timeout=10) as client:
            for _ in range(8):
                client.get(f"{origin}/status").raise_for_status()
                time.sleep(0.25)
            with client.stream("GET", f"{origin}/events") as stream:
                lines = stream.iter_lines()
                seen = 0
                while seen < 5:
                    seen += next(lines).startswith("data:")

                def sse_flow() -> dict[str, Any] | None:
                    flows = _api(web, "/flows")
                    found = [f for f in flows if f["request"]["path"] == "/events"]
                    return next((f for f in found if f.get("comment", "").startswith("SSE")), None)

                flow = _until(sse_flow)
                assert flow is not None, "the SSE flow got no comment"
                assert flow["marked"] == emoji[":satellite:"]  # mitmweb sends the emoji
                view = _until(
                    lambda: (
                        v
                        if (v := _api(web, f"/flows/{flow['id']}/response/content/pushscope.json"))[
                            "text"
                        ].count("event=tick")
                        >= 5
                        else None
                    )
                )
                assert view, "the open stream's events did not show"
                assert view["view_name"] == "pushscope"
                events_so_far = view["text"].count("event=tick")
                assert 5 <= events_so_far < EVENTS  # still open: what arrived so far
                _browser(web, flow["id"])
        polls = [f for f in _api(web, "/flows") if f["request"]["path"] == "/status"]
        # Each request got the period as it stood when it joined the series.
        comments = [p.get("comment", "") for p in polls]
        assert all(
            re.fullmatch(r"short-polling every 2\d\d ms -> websocket", c) for c in comments
        ), comments
        assert {p["marked"] for p in polls} == {emoji[":repeat:"]}
        state = _api(web, "/state")
        assert "pushscope" in state["contentViews"]
        options = _api(web, "/options")
        assert "comment" in options["web_columns"]["value"]
        series = _api(web, f"/flows/{polls[2]['id']}/response/content/pushscope.json")
        assert "request 3 of 8 in this series" in series["text"]
        assert json.loads(series["text"].split("\n\n")[-1]) == {"state": "unchanged"}


def _browser(web: str, flow_id: str) -> None:
    """mitmweb's page in headless Chromium: the flow list with pushscope's comments, and the
    SSE flow's response in pushscope's view. Skips without chromium or playwright."""
    from tests.test_html_report import _chromium

    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], timeout=60_000
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{web}/?token={PASSWORD}", wait_until="load", timeout=30_000)
            page.get_by_text("short-polling every").first.wait_for(timeout=15_000)
            page.get_by_text("SSE ·").first.wait_for(timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "mitmweb-flows.png"))
            page.get_by_text("SSE ·").first.click()
            page.get_by_text("Response", exact=True).first.click()
            page.screenshot(path=str(ARTIFACTS / "mitmweb-sse-view.png"))
        finally:
            browser.close()
