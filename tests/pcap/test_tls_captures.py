"""TLS decryption of packet captures: connections written in code, public captures with their
key logs (read in place from ../shared/fixtures), and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pushscope.inspector.events import ExchangeOpened, ModelEvent, ResponseStarted, SourceProblem
from pushscope.inspector.model import Exchange, Limits, TlsInfo
from pushscope.inspector.pcap.capture import visit_packets
from pushscope.inspector.pcap.connections import Connections
from pushscope.inspector.pcap.keylog import KeyLog, load_keylogs
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.report.json_report import exchange_dict
from tests.conftest import fixture_path
from tests.pcap import tls_builder
from tests.pcap.builder import Conversation


def read(data: bytes, keylog: KeyLog | None) -> tuple[list[ModelEvent], dict[str, int]]:
    """The events of a capture and the records decrypted per connection."""
    secrets = keylog.copy() if keylog is not None else KeyLog()
    connections = Connections(0, keylog=secrets)
    for _ in visit_packets(
        io.BytesIO(data), connections.packet, lambda t: secrets.add_text(t, "dsb")
    ):
        pass
    connections.finish(None)
    return connections.out, connections.tls_records


def problems(events: list[ModelEvent]) -> list[str]:
    return [e.message for e in events if isinstance(e, SourceProblem)]


def opened(events: list[ModelEvent]) -> list[Exchange]:
    return [e.exchange for e in events if isinstance(e, ExchangeOpened)]


def statuses(events: list[ModelEvent]) -> list[int]:
    return [e.response.status for e in events if isinstance(e, ResponseStarted)]


def keylog(text: str) -> KeyLog:
    log = KeyLog()
    log.add_text(text, "keys.log")
    return log


# --- written in code ---------------------------------------------------------------------------


def test_tls13_http1_inside_is_read(tmp_path: Path) -> None:
    events, records = read(tls_builder.conversation().pcap(), keylog(tls_builder.keylog_text()))
    assert problems(events) == []
    (exchange,) = opened(events)
    assert (
        exchange.request.method == "GET" and exchange.request.url == "https://api.example.com/poll"
    )
    assert exchange.tls == TlsInfo(
        "TLS 1.3", "TLS_AES_128_GCM_SHA256", "http/1.1", "api.example.com", True
    )
    assert statuses(events) == [200]
    assert records == {"c1": 10}  # 2 + 1 + ticket, 2 + 1, 2 + 1 handshake and data


@pytest.mark.parametrize("mss", [1, 7, 1400])
def test_any_segmentation_gives_the_same(mss: int) -> None:
    events, records = read(
        tls_builder.conversation(mss=mss).pcap(), keylog(tls_builder.keylog_text())
    )
    assert problems(events) == [] and statuses(events) == [200] and records == {"c1": 10}


def test_the_json_report_says_what_tls_carried(tmp_path: Path) -> None:
    path = tmp_path / "tls.pcap"
    path.write_bytes(tls_builder.conversation().pcap())
    keys = tmp_path / "keys.log"
    keys.write_text(tls_builder.keylog_text())
    report, fatal = analyze_paths([path], limits=Limits(), keylog=load_keylogs([keys]))
    assert fatal == []
    (exchange,) = report.exchanges
    assert exchange.response is not None and exchange.response.status == 200
    assert exchange_dict(exchange)["tls"] == {
        "version": "TLS 1.3",
        "cipher": "TLS_AES_128_GCM_SHA256",
        "alpn": "http/1.1",
        "sni": "api.example.com",
        "decrypted": True,
    }


def test_without_keys_one_exchange_with_sni_alpn_and_a_hint() -> None:
    events, records = read(tls_builder.conversation().pcap(), None)
    (exchange,) = opened(events)
    assert exchange.request.method == "CONNECT" and exchange.request.url == "api.example.com:443"
    assert (
        exchange.evidence[0] == "TLS to api.example.com (ALPN http/1.1): encrypted, not decrypted"
    )
    assert "SSLKEYLOGFILE" in exchange.evidence[1] and "--ssl-key-log-file" in exchange.evidence[1]
    assert exchange.tls is not None and exchange.tls.decrypted is False
    assert problems(events) == [] and records == {"c1": 0}


def test_keys_missing_for_the_connection() -> None:
    other = tls_builder.keylog_text().replace(tls_builder.CLIENT_RANDOM.hex(), "ee" * 32)
    events, _ = read(tls_builder.conversation().pcap(), keylog(other))
    (exchange,) = opened(events)
    assert exchange.request.method == "CONNECT"
    assert exchange.evidence[0].endswith("keys not in the key log")
    assert [p.split(": ", 1)[1] for p in problems(events)] == ["no keys logged for this connection"]


def test_wrong_keys_are_said_once_per_direction() -> None:
    wrong = dict(tls_builder.SECRETS, SERVER_HANDSHAKE_TRAFFIC_SECRET=b"\x09" * 32)
    wrong["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] = b"\x08" * 32
    events, records = read(
        tls_builder.conversation().pcap(), keylog(tls_builder.keylog_text(wrong))
    )
    found = problems(events)
    assert len(found) == 2 and all("AEAD tag check failed" in p for p in found)
    assert {"client's record 1" in p or "server's record 1" in p for p in found} == {True}
    assert records == {"c1": 0}
    (exchange,) = opened(events)
    assert exchange.request.method == "CONNECT"


def test_h2_inside_goes_to_the_http2_reader() -> None:
    # The builder's plaintext is HTTP/1.1, not HTTP/2 frames: the HTTP/2 reader says so, and
    # the connection's TLS facts stay on record.
    events, _records = read(
        tls_builder.conversation(alpn=b"h2").pcap(), keylog(tls_builder.keylog_text())
    )
    problems = [e.message for e in events if isinstance(e, SourceProblem)]
    assert any("(HTTP/2)" in p for p in problems)
    assert all(x.tls is None or x.tls.alpn == "h2" for x in opened(events))


def _tls_start(c: Conversation) -> Conversation:
    return c.send("client", tls_builder.client_hello()).send("server", tls_builder.server_hello())


def test_a_lying_record_length() -> None:
    c = _tls_start(Conversation(server=(b"\x0a\x00\x00\x02", 443)).handshake())
    c.send("server", b"\x17\x03\x03\xff\xff" + b"x" * 100).close()
    events, _ = read(c.pcap(), keylog(tls_builder.keylog_text()))
    assert any(
        "the server sent a record of 65535 bytes, over the limit" in p for p in problems(events)
    )
    assert len(opened(events)) == 1


def test_garbage_after_the_handshake() -> None:
    c = _tls_start(Conversation(server=(b"\x0a\x00\x00\x02", 443)).handshake())
    c.send("client", b"\x00garbage, not TLS at all").close()
    events, _ = read(c.pcap(), keylog(tls_builder.keylog_text()))
    assert any("the client's bytes are not TLS records" in p for p in problems(events))


def test_a_truncated_record_at_the_end() -> None:
    c = _tls_start(Conversation(server=(b"\x0a\x00\x00\x02", 443)).handshake())
    c.send("server", b"\x17\x03\x03\x01\x00" + b"x" * 10).close()
    events, _ = read(c.pcap(), keylog(tls_builder.keylog_text()))
    assert any("the server's last record is truncated (15 bytes)" in p for p in problems(events))


def test_a_capture_that_starts_mid_connection() -> None:
    full = tls_builder.conversation()
    full.packets = full.packets[9:]  # from after the handshakes on
    events, records = read(full.pcap(), keylog(tls_builder.keylog_text()))
    assert any(
        "the capture starts after its handshake; not decrypted" in p for p in problems(events)
    )
    (exchange,) = opened(events)
    assert exchange.request.method == "CONNECT" and records == {"c1": 0}


def test_a_truncated_capture_file_keeps_what_was_read(tmp_path: Path) -> None:
    data = tls_builder.conversation().pcap()
    events, _ = read(data[: len(data) * 3 // 4], keylog(tls_builder.keylog_text()))
    assert len(opened(events)) == 1  # the request, its response cut off


# --- public captures ---------------------------------------------------------------------------

SNET = [
    ("tls1.3_keyupdates_aes256.pcap", "log.txt", "TLS_AES_256_GCM_SHA384", 20),
    ("tls1.3_aes128.pcap", "log.txt", "TLS_AES_128_GCM_SHA256", 14),
    ("tls1.3_aes256gcm.pcap", "log.txt", "TLS_AES_256_GCM_SHA384", 20),
    ("tls1.3_chacha.pcap", "log.txt", "TLS_CHACHA20_POLY1305_SHA256", 14),
    ("tls1.3_session_resumption.pcap", "log.txt", "TLS_AES_256_GCM_SHA384", 9),
    ("tls1.3_curl_google.pcap", "log.txt", "TLS_AES_256_GCM_SHA384", 26),
    ("tls1.2_aes256.pcap", "log.txt", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 7),
    ("tls1_2.pcap", "tls1_2.keylog", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 19),
    (
        "tls_ECDHE-RSA-AES128-GCM-SHA256.pcap",
        "keylog_ECDHE-RSA-AES128-GCM-SHA256.txt",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        13,
    ),
    (
        "tls_ECDHE-RSA-AES256-GCM-SHA384.pcap",
        "keylog_ECDHE-RSA-AES256-GCM-SHA384.txt",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        13,
    ),
    (
        "tls_ECDHE-RSA-CHACHA20-POLY1305.pcap",
        "keylog_ECDHE-RSA-CHACHA20-POLY1305.txt",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        13,
    ),
]


def _info(events: list[ModelEvent]) -> TlsInfo:
    infos = {e.tls for e in opened(events)}
    assert len(infos) == 1
    (info,) = infos
    assert info is not None
    return info


@pytest.mark.parametrize(("capture", "log", "cipher", "count"), SNET, ids=[row[0] for row in SNET])
def test_snet_records_as_upstream_counts_them(
    capture: str, log: str, cipher: str, count: int
) -> None:
    events, records = read(
        fixture_path("snet", capture).read_bytes(), load_keylogs([fixture_path("snet", log)])
    )
    assert list(records.values()) == [count]
    info = _info(events)
    assert info.cipher == cipher and info.decrypted
    assert not [p for p in problems(events) if "TLS connection" in p]


def test_snet_curl_google_is_h2() -> None:
    events, _ = read(
        fixture_path("snet", "tls1.3_curl_google.pcap").read_bytes(),
        load_keylogs([fixture_path("snet", "log.txt")]),
    )
    assert _info(events) == TlsInfo(
        "TLS 1.3", "TLS_AES_256_GCM_SHA384", "h2", "www.google.com", True
    )


def test_rfc8448_trace() -> None:
    folder = ("tls-vectors",)
    events, records = read(
        fixture_path(*folder, "rfc8448_simple_1rtt.pcap").read_bytes(),
        load_keylogs([fixture_path(*folder, "rfc8448_simple_1rtt.keylog")]),
    )
    assert records == {"c1": 7}
    assert _info(events).cipher == "TLS_AES_128_GCM_SHA256"


@pytest.mark.parametrize(
    ("folder", "cipher", "count"),
    [("tls13", "TLS_AES_256_GCM_SHA384", 9), ("tls13-archive", "TLS_AES_128_GCM_SHA256", 5)],
)
def test_illustrated_tls13(folder: str, cipher: str, count: int) -> None:
    events, records = read(
        fixture_path("illustrated-tls", folder, "capture.pcap").read_bytes(),
        load_keylogs([fixture_path("illustrated-tls", folder, "keylog.txt")]),
    )
    assert list(records.values()) == [count]
    assert _info(events).cipher == cipher


def test_illustrated_tls12_cbc_is_said_not_decrypted() -> None:
    events, _records = read(
        fixture_path("illustrated-tls", "tls12", "capture.pcap").read_bytes(),
        load_keylogs([fixture_path("illustrated-tls", "tls12", "keylog.txt")]),
    )
    assert any("cipher suite 0xc013 (TLS 1.2) is not decrypted" in p for p in problems(events))
    (exchange,) = opened(events)
    assert exchange.request.method == "CONNECT" and exchange.tls_sni == "example.ulfheim.net"


def _zeek_http_log(path: Path) -> list[tuple[str, str, str, int]]:
    fields: list[str] = []
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif not line.startswith("#"):
            row = dict(zip(fields, line.split("\t"), strict=True))
            rows.append((row["method"], row["host"], row["uri"], int(row["status_code"])))
    return rows


def test_zeek_tls12_http1_as_zeeks_http_log() -> None:
    expected = _zeek_http_log(
        fixture_path(
            "zeek", "expected-baselines", "scripts.policy.protocols.ssl.decryption", "http.log"
        )
    )
    events, _records = read(
        fixture_path("zeek", "tls", "tls12-decryption.pcap").read_bytes(),
        load_keylogs([fixture_path("zeek", "tls", "tls12-decryption.keylog")]),
    )
    seen = [
        (x.request.method, x.request.url.split("/")[2], "/" + x.request.url.split("/", 3)[3], s)
        for x, s in zip(opened(events), statuses(events), strict=True)
    ]
    assert seen == expected == [("GET", "heise.de", "/", 301)]
    assert _info(events) == TlsInfo(
        "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "http/1.1", "heise.de", True
    )


def test_zeek_tls12_keep_alive_connection() -> None:
    events, _ = read(
        fixture_path("zeek", "tls", "tls-1.2-stream-keylog.pcap").read_bytes(),
        load_keylogs([fixture_path("zeek", "tls", "tls-1.2-stream-keylog.keylog")]),
    )
    requests = opened(events)
    assert len(requests) == 16 and {x.request.method for x in requests} == {"GET"}
    assert requests[0].request.url.startswith("https://www.heise.de/assets/akwa/v24/js/akwa.js")
    assert statuses(events)[0] == 200


HOTPLACE_RECORDS = {"c3": 5, "c5": 5, "c7": 15, "c8": 4, "c12": 3, "c15": 15, "c16": 4}


@pytest.mark.parametrize(
    ("capture", "log"),
    [
        (("http2.pcapng",), ("sslkeylog",)),
        (("http2.pcapng",), ("derived", "http2.keylog")),
        (("derived", "http2-dsb.pcapng"), None),
        (("derived", "http2-dsb-per-connection.pcapng"), None),
    ],
)
def test_hotplace_chrome_h2_with_a_key_log_or_its_secrets_blocks(
    capture: tuple[str, ...], log: tuple[str, ...] | None
) -> None:
    keys = load_keylogs([fixture_path("hotplace", *log)]) if log else None
    events, records = read(fixture_path("hotplace", *capture).read_bytes(), keys)
    assert records == HOTPLACE_RECORDS
    infos = [x.tls for x in opened(events)]
    assert {(i.version, i.cipher, i.alpn, i.decrypted) for i in infos if i} == {
        ("TLS 1.3", "TLS_AES_128_GCM_SHA256", "h2", True)
    }
    # What tshark shows decrypted (SOURCES.md): 5 GETs over two connections; the other five
    # connections carry no request and stay one exchange each.
    path = fixture_path("hotplace", *capture)
    report, fatal = analyze_paths([path], limits=Limits(), keylog=keys)
    assert fatal == []
    answered = sorted(
        (x.request.url, x.response.status, x.request.http_version)
        for x in report.exchanges
        if x.request.method == "GET" and x.response is not None
    )
    assert answered == [
        ("https://localhost:9000/", 200, "HTTP/2.0"),
        ("https://localhost:9000/api/html", 200, "HTTP/2.0"),
        ("https://localhost:9000/api/json", 200, "HTTP/2.0"),
        ("https://localhost:9000/api/test", 200, "HTTP/2.0"),
        ("https://localhost:9000/favicon.ico", 404, "HTTP/2.0"),
    ]
    assert sum(x.request.method == "CONNECT" for x in report.exchanges) == 5


def test_hotplace_without_keys() -> None:
    events, records = read(fixture_path("hotplace", "http2.pcapng").read_bytes(), None)
    assert set(records.values()) == {0}
    assert {x.request.method for x in opened(events)} == {"CONNECT"}


def test_dsb_through_the_reader(tmp_path: Path) -> None:
    path = fixture_path("hotplace", "derived", "http2-dsb.pcapng")
    report, fatal = analyze_paths([path], limits=Limits())
    assert fatal == []
    assert {x.tls.decrypted for x in report.exchanges if x.tls} == {True}


# --- command line ------------------------------------------------------------------------------


def test_analyze_keylog_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pushscope.cli import main

    capture, keys = tmp_path / "tls.pcap", tmp_path / "keys.log"
    capture.write_bytes(tls_builder.conversation().pcap())
    keys.write_text(tls_builder.keylog_text())
    empty = tmp_path / "other.log"
    empty.write_text("# nothing here\n")
    argv = ["analyze", str(capture), "--keylog", str(empty), "--keylog", str(keys)]
    assert main([*argv, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (exchange,) = report["exchanges"]
    assert exchange["tls"]["decrypted"] is True and exchange["tls"]["alpn"] == "http/1.1"
    bad = tmp_path / "bad.log"
    bad.write_text("CLIENT_RANDOM 00\n")
    assert main(["analyze", str(capture), "--keylog", str(bad)]) == 2
    assert f"{bad}, line 1:" in capsys.readouterr().err


def test_view_takes_key_logs(tmp_path: Path) -> None:
    from pushscope.cli import build_parser
    from pushscope.tui.main import source_for
    from pushscope.tui.sources import CaptureSource

    capture, keys = tmp_path / "tls.pcap", tmp_path / "keys.log"
    capture.write_bytes(tls_builder.conversation().pcap())
    keys.write_text(tls_builder.keylog_text())
    source = source_for(build_parser().parse_args(["view", str(capture), "--keylog", str(keys)]))
    assert isinstance(source, CaptureSource) and source.keylog is not None
    assert len(source.keylog) == 1


def test_a_record_that_does_not_decrypt_is_said_before_what_its_segment_gave() -> None:
    # Once the reader inside is chosen, plaintext goes straight to it: a problem found later
    # in the same segment is still said first, as for a segment read whole before its records.
    client = tls_builder.Protector(tls_builder.SECRETS["CLIENT_HANDSHAKE_TRAFFIC_SECRET"])
    server = tls_builder.Protector(tls_builder.SECRETS["SERVER_HANDSHAKE_TRAFFIC_SECRET"])
    flight = (
        tls_builder.encrypted_extensions(b"http/1.1")
        + tls_builder.handshake(11, b"\x00" * 40)
        + tls_builder.handshake(20, b"\x00" * 32)
    )
    c = _tls_start(Conversation(server=(b"\x0a\x00\x00\x02", 443)).handshake())
    c.send("server", tls_builder.plain(20, b"\x01") + server.record(22, flight))
    finished = client.record(22, tls_builder.handshake(20, b"\x00" * 32))
    c.send("client", tls_builder.plain(20, b"\x01") + finished)
    client.use(tls_builder.SECRETS["CLIENT_TRAFFIC_SECRET_0"])
    c.send("client", client.record(23, tls_builder.REQUEST[:10]))  # the reader is chosen
    rest = client.record(23, tls_builder.REQUEST[10:])
    damaged = bytearray(client.record(23, b"more"))
    damaged[-1] ^= 1
    c.send("client", rest + bytes(damaged)).close()
    events, records = read(c.pcap(), keylog(tls_builder.keylog_text()))
    said = [
        i
        for i, e in enumerate(events)
        if isinstance(e, SourceProblem) and "client's record 3 does not decrypt" in e.message
    ]
    requests = [i for i, e in enumerate(events) if isinstance(e, ExchangeOpened)]
    assert len(said) == 1 and requests and said[0] < requests[0]
    assert opened(events)[0].request.url == "https://api.example.com/poll"
    assert records == {"c1": 4}  # the server's flight, the Finished, two of application data
