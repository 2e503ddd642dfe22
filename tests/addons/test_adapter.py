"""The adapter reads mitmproxy's raw fields, not its properties: what it builds must still be
what the flow-file reader reads back from the same flow (live equals offline)."""

from __future__ import annotations

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from pushscope.addons.adapter import opened, responded
from pushscope.inspector.events import ExchangeOpened, ResponseStarted
from pushscope.inspector.readers.mitm import _flow_events


def _flow(
    url: str, host: str | None, method: str = "GET", version: str = "HTTP/1.1"
) -> http.HTTPFlow:
    flow = tflow.tflow(resp=True)
    flow.request = http.Request.make(method, url)
    flow.request.http_version = version
    flow.request.timestamp_start = 1.5
    flow.request.headers.pop("Host", None)
    if version.startswith("HTTP/2"):
        flow.request.authority = host or ""
    elif host is not None:
        flow.request.headers["Host"] = host
    return flow


@pytest.mark.parametrize(
    ("url", "host", "method", "version"),
    [
        ("http://127.0.0.1:8080/api/items/1?x=1", "127.0.0.1:8080", "GET", "HTTP/1.1"),
        ("http://10.0.0.1/api", "example.com", "GET", "HTTP/1.1"),  # transparent: Host wins
        ("http://10.0.0.1:8080/api", "example.com:80", "POST", "HTTP/1.1"),
        ("https://10.0.0.1/api", "example.com:8443", "GET", "HTTP/1.1"),
        ("http://[::1]:8080/x", "[::1]:8080", "GET", "HTTP/1.1"),
        ("http://[::1]:8080/x", None, "GET", "HTTP/1.1"),
        ("http://127.0.0.1:8080/x", None, "GET", "HTTP/1.1"),
        ("https://example.com/h2", "example.com", "GET", "HTTP/2.0"),
        ("https://example.com:444/h2", "example.com:444", "GET", "HTTP/2.0"),
    ],
)
def test_live_exchange_equals_the_flow_file_one(
    url: str, host: str | None, method: str, version: str
) -> None:
    flow = _flow(url, host, method, version)
    flow.response.headers["Content-Type"] = "application/json"
    events = list(_flow_events(flow.get_state(), 0))
    offline = next(e for e in events if isinstance(e, ExchangeOpened)).exchange
    live = opened(flow).exchange()
    assert live.request == offline.request
    assert (live.id, live.client, live.server, live.tls_sni) == (
        offline.id,
        offline.client,
        offline.server,
        offline.tls_sni,
    )
    started = next(e for e in events if isinstance(e, ResponseStarted)).response
    response = responded(flow).response()
    assert (response.status, response.reason, response.http_version, response.headers) == (
        started.status,
        started.reason,
        started.http_version,
        started.headers,
    )


def test_undecodable_bytes_are_replaced_alike() -> None:
    flow = _flow("http://example.com/", "example.com")
    flow.request.data.path = "/é?q=ü".encode() + b"\xff"
    flow.request.headers["X-Odd"] = b"\xfe caf\xc3\xa9".decode("latin-1")
    offline = next(e for e in _flow_events(flow.get_state(), 0) if isinstance(e, ExchangeOpened))
    assert opened(flow).exchange().request == offline.exchange.request


def test_connect_is_its_authority() -> None:
    flow = tflow.tflow()
    flow.request = http.Request.make("CONNECT", "http://example.com:443/")
    flow.request.authority = "example.com:443"
    flow.request.host, flow.request.port = "example.com", 443
    offline = next(e for e in _flow_events(flow.get_state(), 0) if isinstance(e, ExchangeOpened))
    assert opened(flow).exchange().request.url == offline.exchange.request.url == "example.com:443"
