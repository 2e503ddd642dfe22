"""Count gRPC messages in a body as it streams: each is a 5-byte prefix (compressed flag, a
4-byte big-endian length) and that many bytes (the gRPC over HTTP/2 wire format)."""

from __future__ import annotations

PREFIX = 5


class GrpcMessageCounter:
    """Fed a body in pieces of any size, counts the whole length-prefixed messages in it."""

    __slots__ = ("_need", "_prefix", "count")

    def __init__(self) -> None:
        self.count = 0
        self._prefix = bytearray()  # a prefix split across pieces
        self._need = 0  # bytes of the current message still to come

    def feed(self, data: bytes) -> int:
        """Take the next piece; return how many messages it completed."""
        done = 0
        view = memoryview(data)
        while view:
            if self._need:
                step = min(self._need, len(view))
                self._need -= step
                view = view[step:]
                if not self._need:
                    done += 1
                continue
            take = PREFIX - len(self._prefix)
            self._prefix += view[:take]
            view = view[take:]
            if len(self._prefix) < PREFIX:
                break
            self._need = int.from_bytes(self._prefix[1:5], "big")
            self._prefix.clear()
            if not self._need:  # an empty message is whole with its prefix
                done += 1
        self.count += done
        return done
