"""Reading ahead in a process of its own: a reader's first step runs in a forked child while
this process goes on with what the child has read, so that both cores of a machine work.

The child writes its items to a pipe in pickled batches (frames: a 4-byte length, then the
pickle); this process unpickles and yields them. What the child raises reaches here as the
same `CaptureError`. Where a child would not help (one CPU) or could not be forked safely (no
`fork`, other threads running), the items are made here, as if there were no child.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from pushscope.inspector import pipes
from pushscope.inspector.readers.base import CaptureError

BATCH = 128
"""Items per frame."""
_END = b"end"
"""The last frame's body: every item was sent."""
_FAILED = b"err"
"""The body of a frame that ends the stream with a `CaptureError`: its message follows."""


def can_fork() -> bool:
    """Is reading ahead worth it and safe here? Linux, a second CPU to run on, and no other
    thread whose locks the child could inherit held."""
    return (
        sys.platform == "linux"
        and len(os.sched_getaffinity(0)) > 1
        and threading.active_count() == 1
    )


def read_ahead[T](produce: Callable[[], Iterator[T]]) -> Iterator[T]:
    """The items of `produce()`, made in a forked child when `can_fork()`, else here."""
    if not can_fork():
        yield from produce()
        return
    sys.stdout.flush()  # or the child would write what waits here a second time
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pipes.enlarge(write_end)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(produce, write_end)
    os.close(write_end)
    finished = False
    try:
        with open(read_end, "rb", buffering=1 << 20) as pipe:
            while True:
                frame = pipes.read_frame(pipe)
                if frame is None:
                    raise CaptureError("the reading process stopped before the end of the file")
                if frame == _END:
                    finished = True
                    return
                if frame.startswith(_FAILED):
                    finished = True
                    raise CaptureError(frame[len(_FAILED) :].decode("utf-8", "replace"))
                yield from pickle.loads(frame)
    finally:
        if not finished:  # stopped early, or the child died: it must not linger
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _child[T](produce: Callable[[], Iterator[T]], fd: int) -> None:
    """Send every item, then the end; or what went wrong. Exits without returning."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends both
        with open(fd, "wb", buffering=1 << 20) as pipe:

            def send(body: bytes) -> None:
                pipe.write(pipes.frame(body))

            batch: list[T] = []
            try:
                for item in produce():
                    batch.append(item)
                    if len(batch) == BATCH:
                        send(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
                        batch.clear()
                failure = None
            except CaptureError as e:
                failure = str(e)
            except Exception as e:  # a bug: its traceback there, and here an error saying so
                import traceback

                os.write(2, traceback.format_exc().encode("utf-8", "replace"))
                failure = f"reading failed: {type(e).__name__}: {e} (the traceback is above)"
                code = 1
            if batch:
                send(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
            send(_END if failure is None else _FAILED + failure.encode("utf-8", "replace"))
    except BrokenPipeError:
        pass  # the reader stopped listening: nothing more to do
    except BaseException:
        code = 1
    finally:
        os._exit(code)
