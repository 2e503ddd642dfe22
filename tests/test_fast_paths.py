"""The counting fast paths give exactly what the general paths give.

`SseParser.tally` against `feed` (the SSE vectors and random streams, whole and in random
pieces), `WebSocketSession.add_many` against `add`, and the analyzer's batched WebSocket and
SSE counting against the per-item path it takes when an observer listens.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.analysis import Analyzer, Observer
from pushscope.inspector.detect import Detector
from pushscope.inspector.model import Limits, WebSocketMessage, WebSocketSession
from pushscope.inspector.readers.har import read_har
from pushscope.inspector.report.json_report import exchange_dict
from pushscope.inspector.sse import SseComment, SseEvent, SseParser, SseTally
from pushscope.inspector.websocket import check_handshake
from tests.test_sse import SSE_VECTORS, _chunks

CAPTURES = Path(__file__).resolve().parent.parent / "captures"


def _by_feed(chunks: list[bytes], **limits: int) -> tuple[SseTally, SseParser]:
    parser = SseParser(**limits)
    tally = SseTally()
    for chunk in chunks:
        tally.add(parser.feed(chunk, 1.0))
    tally.add(parser.close(2.0))
    return tally, parser


def _by_tally(chunks: list[bytes], **limits: int) -> tuple[SseTally, SseParser]:
    parser = SseParser(**limits)
    total = SseTally()
    for chunk in chunks:
        part = parser.tally(chunk, 1.0)
        total.events += part.events
        for kind, n in part.types.items():
            total.types[kind] = total.types.get(kind, 0) + n
        total.with_id += part.with_id
        total.comments += part.comments
        total.errors += part.errors
    total.add(parser.close(2.0))
    return total, parser


def _same(chunks: list[bytes], **limits: int) -> None:
    expected, parser = _by_feed(chunks, **limits)
    got, fast = _by_tally(chunks, **limits)
    assert (got.events, got.types, got.with_id, got.comments) == (
        expected.events,
        expected.types,
        expected.with_id,
        expected.comments,
    )
    assert list(got.types) == list(expected.types)  # first-seen order, as reports show it
    assert [(e.message, e.offset) for e in got.errors] == [
        (e.message, e.offset) for e in expected.errors
    ]
    assert (fast.retry_ms, fast.last_event_id, fast.offset) == (
        parser.retry_ms,
        parser.last_event_id,
        parser.offset,
    )


@pytest.mark.parametrize("vector", SSE_VECTORS)
def test_tally_matches_feed_on_vectors(vector: dict) -> None:
    chunks = _chunks(vector)
    _same(chunks)
    _same([b"".join(chunks)])


_LINES = st.sampled_from(
    [
        "data: x",
        "data:y",
        "data",
        "data: ",
        "datax: no",
        "event: tick",
        "event:",
        "event",
        "id: 7",
        "id",
        "id: a\0b",
        "retry: 300",
        "retry: x",
        ": ping",
        ":",
        "unknown: z",
        "\ufeffdata: bom",
        "",
        "",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_LINES, max_size=40),
    eol=st.sampled_from(["\n", "\n", "\r\n", "\r"]),
    bom=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=5),
    max_line=st.sampled_from([1 << 20, 8]),
)
def test_tally_matches_feed_on_random_streams(
    lines: list[str], eol: str, bom: bool, cuts: list[int], max_line: int
) -> None:
    body = (("\ufeff" if bom else "") + eol.join(lines)).encode()
    points = sorted({min(c, len(body)) for c in cuts} | {0, len(body)})
    chunks = [body[a:b] for a, b in itertools.pairwise(points)]
    _same(chunks, max_line=max_line)
    _same([body], max_line=max_line, max_event=12)


def _messages(spec: list[tuple[int, str, int, float | None]]) -> list[WebSocketMessage]:
    return [WebSocketMessage("client" if d == "c" else "server", op, n, t) for op, d, n, t in spec]


@settings(max_examples=200, deadline=None)
@given(
    spec=st.lists(
        st.tuples(
            st.sampled_from([1, 2, 8, 9, 10]),
            st.sampled_from(["c", "s"]),
            st.integers(min_value=0, max_value=1000),
            st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
        ),
        max_size=30,
    ),
    split=st.integers(min_value=0, max_value=30),
    cap=st.integers(min_value=0, max_value=10),
)
def test_add_many_matches_add(
    spec: list[tuple[int, str, int, float | None]], split: int, cap: int
) -> None:
    handshake = check_handshake((), 101, ())
    one, many = WebSocketSession(handshake), WebSocketSession(handshake)
    for message in _messages(spec):
        one.add(message, cap)
    messages = _messages(spec)
    many.add_many(messages[:split], cap)
    many.add_many(messages[split:], cap)
    assert [(m.direction, m.opcode, m.size) for m in many.messages] == [
        (m.direction, m.opcode, m.size) for m in one.messages
    ]
    one.messages, many.messages = [], []
    assert many == one


class _Listener(Observer):
    """An observer that listens, which makes the analyzer take its per-item paths."""

    def __init__(self) -> None:
        self.items = 0

    def sse(self, exchange: object, item: SseEvent | SseComment) -> None:
        self.items += 1

    def ws_message(self, exchange: object, message: WebSocketMessage, payload: bytes) -> None:
        self.items += 1


def _analyse(path: Path, observers: list[Observer]) -> list[dict]:
    analyzer = Analyzer(
        Limits(ws_messages=0, sse_events=0, headers=False),
        detector=Detector(incremental=False),
        observers=observers,
    )
    with open(path, "rb") as fp:
        analyzer.run(read_har(fp, 0, str(path)))
    analyzer.finish()
    return [exchange_dict(e) for e in analyzer.exchanges]


@pytest.mark.parametrize("path", sorted(CAPTURES.glob("*.har")), ids=lambda p: p.name)
def test_counting_paths_match_per_item_paths(path: Path) -> None:
    listener = _Listener()
    assert _analyse(path, []) == _analyse(path, [listener])


def test_batched_websocket_messages_keep_close_and_first_text(tmp_path: Path) -> None:
    entry = {
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
        ],
    }
    path = tmp_path / "ws.har"
    path.write_text(json.dumps({"log": {"entries": [entry]}}))
    (fast,) = _analyse(path, [])
    (slow,) = _analyse(path, [_Listener()])
    assert fast == slow
    assert fast["framework"] == "actioncable"
    assert fast["websocket"]["close_code"] == 1000
    assert fast["websocket"]["close_reason"] == "bye"
    assert fast["websocket"]["bytes"] == {"client": 27 + 3, "server": 7}


def test_messages_of_an_unanswered_websocket_are_counted(tmp_path: Path) -> None:
    """Without observers the provisional classification waits for the first message."""
    entry = {
        "startedDateTime": "2026-01-01T00:00:00Z",
        "request": {
            "method": "GET",
            "url": "ws://h/socket",
            "headers": [{"name": "Upgrade", "value": "websocket"}],
        },
        "response": {"status": 0},
        "_webSocketMessages": [
            {"type": "send", "time": 1.0, "opcode": 1, "data": "hi"},
            {"type": "receive", "time": 2.0, "opcode": 1, "data": "hello"},
        ],
    }
    path = tmp_path / "unanswered.har"
    path.write_text(json.dumps({"log": {"entries": [entry, {**entry, "_webSocketMessages": []}]}}))
    fast = _analyse(path, [])
    assert fast == _analyse(path, [_Listener()])
    assert fast[0]["protocol"] == fast[1]["protocol"] == "websocket"
    assert fast[0]["websocket"]["messages"] == {"client": 1, "server": 1}
