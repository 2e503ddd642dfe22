"""Pipes between pushscope's own processes (the addon's analysis process, a HAR reader reading
ahead): length-prefixed frames, and a larger pipe where Linux allows one."""

from __future__ import annotations

import contextlib
import sys
from typing import BinaryIO

HEADER = 4
"""Bytes of a frame's length, big-endian, before its body."""
PIPE_SIZE = 1 << 20
"""What an unprivileged process may ask a Linux pipe to hold (`/proc/sys/fs/pipe-max-size`)."""


def frame(body: bytes) -> bytes:
    return len(body).to_bytes(HEADER, "big") + body


def read_frame(pipe: BinaryIO) -> bytes | None:
    """The next frame's body from a blocking pipe; None at its end, or where it was cut."""
    header = pipe.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "big")
    body = pipe.read(size)
    return body if len(body) == size else None


def split_frames(buffer: bytearray) -> list[bytes]:
    """Take the complete frames' bodies off the front of `buffer`."""
    bodies = []
    while len(buffer) >= HEADER:
        size = int.from_bytes(buffer[:HEADER], "big")
        if len(buffer) < HEADER + size:
            break
        bodies.append(bytes(buffer[HEADER : HEADER + size]))
        del buffer[: HEADER + size]
    return bodies


def enlarge(fd: int) -> None:
    """Let the pipe hold `PIPE_SIZE` bytes where the platform allows (fewer turns between the
    writing and the reading process); leave it as it is elsewhere."""
    if sys.platform != "linux":
        return
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
