"""pushscope's own reader on the project's TLS recordings (`captures/tls/`): decrypted with
their key logs, the exchanges are what the server saw (the truth files)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

from pushscope.inspector.model import Limits, Protocol
from pushscope.inspector.pcap.keylog import load_keylogs
from pushscope.inspector.pipeline import analyze_paths
from tests.pcap.tls_recordings import NAMES, Recording


@pytest.mark.parametrize("name", NAMES)
def test_recording_reads_as_the_server_saw_it(name: str) -> None:
    recording = Recording(name)
    report, fatal = analyze_paths(
        [recording.pcap], limits=Limits(), keylog=load_keylogs([recording.keys])
    )
    assert fatal == []
    seen: Counter[tuple[str, str, str, int | None]] = Counter()
    sse_events = ws_client = ws_server = 0
    for exchange in report.exchanges:
        if exchange.request.method == "CONNECT" and exchange.response is None:
            continue  # a connection that carried no request
        version = (exchange.request.http_version or "").removeprefix("HTTP/")
        version = "2" if version == "2.0" else version
        status = exchange.response.status if exchange.response else None
        path = urlsplit(exchange.request.url).path
        seen[(version, exchange.request.method, path, status)] += 1
        assert exchange.tls is not None and exchange.tls.decrypted
        if exchange.sse is not None:
            sse_events += exchange.sse.count
        if exchange.protocol is Protocol.WEBSOCKET and exchange.websocket is not None:
            ws_client += exchange.websocket.counts.client
            ws_server += exchange.websocket.counts.server
    truth = recording.truth["requests"]
    assert seen == Counter(recording.requests())
    assert sse_events == sum(r["sse_events"] for r in truth)
    assert (ws_client, ws_server) == (
        sum(r["ws_from_client"] for r in truth),
        sum(r["ws_from_server"] for r in truth),
    )
    # gRPC rides HTTP/2 only: the same stream served over HTTP/1.1 is a plain streamed body.
    grpc = [x.grpc for x in report.exchanges if x.grpc is not None]
    calls = [r for r in truth if r["grpc_messages"] and r["http_version"] == "2"]
    assert sum(g.response_messages for g in grpc) == sum(r["grpc_messages"] for r in calls)
    assert [str(g.status) for g in grpc] == [r["grpc_status"] for r in calls]
