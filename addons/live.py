"""The pushscope mitmproxy addon: classify traffic as it flows, stream SSE event by event,
write the live feed and, at shutdown, the report.

Hooks hand off to the core analyzer through `addons.adapter`; nothing here classifies or
detects. An exception inside the addon is logged once per hook and the traffic goes on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from mitmproxy import ctx, exceptions, http
from mitmproxy.addonmanager import Loader

from addons.adapter import exchange_of, last_message, response_of
from inspector.analysis import Analyzer, Observer
from inspector.detect import Detector
from inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ResponseStarted,
    WebSocketMessageSeen,
)
from inspector.feed import FeedWriter
from inspector.findings import Finding
from inspector.model import Limits
from inspector.report import Report, Source
from inspector.report.json_report import write_json

log = logging.getLogger(__name__)

FEED_FLUSH_INTERVAL = 0.05
"""Seconds a feed record may wait to be written with the ones after it (see `inspector.feed`)."""


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
    the analyzer with its arrival time, and keeps a bounded copy for flow files."""

    def __init__(self, addon: Pushscope, flow_id: str, keep: int, then: Any = None) -> None:
        self.addon = addon
        self.flow_id = flow_id
        self.keep = keep
        self.kept = bytearray()
        self.size = 0
        self.then = then if callable(then) else None

    def __call__(self, data: bytes) -> bytes | Iterable[bytes]:
        if data:
            self.size += len(data)
            self.addon.chunk(self.flow_id, data)
            if len(self.kept) < self.keep:
                self.kept += data[: self.keep - len(self.kept)]
        return self.then(data) if self.then is not None else data


class _FindingLog(Observer):
    """One log line per new finding, and per finding whose severity changes."""

    def __init__(self) -> None:
        self.severities: dict[str, int] = {}

    def finding(self, finding: Finding) -> None:
        if self.severities.get(finding.id) == finding.severity:
            return
        self.severities[finding.id] = finding.severity
        advice = f" -> {finding.recommendation}" if finding.recommendation else ""
        log.info(
            "pushscope: %s %s%s %s", finding.severity.label, finding.kind, advice, finding.endpoint
        )


