"""The viewer driven with Textual's Pilot on the project's own captures."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from textual.widgets import Input

from pushscope.cli import main
from pushscope.tui.app import PushscopeApp
from pushscope.tui.filters import parse_filter
from pushscope.tui.screens.detail import ExchangeScreen, FindingScreen, InvolvedList
from pushscope.tui.screens.dialogs import ExportScreen, HelpScreen
from pushscope.tui.screens.main import MainScreen
from pushscope.tui.sources import CaptureSource, FollowSource
from pushscope.tui.traffic import Update
from tests.conftest import CAPTURES
from tests.tui.conftest import screen_text, wait_until

SIZE = (150, 45)


def viewer(*names: str) -> PushscopeApp:
    return PushscopeApp(CaptureSource([CAPTURES / name for name in names]))


async def test_rows_navigation_and_exchange_detail() -> None:
    app = viewer("websocket-chat.mitm", "sse-eventsource.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        table = app.main.table
        assert len(app.traffic.visible) == 3 and table.cursor == 2  # followed to the newest
        await pilot.press("home")
        assert table.cursor == 0
        await pilot.press("enter")
        assert isinstance(app.screen, ExchangeScreen)
        text = screen_text(app)
        assert "101 Switching Protocols with Upgrade: websocket" in text  # the evidence
        assert "valid RFC 6455 handshake" in text and "chat.v1" in text
        assert "welcome to #lobby" in text  # a message, JSON pretty-printed
        await pilot.press("escape", "down", "enter")
        assert isinstance(app.screen, ExchangeScreen)
        text = screen_text(app)
        assert "Content-Type: text/event-stream" in text or "text/event-stream" in text
        assert "SSE events (8 of 8 shown)" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_filter_bar() -> None:
    app = viewer("demo-mix.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("slash", *"proto:sse")
        box = app.main.query_one("#filter", Input)
        assert box.has_focus and len(app.traffic.visible) == 2
        assert box.border_title == "2 of 9 shown"
        await pilot.press(*" status:4x")  # half typed: an error, and the last good filter stays
        assert "status is a code" in str(box.border_subtitle)
        assert parse_filter("proto:sse status:4").text == app.traffic.filter.text
        await pilot.press("x", "enter")  # status:4xx: no SSE answered with 4xx
        assert app.traffic.visible == [] and app.main.table.has_focus
        await pilot.press("slash", "ctrl+u", "enter")  # cleared
        assert len(app.traffic.visible) == 9


async def test_findings_panel_and_finding_detail() -> None:
    app = viewer("poll-short.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.traffic.findings))
        text = screen_text(app)
        assert "short-polling" in text and "-> sse" in text and "75%" in text
        await pilot.press("f", "enter")
        assert isinstance(app.screen, FindingScreen)
        text = screen_text(app)
        for part in ("Series (16 exchanges kept)", "brought something new", "switch to sse"):
            assert part in text
        assert app.screen.query_one(InvolvedList).row_count() == 16
        await pilot.press("enter")  # the first exchange of the series
        assert isinstance(app.screen, ExchangeScreen)
        assert re.search(r"part of\s+short-poll", screen_text(app))
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, MainScreen)


@pytest.mark.parametrize(("button", "suffix"), [("#json", ".json"), ("#markdown", ".md")])
async def test_export(tmp_path: Path, button: str, suffix: str) -> None:
    app = viewer("poll-short.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen)
        path_box = app.screen.query_one("#path", Input)
        path_box.value = str(tmp_path / "out")
        await pilot.click(button)
        target = tmp_path / f"out{suffix}"
        await wait_until(pilot, target.exists)
        await app.workers.wait_for_complete()
    text = target.read_text()
    if suffix == ".json":
        report = json.loads(text)
        assert report["schema"] == "pushscope.report/1"
        assert [f["kind"] for f in report["findings"]] == ["short-polling"]
    else:
        assert text.startswith("#") and "short-polling" in text


async def test_help_pause_and_palette_commands() -> None:
    app = viewer("rest.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "proto:ws|sse|rest|stream" in screen_text(app)
        await pilot.press("escape", "p")
        assert app.paused and not app.main.table.following
        assert "PAUSED" in screen_text(app)
        await pilot.press("p")
        assert not app.paused
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Filter", "Findings", "Export report", "Pause / follow", "Help"} <= titles


HOSTILE = "[bold red]x[/]"
CLICK = "[@click=app.quit]"


def hostile_har(path: Path) -> Path:
    """Markup and control characters everywhere the network puts text."""
    sse = f"event: {HOSTILE}\ndata: {CLICK} \x1b[2J\n\n".encode()
    entries = [
        {
            "startedDateTime": "2026-01-01T00:00:00.000Z",
            "time": 5,
            "request": {
                "method": "GET",
                "url": f"http://127.0.0.1:9/{HOSTILE}?q={CLICK}",
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": "X-Evil", "value": f"{CLICK}\x07"}],
            },
            "response": {
                "status": 200,
                "statusText": "OK",
                "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
                "content": {
                    "mimeType": "text/event-stream",
                    "text": base64.b64encode(sse).decode(),
                    "encoding": "base64",
                },
            },
        }
    ]
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


async def test_network_text_is_shown_literally(tmp_path: Path) -> None:
    app = PushscopeApp(CaptureSource([hostile_har(tmp_path / "hostile.har")]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        assert f"/{HOSTILE}?q={CLICK}" in screen_text(app)
        await pilot.press("enter")
        text = screen_text(app)
        assert HOSTILE in text and CLICK in text  # event type, data and header, as sent
        assert "\x1b" not in text and "\u241b[2J" in text  # the escape shown, not obeyed
        assert app.is_running


async def test_follow_a_growing_feed(tmp_path: Path) -> None:
    """The addon's feed, written while the viewer tails it: rows appear as lines arrive."""
    from pushscope.inspector.feed import FeedWriter

    feed = tmp_path / "feed.jsonl"
    out = feed.open("w", encoding="utf-8")
    writer = FeedWriter(out)
    from pushscope.inspector.analysis import Analyzer
    from pushscope.inspector.readers import read_capture

    events = list(read_capture(CAPTURES / "poll-short.mitm", 0).events)
    half = len(events) // 2
    producer = Analyzer(observers=[writer])
    app = PushscopeApp(FollowSource(feed))
    async with app.run_test(size=SIZE) as pilot:
        producer.run(events[:half])
        await wait_until(pilot, lambda: len(app.traffic) >= 1)
        seen_first = len(app.traffic)
        producer.run(events[half:])
        await wait_until(pilot, lambda: len(app.traffic) == 16)
        assert seen_first < 16
        await wait_until(pilot, lambda: bool(app.traffic.findings))
    out.close()


