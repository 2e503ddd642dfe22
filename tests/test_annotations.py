"""The annotator: notes on push exchanges as they flow (throttled, the last change never lost)
and on the exchanges findings involve (a growing series costs only its new exchanges)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.annotations import Annotator, Note
from pushscope.inspector.detect import Detector
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.readers import read_capture
from tests.conftest import CAPTURES


def _finding(exchanges: list[str], recommendation: str = "sse", period: float = 2.0) -> Finding:
    return Finding(
        "short-polling",
        Severity.MEDIUM,
        "GET /x",
        "c",
        exchanges,
        {"period_s": period},
        recommendation,
        "",
    )


def test_a_growing_series_notes_only_its_new_exchanges() -> None:
    notes: list[Note] = []
    annotator = Annotator(notes.append)
    annotator.finding(_finding(["a", "b", "c"]))
    assert [n.exchange_id for n in notes] == ["a", "b", "c"]
    assert notes[0].comment == "short-polling every 2.0 s -> sse"
    notes.clear()
    annotator.finding(_finding(["a", "b", "c", "d"], period=2.1))  # the period moved a little
    assert [(n.exchange_id, n.comment) for n in notes] == [
        ("d", "short-polling every 2.1 s -> sse")
    ]
    notes.clear()
    annotator.finding(_finding(["c", "d", "e"]))  # a live finding's window slid on
    assert [n.exchange_id for n in notes] == ["e"]
    notes.clear()
    annotator.finding(_finding(["c", "d", "e"], recommendation="websocket"))  # other advice
    assert [n.exchange_id for n in notes] == ["c", "d", "e"]
    assert {n.comment for n in notes} == {"short-polling every 2.0 s -> websocket"}


def test_a_stream_is_noted_at_most_every_interval_and_its_last_change_goes_out() -> None:
    now = [0.0]
    due: list[tuple[float, Callable[[], None]]] = []
    notes: list[Note] = []
    annotator = Annotator(
        notes.append,
        schedule=lambda delay, function: due.append((now[0] + delay, function)),
        clock=lambda: now[0],
        interval=0.5,
    )
    analyzer = Analyzer(observers=[annotator])
    # The stream's opening, response and body; its close comes after.
    opened, response, body, closed, *_ = read_capture(CAPTURES / "sse-eventsource.har", 0).events
    for event in (opened, response, body):
        analyzer.feed(event)
        now[0] += 0.01
    assert len(notes) == 1  # the first note; the rest came within the interval
    (when, function), *rest = due
    assert not rest and when == pytest.approx(0.51)  # 0.5 s after the first note
    now[0] = when
    function()
    assert notes[-1].comment == "SSE · 8 events · ids" and notes[-1].marker == ":satellite:"
    analyzer.feed(closed)
    assert len(notes) == 2  # the close changed nothing


def test_notes_on_a_capture(tmp_path: Path) -> None:
    notes: dict[str, Note] = {}
    analyzer = Analyzer(
        detector=Detector(incremental=True),
        observers=[Annotator(lambda note: notes.__setitem__(note.exchange_id, note))],
    )
    for name in ("demo-mix.mitm", "sse-reconnect.mitm"):
        for event in read_capture(CAPTURES / name, 0).events:
            analyzer.feed(event)
    analyzer.finish()
    comments = sorted(n.comment for n in notes.values())
    assert "WS chat.v1 · 9 msgs" in comments and "stream ndjson · 6 records" in comments
    # A finding's note joins the stream's own.
    assert comments.count("SSE · 2 events · ids | sse-reconnects") == 5
