"""`pushscope demo --headless`: the demo servers and clients through a real mitmdump running
the pushscope addon, then the report of what it saw."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from pushscope.demo.app import run_demo
from pushscope.demo.common import clients_trusting
from pushscope.demo.proxy import AddonRun, Mitmdump
from pushscope.demo.servers import run_servers
from pushscope.demo.tls import CA_FILE, self_signed


@contextmanager
def run_headless(
    duration: float, save: Path | None = None, https: bool = False
) -> Iterator[tuple[Path, list[str]]]:
    """Run the demo for `duration` seconds; give the live feed it produced (gone on exit) and
    a line per client with how many runs it finished. With `save`, the flow file, feed and
    report the proxy wrote are kept there. With `https`, the servers speak HTTPS with HTTP/2
    and wss (a self-signed certificate made here, which mitmproxy accepts: `ssl_insecure`),
    and the clients speak HTTP/2 to mitmproxy, trusting its CA: mitmproxy intercepts TLS."""
    workdir = Path(tempfile.mkdtemp(prefix="pushscope-demo-"))
    try:
        yield _run(workdir, duration, save, https)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(workdir: Path, duration: float, save: Path | None, https: bool) -> tuple[Path, list[str]]:
    run = AddonRun.into(workdir)
    confdir = workdir / "confdir"
    certificate = self_signed(workdir / "server") if https else None
    arguments = [*run.arguments, "--set", "ssl_insecure=true"] if https else run.arguments
    what = "HTTPS and HTTP/2" if https else "live"
    print(
        f"pushscope demo: {duration:.0f} s of {what} traffic through mitmdump ...", file=sys.stderr
    )
    with (
        run_servers(certificate=certificate) as urls,
        Mitmdump(arguments, confdir) as proxy,
        clients_trusting(confdir / CA_FILE) if https else nullcontext(),
    ):
        done = asyncio.run(run_demo(urls, proxy, duration))
    lines = [f"{name}: {count}" for name, count in sorted(done.items())]
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for path in (run.feed, run.flows, run.report):
            shutil.copy2(path, save / path.name)
    return run.feed, lines
