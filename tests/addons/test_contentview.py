"""The `pushscope` content view: registered while the addon is loaded, SSE bodies as their
events (with times while they stream), WebSocket messages, and a flow's place in its series."""

from __future__ import annotations

from mitmproxy import contentviews
from mitmproxy.test import taddons, tflow
from mitmproxy.websocket import WebSocketMessage

from pushscope.addons.live import Pushscope
from tests.addons.test_annotations import _polls, _sse


def _view(message: object, flow: object) -> str:
    return contentviews.prettify_message(message, flow, view_name="pushscope").text  # type: ignore[arg-type]


def test_the_view_is_there_while_the_addon_is() -> None:
    addon = Pushscope()
    with taddons.context(addon):
        assert "pushscope" in contentviews.registry.available_views()
        addon.done()
    assert "pushscope" not in contentviews.registry.available_views()


def test_an_sse_body_shows_its_events_with_their_times() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        flow = _sse(addon, 3)
        flow.response.stream(b'event: price\ndata: {"p": 1}\n\n')
        addon.response(flow)
        text = _view(flow.response, flow)
        assert text.startswith("4 events\n+0.000 s  event=message id=0")
        assert "event=price" in text and '"p": 1' in text
        # The auto view picks pushscope's for an event stream.
        auto = contentviews.prettify_message(flow.response, flow)
        assert auto.view_name == "pushscope"


def test_a_polled_flow_shows_its_place_in_the_series() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        polls = _polls(addon, 8)
        text = _view(polls[2].response, polls[2])
        assert "short-polling -> sse" in text
        assert "request 3 of 8 in this series, every 2.00 s" in text
        assert text.endswith("message")  # the body (tflow's "message") below


def test_a_websocket_message_is_decoded_by_its_framework() -> None:
    addon = Pushscope()
    with taddons.context(addon):
        flow = tflow.twebsocketflow()
        event = WebSocketMessage(1, False, b'42["chat message","hi"]', 1.0)
        plain = WebSocketMessage(1, True, b'{"price": 3}', 1.0)
        binary = WebSocketMessage(2, False, b"\x00\x01\xff", 1.0)
        text = _view(event, flow)
        assert text.startswith('server -> client · 23 B · socket.io EVENT "chat message" ns=/')
        assert contentviews.prettify_message(event, flow).view_name == "pushscope"
        assert _view(plain, flow) == (
            'client -> server · 12 B · json {"price": 3}\n\n{\n  "price": 3\n}'
        )
        assert _view(binary, flow).startswith("server -> client · 3 B · binary 3 B 0001ff\n\n")
        # Not a framework's: the view is there, but mitmproxy's own JSON view is chosen.
        assert contentviews.prettify_message(plain, flow).view_name != "pushscope"
