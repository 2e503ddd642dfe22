"""Reading ahead in a forked process (`inspector.readers.ahead`): the same events as reading
here, errors that arrive as the same one-line `CaptureError`, and no process left behind."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.readers import ahead, har
from pushscope.inspector.readers.base import CaptureError
from pushscope.inspector.report.json_report import write_json
from tests.conftest import CAPTURES, FIXTURES

HARS = sorted(CAPTURES.glob("*.har")) + sorted(FIXTURES.glob("**/*.har"))


def _report(path: Path) -> str:
    report, fatal = analyze_paths([path])
    out = io.StringIO()
    write_json(report, out)
    return out.getvalue() + "\n".join(fatal)


def _children() -> set[int]:
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fp:
                    if int(fp.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        found.add(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.pure_python  # it replaces har.read_ahead to see it called
@pytest.mark.skipif(not ahead.can_fork(), reason="reading ahead forks: Linux, one thread")
@pytest.mark.parametrize("path", HARS, ids=lambda p: p.name)
def test_a_har_read_ahead_gives_the_report_read_here(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = _report(path)
    read_ahead = ahead.read_ahead
    calls = []

    def spy(produce: Callable[[], Iterator[object]]) -> Iterator[object]:
        calls.append(produce)
        return read_ahead(produce)

    monkeypatch.setattr(har, "READ_AHEAD_SIZE", 0)
    monkeypatch.setattr(har, "read_ahead", spy)
    assert _report(path) == here
    assert calls  # it did read ahead


def _items(n: int, fail_at: int | None = None) -> Iterator[int]:
    for i in range(n):
        if i == fail_at:
            raise CaptureError(f"demo.har: invalid JSON after entry {i}")
        yield i


@pytest.mark.skipif(not ahead.can_fork(), reason="reading ahead forks: Linux, one thread")
def test_items_cross_in_order_and_an_error_arrives_after_the_items_before_it() -> None:
    assert list(ahead.read_ahead(lambda: _items(1000))) == list(range(1000))
    got: list[int] = []
    with pytest.raises(CaptureError, match=r"^demo.har: invalid JSON after entry 300$"):
        for item in ahead.read_ahead(lambda: _items(1000, fail_at=300)):
            got.append(item)
    assert got == list(range(300))
    assert not _children()


def _broken() -> Iterator[int]:
    yield 1
    raise RuntimeError("a bug in a reader")


@pytest.mark.skipif(not ahead.can_fork(), reason="reading ahead forks: Linux, one thread")
def test_a_child_that_fails_unexpectedly_is_an_error_not_a_hang(
    capfd: pytest.CaptureFixture[str],
) -> None:
    got = []
    with pytest.raises(CaptureError, match=r"^reading failed: RuntimeError: a bug in a reader"):
        got.extend(ahead.read_ahead(_broken))
    assert got == [1]
    assert "Traceback" in capfd.readouterr().err
    assert not _children()


@pytest.mark.skipif(not ahead.can_fork(), reason="reading ahead forks: Linux, one thread")
def test_a_reader_that_stops_early_leaves_no_process() -> None:
    items = ahead.read_ahead(lambda: _items(10**9))
    assert next(items) == 0
    items.close()  # e.g. the analysis failed
    assert not _children()


def test_with_other_threads_running_the_items_are_made_here() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not ahead.can_fork()
        pid = os.getpid()
        made_in: list[int] = []

        def produce() -> Iterator[int]:
            made_in.append(os.getpid())
            yield 1

        assert list(ahead.read_ahead(produce)) == [1]
        assert made_in == [pid]
    finally:
        stop.set()
        thread.join()


def test_with_one_cpu_there_is_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead.os, "sched_getaffinity", lambda pid: {0})
    assert not ahead.can_fork()
