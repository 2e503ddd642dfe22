"""Polling on RPC endpoints: every GraphQL or JSON-RPC request goes to one path, so a series is
one operation, named in its endpoint; queries and calls are polls, mutations writes."""

from __future__ import annotations

import json

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ModelEvent
from pushscope.inspector.findings import Finding
from pushscope.inspector.operations import RPC_BODY_CAP
from tests.traffic import http, in_time_order, websocket

T0 = 1_700_000_000.0
GRAPHQL = "http://api.test/graphql"
POLLING = ("short-polling", "long-polling")


def _findings(*groups: list[ModelEvent], incremental: bool = False) -> list[Finding]:
    analyzer = Analyzer(detector=Detector(incremental=incremental))
    analyzer.run(in_time_order(*groups))
    return analyzer.finish()


def _polling(findings: list[Finding]) -> dict[str, Finding]:
    polling = {f.endpoint: f for f in findings if f.kind in POLLING}
    assert len(polling) == len([f for f in findings if f.kind in POLLING])
    return polling


def _graphql(name: str, kind: str = "query") -> bytes:
    """An Apollo client's request: operationName, the document, variables."""
    document = f"{kind} {name}($id: ID) {{ viewer(id: $id) {{ {name.lower()} }} }}"
    return json.dumps({"operationName": name, "query": document, "variables": {}}).encode()


def _every(
    period: float,
    count: int,
    body: bytes | None,
    *,
    url: str = GRAPHQL,
    method: str = "POST",
    start: float = T0,
    answers: list[bytes] | None = None,
) -> list[ModelEvent]:
    events: list[ModelEvent] = []
    for i in range(count):
        answer = answers[i % len(answers)] if answers else b'{"data": {"unread": 3}}'
        events += http(start + i * period, url, method=method, body=answer, request_body=body)
    return events


def test_two_operations_polled_on_one_path_are_two_findings() -> None:
    unread = _every(5.0, 30, _graphql("UnreadCount"))
    feed = _every(7.0, 22, _graphql("Feed"), start=T0 + 1.3)
    polling = _polling(_findings(unread, feed))
    assert set(polling) == {f"POST {GRAPHQL} UnreadCount", f"POST {GRAPHQL} Feed"}
    assert abs(polling[f"POST {GRAPHQL} UnreadCount"].stats["period_s"] - 5.0) < 0.1
    assert abs(polling[f"POST {GRAPHQL} Feed"].stats["period_s"] - 7.0) < 0.1
    for finding in polling.values():  # queries are reads: neither is the other's writes
        assert not any("writes" in line for line in finding.evidence)
        assert finding.recommendation == "sse"


def test_apollo_poll_interval_is_short_polling_of_the_operation() -> None:
    """`useQuery(UNREAD, {pollInterval: 2000})`: the same POST every 2 s, whose short and
    unchanged answer is not a heartbeat: a query asks."""
    events = _every(2.0, 40, _graphql("UnreadCount"))
    (finding,) = _findings(events, incremental=True)
    assert finding.kind == "short-polling"
    assert finding.endpoint == f"POST {GRAPHQL} UnreadCount"
    assert abs(finding.stats["period_s"] - 2.0) < 0.05
    assert finding.stats["count"] == 40
    assert f"{GRAPHQL} UnreadCount every 2.0 s" in finding.rationale


def test_get_persisted_query() -> None:
    extensions = '{"persistedQuery":{"version":1,"sha256Hash":"%s"}}' % ("ab" * 32)
    url = f"{GRAPHQL}?extensions={extensions}&variables=%7B%7D"
    events = _every(3.0, 20, None, url=url, method="GET")
    named = _every(4.0, 15, None, url=f"{url}&operationName=Feed", method="GET", start=T0 + 0.5)
    polling = _polling(_findings(events, named))
    assert set(polling) == {f"GET {GRAPHQL} persisted:abababababab", f"GET {GRAPHQL} Feed"}


