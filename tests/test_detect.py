"""Polling detection and advice on synthetic timelines, through the analyzer and detector."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.analysis import Analyzer, Observer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ModelEvent
from pushscope.inspector.findings import Finding, Severity
from tests.traffic import http, in_time_order, polls, sse, websocket

T0 = 1_700_000_000.0


def _findings(*groups: list[ModelEvent], incremental: bool = False) -> list[Finding]:
    analyzer = Analyzer(detector=Detector(incremental=incremental))
    analyzer.run(in_time_order(*groups))
    return analyzer.finish()


def _one(findings: list[Finding], kind: str) -> Finding:
    matching = [f for f in findings if f.kind == kind]
    assert len(matching) == 1, findings
    return matching[0]


def test_short_polling_mostly_unchanged_recommends_sse() -> None:
    finding = _one(_findings(polls(40, 5.0, jitter=0.2, change_every=10)), "short-polling")
    assert finding.recommendation == "sse"
    assert finding.endpoint == "GET http://api.test/api/status"
    assert finding.client == "10.0.0.1"
    assert abs(finding.stats["period_s"] - 5.0) < 0.5
    assert 0 < finding.stats["jitter"] < 0.2
    assert finding.stats["unchanged_ratio"] == 0.9  # 4 of 40 answers changed
    assert finding.stats["count"] == 40 and len(finding.exchanges) == 40
    assert finding.severity is Severity.MEDIUM  # 720 req/h, 648 of them wasted
    impact = finding.impact
    assert impact is not None
    assert abs(impact["requests_per_hour"] - 720) < 80
    assert impact["after_push"]["messages_per_hour"] < impact["requests_per_hour"] / 5
    assert abs(impact["staleness_mean_s"] - 2.5) < 0.3
    assert "nothing new" in finding.rationale and "SSE" in finding.rationale


def test_roles_are_set_on_the_exchanges() -> None:
    analyzer = Analyzer(detector=Detector())
    analyzer.run(polls(10, 3.0))
    findings = analyzer.finish()
    assert {e.role for e in analyzer.exchanges} == {"short-poll"}
    assert len(findings) == 1


def test_slow_polling_with_fresh_data_is_fine() -> None:
    finding = _one(_findings(polls(10, 30.0, change_every=1)), "short-polling")
    assert finding.recommendation == "keep-polling"
    assert finding.severity is Severity.INFO
    assert "simpler answer" in finding.rationale
    assert "ETag" not in finding.rationale


def test_very_slow_polling_of_stale_data_gets_an_etag_tip() -> None:
    finding = _one(_findings(polls(8, 120.0)), "short-polling")
    assert finding.recommendation == "keep-polling"
    assert "ETag" in finding.rationale


def test_conditional_polling_counts_304_as_nothing_new() -> None:
    events: list[ModelEvent] = []
    for i in range(12):
        changed = i % 4 == 0
        events += http(
            T0 + 2 * i,
            status=200 if changed else 304,
            body=b'{"v": %d}' % i if changed else b"",
            request_headers=(("If-None-Match", '"v"'),),
        )
    finding = _one(_findings(events), "short-polling")
    assert finding.stats["unchanged_ratio"] == 0.75
    assert finding.stats["conditional_requests"] == 12


def test_polling_while_writing_recommends_websocket() -> None:
    reads = polls(20, 2.0, url="http://api.test/chat/messages")
    writes: list[ModelEvent] = []
    for at in (3.3, 9.1, 17.8, 22.4, 33.0):
        writes += http(T0 + at, "http://api.test/chat/messages", method="POST", status=201)
    finding = _one(_findings(reads, writes), "short-polling")
    assert finding.recommendation == "websocket"
    assert "wrote 5 times" in finding.rationale


def test_sub_second_polling_recommends_websocket() -> None:
    finding = _one(_findings(polls(30, 0.25, change_every=2)), "short-polling")
    assert finding.recommendation == "websocket"
    assert finding.severity is Severity.HIGH


def test_backoff_is_polling_and_said_so() -> None:
    events: list[ModelEvent] = []
    t = T0
    for delay in (1, 2, 4, 8, 16, 32, 0):
        events += http(t, "http://api.test/jobs/7")
        t += delay
    finding = _one(_findings(events), "short-polling")
    assert finding.stats["cadence"] == "backoff"
    assert finding.stats["factor"] == 2.0
    assert "exponential backoff" in finding.rationale
    assert finding.endpoint == "GET http://api.test/jobs/{id}"


def test_long_polling() -> None:
    events: list[ModelEvent] = []
    t = T0
    for i in range(8):
        hold = 3.0 if i in (2, 5) else 25.0
        events += http(
            t,
            "http://api.test/updates",
            duration=hold,
            status=200 if hold < 25 else 204,
            body=b'{"event": %d}' % i if hold < 25 else b"",
        )
        t += hold + 0.02
    finding = _one(_findings(events), "long-polling")
    assert finding.recommendation == "sse"
    assert finding.stats["server_timeout_s"] == 25.0
    assert finding.stats["unchanged_ratio"] == 0.75
    assert finding.role == "long-poll"
    assert "re-issued" in finding.rationale


def test_two_clients_are_two_series() -> None:
    a = polls(10, 2.0, client="10.0.0.1:50000")
    b = polls(10, 2.0, start=T0 + 1.0, client="10.0.0.2:50000")
    found = [f for f in _findings(a, b) if f.kind == "short-polling"]
    assert sorted(f.client or "" for f in found) == ["10.0.0.1", "10.0.0.2"]
    assert all(f.stats["count"] == 10 for f in found)


def test_two_pollers_in_anti_phase_each_on_its_connection_are_two_pollers() -> None:
    """Timing alone shows one beat at twice the rate; each connection keeping a beat of its
    own tells the two apart."""
    a = polls(10, 2.0, client="10.0.0.1:50000")
    b = polls(10, 2.0, start=T0 + 1.0, client="10.0.0.1:50001")
    found = [f for f in _findings(a, b) if f.kind == "short-polling"]
    assert [f.client for f in found] == ["10.0.0.1", "10.0.0.1"]
    assert [f.stats["pollers"] for f in found] == [2, 2]
    assert all(f.stats["count"] == 10 for f in found) and found[0].id != found[1].id


def test_a_poller_reconnecting_each_time_is_one_client() -> None:
    events: list[ModelEvent] = []
    for i in range(10):
        events += http(T0 + 30 * i, client=f"10.0.0.1:{50000 + i}")
    (finding,) = _findings(events)
    assert finding.stats["count"] == 10 and finding.client == "10.0.0.1"


def test_cache_busters_do_not_split_a_series() -> None:
    events: list[ModelEvent] = []
    for i in range(8):
        events += http(
            T0 + 5 * i, f"http://api.test/feed?_={1700000000000 + i}&rnd={i * 7919 % 1000}"
        )
    finding = _one(_findings(events), "short-polling")
    assert finding.endpoint == "GET http://api.test/feed"


def test_a_parameter_naming_resources_splits_a_series() -> None:
    events: list[ModelEvent] = []
    for i in range(16):
        events += http(T0 + 2.5 * i, f"http://api.test/status?room={'a' if i % 2 else 'b'}")
    found = [f for f in _findings(events) if f.kind == "short-polling"]
    assert sorted(f.endpoint for f in found) == [
        "GET http://api.test/status?room=* [room=a]",
        "GET http://api.test/status?room=* [room=b]",
    ]


def test_decoys_are_not_polling() -> None:
    rng = random.Random(7)
    user: list[ModelEvent] = []
    t = T0
    for _ in range(30):  # a person clicking around: Poisson times
        t += rng.expovariate(1 / 20)
        user += http(t, "http://api.test/api/items")
    burst: list[ModelEvent] = []
    for i in range(40):  # a page load fetching one pixel again and again, back to back
        burst += http(T0 + 0.03 * i, f"http://cdn.test/pixel.gif?e={i}", duration=0.03)
    ranges: list[ModelEvent] = []
    for i in range(10):
        ranges += http(
            T0 + i,
            "http://cdn.test/video.mp4",
            status=206,
            request_headers=(("Range", f"bytes={i * 1000}-"),),
        )
    reconnects: list[ModelEvent] = []
    for i in range(6):  # EventSource retrying every 3 s: not polling
        reconnects += http(
            T0 + 3 * i,
            "http://api.test/events",
            status=204,
            body=b"",
            request_headers=(("Accept", "text/event-stream"),),
        )
    findings = _findings(user, burst, ranges, reconnects)
    assert not [f for f in findings if f.kind.endswith("polling")]


def test_websocket_one_way_and_rpc() -> None:
    ticker = websocket(
        T0,
        [(T0 + 0.1, "client", b'{"op":"subscribe"}')]
        + [(T0 + 0.2 + i, "server", b'{"p": 1}') for i in range(20)],
        url="http://api.test/ticker",
    )
    rpc_messages = []
    for i in range(6):
        rpc_messages += [(T0 + i, "client", b'{"id": %d}' % i), (T0 + i + 0.01, "server", b"{}")]
    rpc = websocket(T0, rpc_messages, url="http://api.test/rpc")  # type: ignore[arg-type]
    findings = _findings(ticker, rpc)
    one_way = _one(findings, "websocket-one-way")
    assert (one_way.recommendation, one_way.endpoint) == ("sse", "GET http://api.test/ticker")
    rpc_finding = _one(findings, "websocket-rpc")
    assert rpc_finding.recommendation == "rest"
    assert "exactly one reply" in rpc_finding.rationale


def test_chat_websocket_gets_no_advice() -> None:
    messages = [(T0 + i, "client" if i % 3 else "server", b"hi") for i in range(30)]
    assert _findings(websocket(T0, messages)) == []  # type: ignore[arg-type]


def test_idle_websocket_without_heartbeat() -> None:
    messages = [(T0 + 1, "client", b"hello"), (T0 + 120, "server", b"late")]
    finding = _one(_findings(websocket(T0, messages)), "idle-no-heartbeat")  # type: ignore[arg-type]
    assert finding.severity is Severity.MEDIUM and "119 s" in finding.rationale


def test_sse_without_ids_and_reconnecting() -> None:
    events: list[ModelEvent] = []
    for i in range(5):
        events += sse(T0 + 2 * i, 1.5, b"data: a\n\ndata: b\n\n")
    findings = _findings(events)
    assert _one(findings, "sse-no-id").stats["count"] == 5
    reconnects = _one(findings, "sse-reconnects")
    assert reconnects.stats["count"] == 5 and reconnects.role == "sse-reconnect"


def test_concurrent_streams_to_one_endpoint_are_no_reconnects() -> None:
    """Eight EventSources to one endpoint opened at once (eight widgets, or one page's
    streams over one HTTP/2 connection) and closed a few seconds later: each stream ran
    beside the others, none replaced one that ended."""
    for version in ("HTTP/1.1", "HTTP/2.0"):
        streams = [
            sse(
                T0 + i * 0.1,
                5,
                b"id: 1\ndata: x\n\n",
                client=f"10.0.0.1:{51000 + (i if version == 'HTTP/1.1' else 0)}",
                http_version=version,
            )
            for i in range(8)
        ]
        assert [f for f in _findings(*streams) if f.kind == "sse-reconnects"] == [], version
    # and a ninth, after they all closed, is one stream more, not a reconnect storm
    later = sse(T0 + 10, 5, b"id: 1\ndata: x\n\n", client="10.0.0.1:51000")
    assert [f for f in _findings(*streams, later) if f.kind == "sse-reconnects"] == []


def test_too_many_http1_streams_to_one_origin() -> None:
    streams = [
        sse(
            T0 + i * 0.1,
            60,
            b"id: 1\ndata: x\n\n",
            url=f"http://api.test/events/{i}",
            client=f"10.0.0.1:{51000 + i}",
        )
        for i in range(8)
    ]
    finding = _one(_findings(*streams), "sse-connection-limit")
    assert finding.severity is Severity.HIGH and finding.stats["concurrent"] == 8
    over_h2 = [
        sse(
            T0 + i * 0.1,
            60,
            b"id: 1\ndata: x\n\n",
            url=f"http://api.test/events/{i}",
            http_version="HTTP/2.0",
        )
        for i in range(8)
    ]
    assert not [f for f in _findings(*over_h2) if f.kind == "sse-connection-limit"]


def _browser_held_back(http_version: str) -> list[list[ModelEvent]]:
    """A page with 8 EventSources and a fetch, as a browser sends them: 6 streams open, and
    the 7th, 8th and the fetch go out only as the first streams close (at 5 s and 6 s)."""
    ends = [5.0, 6.0, 60, 60, 60, 60]
    groups = [
        sse(
            T0 + i * 0.05,
            ends[i] - i * 0.05,
            b"id: 1\ndata: x\n\n",
            url=f"http://api.test/events/{i}",
            client=f"10.0.0.1:{51000 + i}",
            http_version=http_version,
        )
        for i in range(6)
    ]
    later = [(5.003, "/events/6", 51000), (6.06, "/events/7", 51001)]
    for start, path, port in later:
        url, client = f"http://api.test{path}", f"10.0.0.1:{port}"
        groups.append(sse(T0 + start, 50, b"data: x\n\n", url, client, http_version))
    groups.append(
        http(
            T0 + 6.002, "http://api.test/api/me", client="10.0.0.1:51001", http_version=http_version
        )
    )
    return groups


def test_a_browser_holding_back_the_seventh_stream_hits_the_limit() -> None:
    """The browser never opens a 7th: the limit shows as 6 streams open and requests that go
    out only as one closes."""
    finding = _one(_findings(*_browser_held_back("HTTP/1.1")), "sse-connection-limit")
    assert finding.stats["concurrent"] == 6 and finding.stats["waited"] == 3
    assert "held them back" in finding.rationale
    over_h2 = _findings(*_browser_held_back("HTTP/2.0"))
    assert not [f for f in over_h2 if f.kind == "sse-connection-limit"]


def test_six_streams_with_nothing_waiting_are_not_the_limit() -> None:
    streams = [
        sse(T0 + i, 10, b"data: x\n\n", f"http://api.test/events/{i}", f"10.0.0.1:{51000 + i}")
        for i in range(6)
    ]
    later = http(T0 + 14.5, "http://api.test/api/me", client="10.0.0.1:51000")
    assert not [f for f in _findings(*streams, later) if f.kind == "sse-connection-limit"]


def test_findings_appear_while_traffic_flows() -> None:
    class Collect(Observer):
        def __init__(self) -> None:
            self.findings: list[Finding] = []

        def finding(self, finding: Finding) -> None:
            self.findings.append(finding)

    seen = Collect()
    analyzer = Analyzer(detector=Detector(incremental=True), observers=[seen])
    events = polls(30, 2.0, change_every=10)
    analyzer.run(events[: len(events) // 3])
    early = [f for f in seen.findings if f.kind == "short-polling"]
    assert early and early[-1].stats["count"] == 10


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_incremental_equals_batch(seed: int) -> None:
    rng = random.Random(seed)
    groups = []
    for n in range(rng.randint(1, 5)):
        groups.append(
            polls(
                rng.randint(3, 40),
                rng.uniform(0.3, 30),
                jitter=rng.uniform(0, 0.3),
                change_every=rng.randint(0, 5),
                seed=seed + n,
                url=f"http://api.test/r{rng.randint(0, 2)}",
                client=f"10.0.0.{rng.randint(1, 3)}:{rng.randint(50000, 50003)}",
            )
        )
    user: list[ModelEvent] = []
    for _ in range(rng.randint(0, 20)):
        user += http(
            T0 + rng.uniform(0, 300), "http://api.test/r0", method=rng.choice(["GET", "POST"])
        )
    groups.append(user)
    batch = [f.to_dict() for f in _findings(*groups)]
    live = [f.to_dict() for f in _findings(*groups, incremental=True)]
    assert live == batch


def test_live_evaluation_looks_at_a_window_but_the_end_result_is_whole() -> None:
    events = polls(300, 2.0, jitter=0.1, change_every=7)
    windowed = Analyzer(detector=Detector(incremental=True, window=32))
    windowed.run(events)
    batch = _findings(events)
    assert [f.to_dict() for f in windowed.finish()] == [f.to_dict() for f in batch]
    assert batch[0].stats["count"] == 300
