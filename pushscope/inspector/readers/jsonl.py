"""pushscope's own live feed (`pushscope.feed/1`, see `inspector.feed`) read back as a capture."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from pushscope.inspector.events import (
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    SseItemSeen,
    WebSocketMessageSeen,
)
from pushscope.inspector.feed import SCHEMA
from pushscope.inspector.model import (
    Exchange,
    Request,
    Response,
    SseComment,
    SseEvent,
    WebSocketMessage,
)
from pushscope.inspector.operations import stored_operation
from pushscope.inspector.readers.base import CaptureError, http_version
from pushscope.inspector.text import SURROGATE_ESCAPE_BYTES, valid_texts


def read_jsonl(fp: BinaryIO, source: int, name: str) -> Iterator[ModelEvent]:
    """Model events from a feed. A bad line is reported by number and skipped; a last line cut
    short (the feed still being written) is reported too."""
    for number, raw in enumerate(fp, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if SURROGATE_ESCAPE_BYTES.search(raw):
                record = valid_texts(record)
            if not isinstance(record, dict):
                raise ValueError("a record must be a JSON object")
            if number == 1:
                _check_schema(record, name)
                continue
            yield from _events(record, source)
        except CaptureError:
            raise
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            cut = "" if raw.endswith(b"\n") else " (cut short: was the feed still being written?)"
            yield SourceProblem(source, f"line {number}: {_describe(e)}{cut}")


def _check_schema(record: dict[str, Any], name: str) -> None:
    if record.get("schema") != SCHEMA:
        raise CaptureError(f"{name}: line 1: not a {SCHEMA} feed (schema {record.get('schema')!r})")


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error)


def _headers(pairs: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in pairs or ())


def _time(record: dict[str, Any], key: str) -> float | None:
    """The time (seconds) at `key`: a JSON number, or None if null or absent."""
    value = record.get(key)
    if value is None:
        return None
    if type(value) is float or type(value) is int:
        return float(value)
    raise ValueError(f"{key} is not a number: {value!r}")


def _whole(record: dict[str, Any], key: str) -> int | None:
    """The whole number at `key`, or None if null or absent."""
    value = record.get(key)
    if value is None or type(value) is int:
        return value
    raise ValueError(f"{key} is not a whole number: {value!r}")


def _text(record: dict[str, Any], key: str) -> str | None:
    """The string at `key`, or None if null or absent."""
    value = record.get(key)
    if value is None or type(value) is str:
        return value
    raise ValueError(f"{key} is not a string: {value!r}")


def _events(record: dict[str, Any], source: int) -> Iterator[ModelEvent]:
    kind = record["type"]
    exchange_id = str(record.get("id", ""))
    if kind == "exchange.opened":
        request = Request(
            method=str(record["method"]),
            url=str(record["url"]),
            http_version=http_version(record.get("http_version")),
            headers=_headers(record.get("request_headers")),
            timestamp_start=float(record["started"]),
            body_size=int(record.get("request_bytes") or 0),
            operation=stored_operation(record.get("operation")),
        )
        yield ExchangeOpened(
            Exchange(
                exchange_id,
                source,
                request,
                client=_text(record, "client"),
                server=_text(record, "server"),
            )
        )
    elif kind == "exchange.response":
        response = Response(
            status=int(record["status"]),
            reason=str(record.get("reason") or ""),
            http_version=http_version(record.get("http_version")),
            headers=_headers(record.get("response_headers")),
            timestamp_start=_time(record, "response_started"),
        )
        yield ResponseStarted(exchange_id, response)
    elif kind == "sse.event":
        event = SseEvent(
            type=str(record["event"]),
            data=str(record["data"]),
            id=str(record.get("last_event_id") or ""),
            timestamp=_time(record, "at"),
            had_id=bool(record.get("had_id")),
        )
        yield SseItemSeen(exchange_id, event)
    elif kind == "sse.comment":
        yield SseItemSeen(exchange_id, SseComment("", _time(record, "at")))
    elif kind == "ws.message":
        if "text" in record:
            payload = str(record["text"]).encode("utf-8", "surrogatepass")
        else:
            payload = base64.b64decode(record.get("base64") or "")
        message = WebSocketMessage(
            direction="client" if record["from"] == "client" else "server",
            opcode=int(record["opcode"]),
            size=int(record["size"]),
            timestamp=_time(record, "at"),
        )
        yield WebSocketMessageSeen(exchange_id, message, payload)
    elif kind == "exchange.closed":
        closed_by = record.get("closed_by")
        yield ExchangeClosed(
            exchange_id,
            _time(record, "ended"),
            error=_text(record, "error"),
            close_code=_whole(record, "close_code"),
            close_reason=_text(record, "close_reason"),
            closed_by=closed_by if closed_by in ("client", "server") else None,
            body_digest=_text(record, "body_digest"),
            sse_retry_ms=_whole(record, "retry_ms"),
            stream_records=_whole(record, "stream_records"),
            response_body_size=int(record.get("response_bytes") or 0),
            response_ended=_time(record, "ended"),
        )
    elif kind != "finding":
        raise ValueError(f"unknown record type {kind!r}")
