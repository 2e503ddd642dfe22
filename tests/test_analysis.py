"""The analyzer's accounting of WebSocket messages and SSE events, and what it leaves alone.

Messages and events are counted by one path, whether they come one at a time (live, flow
files), in batches (HAR, pcap) or in any mix, and whether an observer listens or not. The
events the analyzer is fed are never changed: it builds its own exchange from them.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.analysis import Analyzer, Observer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    WebSocketMessagesSeen,
)
from pushscope.inspector.model import (
    KEPT_ALWAYS,
    KEPT_OVERHEAD,
    Exchange,
    Limits,
    Request,
    Response,
    SseComment,
    SseEvent,
    WebSocketMessage,
    WebSocketSession,
)
from pushscope.inspector.operations import Operation
from pushscope.inspector.readers.har import read_har
from pushscope.inspector.report.json_report import exchange_dict
from pushscope.inspector.websocket import check_handshake
from tests import traffic

CAPTURES = Path(__file__).resolve().parent.parent / "captures"


class _Listener(Observer):
    def __init__(self) -> None:
        self.sse_items: list[SseEvent | SseComment] = []
        self.messages: list[tuple[WebSocketMessage, bytes]] = []

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        self.sse_items.append(item)

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        self.messages.append((message, payload))


def _analyse(path: Path, observers: list[Observer], **limits: int) -> list[dict]:
    analyzer = Analyzer(
        Limits(headers=False, **limits), Detector(incremental=False), observers=observers
    )
    with open(path, "rb") as fp:
        analyzer.run(read_har(fp, 0, str(path)))
    analyzer.finish()
    return [exchange_dict(e) for e in analyzer.exchanges]


def _har(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "capture.har"
    path.write_text(json.dumps({"log": {"entries": list(entries)}}))
    return path


_CABLE = {
    "startedDateTime": "2026-01-01T00:00:00Z",
    "time": 10,
    "request": {"method": "GET", "url": "ws://h/cable", "headers": []},
    "response": {"status": 101, "headers": []},
    "_resourceType": "websocket",
    "_webSocketMessages": [
        {"type": "receive", "time": 1.0, "opcode": 1, "data": "welcome"},
        {"type": "send", "time": 2.0, "opcode": 1, "data": '{"command": "subscribe"} é'},
        {"type": "send", "time": 3.0, "opcode": 2, "data": "AAEC"},
        {"type": "receive", "time": 4.0, "opcode": 8, "data": "A+hieWU="},
        {"type": "receive", "time": 9.0, "opcode": 1, "data": "late"},
    ],
}


@pytest.mark.parametrize("kept", [0, 2, 1000])
def test_a_batch_of_messages_gives_counts_close_and_first_client_text(
    tmp_path: Path, kept: int
) -> None:
    listener = _Listener()
    (quiet,) = _analyse(_har(tmp_path, _CABLE), [], ws_messages=kept)
    (heard,) = _analyse(_har(tmp_path, _CABLE), [listener], ws_messages=kept)
    assert quiet == heard  # listening changes nothing
    ws = quiet["websocket"]
    assert quiet["framework"] == "actioncable"  # read from the first client text
    assert (ws["close_code"], ws["close_reason"], ws["closed_by"]) == (1000, "bye", "server")
    assert ws["messages"] == {"client": 2, "server": 2}
    assert ws["bytes"] == {"client": 27 + 3, "server": 7 + 4}
    assert ws["control_frames"] == 1
    assert [m.size for m, _ in listener.messages] == [7, 27, 3, 5, 4]
    assert listener.messages[3][1] == b"\x03\xe8bye"


def test_kept_messages_carry_previews_and_the_rest_are_only_counted() -> None:
    analyzer = Analyzer(Limits(ws_messages=2, preview_bytes=3))
    events = traffic.websocket(0.0, [(1.0, "client", b"hello"), (2.0, "server", b"world")])
    *start, closed = events
    batch = [WebSocketMessage("server", 1, 4, 3.0 + i) for i in range(3)]
    analyzer.run([*start, WebSocketMessagesSeen(closed.exchange_id, batch, lambda i: b"more")])
    analyzer.feed(closed)
    (exchange,) = analyzer.exchanges
    session = exchange.websocket
    assert session is not None
    assert session.previews == [b"hel", b"wor"]
    assert len(session.messages) == 2
    assert session.counts.as_dict() == {"client": 1, "server": 4}


_SPEC = st.lists(
    st.tuples(
        st.sampled_from([1, 2, 8, 9, 10]),
        st.sampled_from(["client", "server"]),
        st.integers(min_value=0, max_value=1000),
        st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(spec=_SPEC, cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=4))
def test_session_counts_do_not_depend_on_how_messages_are_grouped(
    spec: list[tuple[int, str, int, float | None]], cuts: list[int]
) -> None:
    messages = [WebSocketMessage(d, op, n, t) for op, d, n, t in spec]  # type: ignore[arg-type]
    handshake = check_handshake((), 101, ())
    whole, pieces = WebSocketSession(handshake), WebSocketSession(handshake)
    whole.add(messages, 10)
    points = sorted({min(c, len(messages)) for c in cuts} | {0, len(messages)})
    for a, b in itertools.pairwise(points):
        pieces.add(messages[a:b], 10)
    assert pieces == whole
    # And what the counts are, from the messages themselves.
    data = [m for m in messages if m.opcode < 8]
    assert whole.counts.as_dict() == {
        side: sum(m.direction == side for m in data) for side in ("client", "server")
    }
    assert whole.bytes.client == sum(m.size for m in data if m.direction == "client")
    assert whole.control_frames == len(messages) - len(data)
    assert whole.first_direction == (data[0].direction if data else None)
    assert whole.messages == messages[:10]
    times = [m.timestamp for m in messages if m.timestamp is not None]
    assert whole.activity.last == (max(times) if times else None)


def _sse_exchange(chunks: list[bytes], limits: Limits, observers: list[Observer]) -> Exchange:
    analyzer = Analyzer(limits, observers=observers)
    request = Request("GET", "http://h/events", "HTTP/1.1", (), 0.0)
    response = Response(200, "OK", "HTTP/1.1", (("Content-Type", "text/event-stream"),), 0.0)
    events: list[ModelEvent] = [
        ExchangeOpened(Exchange("s", 0, request)),
        ResponseStarted("s", response),
    ]
    events += [BodyChunk("s", chunk, float(i), encoded=False) for i, chunk in enumerate(chunks)]
    analyzer.run([*events, ExchangeClosed("s", 99.0)])
    return analyzer.exchanges[0]


def test_sse_events_are_counted_past_the_cap_and_kept_with_previews() -> None:
    body = b"".join(
        b"id: %d\nevent: %s\ndata: %s\n\n: ping\n\n" % (i, b"tick" if i % 2 else b"tock", b"x" * i)
        for i in range(10)
    )
    listener = _Listener()
    limits = Limits(sse_events=3, preview_bytes=4)
    heard = _sse_exchange([body[:50], body[50:]], limits, [listener])
    quiet = _sse_exchange([body], limits, [])
    for exchange in heard, quiet:
        stream = exchange.sse
        assert stream is not None
        assert (stream.count, stream.ids, stream.comments) == (10, 10, 10)
        assert stream.event_types == {"tock": 5, "tick": 5}
        assert [e.data for e in stream.events] == ["", "x", "xx"]
    assert heard.sse is not None and quiet.sse is not None
    assert (heard.sse.first_event_at, heard.sse.last_event_at) == (0.0, 1.0)
    assert [type(i).__name__ for i in listener.sse_items[:2]] == ["SseEvent", "SseComment"]
    assert len(listener.sse_items) == 20
    # An event past the cap reaches observers whole; a kept one as it was kept.
    assert [e.data for e in listener.sse_items if isinstance(e, SseEvent)][8] == "x" * 8
    assert [e.data for e in listener.sse_items if isinstance(e, SseEvent)][2] == "xx"


def test_sse_comments_are_kept_in_order_cut_and_capped_and_are_not_events() -> None:
    body = b"data: a\n\n: ping\n\n: keepalive now\nevent: tick\ndata: b\n\n:\n: late\n\n"
    limits = Limits(sse_events=3, preview_bytes=4)
    whole = _sse_exchange([body], limits, [])
    bytewise = _sse_exchange([body[i : i + 1] for i in range(len(body))], limits, [])
    for exchange in whole, bytewise:
        stream = exchange.sse
        assert stream is not None
        # Kept cut like event data, each with the number of events before it, at most 3.
        assert [(c.text, c.after) for c in stream.kept_comments] == [
            (" pin", 1),
            (" kee", 1),
            ("", 2),
        ]
        assert stream.comments == 4  # the fourth counted, not kept
        assert [e.data for e in stream.events] == ["a", "b"]
        report = exchange_dict(exchange)["sse"]
        assert (report["events"], report["event_types"]) == (2, {"message": 1, "tick": 1})
        assert report["comments"] == 4
    # Stamped with the chunk that ended its line (byte 15).
    assert bytewise.sse is not None and bytewise.sse.kept_comments[0].timestamp == 15.0


def test_the_kept_bytes_budget_is_shared_by_exchanges_and_keeps_first_ones() -> None:
    # Past each exchange's first KEPT_ALWAYS, room for two 5-byte messages and most of a
    # third: the third, the first that does not fit, spends the rest, so nothing later is
    # kept past the first KEPT_ALWAYS, not even a smaller one.
    limits = Limits(ws_messages=2 * KEPT_ALWAYS, kept_bytes=3 * (KEPT_OVERHEAD + 5) - 1)
    analyzer = Analyzer(limits)
    n = KEPT_ALWAYS + 4
    first = traffic.websocket(0.0, [(1.0 + i / n, "client", b"hello") for i in range(n)])
    second = traffic.websocket(10.0, [(11.0 + i / n, "server", b"x") for i in range(n)])
    analyzer.run([*first, *second])
    one, two = (e.websocket for e in analyzer.exchanges)
    assert one is not None and two is not None
    assert len(one.previews) == len(one.messages) == KEPT_ALWAYS + 2
    assert len(two.previews) == len(two.messages) == KEPT_ALWAYS  # a new one's first ones
    assert two.counts.as_dict() == {"client": 0, "server": n} and two.total == n


def test_the_kept_bytes_budget_bounds_sse_events_and_comments() -> None:
    n = KEPT_ALWAYS + 100
    body = b"".join(b"data: %d\n\n: ping\n\n" % i for i in range(n))
    limits = Limits(sse_events=2 * KEPT_ALWAYS, kept_bytes=10 * (KEPT_OVERHEAD + 5))
    stream = _sse_exchange([body], limits, []).sse
    assert stream is not None
    assert (stream.count, stream.comments) == (n, n)
    assert len(stream.events) >= KEPT_ALWAYS and len(stream.kept_comments) >= KEPT_ALWAYS
    assert len(stream.events) + len(stream.kept_comments) <= 2 * KEPT_ALWAYS + 10
    assert [e.data for e in stream.events] == [str(i) for i in range(len(stream.events))]


def test_the_events_fed_are_left_as_they_were() -> None:
    first = traffic.http(1.0, body=b'{"a": 1}')
    opened = first[0]
    assert isinstance(opened, ExchangeOpened)
    key = opened.exchange.id
    response = Response(200, "OK", "HTTP/1.1", (("Content-Type", "text/plain"),), 2.0)
    again: list[ModelEvent] = [  # the same id in a second source: the analyzer renames its copy
        ExchangeOpened(Exchange(key, 1, opened.exchange.request)),
        ResponseStarted(key, response),
        BodyChunk(key, b"hi", 2.0),
        ExchangeClosed(key, 2.5, response_body_size=2, response_ended=2.5),
    ]
    ws = traffic.websocket(3.0, [(4.0, "client", b"x" * 400)])
    fed = [*first, *again, *ws]
    before = copy.deepcopy(fed)
    analyzer = Analyzer(Limits(headers=False, body_bytes=100))
    analyzer.run(fed)
    analyzer.finish()
    renamed = analyzer.exchanges[1]
    assert [e.id for e in analyzer.exchanges[:2]] == [key, f"{key}~2"]
    assert all(e.request.headers == () for e in analyzer.exchanges)  # dropped from its copies
    assert renamed.response is not None
    assert (renamed.response.body, renamed.response.body_size) == (b"hi", 2)
    assert renamed.response.timestamp_end == 2.5
    assert renamed.response.body_digest is not None
    session = analyzer.exchanges[2].websocket
    assert session is not None and session.previews == [b"x" * 256]
    assert repr(fed) == repr(before)


def test_a_finished_request_or_response_keeps_every_other_field() -> None:
    """`finished` builds the new object field by field: one added to the model must be too."""
    operation = Operation("graphql", "Feed", "query")
    request = Request("POST", "http://h/", "HTTP/1.1", (("A", "b"),), 1.0, 3, b"abc", operation)
    assert request.finished(request.headers, request.body_size) == request
    response = Response(201, "Created", "HTTP/2", (("C", "d"),), 1.5, 2.0, 4, b"body", "ab12")
    same = response.finished(
        response.headers, 4, response.timestamp_end, response.body, response.body_digest
    )
    assert same == response
    assert [f.name for f in dataclasses.fields(Response)] == [
        "status",
        "reason",
        "http_version",
        "headers",
        "timestamp_start",
        "timestamp_end",
        "body_size",
        "body",
        "body_digest",
        "known",
    ]
    assert [f.name for f in dataclasses.fields(Request)] == [
        "method",
        "url",
        "http_version",
        "headers",
        "timestamp_start",
        "body_size",
        "body",
        "operation",
        "known",
    ]
