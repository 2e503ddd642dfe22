"""TLS key derivation and record opening against published and derived vectors (RFC 8448
section 3; TLS 1.2 and 1.3 records of public captures), read in place from ../shared/fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pushscope.inspector.pcap.keylog import KeyLog, KeyLogError, load_keylogs
from pushscope.inspector.pcap.tls_keys import (
    SUITES,
    Opener,
    hkdf_expand_label,
    next_traffic_secret,
    prf,
    tls12_openers,
    tls13_opener,
)
from tests.conftest import fixture_path


def _vectors(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_path("tls-vectors", name).read_text())
    return data


def _open(opener: Opener, seq: int, record: bytes) -> tuple[int, bytes] | None:
    opener.seq = seq
    return opener.open(record[:5], memoryview(record)[5:])


def test_rfc8448_key_schedule_and_records() -> None:
    rfc = _vectors("rfc8448_simple_1rtt.json")
    secrets = {k: bytes.fromhex(v) for k, v in rfc["secrets"].items()}
    suite = SUITES[0x1301]
    for side in ("client", "server"):
        for phase, secret in (("handshake", "handshake"), ("application", "application")):
            traffic = secrets[
                f"{side}_{secret}_traffic_secret" + ("_0" if phase == "application" else "")
            ]
            key = hkdf_expand_label(traffic, "key", b"", 16, "sha256")
            iv = hkdf_expand_label(traffic, "iv", b"", 12, "sha256")
            assert key == secrets[f"{side}_{phase}_key"]
            assert iv == secrets[f"{side}_{phase}_iv"]
    for record in rfc["records"]:
        secret = secrets[record["traffic_secret"]]
        opened = _open(
            tls13_opener(suite, secret), int(record["seq"]), bytes.fromhex(record["record"])
        )
        assert opened == (int(record["content_type"]), bytes.fromhex(record["content"]))


def test_tls13_capture_records_and_key_updates() -> None:
    updates = 0
    for case in _vectors("tls13_capture_records.json")["cases"]:
        suite = SUITES[int(case["cipher_suite_id"], 16)]
        for record in case["records"]:
            opener = Opener(suite, bytes.fromhex(record["key"]), bytes.fromhex(record["iv"]))
            opened = _open(opener, int(record["seq"]), bytes.fromhex(record["record"]))
            assert opened == (int(record["content_type"]), bytes.fromhex(record["content"])), case[
                "name"
            ]
        used = case["traffic_secrets_used"]
        for label, secret in used.items():
            if " (derived: traffic upd)" in label:  # the secret after a KeyUpdate
                zero = bytes.fromhex(used[label.split(" ")[0][:-1] + "0"])
                assert next_traffic_secret(zero, suite.hash).hex() == secret
                updates += 1
    assert updates == 2


def test_tls12_key_expansion_and_records() -> None:
    for case in _vectors("tls12_aead_records.json")["cases"]:
        suite = SUITES[int(case["cipher_suite_id"], 16)]
        master = bytes.fromhex(case["master_secret"])
        client_random, server_random = (
            bytes.fromhex(case[k]) for k in ("client_random", "server_random")
        )
        block = bytes.fromhex(case["key_block"])
        assert (
            prf(master, b"key expansion", server_random + client_random, len(block), suite.hash)
            == block
        )
        openers = dict(
            zip(
                ("client", "server"),
                tls12_openers(suite, master, client_random, server_random),
                strict=True,
            )
        )
        for record in case["records"]:
            opened = _open(
                openers[record["sender"]], int(record["seq"]), bytes.fromhex(record["record"])
            )
            assert opened == (int(record["content_type"]), bytes.fromhex(record["plaintext"])), (
                case["name"]
            )


def test_a_wrong_key_does_not_open() -> None:
    rfc = _vectors("rfc8448_simple_1rtt.json")
    record = rfc["records"][0]
    secret = bytearray(bytes.fromhex(rfc["secrets"][record["traffic_secret"]]))
    secret[0] ^= 1
    assert (
        _open(tls13_opener(SUITES[0x1301], bytes(secret)), 0, bytes.fromhex(record["record"]))
        is None
    )


RANDOM = "ab" * 32


def test_key_log_lines() -> None:
    keylog = KeyLog()
    text = (
        "# SSL/TLS secrets log file\n\n"
        f"CLIENT_RANDOM {RANDOM} {'11' * 48}\n"
        f"CLIENT_TRAFFIC_SECRET_0 {RANDOM} {'22' * 32}\n"
        f"EXPORTER_SECRET {RANDOM} {'33' * 32}\n"
        "SOMETHING_NEW a b\n"
    )
    assert keylog.add_text(text, "keys.log") == []
    secrets = keylog.get(bytes.fromhex(RANDOM))
    assert secrets == {"CLIENT_RANDOM": b"\x11" * 48, "CLIENT_TRAFFIC_SECRET_0": b"\x22" * 32}
    assert len(keylog) == 1 and keylog.get(b"\x00" * 32) is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"CLIENT_RANDOM {RANDOM}", "expected 'LABEL CLIENT_RANDOM SECRET', found 2 fields"),
        (f"CLIENT_RANDOM {RANDOM} zz", "client random or secret is not hex"),
        (f"CLIENT_RANDOM abcd {'11' * 48}", "client random has 2 bytes, not 32"),
        (f"CLIENT_RANDOM {RANDOM} 1122", "secret has 2 bytes (32, 48 or 64 expected)"),
    ],
)
def test_malformed_key_log_lines_name_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "keys.log"
    path.write_text(f"# comment\n{line}\n")
    with pytest.raises(KeyLogError) as raised:
        load_keylogs([path])
    assert str(raised.value) == f"{path}, line 2: {problem}"
    assert KeyLog().add_text(line, "dsb", strict=False) == [f"dsb, line 1: {problem}"]


def test_several_key_logs_and_a_missing_one(tmp_path: Path) -> None:
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text(f"CLIENT_RANDOM {RANDOM} {'11' * 48}\n")
    second.write_text(f"CLIENT_RANDOM {'cd' * 32} {'22' * 48}\n")
    assert len(load_keylogs([first, second])) == 2
    with pytest.raises(KeyLogError, match="cannot read the key log"):
        load_keylogs([tmp_path / "absent.log"])
