"""Where the viewer's traffic comes from: captures, a followed feed, the embedded proxy, the
demo. Each runs an analyzer on a thread of its own and tells a `TrafficStore` (no Textual)."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Limits
from pushscope.inspector.pcap.keylog import KeyLog
from pushscope.inspector.readers import read_capture
from pushscope.inspector.readers.base import CaptureError
from pushscope.inspector.report import Report, Source
from pushscope.tui.store import TrafficStore

if TYPE_CHECKING:
    from pushscope.addons.embedded import EmbeddedProxy
    from pushscope.demo.background import DemoTraffic


STEP_EVENTS = 256
"""Model events a capture source handles between two looks at the clock."""
FREEZE_EVENTS = STEP_EVENTS * 64


VIEW_MESSAGES = 250_000
"""Messages (or SSE events, or comments) the viewer keeps of one exchange."""
VIEW_KEPT_BYTES = 256 << 20
"""What the viewer keeps of messages, events and comments of all exchanges together, in bytes
(`Limits.kept_bytes`): a connection of 100,000 messages of a few hundred bytes fits with room,
and a capture of 100,000 exchanges cannot hold more whatever they carry."""


def view_limits() -> Limits:
    """What the viewer keeps per exchange: headers, bodies and messages enough for the detail
    views and the conversation view, bounded so that 100,000 exchanges stay in memory."""
    return Limits(
        ws_messages=VIEW_MESSAGES,
        sse_events=VIEW_MESSAGES,
        kept_bytes=VIEW_KEPT_BYTES,
        body_bytes=16 << 10,
        preview_bytes=4096,
    )


class TrafficSource:
    """Feeds an analyzer on its own thread; the UI learns what it finds through `store`."""

    live = False
    """New traffic keeps coming (the table follows the newest row unless paused)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.store = TrafficStore()
        self.notice: list[str] = []
        """Lines to show above the table (where the proxy listens, how to trust it)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def analyzer(self) -> Analyzer:
        raise NotImplementedError

    def start(self) -> None:
        """Start producing traffic (once; later calls do nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.title, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError

    def steps(self) -> Iterator[None] | None:
        """Work for the UI's own loop to run in short slices, between key presses and frames
        (None: the source runs on a thread of its own)."""
        return None

    def findings(self) -> list[Finding]:
        detector = self.analyzer.detector
        return detector.findings if detector is not None else []

    def report(self) -> Report:
        """What was seen so far, as a report (the export action)."""
        analyzer = self.analyzer
        return Report(self.report_sources(), analyzer.exchanges, self.findings())

    def report_sources(self) -> list[Source]:
        analyzer = self.analyzer
        return [
            Source(
                self.title,
                "live",
                len(analyzer),
                errors=analyzer.problems.get(0, []),
                error_count=analyzer.problem_counts.get(0, 0),
            )
        ]


class CaptureSource(TrafficSource):
    """Captures read one after the other, streamed into the table as they are read."""

    def __init__(
        self, paths: Sequence[Path], keylog: KeyLog | None = None, limits: Limits | None = None
    ) -> None:
        self.keylog = keylog
        names = ", ".join(p.name for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
        super().__init__(names)
        self.paths = list(paths)
        self.sources = [Source(str(p), None) for p in paths]
        self._analyzer = Analyzer(
            limits or view_limits(), Detector(incremental=False), observers=[self.store]
        )
        self._findings: list[Finding] = []

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    def findings(self) -> list[Finding]:
        return self._findings

    def report_sources(self) -> list[Source]:
        return self.sources

    def start(self) -> None:
        """Nothing to start: the UI runs `steps()` on its own loop."""

    def steps(self) -> Iterator[None]:
        for index, path in enumerate(self.paths):
            yield from self._read(index, path)
            if self._stop.is_set():
                return
        self._findings = self.analyzer.finish()
        gc.freeze()
        self.store.finished(self._findings)
        self.store.status(self._summary())

    def _read(self, index: int, path: Path) -> Iterator[None]:
        source = self.sources[index]
        analyzer = self.analyzer
        before = len(analyzer)
        try:
            capture = read_capture(path, index, self.keylog)
            source.format = capture.format
            size = max(1, os.path.getsize(path))
            for n, event in enumerate(capture.events):
                analyzer.feed(event)
                if n % STEP_EVENTS == 0:
                    if self._stop.is_set():
                        return
                    if n % FREEZE_EVENTS == 0:
                        # What was read stays: out of the collector's way, or every collection
                        # would rescan the whole capture. The UI's own garbage is still collected.
                        gc.freeze()
                        share = min(100, capture.position() * 100 // size)
                        self.store.status(f"reading {path.name}: {share}%")
                    yield
        except CaptureError as e:
            source.unusable = True
            source.errors.append(str(e))
        analyzer.close_open()
        source.exchanges = len(analyzer) - before
        source.errors = [*source.errors, *analyzer.problems.get(index, [])]
        source.error_count = len(source.errors) + max(
            0, analyzer.problem_counts.get(index, 0) - len(analyzer.problems.get(index, []))
        )

    def _summary(self) -> str:
        problems = sum(s.error_count for s in self.sources)
        unusable = [s.path for s in self.sources if s.unusable]
        text = f"read {len(self.analyzer):,} exchanges from {len(self.sources)} capture(s)"
        if problems:
            text += f"; {problems} problem(s), first: {next(iter(self.problems()), '')}"
        if unusable:
            text += f"; unusable: {', '.join(unusable)}"
        return text

    def problems(self) -> Iterator[str]:
        for source in self.sources:
            for problem in source.errors:
                yield problem if problem.startswith(source.path) else f"{source.path}: {problem}"


class _Tail:
    """The complete lines of a growing file, waiting at its end until stopped."""

    def __init__(self, path: Path, stop: threading.Event, store: TrafficStore) -> None:
        self.path = path
        self.stop = stop
        self.store = store

    def __iter__(self) -> Iterator[bytes]:
        while not self.path.exists():
            self.store.status(f"waiting for {self.path} to appear")
            if self.stop.wait(0.25):
                return
        with open(self.path, "rb") as fp:
            pending = b""
            while not self.stop.is_set():
                chunk = fp.read(1 << 16)
                if not chunk:
                    self.stop.wait(0.05)
                    continue
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    yield line + b"\n"


class FollowSource(TrafficSource):
    """The live feed an addon writes in the user's own mitmproxy, followed as it grows."""

    live = True

    def __init__(self, path: Path) -> None:
        super().__init__(f"following {path.name}")
        self.path = path
        self._analyzer = Analyzer(view_limits(), Detector(incremental=True), observers=[self.store])

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    def _run(self) -> None:
        from pushscope.inspector.readers.jsonl import read_jsonl

        tail = _Tail(self.path, self._stop, self.store)
        self.store.status(f"following {self.path}")
        try:
            for event in read_jsonl(cast(BinaryIO, tail), 0, str(self.path)):
                self.analyzer.feed(event)
        except CaptureError as e:
            self.store.status(f"stopped: {e}")


class LiveSource(TrafficSource):
    """mitmproxy running inside this process with the pushscope addon."""

    live = True

    def __init__(
        self,
        listen_host: str = "127.0.0.1",
        listen_port: int = 8080,
        mode: Sequence[str] = ("regular",),
        save: Path | None = None,
        confdir: Path | None = None,
        ssl_insecure: bool = False,
    ) -> None:
        super().__init__("live")
        from pushscope.addons.embedded import EmbeddedProxy

        options: dict[str, Any] = {}
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            options = {"save_flows": save / "flows.mitm", "report": save / "report.json"}
        self.proxy: EmbeddedProxy = EmbeddedProxy(
            [self.store],
            listen_host=listen_host,
            listen_port=listen_port,
            mode=mode,
            confdir=confdir,
            limits=view_limits(),
            ssl_insecure=ssl_insecure,
            **options,
        )
        self._started = False

    @property
    def analyzer(self) -> Analyzer:
        return self.proxy.analyzer

    def start(self) -> None:
        """Start the proxy; raises `ProxyStartError` with a one-line reason when it cannot."""
        if self._started:
            return
        self.proxy.start()
        self._started = True
        self.title = f"live on {self.proxy.url}"
        self.notice = [f"proxy listening on {self.proxy.url}", *self.proxy.trust_hint()]
        self.store.status(self.title)

    def stop(self, timeout: float = 15.0) -> None:
        if self._started:
            self.proxy.stop(timeout)
            self._started = False


class DemoSource(LiveSource):
    """The demo app's servers and clients, their traffic through the embedded proxy. With
    `https`, the servers speak HTTPS with HTTP/2 and wss on a self-signed certificate, and the
    clients speak HTTP/2 to the proxy, trusting its CA: the proxy intercepts TLS, as it does
    for a browser. Unless a `confdir` is given, that CA is made in a folder of the demo's own,
    removed when it stops."""

    def __init__(
        self, save: Path | None = None, confdir: Path | None = None, https: bool = False
    ) -> None:
        self._workdir = Path(tempfile.mkdtemp(prefix="pushscope-demo-")) if https else None
        if self._workdir is not None and confdir is None:
            confdir = self._workdir / "confdir"
        super().__init__(listen_port=0, save=save, confdir=confdir, ssl_insecure=https)
        self.demo: DemoTraffic | None = None

    def start(self) -> None:
        if self._started:
            return
        super().start()
        from pushscope.demo.background import DemoTraffic

        tls = None
        if self._workdir is not None:
            from pushscope.demo.tls import self_signed

            tls = (self_signed(self._workdir / "server"), self.proxy.ca_cert)
        self.demo = DemoTraffic(self.proxy.url, tls)
        self.demo.start()
        what = "HTTPS and HTTP/2 " if tls else ""
        self.title = f"demo {what}through {self.proxy.url}"
        self.notice = [
            f"demo {what}servers and clients on 127.0.0.1, through the proxy at {self.proxy.url}"
        ]
        self.store.status(self.title)

    def stop(self, timeout: float = 15.0) -> None:
        if self.demo is not None:
            self.demo.stop()
            self.demo = None
        super().stop(timeout)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
