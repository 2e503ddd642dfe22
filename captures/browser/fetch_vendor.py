"""Fetch the built browser files of the client libraries the browser pages load, once.

Each package is fetched at a pinned version with the ordinary npm client (``npm pack``), its
tarball checked against the pinned ``integrity`` (the registry's SHA-512), and only the built
files the pages need and the package's licence are kept under ``vendor/<package>/``.
``vendor/MANIFEST.json`` records what was kept and each file's SHA-256, so ``--check`` can
verify the vendored files without a network.

    .venv/bin/python captures/browser/fetch_vendor.py           # fetch what is missing or stale
    .venv/bin/python captures/browser/fetch_vendor.py --check   # verify vendor/ offline
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import NamedTuple

VENDOR = Path(__file__).resolve().parent / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"
NPM_TIMEOUT = 120.0


class Package(NamedTuple):
    """One npm package at a pinned version, and the files of its tarball to keep."""

    name: str
    version: str
    integrity: str
    """The registry's `dist.integrity` of the tarball (`sha512-<base64>`)."""
    folder: str
    """Where under vendor/ its files go."""
    files: tuple[str, ...]
    """Paths inside the tarball's `package/` folder; each is kept under its base name."""


PACKAGES = (
    Package(
        "socket.io-client",
        "4.8.4",
        "sha512-7wjKAvVXYOJsbmUgkWbnhPD4bFpkqrUR0++XOjpGFmqDqsqV1CI93VTraeExLxpjxEqrWgFoSRZu1ihjLWfkAA==",
        "socket.io-client",
        ("dist/socket.io.min.js", "LICENSE"),
    ),
    Package(
        "graphql-ws",
        "6.4.2",
        "sha512-wxhPhhOGJo8PbGDkBYVE76sZLDrS+GkyrR4bZECSLVbo0pZZNKs0HtBh2Ip/uaUuiVUxwO9ssI9R92buQfNSqQ==",
        "graphql-ws",
        ("umd/graphql-ws.min.js", "LICENSE.md"),
    ),
    # Apollo's WebSocket client before graphql-ws: it speaks the older protocol, whose
    # subprotocol is also named `graphql-ws`. Its browser build sets SubscriptionsTransportWs.
    Package(
        "subscriptions-transport-ws",
        "0.11.0",
        "sha512-8D4C6DIH5tGiAIpp5I0wD/xRlNiZAPGHygzCe7VzyzUoxHtawzjNAY9SUTXU05/EY2NMY9/9GF0ycizkXr1CWQ==",
        "subscriptions-transport-ws",
        ("browser/client.js", "LICENSE"),
    ),
    # urql's core ships ES modules only: the page loads them with an import map that names
    # its two dependencies, wonka and @0no-co/graphql.web.
    Package(
        "@urql/core",
        "6.0.3",
        "sha512-0F39XWR21+IVLJfsqBvLShvoSzxT6h6wWXwrDhN8j9J+IEVOpQIUNHwpgjsp+2ePzn9aCH+rpDonn3HOAUnn9A==",
        "urql-core",
        ("dist/urql-core.mjs", "dist/urql-core-chunk.mjs", "LICENSE"),
    ),
    Package(
        "wonka",
        "6.3.6",
        "sha512-MXH+6mDHAZ2GuMpgKS055FR6v0xVP3XwquxIMYXgiW+FejHQlMGlvVRZT4qMCxR+bEo/FCtIdKxwej9WV3YQag==",
        "wonka",
        ("dist/wonka.mjs", "LICENSE.md"),
    ),
    Package(
        "@0no-co/graphql.web",
        "1.3.4",
        "sha512-imSwulOeDQodRy/olQmVEo2PiY6ntjkZ9eiGdw6lMYylh/tay9b7MusyJBmEnkL8GiKRKr6ltr+D42mY5bd8Bg==",
        "graphql.web",
        ("dist/graphql.web.mjs", "LICENSE.md"),
    ),
    # TanStack Query's core without React; version 4 is the last with a UMD build (5 ships
    # only modules split over many files).
    Package(
        "@tanstack/query-core",
        "4.36.1",
        "sha512-DJSilV5+ytBP1FbFcEJovv4rnnm/CokuVvrBEtW/Va9DvuJ3HksbXUJEpI0aV1KtuL4ZoO9AVE6PyNLzF7tLeA==",
        "query-core",
        ("build/umd/index.production.js", "LICENSE"),
    ),
)


