"""TLS secrets from NSS key log files (SSLKEYLOGFILE) and pcapng Decryption Secrets Blocks.

Each line is `LABEL <client_random hex> <secret hex>`; comments (#) and blank lines are
skipped, labels this reader does not use are ignored, and a malformed line is a `KeyLogError`
naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

LABELS = frozenset(
    {
        "CLIENT_RANDOM",
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    }
)
"""The labels read: the TLS 1.2 master secret and the TLS 1.3 traffic secrets."""


class KeyLogError(ValueError):
    """A key log that cannot be read (one line: file, line, what is wrong)."""


class KeyLog:
    """Secrets by client random, then by label."""

    def __init__(self) -> None:
        self.secrets: dict[bytes, dict[str, bytes]] = {}

    def copy(self) -> KeyLog:
        """A key log holding the same secrets, to add a capture's own to."""
        other = KeyLog()
        other.secrets = {random: dict(labels) for random, labels in self.secrets.items()}
        return other

    def __len__(self) -> int:
        return len(self.secrets)

    def __bool__(self) -> bool:  # (mypyc's truth test of a class calls __bool__, never __len__)
        return bool(self.secrets)

    def get(self, client_random: bytes) -> dict[str, bytes] | None:
        """The secrets logged for the connection whose ClientHello has `client_random`."""
        return self.secrets.get(client_random)

    def add_text(self, text: str, name: str, strict: bool = True) -> list[str]:
        """Read the lines of `text` (from `name`); malformed lines raise `KeyLogError` when
        `strict`, else they are returned as problems."""
        problems: list[str] = []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            problem = None
            if len(parts) != 3:
                problem = f"expected 'LABEL CLIENT_RANDOM SECRET', found {len(parts)} fields"
            elif parts[0] in LABELS:
                try:
                    random, secret = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
                except ValueError:
                    problem = "client random or secret is not hex"
                else:
                    if len(random) != 32:
                        problem = f"client random has {len(random)} bytes, not 32"
                    elif len(secret) not in (32, 48, 64):
                        problem = f"secret has {len(secret)} bytes (32, 48 or 64 expected)"
                    else:
                        self.secrets.setdefault(random, {})[parts[0]] = secret
            if problem is not None:
                message = f"{name}, line {number}: {problem}"
                if strict:
                    raise KeyLogError(message)
                problems.append(message)
        return problems

    def add_file(self, path: Path) -> None:
        """Read the key log at `path`."""
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError as e:
            raise KeyLogError(f"{path}: cannot read the key log: {e.strerror or e}") from None
        self.add_text(text, str(path))


def load_keylogs(paths: Iterable[Path]) -> KeyLog:
    """One `KeyLog` holding the secrets of every file in `paths`."""
    keylog = KeyLog()
    for path in paths:
        keylog.add_file(path)
    return keylog
