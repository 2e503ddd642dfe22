"""The addon's analysis: records in, the analyzer, the live feed, finding log lines and, at the
end, the report. It runs in the addon's analysis process (`addons.worker`), or in mitmproxy's
own when a program embeds the proxy and watches the analyzer (the viewer).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, TextIO

from pushscope.addons.records import Body, Closed, Message, Opened, Record, Responded
from pushscope.inspector.analysis import Analyzer, Observer
from pushscope.inspector.annotations import Annotator, Note
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import (
    BodyChunk,
    ExchangeOpened,
    ResponseStarted,
    WebSocketMessageSeen,
)
from pushscope.inspector.feed import FeedWriter
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Limits
from pushscope.inspector.report import Report, Source
from pushscope.inspector.report.json_report import write_json

log = logging.getLogger("pushscope.addons.live")

FEED_FLUSH_INTERVAL = 0.05
"""Seconds a feed record may wait to be written with the ones after it (see `inspector.feed`)."""

Schedule = Callable[[float, Callable[[], None]], None]
"""Run a function after a delay in seconds (the feed's timer)."""


@dataclass(slots=True)
class Settings:
    """The addon's options that concern the analysis, as plain values (picklable)."""

    feed: str = ""
    report: str = ""
    max_messages: int = 1000
    max_events: int = 1000
    annotate: tuple[str, ...] = ()
    """What gets a note (`inspector.annotations.KINDS`); nothing when empty."""


class Configure(NamedTuple):
    """A control record: the analysis takes new settings."""

    settings: Settings


class WriteReport(NamedTuple):
    """A control record: write the report now, with the findings so far."""

    path: str


Control = Configure | WriteReport


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


class _FindingRelay(Observer):
    """Each finding as it is raised or changes, summarised (its exchanges counted, not
    listed), for the proxy's side: its commands and content view."""

    def __init__(self, tell: Callable[[dict[str, Any]], None]) -> None:
        self.tell = tell

    def finding(self, finding: Finding) -> None:
        summary = finding.to_dict()
        summary["count"] = len(summary.pop("exchanges"))
        self.tell(summary)


class LiveAnalysis:
    """The analyzer fed with the addon's records, its feed, its report."""

    def __init__(
        self,
        schedule: Schedule,
        observers: Iterable[Observer] = (),
        limits: Limits | None = None,
        notes: Callable[[Note], None] | None = None,
        findings: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """`notes` takes each exchange's note (`inspector.annotations`) when `Settings`
        asks for them; `findings` each finding's summary as it is raised or changes."""
        self.schedule = schedule
        self.notes = notes
        self.annotator: Annotator | None = None
        self.analyzer = Analyzer(
            limits or Limits(headers=False),
            Detector(incremental=True),
            observers=[_FindingLog(), *observers],
        )
        if findings is not None:
            self.analyzer.observers.append(_FindingRelay(findings))
        self.settings = Settings()
        self.feed: FeedWriter | None = None
        self.feed_file: TextIO | None = None

    def configure(self, settings: Settings) -> None:
        limits = self.analyzer.limits
        limits.ws_messages = settings.max_messages
        limits.sse_events = settings.max_events
        if settings.feed != self.settings.feed:
            self._open_feed(settings.feed)
        if settings.annotate != self.settings.annotate or self.annotator is None:
            self._annotate(settings.annotate)
        self.settings = settings

    def _annotate(self, kinds: tuple[str, ...]) -> None:
        observers = self.analyzer.observers
        if self.annotator in observers:
            observers.remove(self.annotator)
        self.annotator = None
        if kinds and self.notes is not None:
            self.annotator = Annotator(self.notes, kinds, self.schedule)
            observers.append(self.annotator)

    def apply(self, record: Record | Control) -> None:
        """Feed one record to the analyzer (or take new settings)."""
        analyzer = self.analyzer
        match record:  # the most frequent kinds first
            case Body():
                analyzer.feed(BodyChunk(record.flow_id, record.data, record.timestamp))
            case Message():
                message = record.message()
                analyzer.feed(WebSocketMessageSeen(record.flow_id, message, record.payload))
            case Opened():
                analyzer.feed(ExchangeOpened(record.exchange()))
            case Responded():
                analyzer.feed(ResponseStarted(record.flow_id, record.response()))
            case Closed():
                self._closed(record)
            case Configure():
                self.configure(record.settings)
            case WriteReport():
                try:
                    self.write_report(record.path)
                    log.info("pushscope: report written to %s", record.path)
                except OSError as e:
                    log.error("pushscope: cannot write the report to %s: %s", record.path, e)
            case _:
                raise TypeError(f"not a record: {record!r}")

    def _closed(self, record: Closed) -> None:
        analyzer = self.analyzer
        if analyzer.is_open(record.flow_id):  # error may follow websocket_end, and so on
            if record.body:
                analyzer.feed(BodyChunk(record.flow_id, record.body, record.timestamp))
            analyzer.feed(record.event())

    def finish(self) -> None:
        """The end: the last findings, the report if asked for, the feed written out."""
        try:
            findings = self.analyzer.finish()
            if self.settings.report:
                self.write_report(self.settings.report, findings)
        except Exception:
            log.exception("pushscope: writing the report failed")
        finally:
            self._close_feed()

    def write_report(self, path: str, findings: list[Finding] | None = None) -> None:
        """The JSON report at `path`, with `findings` (by default the findings so far)."""
        analyzer = self.analyzer
        if findings is None:
            findings = analyzer.detector.findings if analyzer.detector is not None else []
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

    def _open_feed(self, path: str) -> None:
        self._close_feed()
        if path:
            self.feed_file = open(os.path.expanduser(path), "w", encoding="utf-8")  # noqa: SIM115
            self.feed = FeedWriter(
                self.feed_file, flush_interval=FEED_FLUSH_INTERVAL, schedule=self.schedule
            )
            self.analyzer.observers.append(self.feed)

    def _close_feed(self) -> None:
        """Write out what the feed has gathered and close its file."""
        try:
            if self.feed is not None:
                if self.feed in self.analyzer.observers:
                    self.analyzer.observers.remove(self.feed)
                self.feed.close()
        finally:
            self.feed = None
            if self.feed_file is not None:
                self.feed_file.close()
                self.feed_file = None