def _sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest() -> dict[str, dict[str, object]]:
    if not MANIFEST.is_file():
        return {}
    loaded: dict[str, dict[str, object]] = json.loads(MANIFEST.read_text())
    return loaded


def check() -> list[str]:
    """Problems with the vendored files: missing, changed, or not the pinned version."""
    manifest = _manifest()
    problems = []
    for package in PACKAGES:
        entry = manifest.get(package.name)
        if entry is None:
            problems.append(f"{package.name}: not in {MANIFEST.name}")
            continue
        if (entry.get("version"), entry.get("integrity")) != (package.version, package.integrity):
            vendored = entry.get("version")
            problems.append(f"{package.name}: vendored {vendored}, pinned {package.version}")
        files = entry.get("files")
        assert isinstance(files, dict)
        for name, digest in files.items():
            path = VENDOR / package.folder / name
            where = f"{package.name}: {path.relative_to(VENDOR)}"
            if not path.is_file():
                problems.append(f"{where} is missing")
            elif _sha256(path) != digest:
                problems.append(f"{where} differs from {MANIFEST.name}")
    return problems


def fetch(package: Package, work: Path) -> dict[str, object]:
    """Fetch one package's tarball with npm, verify it, keep its files; its manifest entry."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH: it fetches the pinned packages (apt-get install npm)")
    spec = f"{package.name}@{package.version}"
    result = subprocess.run(
        [npm, "pack", spec, "--json", "--pack-destination", str(work)],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT,
        check=False,
        cwd=work,
    )
    if result.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed:\n{result.stderr.strip()}")
    (packed,) = json.loads(result.stdout)
    tarball = work / packed["filename"]
    got = _sri(tarball.read_bytes())
    if got != package.integrity:
        raise SystemExit(f"{spec}: tarball integrity {got} is not the pinned {package.integrity}")
    target = VENDOR / package.folder
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    files = {}
    with tarfile.open(tarball) as archive:
        for inner in package.files:
            member = archive.extractfile(f"package/{inner}")
            if member is None:
                raise SystemExit(f"{spec}: {inner} is not a file in the tarball")
            path = target / Path(inner).name
            path.write_bytes(member.read())
            files[path.name] = _sha256(path)
    return {
        "version": package.version,
        "integrity": package.integrity,
        "folder": package.folder,
        "from": list(package.files),
        "files": files,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="only verify vendor/, fetch nothing")
    parser.add_argument("--force", action="store_true", help="fetch every package again")
    args = parser.parse_args(argv)
    problems = check()
    if args.check:
        print("\n".join(problems) or f"vendor/ matches {MANIFEST.name}: {len(PACKAGES)} packages")
        return 1 if problems else 0
    manifest = _manifest()
    stale = {p.split(":", 1)[0] for p in problems}
    wanted = [p for p in PACKAGES if args.force or p.name in stale]
    with tempfile.TemporaryDirectory(prefix="pushscope-vendor-") as tmp:
        for package in wanted:
            print(f"fetching {package.name}@{package.version}")
            manifest[package.name] = fetch(package, Path(tmp))
    pinned = {p.name for p in PACKAGES}
    manifest = {name: entry for name, entry in sorted(manifest.items()) if name in pinned}
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    problems = check()
    print("\n".join(problems) or f"vendor/ matches {MANIFEST.name}: {len(PACKAGES)} packages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
