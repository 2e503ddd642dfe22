"""The curl command line of an exchange (no Textual), and the `y` key that writes it."""

from __future__ import annotations

import shlex
from pathlib import Path

from pushscope.inspector.model import Exchange, Protocol, Request
from pushscope.tui.app import PushscopeApp
from pushscope.tui.curl import curl_command
from pushscope.tui.screens.detail import ExchangeScreen
from pushscope.tui.sources import CaptureSource
from tests.conftest import CAPTURES
from tests.tui.conftest import wait_until


def test_a_post_with_headers_and_a_body() -> None:
    headers = [("Host", "api"), ("Content-Type", "application/json"), ("X-Q", "it's")]
    body = b'{"q": "$(rm -rf /)"}'
    request = Request(
        "POST", "http://127.0.0.1/a?b=1&c=2", "HTTP/1.1", headers, 1.0, len(body), body
    )
    words = shlex.split(curl_command(Exchange("x", 0, request)))
    assert words == [
        "curl", "-X", "POST", "-H", "Content-Type: application/json", "-H", "X-Q: it's",
        "--data-binary", '{"q": "$(rm -rf /)"}', "http://127.0.0.1/a?b=1&c=2",
    ]  # fmt: skip


def test_an_sse_stream_is_not_buffered_and_a_lost_body_is_said() -> None:
    request = Request("GET", "http://127.0.0.1/events", "HTTP/1.1", [], 1.0)
    assert curl_command(Exchange("s", 0, request, protocol=Protocol.SSE)).startswith("curl -N ")
    request = Request("PUT", "http://127.0.0.1/x", "HTTP/1.1", [], 1.0, body_size=10)
    assert curl_command(Exchange("p", 0, request)).endswith(
        "# the 10-byte request body was not kept"
    )


async def test_y_writes_the_curl_line(tmp_path: Path) -> None:
    app = PushscopeApp(CaptureSource([CAPTURES / "sse-eventsource.mitm"]), tmp_path / "r.json")
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("home", "enter", "y")
        assert isinstance(app.screen, ExchangeScreen)
        written = list(tmp_path.glob("pushscope-curl-*.sh"))
        assert len(written) == 1 and written[0].read_text().startswith("curl ")
