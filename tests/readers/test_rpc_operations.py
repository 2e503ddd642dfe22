"""An RPC request's operation arrives from every source: a flow file, a HAR's `postData`, a
packet capture, the live addon's records, the feed and pushscope's own HAR export. Only the
operation travels, never a body that was not kept before."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from mitmproxy import http
from mitmproxy.io import FlowWriter
from mitmproxy.test import tflow

from pushscope.addons.adapter import opened
from pushscope.addons.records import Opened
from pushscope.addons.worker import pack, unpack
from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ExchangeClosed, ExchangeOpened
from pushscope.inspector.export_har import export_paths
from pushscope.inspector.feed import FeedWriter
from pushscope.inspector.model import Limits
from pushscope.inspector.operations import RPC_BODY_CAP, Operation
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.readers import read_capture
from pushscope.inspector.readers.har import read_har
from pushscope.inspector.readers.mitm import _flow_events
from tests.pcap.builder import Conversation
from tests.pcap.helpers import events as pcap_events

T0 = 1_700_000_000.0
API = "http://api.test"
UNREAD = json.dumps(
    {"operationName": "UnreadCount", "query": "query UnreadCount { unread }", "variables": {}}
).encode()
FEED = json.dumps({"query": "query Feed { feed { id } }"}).encode()
PERSISTED = (
    f"{API}/graphql?extensions=%7B%22persistedQuery%22%3A%7B%22version%22%3A1%2C"
    "%22sha256Hash%22%3A%22" + "c0ffee" * 10 + "abcd%22%7D%7D"
)
EXPECTED = {
    f"POST {API}/graphql UnreadCount",
    f"POST {API}/graphql Feed",
    f"GET {API}/graphql persisted:c0ffeec0ffee",
}


def _flow(start: float, method: str, url: str, body: bytes, n: int) -> http.HTTPFlow:
    flow = tflow.tflow(resp=True)
    headers = {"Host": "api.test", "Content-Type": "application/json"} if body else {}
    flow.request = http.Request.make(method, url, body, headers)
    flow.request.timestamp_start = start
    flow.request.timestamp_end = start + 0.001
    assert flow.response is not None
    flow.response.content = b'{"data": {"n": %d}}' % (n // 10)
    flow.response.timestamp_start = start + 0.02
    flow.response.timestamp_end = start + 0.03
    return flow


def _flows() -> list[http.HTTPFlow]:
    """Two operations polled on one path, and a persisted query by GET."""
    flows = [_flow(T0 + 2 * i, "POST", f"{API}/graphql", UNREAD, i) for i in range(20)]
    flows += [_flow(T0 + 0.5 + 3 * i, "POST", f"{API}/graphql", FEED, i) for i in range(14)]
    flows += [_flow(T0 + 0.7 + 5 * i, "GET", PERSISTED, b"", i) for i in range(9)]
    return sorted(flows, key=lambda flow: flow.request.timestamp_start)


def _flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "graphql.mitm"
    with open(path, "wb") as fp:
        writer = FlowWriter(fp)
        for flow in _flows():
            writer.add(flow)
    return path


def _polling(path: Path) -> set[str]:
    report, fatal = analyze_paths([path], limits=Limits())
    assert fatal == [] and report.sources[0].errors == []
    return {f.endpoint for f in report.findings if f.kind == "short-polling"}


def test_flow_file(tmp_path: Path) -> None:
    path = _flow_file(tmp_path)
    assert _polling(path) == EXPECTED
    report, _ = analyze_paths([path])
    assert all(e.request.body is None for e in report.exchanges)  # the operation, not the body


def test_live_records_carry_the_body_of_rpc_requests_only() -> None:
    for flow in _flows():
        record = opened(flow)
        offline = next(
            e for e in _flow_events(flow.get_state(), 0) if isinstance(e, ExchangeOpened)
        )
        (again,) = unpack(pack([record]))  # through the pipe to the analysis process
        assert again == record
        assert isinstance(again, Opened)
        assert again.exchange().request == offline.exchange.request
        assert again.exchange().request.operation is not None
        assert record.rpc_body == (flow.request.content if flow.request.method == "POST" else None)
    form = _flow(T0, "POST", f"{API}/api/upload", b"a" * 1000, 0)
    form.request.headers["Content-Type"] = "application/x-www-form-urlencoded"
    assert opened(form).rpc_body is None  # a REST POST's body stays in the proxy
    big = _flow(T0, "POST", f"{API}/graphql", b"x" * (3 * RPC_BODY_CAP), 0)
    assert len(opened(big).rpc_body or b"") == RPC_BODY_CAP


def test_har_post_data_and_get() -> None:
    def entry(start: float, method: str, url: str, body: bytes) -> dict[str, object]:
        request: dict[str, object] = {"method": method, "url": url, "headers": []}
        if body:
            request["postData"] = {"mimeType": "application/json", "text": body.decode()}
        return {
            "startedDateTime": start,
            "time": 30,
            "request": request,
            "response": {"status": 200, "content": {"text": '{"data": {}}'}},
        }

    har = {
        "log": {
            "entries": [
                entry(T0, "POST", f"{API}/graphql", UNREAD),
                entry(T0 + 1, "GET", PERSISTED, b""),
                entry(T0 + 2, "POST", f"{API}/api/items", b'{"name": "x"}'),
            ]
        }
    }
    found = read_har(io.BytesIO(json.dumps(har).encode()), 0, "test.har")
    operations = [e.exchange.request.operation for e in found if isinstance(e, ExchangeOpened)]
    assert operations == [
        Operation("graphql", "UnreadCount", "query"),
        Operation("graphql", "persisted:c0ffeec0ffee", "query", True),
        None,
    ]


def test_pushscopes_own_har_export_and_feed_keep_the_operation(tmp_path: Path) -> None:
    flows = _flow_file(tmp_path)
    har = tmp_path / "export.har"
    export_paths([flows], har)
    entries = json.loads(har.read_text())["log"]["entries"]
    assert all("postData" not in entry["request"] for entry in entries)  # no body kept
    assert _polling(har) == EXPECTED
    feed = tmp_path / "feed.jsonl"
    with open(feed, "w", encoding="utf-8") as fp:
        writer = FeedWriter(fp)
        analyzer = Analyzer(detector=Detector(), observers=[writer])
        analyzer.run(read_capture(flows, 0).events)
        analyzer.finish()
        writer.close()
    assert _polling(feed) == EXPECTED


def _graphql_conversation(mss: int) -> bytes:
    c = Conversation().handshake()
    for i in range(12):
        body = UNREAD if i % 2 == 0 else FEED
        request = (
            b"POST /graphql HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
        answer = b'{"data": {"n": %d}}' % (i // 6)
        c.send("client", request, mss=mss, step=1.0)
        c.send("server", b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer)
    c.send("client", b"GET /graphql?query=%7B+me+%7D HTTP/1.1\r\nHost: api.test\r\n\r\n")
    c.send("server", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    return c.close().pcap()


def test_pcap_learns_a_posts_operation_as_its_body_passes(tmp_path: Path) -> None:
    whole, in_pieces = (
        pcap_events(_graphql_conversation(1400)),
        pcap_events(_graphql_conversation(7)),
    )
    names = [
        e.request_operation.name if e.request_operation else None
        for e in whole
        if isinstance(e, ExchangeClosed)
    ]
    assert names == ["UnreadCount", "Feed"] * 6 + [None]  # the GET's is in its request
    (get,) = [
        e.exchange.request.operation
        for e in whole
        if isinstance(e, ExchangeOpened) and e.exchange.request.method == "GET"
    ]
    assert get == Operation("graphql", "anonymous", "query")
    closed = [e for e in in_pieces if isinstance(e, ExchangeClosed)]
    assert [e.request_operation for e in closed] == [
        e.request_operation for e in whole if isinstance(e, ExchangeClosed)
    ]
    path = tmp_path / "graphql.pcap"
    path.write_bytes(_graphql_conversation(1400))
    report, _ = analyze_paths([path])
    assert [e.request.operation.name for e in report.exchanges if e.request.operation] == [
        *["UnreadCount", "Feed"] * 6,
        "anonymous",
    ]


def test_a_compressed_body_names_its_operation_from_every_source(tmp_path: Path) -> None:
    """A client that gzips its GraphQL POSTs (`Content-Encoding: gzip`): the flow file, the
    live addon's record and a packet capture all hold the body as sent, and read it."""
    body = gzip.compress(UNREAD)
    flow = _flow(T0, "POST", f"{API}/graphql", b"", 0)
    flow.request.headers["Content-Type"] = "application/json"
    flow.request.headers["Content-Encoding"] = "gzip"
    flow.request.raw_content = body
    expected = Operation("graphql", "UnreadCount", "query")
    assert opened(flow).exchange().request.operation == expected
    (offline,) = [e for e in _flow_events(flow.get_state(), 0) if isinstance(e, ExchangeOpened)]
    assert offline.exchange.request.operation == expected
    c = Conversation().handshake()
    c.send(
        "client",
        b"POST /graphql HTTP/1.1\r\nHost: api.test\r\nContent-Type: application/json\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        mss=100,
    )
    c.send("server", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    (closed,) = [e for e in pcap_events(c.close().pcap()) if isinstance(e, ExchangeClosed)]
    assert closed.request_operation == expected
