"""The SSE parser against LaunchDarkly's and web-platform-tests' vectors, whole and byte by byte."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pushscope.inspector.sse import SseComment, SseError, SseEvent, SseParser
from tests.conftest import FIXTURES, fixture_path


def _vectors(name: str) -> list[dict]:
    path = FIXTURES / "vectors" / name
    if not path.exists():
        return []
    return json.loads(path.read_text())["vectors"]


SSE_VECTORS = [
    pytest.param(v, id=f"{name.split('_')[0]}:{v['name']}")
    for name in ("ld_sse_contract_vectors.json", "wpt_eventsource_vectors.json")
    for v in _vectors(name)
    if not v.get("expect_connection_failed")
]


def _chunks(vector: dict) -> list[bytes]:
    if "chunks_b64" in vector:
        return [base64.b64decode(c) for c in vector["chunks_b64"]]
    return [base64.b64decode(vector["body_b64"])]


def _parse(chunks: list[bytes]) -> tuple[SseParser, list]:
    parser = SseParser()
    items = []
    for chunk in chunks:
        items += parser.feed(chunk)
    items += parser.close()
    return parser, items


def _events(items: list) -> list[dict]:
    return [{"type": e.type, "data": e.data, "id": e.id} for e in items if isinstance(e, SseEvent)]


def test_vectors_present() -> None:
    fixture_path("vectors", "ld_sse_contract_vectors.json")
    assert len(SSE_VECTORS) >= 100


@pytest.mark.parametrize("vector", SSE_VECTORS)
@pytest.mark.parametrize("feeding", ["as-given", "whole", "bytewise"])
def test_sse_vector(vector: dict, feeding: str) -> None:
    chunks = _chunks(vector)
    body = b"".join(chunks)
    if feeding == "whole":
        chunks = [body]
    elif feeding == "bytewise":
        chunks = [body[i : i + 1] for i in range(len(body))]
    parser, items = _parse(chunks)
    assert _events(items) == vector["expected_events"]
    if "expected_comments" in vector:
        assert [c.text for c in items if isinstance(c, SseComment)] == vector["expected_comments"]
    if "expected_retry" in vector:
        assert parser.retry_ms == vector["expected_retry"]


def test_long_line_is_an_error_not_memory() -> None:
    parser = SseParser(max_line=1000)
    items = parser.feed(b"data: ok\n\ndata: " + b"x" * 5000)
    items += parser.feed(b"y" * 100_000)
    assert parser._partial_len <= 1000  # the line is not being held
    items += parser.feed(b"\n\ndata: after\n\n")
    assert [e.data for e in items if isinstance(e, SseEvent)] == ["ok", "after"]
    errors = [e for e in items if isinstance(e, SseError)]
    assert len(errors) == 1 and "line longer than 1000" in errors[0].message


def test_huge_event_made_of_short_lines_is_dropped() -> None:
    parser = SseParser(max_event=100)
    items = parser.feed(b"data: 0123456789\n" * 50 + b"\ndata: next\n\n")
    assert [e.data for e in items if isinstance(e, SseEvent)] == ["next"]
    assert sum(isinstance(e, SseError) for e in items) == 1


def test_huge_event_fed_a_line_at_a_time_is_dropped() -> None:
    # Each chunk alone is far under the limit; the event they build together is not.
    parser = SseParser(max_event=100)
    items = [item for _ in range(50) for item in parser.feed(b"data: 0123456789\n")]
    items += parser.feed(b"\ndata: next\n\n")
    assert [e.data for e in items if isinstance(e, SseEvent)] == ["next"]
    assert sum(isinstance(e, SseError) for e in items) == 1


def test_arrival_time_is_the_chunk_that_completed_the_event() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\n", timestamp=1.0) == []
    (event,) = parser.feed(b"\n", timestamp=2.5)
    assert isinstance(event, SseEvent) and event.timestamp == 2.5


def test_invalid_utf8_is_replaced_not_raised() -> None:
    _, items = _parse([b"data: \xff\xfe\n\n"])
    assert _events(items) == [{"type": "message", "data": "\ufffd\ufffd", "id": ""}]


@given(
    st.lists(
        st.sampled_from(
            [
                b"data: a\n",
                b"data:b\r\n",
                b"\r",
                b"\n",
                b"\r\n",
                b"id: 7\n",
                b"event: e\n",
                b": c\n",
                b"retry: 5\n",
                b"\xef\xbb\xbf",
                b"da",
                b"ta: \xe2\x80",
                b"\xa6\n",
                b"id: x\x00y\n",
                b"data\n",
            ]
        )
    ),
    st.data(),
)
def test_chunking_never_changes_the_result(pieces: list[bytes], data: st.DataObject) -> None:
    body = b"".join(pieces)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(body)), max_size=8)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    whole_parser, whole = _parse([body])
    split_parser, split = _parse(chunks)
    assert _events(split) == _events(whole)
    assert split_parser.retry_ms == whole_parser.retry_ms
