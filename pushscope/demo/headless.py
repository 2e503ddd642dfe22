"""`pushscope demo --headless`: the demo servers and clients through a real mitmdump running
the pushscope addon, then the report of what it saw."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from pushscope.demo.app import run_demo
from pushscope.demo.proxy import AddonRun, Mitmdump
from pushscope.demo.servers import run_servers


def run_headless(duration: float, save: Path | None = None) -> tuple[Path, list[str]]:
    """Run the demo for `duration` seconds; return the live feed it produced and a line per
    client with how many runs it finished. With `save`, the flow file, feed and report the
    proxy wrote are kept there."""
    workdir = Path(tempfile.mkdtemp(prefix="pushscope-demo-"))
    run = AddonRun.into(workdir)
    print(f"pushscope demo: {duration:.0f} s of live traffic through mitmdump ...", file=sys.stderr)
    with run_servers() as urls, Mitmdump(run.arguments, workdir / "confdir") as proxy:
        done = asyncio.run(run_demo(urls, proxy, duration))
    lines = [f"{name}: {count}" for name, count in sorted(done.items())]
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for path in (run.feed, run.flows, run.report):
            shutil.copy2(path, save / path.name)
    return run.feed, lines