class Pushscope:
    """Classifies every exchange, parses SSE and WebSocket traffic, finds polling, live."""

    def __init__(self, observers: Iterable[Observer] = (), limits: Limits | None = None) -> None:
        """`observers` and `limits` are for a program embedding mitmproxy (the TUI); a
        mitmproxy script takes the defaults: summaries only, headers dropped at close."""
        self.failed_hooks: set[str] = set()
        self.observers = list(observers)
        self.limits = limits
        self.analyzer: Analyzer | None = None
        self.feed_file: TextIO | None = None
        self.feed: FeedWriter | None = None
        self.taps: dict[str, SseTap] = {}
        # Options read on every exchange, copied in `configure`: `ctx.options` costs a lookup
        # through mitmproxy's option manager on each access.
        self.stream_sse = True
        self.max_sse_body = 16 << 20

    # -- options

    def load(self, loader: Loader) -> None:
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
            "Stream text/event-stream responses so each event reaches the client as it is "
            "sent (mitmproxy otherwise holds them until they end).",
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
        if self.analyzer is None:
            self.analyzer = Analyzer(
                self.limits or Limits(headers=False),
                Detector(incremental=True),
                observers=[_FindingLog(), *self.observers],
            )
        self.analyzer.limits.ws_messages = options.pushscope_max_messages
        self.analyzer.limits.sse_events = options.pushscope_max_events
        self.stream_sse = options.pushscope_stream_sse
        self.max_sse_body = options.pushscope_max_sse_body
        if "pushscope_feed" in updated:
            self._open_feed(options.pushscope_feed)

    def _open_feed(self, path: str) -> None:
        assert self.analyzer is not None
        self._close_feed()
        if path:
            self.feed_file = open(os.path.expanduser(path), "w", encoding="utf-8")  # noqa: SIM115
            self.feed = FeedWriter(
                self.feed_file, flush_interval=FEED_FLUSH_INTERVAL, schedule=self._schedule
            )
            self.analyzer.observers.append(self.feed)

    def _close_feed(self) -> None:
        """Write out what the feed has gathered and close its file."""
        try:
            if self.feed is not None:
                if self.analyzer is not None and self.feed in self.analyzer.observers:
                    self.analyzer.observers.remove(self.feed)
                self.feed.close()
        finally:
            self.feed = None
            if self.feed_file is not None:
                self.feed_file.close()
                self.feed_file = None

    # -- hooks

    @guarded
    def request(self, flow: http.HTTPFlow) -> None:
        self._feed(ExchangeOpened(exchange_of(flow)))

    @guarded
    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = response_of(flow)
        self._feed(ResponseStarted(flow.id, response))
        if not self.stream_sse:
            return
        content_type = response.fields.get("content-type")
        if content_type and content_type.lower().startswith("text/event-stream"):
            assert flow.response is not None
            tap = SseTap(self, flow.id, self.max_sse_body, flow.response.stream)
            self.taps[flow.id] = tap
            flow.response.stream = tap

    @guarded
    def response(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is not None:
            return  # closed at websocket_end
        tap = self.taps.pop(flow.id, None)
        assert flow.response is not None
        ended = flow.response.timestamp_end
        if tap is not None:
            self._keep_streamed_body(flow, tap)
        elif flow.response.raw_content is None:
            # Streamed by mitmproxy itself (stream_large_bodies) and not stored: the body
            # passed unseen, which is not the same as an empty one.
            length = flow.response.headers.get("content-length", "")
            self._body_size(flow.id, int(length) if length.isdigit() else 0)
            self._close(flow.id, ExchangeClosed(flow.id, ended, body_unknown=True))
            return
        else:
            body = flow.response.raw_content
            self._body_size(flow.id, len(body))
            self._feed(BodyChunk(flow.id, body, ended))
        self._close(flow.id, ExchangeClosed(flow.id, ended))

    @guarded
    def error(self, flow: http.HTTPFlow) -> None:
        tap = self.taps.pop(flow.id, None)
        if tap is not None and flow.response is not None:
            self._keep_streamed_body(flow, tap)
        assert flow.error is not None
        self._close(flow.id, ExchangeClosed(flow.id, flow.error.timestamp, error=flow.error.msg))

    @guarded
    def websocket_message(self, flow: http.HTTPFlow) -> None:
        message, payload = last_message(flow)
        self._feed(WebSocketMessageSeen(flow.id, message, payload))

    @guarded
    def websocket_end(self, flow: http.HTTPFlow) -> None:
        ws = flow.websocket
        assert ws is not None
        self._close(
            flow.id,
            ExchangeClosed(
                flow.id,
                ws.timestamp_end,
                close_code=ws.close_code,
                close_reason=ws.close_reason or None,
                closed_by="client" if ws.closed_by_client else "server",
            ),
        )

    def done(self) -> None:
        if self.analyzer is None:
            return
        try:
            findings = self.analyzer.finish()
            path = ctx.options.pushscope_report
            if path:
                analyzer = self.analyzer
                source = Source(
                    "mitmproxy (live)",
                    "live",
                    len(analyzer),
                    errors=analyzer.problems.get(0, []),
                    error_count=analyzer.problem_counts.get(0, 0),
                )
                report = Report([source], analyzer.exchanges, findings)
                with open(os.path.expanduser(path), "w", encoding="utf-8") as out:
                    write_json(report, out)
        except Exception:
            log.exception("pushscope: writing the report failed")
        finally:
            self._close_feed()

    # -- plumbing

    def chunk(self, flow_id: str, data: bytes) -> None:
        """A piece of a streamed body, as it passes."""
        try:
            self._feed(BodyChunk(flow_id, data, time.time()))
        except Exception:
            if "stream" not in self.failed_hooks:
                self.failed_hooks.add("stream")
                log.exception("pushscope: parsing a stream failed; traffic is unaffected")

    def _keep_streamed_body(self, flow: http.HTTPFlow, tap: SseTap) -> None:
        """mitmproxy keeps no streamed body (and loses it when the client hangs up): put back
        what passed, within the cap, before the save addon writes the flow."""
        assert flow.response is not None
        if not flow.response.raw_content and tap.kept:
            flow.response.raw_content = bytes(tap.kept)
        tap.kept = bytearray()  # the flow still refers to the tap: do not hold the body twice
        self._body_size(flow.id, tap.size)

    def _body_size(self, flow_id: str, size: int) -> None:
        assert self.analyzer is not None
        exchange = self.analyzer.get(flow_id)
        if exchange is not None and exchange.response is not None:
            exchange.response.body_size = size

    def _close(self, flow_id: str, event: ExchangeClosed) -> None:
        assert self.analyzer is not None
        if self.analyzer.is_open(flow_id):  # error may follow websocket_end, and so on
            self._feed(event)

    def _feed(self, event: Any) -> None:
        assert self.analyzer is not None
        self.analyzer.feed(event)

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


def _check_writable(option: str, path: str) -> None:
    directory = Path(os.path.expanduser(path)).resolve().parent
    if not directory.is_dir():
        raise exceptions.OptionsError(f"{option}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise exceptions.OptionsError(f"{option}: cannot write in {directory}")