def test_json_rpc_methods_are_series_of_their_own() -> None:
    def call(method: str) -> bytes:
        return json.dumps({"jsonrpc": "2.0", "method": method, "params": [], "id": 1}).encode()

    url = "http://api.test/"
    block = _every(4.0, 20, call("eth_blockNumber"), url=url)
    gas = _every(15.0, 8, call("eth_gasPrice"), url=url, start=T0 + 2)
    polling = _polling(_findings(block, gas))
    assert set(polling) == {f"POST {url} eth_blockNumber", f"POST {url} eth_gasPrice"}


def test_a_mutation_sent_again_and_again_is_not_a_read_poll() -> None:
    answers = [b'{"data": {"saveDraft": {"savedAt": %d}}}' % i for i in range(30)]
    events = _every(5.0, 30, _graphql("SaveDraft", "mutation"), answers=answers)
    findings = _findings(events)
    assert not [f for f in findings if f.kind in POLLING], findings
    # one that is only acknowledged is a heartbeat, as any POST would be
    beats = _every(10.0, 20, _graphql("Ping", "mutation"), answers=[b'{"data":{"ping":true}}'])
    (finding,) = _findings(beats)
    assert (finding.kind, finding.endpoint) == ("heartbeat", f"POST {GRAPHQL} Ping")


def test_mutations_are_writes_beside_a_polled_query() -> None:
    polls = _every(3.0, 30, _graphql("Messages"))
    sends = _every(9.0, 10, _graphql("SendMessage", "mutation"), start=T0 + 1.0)
    polling = _polling(_findings(polls, sends))
    (finding,) = polling.values()
    assert finding.endpoint == f"POST {GRAPHQL} Messages"
    assert finding.recommendation == "websocket"
    assert any("writes to /graphql" in line for line in finding.evidence)


def test_query_polled_beside_an_open_graphql_ws_socket_is_advised_a_subscription() -> None:
    polls = _every(2.0, 30, _graphql("UnreadCount"))
    socket = websocket(
        T0 - 1,
        [
            (T0 - 0.9, "client", b'{"type":"connection_init","payload":{}}'),
            (T0 - 0.8, "server", b'{"type":"connection_ack"}'),
            (T0 + 70, "server", b'{"type":"ka"}'),
        ],
    )
    findings = _findings(polls, socket)
    finding = _polling(findings)[f"POST {GRAPHQL} UnreadCount"]
    assert finding.recommendation == "websocket"
    assert "graphql-ws WebSocket" in finding.rationale
    assert "subscription on that socket" in finding.rationale


def test_a_rest_post_poll_beside_a_graphql_socket_gets_no_subscription_advice() -> None:
    polls = [
        event
        for i in range(30)
        for event in http(T0 + 2 * i, "http://api.test/api/search", method="POST")
    ]
    socket = websocket(
        T0 - 1,
        [
            (T0 - 0.9, "client", b'{"type":"connection_init","payload":{}}'),
            (T0 + 70, "server", b'{"type":"ka"}'),
        ],
    )
    (finding,) = _polling(_findings(polls, socket)).values()
    assert "subscription" not in finding.rationale


def test_bodies_over_the_cap_and_garbage_are_one_unnamed_series() -> None:
    big = json.dumps(
        {"operationName": "Big", "query": "query Big { a }", "pad": "x" * RPC_BODY_CAP}
    )
    garbage = [big.encode(), b"\xff\xfe{not json", b"[" * 50_000, b'{"query": "' + b"{" * 9000]
    events: list[ModelEvent] = []
    for i in range(24):
        answer = b'{"data": {"unread": %d}}' % (i // 6)
        events += http(T0 + 2 * i, GRAPHQL, method="POST", body=answer, request_body=garbage[i % 4])
    (finding,) = _polling(_findings(events)).values()
    assert finding.endpoint == f"POST {GRAPHQL}"
    assert finding.stats["count"] == 24
