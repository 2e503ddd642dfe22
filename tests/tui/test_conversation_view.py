"""The conversation view driven with the Pilot: its keys, its filter bar, following, export,
a message opened whole, hostile payloads shown as text."""

from __future__ import annotations

import json
from pathlib import Path

from pushscope.inspector.model import Limits, Opcode, WebSocketMessage
from pushscope.tui.app import PushscopeApp
from pushscope.tui.rows import clock
from pushscope.tui.screens.conversation import ConversationScreen, MessageList, MessageScreen
from pushscope.tui.screens.detail import ExchangeScreen
from pushscope.tui.sources import CaptureSource
from tests.conftest import CAPTURES
from tests.tui.conftest import screen_text, wait_until

SIZE = (150, 45)


def viewer(*names: str) -> PushscopeApp:
    return PushscopeApp(CaptureSource([CAPTURES / name for name in names]))


async def open_conversation(app: PushscopeApp, pilot: object) -> ConversationScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await wait_until(pilot, lambda: app.traffic.finished)
    await pilot.press("home", "enter", "c")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConversationScreen)
    return screen


async def test_keys_filters_and_a_message_whole(tmp_path: Path) -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        screen.export_dir = tmp_path
        messages = screen.query_one(MessageList)
        total = len(screen.conversation.items)
        assert total and len(messages.shown) == total and messages.cursor == total - 1
        text = screen_text(app)
        assert f"{total} of {total} messages" in text and "following" in text
        assert "welcome to #lobby" in text

        await pilot.press("home")
        assert messages.cursor == 0 and "not following" in screen_text(app)
        await pilot.press("f")
        assert messages.cursor == total - 1 and messages.is_following

        await pilot.press("slash", *"dir:client")
        clients = [i for i in screen.conversation.items if i.direction == "client"]
        assert len(messages.shown) == len(clients) < total
        await pilot.press("enter")  # back to the list, the filter kept
        assert messages.has_focus and len(messages.shown) == len(clients)
        await pilot.press("slash", "ctrl+u", *"re:(a+)+", "enter")
        assert "nests repeats" in screen_text(app)
        await pilot.press("slash", "ctrl+u", "enter")
        assert len(messages.shown) == total

        await pilot.press("x")
        exported = next(tmp_path.glob("*.jsonl")).read_text().splitlines()
        assert (
            len(exported) == total
            and {"direction", "time", "data"} <= json.loads(exported[0]).keys()
        )

        await pilot.press("home", "enter")
        assert isinstance(app.screen, MessageScreen)
        text = screen_text(app)
        assert "masked" in text and "payload length" in text
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, ExchangeScreen)
        assert "sent" in screen_text(app) and "sent     0 B" not in screen_text(app)


async def test_heartbeats_hidden_with_one_key() -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        session = screen.exchange.websocket
        assert session is not None
        for opcode in (Opcode.PING, Opcode.PONG):  # keep-alives arrive on the open connection
            session.messages.append(WebSocketMessage("client", opcode, 0, None))
            session.previews.append(b"")
        messages = screen.query_one(MessageList)
        await wait_until(pilot, lambda: len(messages.shown) == len(session.messages))
        await pilot.press("h")
        assert len(messages.shown) == len(session.messages) - 2
        assert "heartbeats hidden" in screen_text(app)
        await pilot.press("h")
        assert len(messages.shown) == len(session.messages)


async def test_it_follows_new_messages_until_the_user_looks_back() -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        messages = screen.query_one(MessageList)
        session = screen.exchange.websocket
        assert session is not None

        def arrive(payload: bytes) -> None:
            session.messages.append(WebSocketMessage("server", Opcode.TEXT, len(payload), None))
            session.previews.append(payload)

        arrive(b'{"live":1}')
        await wait_until(
            pilot,
            lambda: (
                messages.cursor == len(screen.conversation.items) - 1
                and len(messages.shown) == len(session.messages)
            ),
        )
        await pilot.press("up")
        arrive(b'{"live":2}')
        await wait_until(pilot, lambda: len(messages.shown) == len(session.messages))
        assert messages.cursor == len(messages.shown) - 3  # stayed where the user went
        await pilot.press("f")
        assert messages.cursor == len(messages.shown) - 1


async def test_hostile_payloads_are_shown_as_text() -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        session = screen.exchange.websocket
        assert session is not None
        for payload in (
            b"[red]markup[/red] [link=x]y",
            b"\x1b[2J\x1b]52;c;AAAA\x07bell\x00",
            b"z" * (10 << 20),
        ):
            session.messages.append(WebSocketMessage("server", Opcode.TEXT, len(payload), None))
            session.previews.append(payload)
        messages = screen.query_one(MessageList)
        await wait_until(pilot, lambda: len(messages.shown) == len(session.messages))
        await pilot.press("up", "up")
        text = screen_text(app)
        assert "[red]markup[/red]" in text and "\x1b" not in text
        await pilot.press("enter")
        assert "[red]markup[/red]" in screen_text(app)
        await pilot.press("escape", "down", "enter")
        assert "\x1b" not in screen_text(app) and "\x07" not in screen_text(app)
        await pilot.press("escape", "down", "enter")  # the 10 MB line opens, bounded
        assert isinstance(app.screen, MessageScreen)


