"""TLS decryption cross-checked with tshark (-o tls.keylog_file:...) on the same captures and
key logs, where it is installed: records decrypted (TLS 1.3), requests and status codes of
HTTP/1.1 inside."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pushscope.inspector.pcap.keylog import load_keylogs
from tests.conftest import fixture_path
from tests.pcap.test_tls_captures import opened, read, statuses

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not on PATH (Debian: apt-get install tshark)"
)


def _tshark(capture: Path, keylog: Path, *fields: str, display: str = "") -> list[list[str]]:
    assert TSHARK is not None
    command = [TSHARK, "-n", "-r", str(capture), "-o", f"tls.keylog_file:{keylog}", "-T", "fields"]
    if display:
        command += ["-Y", display]
    for name in fields:
        command += ["-e", name]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return [line.split("\t") for line in result.stdout.splitlines()]


TLS13 = [
    ("snet", "tls1.3_keyupdates_aes256.pcap", "log.txt"),
    ("snet", "tls1.3_aes128.pcap", "log.txt"),
    ("snet", "tls1.3_chacha.pcap", "log.txt"),
    ("snet", "tls1.3_session_resumption.pcap", "log.txt"),
    ("snet", "tls1.3_curl_google.pcap", "log.txt"),
    ("illustrated-tls", "tls13/capture.pcap", "tls13/keylog.txt"),
    ("tls-vectors", "rfc8448_simple_1rtt.pcap", "rfc8448_simple_1rtt.keylog"),
]


@pytest.mark.parametrize(("folder", "capture", "log"), TLS13, ids=[r[1] for r in TLS13])
def test_tls13_records_decrypted_as_tshark(folder: str, capture: str, log: str) -> None:
    path, keys = fixture_path(folder, *capture.split("/")), fixture_path(folder, *log.split("/"))
    rows = _tshark(path, keys, "tls.record.opaque_type", "tls.record.content_type")
    encrypted = sum(len([v for v in row[0].split(",") if v]) for row in rows)
    inner = [v for row in rows if len(row) > 1 for v in row[1].split(",") if v]
    assert inner.count("22") > 1  # tshark read the encrypted handshake: it decrypted too
    _, records = read(path.read_bytes(), load_keylogs([keys]))
    assert sum(records.values()) == encrypted


@pytest.mark.parametrize(
    ("capture", "log"),
    [
        ("tls12-decryption.pcap", "tls12-decryption.keylog"),
        ("tls-1.2-stream-keylog.pcap", "tls-1.2-stream-keylog.keylog"),
    ],
)
def test_tls12_http1_requests_and_status_codes_as_tshark(capture: str, log: str) -> None:
    path, keys = fixture_path("zeek", "tls", capture), fixture_path("zeek", "tls", log)
    rows = _tshark(path, keys, "http.request.method", "http.response.code", display="http")
    methods = [v for row in rows for v in row[0].split(",") if v]
    codes = [int(v) for row in rows if len(row) > 1 for v in row[1].split(",") if v]
    events, _ = read(path.read_bytes(), load_keylogs([keys]))
    assert [x.request.method for x in opened(events)] == methods
    assert statuses(events) == codes
