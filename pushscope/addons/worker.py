"""The addon's analysis in a process of its own, beside mitmproxy.

mitmproxy runs every addon on its one event loop, so whatever an addon spends per exchange
the proxy spends too. The hooks only make records (`pushscope.addons.records`);
`AnalysisProcess` batches them, pickled, down a pipe to this module run as
`python -m pushscope.addons.worker`, where `LiveAnalysis` does the rest: the analysis, the
feed, the report. Its log lines (findings, failures) come back up a pipe and are logged in
mitmproxy as the addon's own.

The pipe carries frames: a 4-byte big-endian length, then a batch of records (`pack`). The
first record is the settings (`Configure`); the end of the input is the end of the traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from pushscope.addons.records import Body, Closed, Message, Opened, Record, Responded
from pushscope.addons.session import Configure, Control, LiveAnalysis, Settings, WriteReport
from pushscope.inspector import pipes
from pushscope.inspector.annotations import Note

log = logging.getLogger("pushscope.addons.live")
WORKER_MODULE = "pushscope.addons.worker"

Sent = Record | Control
"""What goes down the pipe."""
BATCH = 256
"""Records sent at once; fewer wait at most `FLUSH_DELAY`."""
FLUSH_DELAY = 0.01
START_TIMEOUT = 30.0
FINISH_TIMEOUT = 300.0
"""How long mitmproxy's shutdown waits for the report (a long session's takes seconds)."""
_READY = b"ready\n"
NOTE = "note"
FINDING = "finding"
"""Lines up the pipe are `[level, message]` log records, `["note", id, marker, comment,
finding ids]` and `["finding", summary]`."""


class WorkerError(RuntimeError):
    """The analysis process could not start or stopped."""


class AnalysisProcess:
    """The proxy's side: starts the analysis process, sends it records, relays its log."""

    def __init__(
        self,
        settings: Settings,
        notes: Callable[[list[Note]], None],
        findings: Callable[[dict[str, Any]], None],
    ) -> None:
        """`notes` takes the notes that arrive together, in order; `findings` each finding's
        summary."""
        if os.name != "posix":
            raise WorkerError("the analysis process needs POSIX pipes")
        try:
            # -P: the folder mitmproxy runs in is not put on sys.path, so a package there that
            # shares a name with pushscope's cannot stand in for it.
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-m", WORKER_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,  # a terminal's Ctrl-C is for mitmproxy; it ends this
            )
        except OSError as e:
            raise WorkerError(f"cannot start {sys.executable} -m {WORKER_MODULE}: {e}") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin: IO[bytes] = self.process.stdin
        self._stdout: IO[bytes] = self.process.stdout
        self._logged = bytearray()
        self._notes = notes
        self._findings = findings
        self._pending: list[Sent] = []
        self._scheduled = False
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self.alive = True
        pipes.enlarge(self._stdin.fileno())  # bursts pass without blocking the proxy
        self._wait_ready()
        self.push(Configure(settings))
        self.flush()

    def _wait_ready(self) -> None:
        fd = self._stdout.fileno()
        deadline = time.monotonic() + START_TIMEOUT
        while _READY not in self._logged:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.process.kill()
                raise WorkerError(f"the analysis process did not start in {START_TIMEOUT:g} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                code = self.process.wait()
                raise WorkerError(f"the analysis process ended at start (exit code {code})")
            self._logged += chunk
        del self._logged[: self._logged.index(_READY) + len(_READY)]
        self._relay()
        try:
            self._reader_loop = asyncio.get_running_loop()
            os.set_blocking(fd, False)
            self._reader_loop.add_reader(fd, self._read_log)
        except RuntimeError:
            pass  # no event loop (an addon driven by hand): read at the end

    def push(self, record: Sent) -> None:
        """Send `record` with the next batch."""
        if not self.alive:
            return
        pending = self._pending
        pending.append(record)
        if len(pending) >= BATCH:
            self.flush()
        elif not self._scheduled:
            try:
                asyncio.get_running_loop().call_later(FLUSH_DELAY, self.flush)
                self._scheduled = True
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        self._scheduled = False
        if not self._pending or not self.alive:
            return
        batch, self._pending = self._pending, []
        try:
            body = pack(batch)
        except Exception:
            log.exception("pushscope: a batch of records could not be sent; it is left out")
            return
        try:
            # Blocking: a process that falls behind slows the proxy rather than fill memory.
            # (Its log lines never block it in turn: see `_LineHandler`.)
            self._stdin.write(pipes.frame(body))
            self._stdin.flush()
        except (OSError, ValueError):
            self._died()
            return
        if self._reader_loop is None:
            self._drain()

    def read_back(self, seconds: float) -> None:
        """Log and hand on what the process writes in the next `seconds` (for a caller with
        no event loop, which otherwise hears back only as it sends)."""
        self.flush()
        self._drain(time.monotonic() + seconds)

    def finish(self) -> None:
        """End of the traffic: wait until the process has written the report and the feed."""
        self.flush()
        if self._reader_loop is not None:
            with contextlib.suppress(Exception):
                self._reader_loop.remove_reader(self._stdout.fileno())
        with contextlib.suppress(OSError):
            self._stdin.close()
        os.set_blocking(self._stdout.fileno(), True)
        deadline = time.monotonic() + FINISH_TIMEOUT
        self._drain(deadline)
        try:
            code = self.process.wait(max(0.0, deadline - time.monotonic()) + 1)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
            log.error("pushscope: the analysis process took over %g s to finish", FINISH_TIMEOUT)
        self._stdout.close()
        if code and self.alive:
            log.error("pushscope: the analysis process ended with exit code %s", code)
        self.alive = False

    def _drain(self, until: float | None = None) -> None:
        """Log what the process has written so far (no event loop says when it writes); with
        `until` (a `time.monotonic()` deadline), all it writes before it ends."""
        fd = self._stdout.fileno()
        while True:
            wait = 0.0 if until is None else max(0.0, until - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                break
            chunk = os.read(fd, 65536)
            if not chunk:  # the end: the process closed its side
                break
            self._logged += chunk
        self._relay()

    def _read_log(self) -> None:
        try:
            chunk = os.read(self._stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not chunk:  # the process is gone
            assert self._reader_loop is not None
            self._reader_loop.remove_reader(self._stdout.fileno())
            if self.alive:
                self._died()
            return
        self._logged += chunk
        self._relay()

    def _relay(self) -> None:
        """Log the complete lines the process has written, and hand on its notes."""
        end = self._logged.rfind(b"\n")
        if end < 0:
            return
        lines = bytes(self._logged[:end]).splitlines()
        del self._logged[: end + 1]
        notes = []
        for line in lines:
            try:
                fields = json.loads(line)
                if fields[0] == NOTE:
                    exchange_id, marker, comment, findings = fields[1:]
                    notes.append(Note(exchange_id, marker, comment, tuple(findings)))
                    continue
                if fields[0] == FINDING:
                    self._findings(fields[1])
                    continue
                level, message = fields
            except (ValueError, TypeError, IndexError):
                level, message = logging.WARNING, line.decode("utf-8", "replace")
            log.log(int(level), "%s", message)
        if notes:
            self._notes(notes)

    def _died(self) -> None:
        self.alive = False
        code = self.process.poll()
        log.error(
            "pushscope: the analysis process stopped%s; analysis stopped, traffic is unaffected",
            f" (exit code {code})" if code is not None else "",
        )


_KINDS: tuple[type[Sent], ...] = (
    Opened,
    Responded,
    Body,
    Message,
    Closed,
    Configure,
    WriteReport,
)
_KIND_NUMBERS = {kind: number for number, kind in enumerate(_KINDS)}


def pack(batch: list[Sent]) -> bytes:
    """`batch` pickled as plain tuples, each its kind's number and its fields (pickle calls
    back into Python for every named tuple; a plain tuple it writes by itself)."""
    numbers = _KIND_NUMBERS
    return pickle.dumps(
        [(numbers[type(record)], *record) for record in batch], protocol=pickle.HIGHEST_PROTOCOL
    )


def unpack(body: bytes) -> list[Sent]:
    """The batch `pack` made."""
    kinds = _KINDS
    return [kinds[fields[0]]._make(fields[1:]) for fields in pickle.loads(body)]


# -- the analysis process ------------------------------------------------------------------


class _Timers:
    """`Schedule` for a process without an event loop: the read loop runs what is due."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def __call__(self, delay: float, function: Callable[[], None]) -> None:
        heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), function))

    def wait(self) -> float | None:
        """Seconds until the next timer, None if none."""
        return max(0.0, self._due[0][0] - time.monotonic()) if self._due else None

    def run_due(self) -> None:
        now = time.monotonic()
        while self._due and self._due[0][0] <= now:
            heapq.heappop(self._due)[2]()


class _LineHandler(logging.Handler):
    """Log records as JSON lines `[level, message]` for the proxy's side to log.

    Written without blocking: the proxy's side may be busy writing records to this process,
    which must then go on reading them. Lines wait (a bounded number) until they can go."""

    LIMIT = 1 << 20

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.waiting = bytearray()
        self.dropped = 0
        os.set_blocking(fd, False)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.send([record.levelno, self.format(record)])
        except Exception:
            self.handleError(record)

    def note(self, note: Note) -> None:
        """An exchange's note, for the proxy's side to put on its flow."""
        self.send([NOTE, note.exchange_id, note.marker, note.comment, list(note.findings)])

    def finding(self, summary: dict[str, Any]) -> None:
        """A finding's summary, for the proxy's side (its commands and content view)."""
        self.send([FINDING, summary])

    def send(self, line: list[Any]) -> None:
        data = (json.dumps(line) + "\n").encode()
        if len(self.waiting) + len(data) > self.LIMIT:
            self.dropped += 1
            return
        self.waiting += data
        self.pump()

    def pump(self) -> None:
        """Write what can be written now."""
        while self.waiting:
            try:
                written = os.write(self.fd, self.waiting)
            except BlockingIOError:
                return
            del self.waiting[:written]

    def close(self) -> None:
        """Write the rest, waiting if need be (the end: the proxy's side reads it all)."""
        if self.dropped:
            line = [logging.WARNING, f"pushscope: {self.dropped} lines were dropped"]
            self.waiting += (json.dumps(line) + "\n").encode()
        os.set_blocking(self.fd, True)
        self.pump()
        super().close()


def _frames(fd: int, timers: _Timers, handler: _LineHandler) -> Any:
    """Yield each frame's records, running due timers and writing waiting log lines between
    reads; end at end of input."""
    buffer = bytearray()
    while True:
        for body in pipes.split_frames(buffer):
            yield unpack(body)
        writable = [handler.fd] if handler.waiting else []
        if fd in select.select([fd], writable, [], timers.wait())[0]:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return
            buffer += chunk
        timers.run_due()
        handler.pump()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the proxy's side says when to stop
    handler = _LineHandler(sys.stdout.fileno())
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    timers = _Timers()
    session = LiveAnalysis(timers, notes=handler.note, findings=handler.finding)
    failed: set[type] = set()
    os.write(sys.stdout.fileno(), _READY)
    for batch in _frames(sys.stdin.fileno(), timers, handler):
        for record in batch:
            try:
                session.apply(record)
            except Exception:
                kind = type(record)
                if kind not in failed:
                    failed.add(kind)
                    log.exception("pushscope: analysing a %s record failed", kind.__name__)
    session.finish()
    timers.run_due()
    handler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
