"""The pushscope mitmproxy addon: classify traffic as it flows, stream SSE event by event,
write the live feed and, at shutdown, the report.

Hooks copy what they need of a flow into records (`addons.adapter`) and hand them to the
analysis: in a process of its own (`addons.worker`) or in this one (`addons.session`). Nothing
here classifies or detects. An exception inside the addon is logged once per hook and the
traffic goes on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import mitmproxy.flow
import mitmproxy.types
from mitmproxy import command, ctx, exceptions, http
from mitmproxy.addonmanager import Loader
from mitmproxy.hooks import UpdateHook

from pushscope.addons import adapter
from pushscope.addons.contentview import CHUNKS_KEY, PushscopeView, register, unregister
from pushscope.addons.records import Body, Closed
from pushscope.addons.session import Configure, LiveAnalysis, Settings, WriteReport
from pushscope.addons.worker import AnalysisProcess, Sent, WorkerError
from pushscope.inspector.analysis import Analyzer, Observer
from pushscope.inspector.annotations import KINDS, Note
from pushscope.inspector.findings import Severity
from pushscope.inspector.model import Direction, Limits

log = logging.getLogger(__name__)
SHOW_INTERVAL = 0.5
"""Seconds between two updates of an open SSE stream's body in its flow."""
MAX_CHUNKS = 10_000
"""Chunk times kept per SSE flow."""
SERIES_MARKER = ":star:"
"""What `pushscope.series` marks a series' flows with."""
NOTE_KEY = "pushscope"
"""`flow.metadata` key of the comment and marker pushscope set: anything else is the user's."""


def _command[Command: Callable[..., Any]](name: str) -> Callable[[Command], Command]:
    """mitmproxy's `command.command`, typed."""
    decorate: Callable[[Command], Command] = command.command(name)
    return decorate


def guarded[Hook: Callable[..., Any]](hook: Hook) -> Hook:
    """Run a hook so that nothing it raises reaches mitmproxy: log it once, carry on."""

    @functools.wraps(hook)
    def run(self: Pushscope, *args: Any) -> Any:
        try:
            return hook(self, *args)
        except Exception:
            if hook.__name__ not in self.failed_hooks:
                self.failed_hooks.add(hook.__name__)
                log.exception("pushscope: %s failed; traffic is unaffected", hook.__name__)
            return None

    return run  # type: ignore[return-value]


class SseTap:
    """A response stream function: passes every chunk on unchanged and at once, shows it to
    the analyzer with its arrival time, and keeps a bounded copy for flow files and views:
    put back into the flow as it grows (at most every `SHOW_INTERVAL`), with where each chunk
    began and when (`flow.metadata[CHUNKS_KEY]`)."""

    def __init__(self, addon: Pushscope, flow: http.HTTPFlow, keep: int, then: Any = None) -> None:
        self.addon = addon
        self.flow = flow
        self.flow_id = flow.id
        self.keep = keep
        self.kept = bytearray()
        self.size = 0
        self.then = then if callable(then) else None
        self.chunks: list[list[float]] = []
        flow.metadata[CHUNKS_KEY] = self.chunks
        self.shown = time.monotonic()

    def __call__(self, data: bytes) -> bytes | Iterable[bytes]:
        if data:
            now = time.time()
            self.size += len(data)
            self.addon.chunk(self.flow_id, data, now)
            if len(self.kept) < self.keep:
                if len(self.chunks) < MAX_CHUNKS:
                    self.chunks.append([len(self.kept), now])
                self.kept += data[: self.keep - len(self.kept)]
                if time.monotonic() - self.shown >= SHOW_INTERVAL:
                    self.show()
        return self.then(data) if self.then is not None else data

    def show(self) -> None:
        """Put what passed so far into the flow, for views of a stream still open."""
        self.shown = time.monotonic()
        try:
            response = self.flow.response
            if response is not None and self.kept:
                response.raw_content = bytes(self.kept)
                self.addon.updated([self.flow])
        except Exception:
            if "show" not in self.addon.failed_hooks:
                self.addon.failed_hooks.add("show")
                log.exception("pushscope: showing a stream failed; traffic is unaffected")


