"""Read captures into one analyzer and produce a report: what `pushscope analyze` does."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.model import Limits
from pushscope.inspector.readers import read_capture
from pushscope.inspector.readers.base import CaptureError
from pushscope.inspector.report import Report, Source

if TYPE_CHECKING:
    from pushscope.inspector.pcap.keylog import KeyLog

Progress = Callable[[str, int, int], None]
"""Called as (path, bytes read so far, file size) while a capture is read."""


def analyze_paths(
    paths: Sequence[Path],
    limits: Limits | None = None,
    redact: bool = True,
    progress: Progress | None = None,
    keylog: KeyLog | None = None,
) -> tuple[Report, list[str]]:
    """Analyse every capture (packet captures' TLS decrypted with `keylog`); return the report
    and one line per unusable input.

    The cyclic garbage collector is paused meanwhile: a capture becomes millions of small
    acyclic objects, which it would otherwise scan again and again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze(paths, limits, redact, progress, keylog)
    finally:
        if collecting:
            gc.freeze()  # what the analysis built stays: no full collection rescans it now
            gc.enable()


def _analyze(
    paths: Sequence[Path],
    limits: Limits | None,
    redact: bool,
    progress: Progress | None,
    keylog: KeyLog | None = None,
) -> tuple[Report, list[str]]:
    analyzer = Analyzer(
        limits or Limits(ws_messages=0, sse_events=0, headers=False),
        detector=Detector(incremental=False),
    )
    sources: list[Source] = []
    fatal: list[str] = []
    for index, path in enumerate(paths):
        source = Source(str(path), None)
        sources.append(source)
        before = len(analyzer)
        try:
            capture = read_capture(path, index, keylog)
            source.format = capture.format
            size = os.path.getsize(path)
            for n, event in enumerate(capture.events):
                analyzer.feed(event)
                if progress is not None and n % 4096 == 0:
                    progress(str(path), capture.position(), size)
        except CaptureError as e:
            source.unusable = True
            fatal.append(str(e))
        analyzer.close_open()
        source.exchanges = len(analyzer) - before
        source.errors = analyzer.problems.get(index, [])
        source.error_count = analyzer.problem_counts.get(index, 0)
    findings = analyzer.finish()
    return Report(sources, analyzer.exchanges, findings, redact=redact), fatal
