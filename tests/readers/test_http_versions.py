"""One name per HTTP version, whatever the source wrote, so HTTP/1-only rules see them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pushscope.inspector.model import Limits
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.readers.base import http_version


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("h2", "HTTP/2.0"),
        ("http/2.0", "HTTP/2.0"),
        ("HTTP/2", "HTTP/2.0"),
        ("HTTP/2.0", "HTTP/2.0"),
        ("h3", "HTTP/3"),
        ("http/1.1", "HTTP/1.1"),
        (" HTTP/1.1 ", "HTTP/1.1"),
        ("HTTP/1.0", "HTTP/1.0"),
        ("", None),
        (None, None),
        ("SPDY/3", "SPDY/3"),
    ],
)
def test_http_version_names(written: str | None, read: str | None) -> None:
    assert http_version(written) == read


def _har(version: str) -> dict[str, object]:
    entry = {
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "time": 10,
        "request": {
            "method": "GET",
            "url": "https://example.com/events",
            "httpVersion": version,
            "headers": [{"name": "accept", "value": "text/event-stream"}],
        },
        "response": {
            "status": 200,
            "statusText": "",
            "httpVersion": version,
            "headers": [{"name": "content-type", "value": "text/event-stream"}],
            "content": {"mimeType": "text/event-stream", "text": "data: a\n\ndata: b\n\n"},
        },
    }
    return {"log": {"version": "1.2", "entries": [entry]}}


def test_a_har_is_classified_the_same_whatever_it_calls_http2(tmp_path: Path) -> None:
    seen = set()
    for n, version in enumerate(("h2", "http/2.0", "HTTP/2", "HTTP/2.0")):
        path = tmp_path / f"{n}.har"
        path.write_text(json.dumps(_har(version)))
        report, fatal = analyze_paths([path], limits=Limits())
        assert fatal == []
        (exchange,) = report.exchanges
        assert exchange.response is not None
        seen.add(
            (
                exchange.request.http_version,
                exchange.response.http_version,
                exchange.protocol,
                exchange.sse.count if exchange.sse else None,
            )
        )
    assert len(seen) == 1
    assert next(iter(seen))[:2] == ("HTTP/2.0", "HTTP/2.0")
