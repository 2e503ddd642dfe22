"""Content-Encoding decoding: real codecs, chunked input, and bombs stopped at the cap."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from pushscope.inspector.bodies import BodyDecoder, BodyError

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

PAYLOAD = b"data: hello\n\n" * 1000


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(PAYLOAD)),
        ("deflate", zlib.compress(PAYLOAD)),
        ("deflate", _raw_deflate(PAYLOAD)),
        ("br", brotli.compress(PAYLOAD)),
        ("zstd", zstd.compress(PAYLOAD)),
        ("identity", PAYLOAD),
    ],
)
def test_decodes_in_small_chunks(encoding: str, encoded: bytes) -> None:
    decoder = BodyDecoder(encoding, limit=1 << 20)
    out = b"".join(decoder.decode(encoded[i : i + 7]) for i in range(0, len(encoded), 7))
    assert out == PAYLOAD


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_bomb_stops_at_the_cap(encoding: str) -> None:
    bomb = b"\0" * (64 << 20)
    encoded = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "zstd": zstd.compress,
    }[encoding](bomb)
    assert len(encoded) < 1 << 20
    decoder = BodyDecoder(encoding, limit=1 << 20)
    with pytest.raises(BodyError, match="decompression bomb"):
        for i in range(0, len(encoded), 1 << 16):
            decoder.decode(encoded[i : i + (1 << 16)])
    assert decoder.decoded <= 1 << 20


def test_corrupt_and_unknown() -> None:
    with pytest.raises(BodyError, match="corrupt gzip"):
        BodyDecoder("gzip", 1 << 20).decode(b"\x1f\x8bnot gzip at all")
    with pytest.raises(BodyError, match="unsupported Content-Encoding 'compress'"):
        BodyDecoder("compress", 1 << 20)
