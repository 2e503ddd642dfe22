"""The feed writer: records gathered and written whole, within the flush interval, and all
of them at close."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path

from inspector import feed
from inspector.feed import FeedWriter
from inspector.findings import Finding, Severity


class _Timers:
    """A stand-in for `loop.call_later` that runs nothing until told to."""

    def __init__(self) -> None:
        self.due: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, function: Callable[[], None]) -> None:
        self.due.append((delay, function))

    def run(self) -> None:
        due, self.due = self.due, []
        for _, function in due:
            function()


def _finding(n: int) -> Finding:
    return Finding("short-polling", Severity.LOW, "GET /x", None, [], {}, "sse", "", id=f"f{n}")


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    text = out.getvalue()
    assert text.endswith("\n") or not text  # whole lines only
    return [json.loads(line) for line in text.splitlines()]


def test_without_a_schedule_every_record_is_flushed_at_once() -> None:
    out = io.StringIO()
    writer = FeedWriter(out)
    writer.finding(_finding(1))
    assert [r.get("type") for r in _lines(out)] == [None, "finding"]


def test_records_wait_for_the_timer_and_come_out_whole() -> None:
    out, timers = io.StringIO(), _Timers()
    writer = FeedWriter(out, flush_interval=0.05, schedule=timers)
    assert _lines(out)[0]["schema"] == feed.SCHEMA  # the header is written at once
    timers.run()
    for n in range(3):
        writer.finding(_finding(n))
    assert len(_lines(out)) == 1
    assert [delay for delay, _ in timers.due] == [0.05]  # one timer for the batch
    timers.run()
    assert [r["finding"]["id"] for r in _lines(out)[1:]] == ["f0", "f1", "f2"]  # type: ignore[index]
    writer.finding(_finding(3))
    assert len(timers.due) == 1  # the next batch gets its own timer


def test_a_full_batch_is_written_without_waiting() -> None:
    out, timers = io.StringIO(), _Timers()
    writer = FeedWriter(out, flush_interval=0.05, schedule=timers)
    for n in range(feed.MAX_PENDING):
        writer.finding(_finding(n))
    assert len(_lines(out)) == 1 + feed.MAX_PENDING


def test_close_writes_what_is_gathered_and_a_late_timer_does_nothing() -> None:
    out, timers = io.StringIO(), _Timers()
    writer = FeedWriter(out, flush_interval=0.05, schedule=timers)
    writer.finding(_finding(1))
    writer.close()
    assert [r.get("type") for r in _lines(out)] == [None, "finding"]
    out.close()
    timers.run()  # the file is gone: the timer must not touch it


def test_a_tailing_reader_sees_a_record_soon_on_a_real_loop(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        with path.open("w", encoding="utf-8") as out:
            writer = FeedWriter(out, flush_interval=0.05, schedule=loop.call_later)
            writer.finding(_finding(1))  # then no more traffic
            await asyncio.sleep(0.3)
            return path.read_text(encoding="utf-8").splitlines()

    lines = asyncio.run(main())
    assert json.loads(lines[-1])["type"] == "finding"
