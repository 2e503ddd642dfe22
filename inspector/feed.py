"""The live feed: what the analyzer learns, as JSON Lines, while traffic flows.

Schema `pushscope.feed/1`. The first line names the schema; every other line is one record
with a `type` and `t` (Unix seconds when it was written):

    exchange.opened    id, client, server, method, url, http_version, request_headers,
                       request_bytes, started
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
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, TextIO

from inspector import __version__
from inspector.analysis import Observer
from inspector.findings import Finding
from inspector.model import Exchange, Opcode, SseEvent, WebSocketMessage
from inspector.sse import SseComment

SCHEMA = "pushscope.feed/1"
PREVIEW_BYTES = 1024
"""Payload bytes of a WebSocket message recorded in the feed (sizes stay exact)."""

_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


class FeedWriter(Observer):
    """Writes every record as one line, flushed, so a reader can follow the file."""

    def __init__(self, out: TextIO, clock: Any = time.time) -> None:
        self.out = out
        self.clock = clock
        self._write({"schema": SCHEMA, "generator": f"pushscope {__version__}"})

    def _write(self, record: dict[str, Any]) -> None:
        record["t"] = round(self.clock(), 6)
        self.out.write(_encode(record) + "\n")
        self.out.flush()

    def opened(self, exchange: Exchange) -> None:
        request = exchange.request
        self._write(
            {
                "type": "exchange.opened",
                "id": exchange.id,
                "client": exchange.client,
                "server": exchange.server,
                "method": request.method,
                "url": request.url,
                "http_version": request.http_version,
                "request_headers": [list(pair) for pair in request.headers],
                "request_bytes": request.body_size,
                "started": request.timestamp_start,
            }
        )

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
                "response_headers": [list(pair) for pair in response.headers],
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
        response = exchange.response
        ws = exchange.websocket
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