class Pushscope:
    """Classifies every exchange, parses SSE and WebSocket traffic, finds polling, live.

    The hooks make records (`addons.adapter`); the analysis runs in a process of its own
    (`addons.worker`), or in mitmproxy's when `pushscope_process` is off, when the process
    cannot start, or when a program embedding the proxy watches the analyzer (`observers`).
    """

    def __init__(self, observers: Iterable[Observer] = (), limits: Limits | None = None) -> None:
        """`observers` and `limits` are for a program embedding mitmproxy (the TUI); a
        mitmproxy script takes the defaults: summaries only, headers dropped at close."""
        self.failed_hooks: set[str] = set()
        self.observers = list(observers)
        self.limits = limits
        self.session: LiveAnalysis | None = None
        self.process: AnalysisProcess | None = None
        self.settings = Settings()
        self.push: Callable[[Sent], None] = self._start
        self.taps: dict[str, SseTap] = {}
        # Options read on every exchange, copied in `configure`: `ctx.options` costs a lookup
        # through mitmproxy's option manager on each access.
        self.stream_sse = True
        self.annotating = False
        self.max_sse_body = 16 << 20
        self.in_process = bool(self.observers)
        self.flows: weakref.WeakValueDictionary[str, http.HTTPFlow] = weakref.WeakValueDictionary()
        """Flows that may get a note, while mitmproxy (its view, a hook) still holds them."""
        self.view = PushscopeView(self)
        self.findings: dict[str, dict[str, Any]] = {}
        """Each finding's latest summary (`Finding.to_dict` with a `count` for `exchanges`)."""
        self.series: dict[str, dict[str, None]] = {}
        """By finding id, the ids of the flows it involves, in the order they joined."""

    @property
    def analyzer(self) -> Analyzer | None:
        """The analyzer, when it runs in this process."""
        return self.session.analyzer if self.session is not None else None

    # -- options

    def load(self, loader: Loader) -> None:
        register(self.view)
        loader.add_option(
            "pushscope_feed",
            str,
            "",
            "Write pushscope's live feed (JSON Lines, pushscope.feed/1) to this file.",
        )
        loader.add_option(
            "pushscope_report",
            str,
            "",
            "Write pushscope's JSON report (pushscope.report/1) here when mitmproxy stops.",
        )
        loader.add_option(
            "pushscope_stream_sse",
            bool,
            True,
            "Stream text/event-stream and application/grpc responses so each event or "
            "message reaches the client as it is sent (mitmproxy otherwise holds them until "
            "they end).",
        )
        loader.add_option(
            "pushscope_max_messages",
            int,
            1000,
            "WebSocket messages pushscope keeps per exchange (counts stay exact).",
        )
        loader.add_option(
            "pushscope_max_events",
            int,
            1000,
            "SSE events pushscope keeps per exchange (counts stay exact).",
        )
        loader.add_option(
            "pushscope_max_sse_body",
            int,
            16 << 20,
            "Bytes of each streamed SSE body kept so a saved flow (-w) still holds it.",
        )
        loader.add_option(
            "pushscope_annotate",
            str,
            ",".join(KINDS),
            "What pushscope annotates in the flow list with a marker and a comment: a "
            f"comma-separated choice of {', '.join(KINDS)}; empty for nothing. Comments and "
            "markers you set yourself are never overwritten.",
        )
        loader.add_option(
            "pushscope_web_columns",
            bool,
            True,
            "Add mitmweb's comment column to web_columns when it is missing, so that "
            "pushscope's notes show in the flow list.",
        )
        loader.add_option(
            "pushscope_process",
            bool,
            True,
            "Analyse in a process of its own, so that the analysis costs the proxy almost "
            "nothing (off: in mitmproxy's process). Read at start-up.",
        )

    def configure(self, updated: set[str]) -> None:
        options = ctx.options
        for name in ("pushscope_max_messages", "pushscope_max_events", "pushscope_max_sse_body"):
            if name in updated and getattr(options, name) < 0:
                raise exceptions.OptionsError(
                    f"{name} must be 0 or more, not {getattr(options, name)}"
                )
        for name in ("pushscope_feed", "pushscope_report"):
            if name in updated and getattr(options, name):
                _check_writable(name, getattr(options, name))
        annotate = _kinds(options.pushscope_annotate)
        self.stream_sse = options.pushscope_stream_sse
        self.max_sse_body = options.pushscope_max_sse_body
        self.annotating = bool(annotate)
        if self.annotating and options.pushscope_web_columns and "web_columns" in options:
            columns = list(options.web_columns)
            if "comment" not in columns:
                options.update(web_columns=[*columns, "comment"])
        if self.session is None and self.process is None:
            self.in_process = self.in_process or not options.pushscope_process
        self.settings = Settings(
            options.pushscope_feed,
            options.pushscope_report,
            options.pushscope_max_messages,
            options.pushscope_max_events,
            annotate,
        )
        if self.process is not None:
            self.process.push(Configure(self.settings))
            self.process.flush()
        elif self.session is not None or self.in_process:
            self._session().configure(self.settings)

    def running(self) -> None:
        if self.push == self._start:
            self.push = self._sink()

    # -- hooks

    @guarded
    def request(self, flow: http.HTTPFlow) -> None:
        if self.annotating:
            self.flows[flow.id] = flow
        self.push(adapter.opened(flow))

    @guarded
    def responseheaders(self, flow: http.HTTPFlow) -> None:
        self.push(adapter.responded(flow))
        if not self.stream_sse:
            return
        assert flow.response is not None
        if adapter.is_push_stream(flow):
            tap = SseTap(self, flow, self.max_sse_body, flow.response.stream)
            self.taps[flow.id] = tap
            flow.response.stream = tap

    @guarded
    def response(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is not None:
            return  # closed at websocket_end
        tap = self.taps.pop(flow.id, None)
        response = flow.response
        assert response is not None
        ended = response.timestamp_end
        body = response.raw_content
        if tap is not None:
            self.push(Closed(flow.id, ended, body_size=self._keep_streamed_body(flow, tap)))
        elif body is None:
            # Streamed by mitmproxy itself (stream_large_bodies) and not stored: the body
            # passed unseen, which is not the same as an empty one.
            length = response.headers.get("content-length", "")
            size = int(length) if length.isdigit() else 0
            self.push(Closed(flow.id, ended, body_unknown=True, body_size=size))
        else:
            self.push(Closed(flow.id, ended, body_size=len(body), body=body))

    @guarded
    def error(self, flow: http.HTTPFlow) -> None:
        tap = self.taps.pop(flow.id, None)
        size = None
        if tap is not None and flow.response is not None:
            size = self._keep_streamed_body(flow, tap)
        assert flow.error is not None
        self.push(Closed(flow.id, flow.error.timestamp, flow.error.msg, body_size=size))

    @guarded
    def websocket_message(self, flow: http.HTTPFlow) -> None:
        self.push(adapter.message(flow))

    @guarded
    def websocket_end(self, flow: http.HTTPFlow) -> None:
        ws = flow.websocket
        assert ws is not None
        closed_by: Direction = "client" if ws.closed_by_client else "server"
        reason = ws.close_reason or None
        self.push(Closed(flow.id, ws.timestamp_end, None, ws.close_code, reason, closed_by))

    def done(self) -> None:
        unregister()
        try:
            if self.process is not None:
                self.process.finish()
            elif self.session is not None or self.settings.report:
                self._session().finish()
        except Exception:
            log.exception("pushscope: finishing the analysis failed")

    # -- commands

    @_command("pushscope.findings")
    def findings_now(self) -> Sequence[str]:
        """pushscope's findings so far, most severe first: one line each."""
        ranked = sorted(
            self.findings.values(),
            key=lambda f: (-Severity.parse(f["severity"]), f["endpoint"]),
        )
        return [_finding_line(f) for f in ranked]

    @_command("pushscope.report")
    def report_now(self, path: mitmproxy.types.Path) -> None:
        """Write pushscope's JSON report to `path` now, with the findings so far."""
        try:
            _check_writable("pushscope.report", str(path))
        except exceptions.OptionsError as e:
            raise exceptions.CommandError(str(e)) from None
        if self.process is not None:
            self.process.push(WriteReport(str(path)))
            self.process.flush()
        else:
            try:
                self._session().write_report(str(path))
            except OSError as e:
                raise exceptions.CommandError(f"cannot write {path}: {e}") from None
            log.info("pushscope: report written to %s", path)

    @_command("pushscope.series")
    def mark_series(self, flow: mitmproxy.flow.Flow) -> None:
        """Mark the flows of the polling series (or other finding) this flow is part of."""
        ids = {i for members in self.series.values() if flow.id in members for i in members}
        if not ids:
            raise exceptions.CommandError("this flow is in no series pushscope found")
        marked = [f for i in ids if (f := self.flows.get(i)) is not None]
        for member in marked:
            member.marked = SERIES_MARKER
        self.updated(marked)
        log.info("pushscope: marked %d flows of the series", len(marked))

    # -- plumbing

    def _start(self, record: Sent) -> None:
        """The first record, when `running` has not said where records go (an addon driven
        by hand): decide now."""
        self.push = self._sink()
        self.push(record)

    def _sink(self) -> Callable[[Sent], None]:
        if not self.in_process:
            try:
                self.process = AnalysisProcess(self.settings, self.annotate, self.found)
                return self.process.push
            except WorkerError as e:
                log.warning("pushscope: %s; analysing in mitmproxy's process instead", e)
        return self._session().apply

    def _session(self) -> LiveAnalysis:
        if self.session is None:
            self.session = LiveAnalysis(
                self._schedule,
                self.observers,
                self.limits,
                notes=lambda note: self.annotate([note]),
                findings=self.found,
            )
            self.session.configure(self.settings)
        return self.session

    def annotate(self, notes: list[Note]) -> None:
        """Put each note on its flow, unless the flow is gone or its user set the comment or
        the marker: then that part stays as it is."""
        try:
            self.updated([flow for note in notes if (flow := self._annotated(note)) is not None])
        except Exception:
            if "annotate" not in self.failed_hooks:
                self.failed_hooks.add("annotate")
                log.exception("pushscope: annotating flows failed; traffic is unaffected")

    def updated(self, flows: list[http.HTTPFlow]) -> None:
        """Tell mitmproxy's views (mitmweb's list, the console) that these flows changed."""
        if flows:
            ctx.master.addons.trigger(UpdateHook(flows))

    def found(self, summary: dict[str, Any]) -> None:
        """A finding was raised or changed."""
        self.findings[summary["id"]] = summary

    def _annotated(self, note: Note) -> http.HTTPFlow | None:
        for finding_id in note.findings:
            self.series.setdefault(finding_id, {})[note.exchange_id] = None
        flow = self.flows.get(note.exchange_id)
        if flow is None:
            return None
        ours = flow.metadata.get(NOTE_KEY) or {}
        changed = False
        if flow.comment in ("", ours.get("comment")) and flow.comment != note.comment:
            flow.comment = note.comment
            changed = True
        if flow.marked in ("", ours.get("marker")) and flow.marked != note.marker:
            flow.marked = note.marker
            changed = True
        if changed:
            flow.metadata[NOTE_KEY] = {"comment": flow.comment, "marker": flow.marked}
        return flow if changed else None

    def chunk(self, flow_id: str, data: bytes, at: float) -> None:
        """A piece of a streamed body, as it passes (`at`: when)."""
        try:
            self.push(Body(flow_id, data, at))
        except Exception:
            if "stream" not in self.failed_hooks:
                self.failed_hooks.add("stream")
                log.exception("pushscope: parsing a stream failed; traffic is unaffected")

    def _keep_streamed_body(self, flow: http.HTTPFlow, tap: SseTap) -> int:
        """mitmproxy keeps no streamed body (and loses it when the client hangs up): put back
        what passed, within the cap, before the save addon writes the flow. Its size."""
        assert flow.response is not None
        if tap.kept:  # streamed, mitmproxy kept nothing: what is there is the tap's own
            flow.response.raw_content = bytes(tap.kept)
        tap.kept = bytearray()  # the flow still refers to the tap: do not hold the body twice
        return tap.size

    def _schedule(self, delay: float, function: Callable[[], None]) -> None:
        """Run `function` (the feed's timer) after `delay` seconds on mitmproxy's event loop;
        at once outside one (an addon driven by hand). A failure is logged once, like a hook's,
        and never raised into the loop."""

        def run() -> None:
            try:
                function()
            except Exception:
                if "feed" not in self.failed_hooks:
                    self.failed_hooks.add("feed")
                    log.exception("pushscope: writing the feed failed")

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            run()
            return
        loop.call_later(delay, run)


def _finding_line(summary: dict[str, Any]) -> str:
    advice = f" -> {summary['recommendation']}" if summary.get("recommendation") else ""
    return (
        f"{summary['severity']} {summary['kind']}{advice} {summary['endpoint']} "
        f"({summary['count']} exchanges)"
    )


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise exceptions.OptionsError(
            f"pushscope_annotate: unknown {', '.join(unknown)} (choose from {', '.join(KINDS)})"
        )
    return kinds


def _check_writable(option: str, path: str) -> None:
    directory = Path(os.path.expanduser(path)).resolve().parent
    if not directory.is_dir():
        raise exceptions.OptionsError(f"{option}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise exceptions.OptionsError(f"{option}: cannot write in {directory}")