async def test_marks_on_exchanges_and_messages() -> None:
    app = viewer("websocket-chat.mitm", "sse-eventsource.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("home", "m")
        assert len(app.traffic.marked) == 1 and "\u25cf" in screen_text(app)
        await pilot.press("slash", *"marked:yes", "enter")
        assert len(app.traffic.visible) == 1
        await pilot.press("slash", "ctrl+u", *"msg:lobby", "enter")
        assert len(app.traffic.visible) == 1 and "1/9 msg" in screen_text(app)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        messages = screen.query_one(MessageList)
        await pilot.press("home", "m", "down", "down", "m")
        await pilot.press("slash", *"marked:yes", "enter")
        assert [i.index for i in messages.shown] == [0, 2]
        await pilot.press("slash", "ctrl+u", *"marked:no", "enter")
        assert len(messages.shown) == len(screen.conversation.items) - 2


async def test_marked_exchanges_are_kept_in_the_exported_report(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    app = PushscopeApp(CaptureSource([CAPTURES / "websocket-chat.mitm"]), target)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("home", "m")
        app._export_chosen(target)
        await wait_until(pilot, target.exists)
        await app.workers.wait_for_complete()
    report = json.loads(target.read_text())
    assert report["marked"] == sorted(app.traffic.marked) and len(report["marked"]) == 1


async def test_time_as_an_offset_or_as_the_clock() -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        first = screen.conversation.items[0]
        assert first.timestamp is not None
        since = f"+{first.timestamp - screen.conversation.start:.3f}s"
        text = screen_text(app)
        assert "time: offset (t: clock)" in text and since in text
        await pilot.press("t")
        text = screen_text(app)
        assert "time: clock (t: offset)" in text and since not in text
        assert clock(first.timestamp) in text  # the time zone is fixed (conftest)
        await pilot.press("t")
        assert since in screen_text(app)


async def test_sse_comments_are_shown_and_hidden_as_heartbeats() -> None:
    app = viewer("sse-eventsource.mitm")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        stream = screen.exchange.sse
        assert stream is not None and stream.comments == 2 == len(stream.kept_comments)
        messages = screen.query_one(MessageList)
        kinds = [item.kind for item in messages.shown]
        assert kinds.count("comment") == 2 and len(kinds) == stream.count + 2
        assert "comment" in screen_text(app)
        await pilot.press("h")
        assert [item.kind for item in messages.shown].count("comment") == 0
        assert len(messages.shown) == stream.count


async def test_messages_past_the_limits_are_said_to_be_not_kept() -> None:
    source = CaptureSource(
        [CAPTURES / "websocket-chat.mitm"], limits=Limits(ws_messages=4, preview_bytes=4096)
    )
    app = PushscopeApp(source)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_conversation(app, pilot)
        session = screen.exchange.websocket
        assert session is not None and session.total == 9
        assert "4 of 4 messages" in screen_text(app)
        assert "messages 5 to 9 not kept (5, past the viewer's limits)" in screen_text(app)


async def test_a_filter_over_many_messages_runs_between_keys() -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        exchange = app.traffic.exchange_at(0)
        assert exchange is not None and exchange.websocket is not None
        session = exchange.websocket
        for n in range(100_000):  # every tenth a heartbeat (a ping)
            text = b'{"type": "order", "id": "order-%d", "qty": %d}' % (n, n % 7)
            opcode, payload = (Opcode.PING, b"") if n % 10 == 0 else (Opcode.TEXT, text)
            session.messages.append(WebSocketMessage("server", opcode, len(payload), None))
            session.previews.append(payload)
        await pilot.press("home", "c", "h")
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        messages = screen.query_one(MessageList)
        total = len(screen.conversation.items)
        assert messages.filtering and len(messages.shown) < total - 10_000
        jump, seen = messages.action_jump, []

        def jump_and_look(where: int) -> None:
            seen.append((messages.filtering, "filtering:" in screen_text(app)))
            jump(where)

        messages.action_jump = jump_and_look  # type: ignore[method-assign]
        await pilot.press("home")
        # Answered while the filter ran, the status saying how far it got.
        assert seen == [(True, True)] and messages.cursor == 0
        await wait_until(pilot, lambda: not messages.filtering, timeout=120)
        assert len(messages.shown) == total - 10_000
        assert "filtering:" not in screen_text(app) and "heartbeats hidden" in screen_text(app)
