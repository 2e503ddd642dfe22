"""pushscope's own TLS recordings (`captures/tls/`, made by `captures/record_tls.py`): where
they are, their truth files, and what tshark reads from them with their key logs."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TLS_CAPTURES = Path(__file__).resolve().parents[2] / "captures" / "tls"
NAMES = ("h2-tls13", "h2-tls12", "h1-tls13", "chromium-page")
TSHARK = shutil.which("tshark")


@dataclass(frozen=True)
class Recording:
    """One recording: its pcap, its key log and its truth (what the server saw)."""

    name: str

    @property
    def pcap(self) -> Path:
        return TLS_CAPTURES / f"{self.name}.pcap"

    @property
    def keys(self) -> Path:
        return TLS_CAPTURES / f"{self.name}.keys"

    @property
    def truth(self) -> dict[str, Any]:
        return json.loads((TLS_CAPTURES / f"{self.name}.json").read_text())

    def requests(self) -> list[tuple[str, str, str, int]]:
        """(HTTP version, method, path without query, status) of every request, in order."""
        return [
            (r["http_version"], r["method"], r["path"], r["status"]) for r in self.truth["requests"]
        ]


def tshark_fields(recording: Recording, display: str, *fields: str) -> list[list[str]]:
    """tshark's decryption of `recording` (its key log; the server port decoded as TLS):
    the `fields` of every packet matching `display`."""
    assert TSHARK is not None
    port = recording.truth["server_port"]
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(recording.pcap), "-o", f"tls.keylog_file:{recording.keys}",
         "-d", f"tcp.port=={port},tls", "-Y", display, "-T", "fields", "-E", "separator=/t",
         *(part for name in fields for part in ("-e", name))],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [line.split("\t") for line in result.stdout.splitlines()]


def tshark_requests(recording: Recording) -> list[tuple[str, str, str, int]]:
    """What tshark decrypts: (HTTP version, method, path without query, status) of every
    request, in the order the requests went out."""
    rows = tshark_fields(
        recording,
        "http2.type == 1 or http.request or http.response",
        "tcp.stream", "http2.streamid", "http2.headers.method", "http2.headers.path",
        "http2.headers.status", "http.request.method", "http.request.uri", "http.response.code",
    )  # fmt: skip
    requests: list[list[Any]] = []
    by_stream: dict[tuple[str, str], list[Any]] = {}
    waiting: dict[str, list[list[Any]]] = {}  # HTTP/1.1: requests per connection, in order
    for conn, stream_ids, method, path, status, method1, uri, code in rows:
        for stream in stream_ids.split(",") if stream_ids else []:
            key = (conn, stream)
            if method and key not in by_stream:
                by_stream[key] = ["2", method, path.split("?")[0], None]
                requests.append(by_stream[key])
            elif status and key in by_stream and by_stream[key][3] is None:
                by_stream[key][3] = int(status.split(",")[0])
        if method1:
            request = ["1.1", method1, uri.split("?")[0], None]
            requests.append(request)
            waiting.setdefault(conn, []).append(request)
        elif code and waiting.get(conn):
            waiting[conn].pop(0)[3] = int(code)
    return [tuple(request) for request in requests]  # type: ignore[misc]
