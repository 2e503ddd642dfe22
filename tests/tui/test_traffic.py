"""The viewer's model: batches from the analyzer's thread, counts, findings, the filter."""

from __future__ import annotations

import threading

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.readers import read_capture
from pushscope.tui.filters import parse_filter
from pushscope.tui.rows import safe, split_url
from pushscope.tui.sources import view_limits
from pushscope.tui.store import TrafficStore
from pushscope.tui.traffic import Traffic
from tests.conftest import CAPTURES
from tests.traffic import http


def analyze(*names: str) -> tuple[Traffic, TrafficStore]:
    store = TrafficStore()
    analyzer = Analyzer(view_limits(), Detector(incremental=False), observers=[store])

    def read() -> None:
        for index, name in enumerate(names):
            analyzer.run(read_capture(CAPTURES / name, index).events)
        store.finished(analyzer.finish())

    reader = threading.Thread(target=read)  # the analyzer runs off the UI thread, as in the app
    reader.start()
    traffic = Traffic()
    while reader.is_alive():
        traffic.apply(store.take(), store.connections)
    reader.join()
    traffic.apply(store.take(), store.connections)
    return traffic, store


def test_counts_connections_and_findings_from_captures() -> None:
    traffic, _ = analyze("poll-short.mitm", "websocket-chat.mitm", "sse-eventsource.mitm")
    assert len(traffic) == 19
    assert traffic.protocols == {"rest": 17, "sse": 1, "websocket": 1}
    assert traffic.messages == 9 and traffic.events >= 8
    assert traffic.connections.websocket == 0 and traffic.connections.peak_websocket == 1
    assert traffic.connections.peak_sse == 1
    assert traffic.finished and not traffic.open
    (finding,) = traffic.findings.values()
    assert finding.kind == "short-polling"
    marked = [traffic.row(i).finding for i in range(len(traffic.visible))]
    assert sum(marked) == len(finding.exchanges) == 16


def test_filter_then_clear() -> None:
    traffic, _ = analyze("demo-mix.mitm")
    traffic.set_filter(parse_filter("proto:sse"))
    rows = [traffic.row(i) for i in range(len(traffic.visible))]
    assert [r.path for r in rows] == ["/events", "/v1/chat/completions"]
    assert traffic.index_of(traffic.exchanges[0].id) is None  # a REST call: hidden
    traffic.set_filter(parse_filter(""))
    assert len(traffic.visible) == len(traffic) == 9


def test_a_filtered_row_appears_when_its_response_makes_it_match() -> None:
    store, traffic = TrafficStore(), Traffic()
    analyzer = Analyzer(view_limits(), observers=[store])
    traffic.set_filter(parse_filter("status:404"))
    a_opened, a_response, *a_rest = http(1.0, "http://h/a", status=404, duration=2.0)
    b_opened, b_response, *_ = http(1.5, "http://h/b", status=404)
    analyzer.run([a_opened, b_opened])
    traffic.apply(store.take())
    assert traffic.visible == []
    analyzer.run([b_response, a_response])
    traffic.apply(store.take())
    assert traffic.visible == [0, 1]  # in arrival order, whatever order they matched in
    analyzer.run(a_rest)
    traffic.apply(store.take())
    assert traffic.row(0).duration == "2.00 s" and traffic.row(1).duration == "open"


def test_rows_are_safe_text() -> None:
    assert safe("a\x1b[31mred\x07\nnext") == "a\u241b[31mred\u2407\u2424next"
    assert safe("line\nline", newlines=True) == "line\nline"
    assert split_url("https://h:8443/p?q=1") == ("h:8443", "/p?q=1")
    assert split_url("http://h?q") == ("h", "/?q")
    assert split_url("/relative") == ("", "/relative")


def test_the_detail_decodes_a_frameworks_messages_as_the_content_view_does() -> None:
    """The viewer's detail screen uses the core's decoders, the same as mitmproxy's view."""
    from rich.console import Console

    from pushscope.inspector.analysis import Analyzer
    from pushscope.inspector.decoders import decode_message
    from pushscope.tui.details import exchange_sections
    from tests.traffic import websocket

    packets = [b'42["chat message","hi"]', b"2", b"3"]
    analyzer = Analyzer()
    url = "http://api.test/socket.io/?EIO=4&transport=websocket"
    events = websocket(1.0, [(1.1 + i, "server", p) for i, p in enumerate(packets)], url)
    for event in events:
        analyzer.feed(event)
    (exchange,) = analyzer.exchanges
    assert exchange.framework == "socket.io"
    console = Console(width=120, record=True)
    for _, body in exchange_sections(exchange):
        console.print(body)
    text = console.export_text()
    for packet in packets:
        assert decode_message(packet, 1, "socket.io").summary in text
    assert 'socket.io EVENT "chat message" ns=/' in text and "engine.io ping" in text