def test_cli_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["view"]) == 2
    assert "nothing to view" in capsys.readouterr().err
    assert main(["view", str(tmp_path / "missing.har")]) == 2
    assert "missing.har: no such file" in capsys.readouterr().err
    assert main(["view", str(CAPTURES / "rest.har"), "--follow", "f.jsonl"]) == 2
    assert "not both" in capsys.readouterr().err


async def test_a_batch_after_the_screen_closed_draws_nothing() -> None:
    """The app's batch timer still fires while the app closes its screens; a batch then must
    not look for widgets that are gone."""
    app = viewer("poll-short.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
    assert not app.main.children
    app.main.refresh_traffic(Update(rows=True, findings=True, status=True), paused=False)


async def test_the_table_follows_the_newest_row_until_paused() -> None:
    app = viewer("demo-mix.mitm", "poll-short.mitm")
    async with app.run_test(size=(150, 20)) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        table = app.main.table
        assert table.cursor == 24
        assert table.scroll_offset.y > 0  # scrolled to keep the newest row in view
        assert "06:46:55.329" in screen_text(app)
        await pilot.press("home")
        assert table.scroll_offset.y == 0 and table.cursor == 0


def test_view_save_writes_the_report_and_the_flows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pushscope.tui.main import _save_view

    paths = [CAPTURES / "poll-short.mitm", CAPTURES / "websocket-chat.har"]
    source = CaptureSource(paths)
    for _ in source.steps() or ():
        pass
    _save_view(source, paths, tmp_path)
    notes = capsys.readouterr().err
    assert "websocket-chat.har: saved without WebSocket messages" in notes
    report = json.loads((tmp_path / "report.json").read_text())
    assert len(report["exchanges"]) == 17
    assert [f["kind"] for f in report["findings"]] == ["short-polling"]
    assert (
        main(
            [
                "analyze",
                str(tmp_path / "flows.mitm"),
                "--format",
                "json",
                "--output",
                str(tmp_path / "again.json"),
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "again.json").read_text())
    assert len(again["exchanges"]) == 17 and again["findings"][0]["kind"] == "short-polling"


async def test_a_packet_capture_opens_like_any_other() -> None:
    app = viewer("demo-mix.pcap")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        assert {"rest", "sse", "websocket", "stream"} <= {
            protocol for protocol, count in app.traffic.protocols.items() if count
        }
        await pilot.press("slash", *"proto:ws", "enter", "home", "enter")
        text = screen_text(app)
        assert "Sec-WebSocket-Accept matches Sec-WebSocket-Key" in text
        assert "Messages (" in text


class _UnstyledApp(PushscopeApp):
    CSS_PATH = "no-such-stylesheet.tcss"


async def test_an_app_that_fails_to_start_reports_only_why() -> None:
    """A stylesheet that cannot be read stops the app before it mounts: Textual's error is
    what the user sees, not a second one from the app's teardown, and the return code says so."""
    app = _UnstyledApp(CaptureSource([CAPTURES / "rest.mitm"]))
    with pytest.raises(Exception, match="unable to read CSS file") as failure:
        async with app.run_test():
            pass
    assert type(failure.value).__name__ == "StylesheetError"
    assert app.return_code == 1
