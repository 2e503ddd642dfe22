"""Captures rewritten as one mitmproxy flow file, for `pushscope view --save`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mitmproxy import exceptions
from mitmproxy.io import FlowReader, FlowWriter

from pushscope.inspector.readers.base import sniff

READABLE = {"mitm": "flow file", "har": "HAR"}


def save_flows(paths: Sequence[Path], out: Path) -> list[str]:
    """Write the flows of every capture mitmproxy itself reads (flow files, HAR) to `out`.

    Returns one line per capture left out and why (a pcap or a feed has no flows to give; a
    HAR's WebSocket messages are dropped by mitmproxy's HAR import)."""
    notes: list[str] = []
    written = 0
    with open(out, "wb") as fp:
        writer = FlowWriter(fp)
        for path in paths:
            with open(path, "rb") as capture:
                fmt = sniff(capture.read(64))
                if fmt not in READABLE:
                    notes.append(f"{path}: a {fmt or 'unknown'} capture has no flows to save")
                    continue
                capture.seek(0)
                try:
                    for flow in FlowReader(capture).stream():
                        writer.add(flow)
                        written += 1
                except exceptions.FlowReadException as e:
                    notes.append(f"{path}: mitmproxy could not read it all: {e}")
            if fmt == "har":
                notes.append(f"{path}: saved without WebSocket messages (mitmproxy's HAR import)")
    if not written:
        out.unlink()
    return notes
