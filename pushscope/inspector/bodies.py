"""Incremental Content-Encoding decoding with a cap on what a body may expand to."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

import brotli  # type: ignore[import-untyped]

try:
    from compression import zstd  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    from backports import zstd  # type: ignore[import-not-found,no-redef,unused-ignore]


class BodyError(Exception):
    """A body that cannot be decoded: corrupt, unsupported, or a decompression bomb."""


class _Stage(Protocol):
    def __call__(self, data: bytes, limit: int) -> bytes: ...


def _zlib_stage(wbits: int) -> _Stage:
    decompressor = zlib.decompressobj(wbits)

    def stage(data: bytes, limit: int) -> bytes:
        out = decompressor.decompress(data, limit + 1)
        if decompressor.unconsumed_tail or len(out) > limit:
            raise BodyError(f"expands past {limit} bytes (decompression bomb?)")
        return out

    return stage


def _deflate_stage() -> _Stage:
    # "deflate" is meant to be zlib-wrapped, but raw deflate is common in the wild.
    chosen: list[_Stage] = []

    def stage(data: bytes, limit: int) -> bytes:
        if not chosen:
            if not data:
                return b""
            zlib_header = (
                len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            )
            chosen.append(_zlib_stage(15 if zlib_header else -15))
        return chosen[0](data, limit)

    return stage


def _brotli_stage() -> _Stage:
    decompressor = brotli.Decompressor()

    def stage(data: bytes, limit: int) -> bytes:
        out: bytes = decompressor.process(data, output_buffer_limit=limit + 1)
        if len(out) > limit or not decompressor.can_accept_more_data():
            raise BodyError(f"expands past {limit} bytes (decompression bomb?)")
        return out

    return stage


def _zstd_stage() -> _Stage:
    decompressor = zstd.ZstdDecompressor()

    def stage(data: bytes, limit: int) -> bytes:
        if decompressor.eof:
            return b""
        out: bytes = decompressor.decompress(data, max_length=limit + 1)
        if len(out) > limit or not (decompressor.needs_input or decompressor.eof):
            raise BodyError(f"expands past {limit} bytes (decompression bomb?)")
        return out

    return stage


_STAGES: dict[str, Callable[[], _Stage]] = {
    "gzip": lambda: _zlib_stage(31),
    "x-gzip": lambda: _zlib_stage(31),
    "deflate": _deflate_stage,
    "br": _brotli_stage,
    "zstd": _zstd_stage,
}


class BodyDecoder:
    """Undoes a Content-Encoding chunk by chunk; the decoded total never exceeds `limit`."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        unknown = [c for c in codings if c not in _STAGES]
        if unknown:
            raise BodyError(f"unsupported Content-Encoding {unknown[0]!r}")
        self.encoding = ", ".join(codings)
        self._stages = [_STAGES[c]() for c in reversed(codings)]
        self.limit = limit
        self.decoded = 0

    def decode(self, data: bytes) -> bytes:
        """Decode the next chunk; raises BodyError on corrupt input or past the limit."""
        try:
            for stage in self._stages:
                data = stage(data, self.limit - self.decoded)
        except (zlib.error, brotli.error, zstd.ZstdError) as e:
            raise BodyError(f"corrupt {self.encoding} data: {e}") from e
        self.decoded += len(data)
        return data


def digest(data: bytes) -> str:
    """A short content digest, enough to tell whether two poll answers differ."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()
