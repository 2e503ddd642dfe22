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
        size = len(data)
        pos = 0
        need = self._need
        prefix = self._prefix
        while True:
            if need:  # inside a message
                if size - pos < need:
                    need -= size - pos
                    break
                pos += need
                need = 0
                done += 1
            if pos == size:
                break
            if prefix or size - pos < PREFIX:  # a prefix split across pieces
                take = PREFIX - len(prefix)
                prefix += data[pos : pos + take]
                pos += take
                if len(prefix) < PREFIX:
                    break
                need = int.from_bytes(prefix[1:5])
                prefix.clear()
            else:
                need = int.from_bytes(data[pos + 1 : pos + 5])
                pos += PREFIX
            if not need:  # an empty message is whole with its prefix
                done += 1
        self._need = need
        self.count += done
        return done
