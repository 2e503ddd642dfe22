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
from pushscope.inspector.model import Exchange, Headers, Opcode, SseEvent, WebSocketMessage
from pushscope.inspector.sse import SseComment

SCHEMA = "pushscope.feed/1"
PREVIEW_BYTES = 1024
"""Payload bytes of a WebSocket message recorded in the feed (sizes stay exact)."""
MAX_PENDING = 1024
"""Records gathered at most before they are written, whatever the interval."""

Schedule = Callable[[float, Callable[[], None]], object]
"""Runs a function once after a delay in seconds (e.g. `loop.call_later`)."""

_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
_string: Callable[[str], str] = json.encoder.encode_basestring  # what `_encode` uses
"""A JSON string, as `_encode` writes one: the per-message records are formatted directly,
the same text `_encode` would give (a test holds them to it) at a fraction of its cost."""


def _number(value: float | None) -> str:
    """A number or null, as `_encode` writes it."""
    if value is None:
        return "null"
    if type(value) is int or (type(value) is float and value - value == 0.0):  # finite
        return repr(value)
    return _encode(value)  # NaN, Infinity, subclasses: rare, the encoder knows best


def _value(value: str | float | None) -> str:
    """A string, number or null, as `_encode` writes it."""
    return _string(value) if type(value) is str else _number(value)  # type: ignore[arg-type]


def _pairs(headers: Headers) -> str:
    return (
        "[" + ", ".join([f"[{_string(name)}, {_string(value)}]" for name, value in headers]) + "]"
    )


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

    # The records of every exchange are formatted directly, not built as dicts for `_encode`:
    # the same text at about half the cost (tests hold each to what `_encode` would write).

    def opened(self, exchange: Exchange) -> None:
        request = exchange.request
        self._add(
            f'{{"type": "exchange.opened", "id": {_string(exchange.id)},'
            f' "client": {_value(exchange.client)}, "server": {_value(exchange.server)},'
            f' "method": {_string(request.method)}, "url": {_string(request.url)},'
            f' "http_version": {_value(request.http_version)},'
            f' "request_headers": {_pairs(request.headers)},'
            f' "request_bytes": {_number(request.body_size)},'
            f' "started": {_number(request.timestamp_start)}, "t": {round(self.clock(), 6)!r}}}'
        )

    def responded(self, exchange: Exchange) -> None:
        response = exchange.response
        if response is None:
            return
        evidence = ", ".join([_string(item) for item in exchange.evidence])
        self._add(
            f'{{"type": "exchange.response", "id": {_string(exchange.id)},'
            f' "status": {_number(response.status)}, "reason": {_string(response.reason)},'
            f' "http_version": {_value(response.http_version)},'
            f' "response_headers": {_pairs(response.headers)},'
            f' "response_started": {_number(response.timestamp_start)},'
            f' "protocol": {_string(exchange.protocol.value)}, "evidence": [{evidence}],'
            f' "framework": {_value(exchange.framework)}, "t": {round(self.clock(), 6)!r}}}'
        )

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        if isinstance(item, SseComment):
            self._write({"type": "sse.comment", "id": exchange.id, "at": item.timestamp})
            return
        # {"type": "sse.event", "id", "event", "data", "last_event_id", "had_id", "at", "t"}
        self._add(
            f'{{"type": "sse.event", "id": {_string(exchange.id)}, "event": {_string(item.type)},'
            f' "data": {_string(item.data)}, "last_event_id": {_string(item.id)},'
            f' "had_id": {"true" if item.had_id else "false"}, "at": {_number(item.timestamp)},'
            f' "t": {round(self.clock(), 6)!r}}}'
        )

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        preview = payload[:PREVIEW_BYTES]
        if message.opcode == Opcode.TEXT:
            content = f'"text": {_string(preview.decode("utf-8", "replace"))}'
        else:
            content = f'"base64": "{base64.b64encode(preview).decode("ascii")}"'
        # {"type": "ws.message", "id", "from", "opcode", "size", "at", "text" | "base64", "t"}
        self._add(
            f'{{"type": "ws.message", "id": {_string(exchange.id)},'
            f' "from": {_string(message.direction)}, "opcode": {int(message.opcode)},'
            f' "size": {int(message.size)}, "at": {_number(message.timestamp)}, {content},'
            f' "t": {round(self.clock(), 6)!r}}}'
        )

    def closed(self, exchange: Exchange) -> None:
        response = exchange.response
        ws = exchange.websocket
        if response is None:
            body = '"response_bytes": null, "body_digest": null'
        else:
            body = (
                f'"response_bytes": {_number(response.body_size)},'
                f' "body_digest": {_value(response.body_digest)}'
            )
        if ws is None:
            close = '"close_code": null, "close_reason": null, "closed_by": null'
        else:
            close = (
                f'"close_code": {_number(ws.close_code)},'
                f' "close_reason": {_value(ws.close_reason)}, "closed_by": {_value(ws.closed_by)}'
            )
        retry_ms = exchange.sse.retry_ms if exchange.sse else None
        records = exchange.stream.records if exchange.stream else None
        self._add(
            f'{{"type": "exchange.closed", "id": {_string(exchange.id)},'
            f' "ended": {_number(exchange.ended)}, "error": {_value(exchange.error)}, {body},'
            f' "retry_ms": {_number(retry_ms)}, "stream_records": {_number(records)}, {close},'
            f' "protocol": {_string(exchange.protocol.value)}, "role": {_value(exchange.role)},'
            f' "t": {round(self.clock(), 6)!r}}}'
        )

    def finding(self, finding: Finding) -> None:
        self._write({"type": "finding", "finding": finding.to_dict()})
