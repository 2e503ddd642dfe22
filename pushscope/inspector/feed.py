"""The live feed: what the analyzer learns, as JSON Lines, while traffic flows.

Schema `pushscope.feed/1`. The first line names the schema; every other line is one record
with a `type` and `t` (Unix seconds when it was written):

    exchange.opened    id, client, server, method, url, http_version, request_headers,
                       request_bytes, started, and for an RPC request its operation
                       ([protocol, name, operation_type, persisted], `inspector.operations`)
    exchange.response  id, status, reason, http_version, response_headers, protocol, evidence,
                       framework
    sse.event          id, event, data, last_event_id, had_id, at
    sse.comment        id, at
    ws.message         id, from ("client"|"server"), opcode, size, at, and the payload's first
                       bytes as `text` (text frames) or `base64` (others)
    exchange.closed    id, ended, error, response_bytes, body_digest, retry_ms,
                       stream_records, close_code, close_reason, closed_by, protocol, role
    finding            finding (as in the report), raised or changed

`pushscope analyze` reads a feed like any capture (`inspector.readers.jsonl`): the records carry
what the analysis needs, so the feed, the flow file saved beside it and the addon's own report
agree. Headers are recorded as they passed, secrets included, as in a flow file.

Flushing. By default every record is flushed as it is written. The live addon instead gives
a `flush_interval` (50 ms) and a `schedule` (its event loop's timer): records are then
gathered and written together, whole lines only, at most `flush_interval` after the first of
them, or sooner when `MAX_PENDING` have gathered, and always on `flush()` and `close()`
(mitmproxy's shutdown). A reader that tails the file therefore sees every record within about
50 ms of it happening, never a partial line, and `pushscope analyze` of a finished feed sees
them all; only a proxy killed outright (SIGKILL) can lose the last 50 ms. Flushing each record
costs a write system call, which through a proxy is a large part of the feed's price.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any, TextIO

from pushscope import __version__
from pushscope.inspector.analysis import Observer
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, Opcode, SseComment, SseEvent, WebSocketMessage

SCHEMA = "pushscope.feed/1"
PREVIEW_BYTES = 1024
"""Payload bytes of a WebSocket message recorded in the feed (sizes stay exact)."""
MAX_PENDING = 1024
"""Records gathered at most before they are written, whatever the interval."""

Schedule = Callable[[float, Callable[[], None]], object]
"""Runs a function once after a delay in seconds (e.g. `loop.call_later`)."""

_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


class FeedWriter(Observer):
    """Writes every record as one line, so a reader can follow the file: flushed at once, or
    within `flush_interval` seconds when `schedule` is given (see the module docstring)."""

    def __init__(
        self,
        out: TextIO,
        clock: Any = time.time,
        flush_interval: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        self.out = out
        self.clock = clock
        self.flush_interval = flush_interval if schedule is not None else 0.0
        self.schedule = schedule
        self._pending: list[str] = []
        self._scheduled = False
        self._closed = False
        self._write({"schema": SCHEMA, "generator": f"pushscope {__version__}"})
        self.flush()

    def _write(self, record: dict[str, Any]) -> None:
        record["t"] = round(self.clock(), 6)
        self._add(_encode(record))

    def _add(self, line: str) -> None:
        pending = self._pending
        pending.append(line)
        if not self.flush_interval or len(pending) >= MAX_PENDING:
            self.flush()
        elif not self._scheduled:
            assert self.schedule is not None
            self._scheduled = True
            self.schedule(self.flush_interval, self._timer)

    def _timer(self) -> None:
        self._scheduled = False
        if not self._closed:
            self.flush()

    def flush(self) -> None:
        """Write every gathered record, whole lines, and flush the file."""
        if self._pending:
            lines, self._pending = self._pending, []
            lines.append("")
            self.out.write("\n".join(lines))
        self.out.flush()

    def close(self) -> None:
        """Write what is gathered; the file itself belongs to the caller."""
        self.flush()
        self.flush_interval = 0.0
        self._closed = True

    def opened(self, exchange: Exchange) -> None:
        request = exchange.request
        record: dict[str, Any] = {
            "type": "exchange.opened",
            "id": exchange.id,
            "client": exchange.client,
            "server": exchange.server,
            "method": request.method,
            "url": request.url,
            "http_version": request.http_version,
            "request_headers": request.headers,
            "request_bytes": request.body_size,
            "started": request.timestamp_start,
        }
        if request.operation is not None:
            record["operation"] = request.operation
        self._write(record)

    def responded(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None:
            return
        self._write(
            {
                "type": "exchange.response",
                "id": exchange.id,
                "status": response.status,
                "reason": response.reason,
                "http_version": response.http_version,
                "response_headers": response.headers,
                "response_started": response.timestamp_start,
                "protocol": exchange.protocol.value,
                "evidence": exchange.evidence,
                "framework": exchange.framework,
            }
        )

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        if isinstance(item, SseComment):
            self._write({"type": "sse.comment", "id": exchange.id, "at": item.timestamp})
            return
        self._write(
            {
                "type": "sse.event",
                "id": exchange.id,
                "event": item.type,
                "data": item.data,
                "last_event_id": item.id,
                "had_id": item.had_id,
                "at": item.timestamp,
            }
        )

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        record: dict[str, Any] = {
            "type": "ws.message",
            "id": exchange.id,
            "from": message.direction,
            "opcode": message.opcode,
            "size": message.size,
            "at": message.timestamp,
        }
        preview = payload[:PREVIEW_BYTES]
        if message.opcode == Opcode.TEXT:
            record["text"] = preview.decode("utf-8", "replace")
        else:
            record["base64"] = base64.b64encode(preview).decode("ascii")
        self._write(record)

    def closed(self, exchange: Exchange) -> None:
        response, ws = exchange.response, exchange.websocket
        self._write(
            {
                "type": "exchange.closed",
                "id": exchange.id,
                "ended": exchange.ended,
                "error": exchange.error,
                "response_bytes": response.body_size if response else None,
                "body_digest": response.body_digest if response else None,
                "retry_ms": exchange.sse.retry_ms if exchange.sse else None,
                "stream_records": exchange.stream.records if exchange.stream else None,
                "close_code": ws.close_code if ws else None,
                "close_reason": ws.close_reason if ws else None,
                "closed_by": ws.closed_by if ws else None,
                "protocol": exchange.protocol.value,
                "role": exchange.role,
            }
        )

    def finding(self, finding: Finding) -> None:
        self._write({"type": "finding", "finding": finding.to_dict()})
