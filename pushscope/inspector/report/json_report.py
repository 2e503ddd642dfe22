"""The JSON report (`pushscope.report/1`), written exchange by exchange."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TextIO

from pushscope import __version__
from pushscope.inspector.model import Exchange, Protocol, SseStream, TlsInfo, WebSocketSession
from pushscope.inspector.redact import redact_url
from pushscope.inspector.report import SCHEMA, Report

_encoder = json.JSONEncoder(ensure_ascii=False, check_circular=False)
_dumps = _encoder.encode


def _c_encoder() -> Callable[[Any], str] | None:
    """The C encoder `_dumps` builds afresh for every call, built once. None where the
    interpreter has no such encoder."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode = make(
            None,
            _encoder.default,
            json.encoder.encode_basestring,
            None,
            ": ",
            ", ",
            False,
            False,
            True,
        )
        check = {"a": [1, 2.5, None, True, "\u00e9\n"], "b": {}}
        if encode(check, 0)[0] != _dumps(check):
            return None
    except (TypeError, ValueError, IndexError):
        return None  # another signature: an interpreter this was not written for
    return lambda value: str(encode(value, 0)[0])


_dumps_fast = _c_encoder() or _dumps
_redacted = lru_cache(maxsize=1 << 12)(redact_url)
"""URLs repeat (a poller asks for the same one again and again); redacting one parses it."""


def write_json(report: Report, out: TextIO) -> None:
    """Write the report. Exchanges are encoded one at a time, never as one big list."""
    head = {
        "schema": SCHEMA,
        "generator": f"pushscope {__version__}",
        "sources": [
            {
                "path": s.path,
                "format": s.format,
                "exchanges": s.exchanges,
                "errors": s.errors,
                "error_count": s.error_count,
                "unusable": s.unusable,
            }
            for s in report.sources
        ],
        "summary": {
            "exchanges": len(report.exchanges),
            "protocols": report.protocol_counts(),
            "findings": len(report.findings),
        },
    }
    if report.marked:  # only from the viewer, where a user marked some
        head["marked"] = report.marked
    out.write(_dumps(head)[:-1])
    out.write(', "exchanges": [')
    batch: list[str] = []  # written a few hundred at a time: a write per exchange costs
    separator = ""
    for exchange in report.exchanges:
        batch.append(_dumps_fast(exchange_dict(exchange, report.redact)))
        if len(batch) == 512:
            out.write(separator + ",\n".join(batch))
            separator = ",\n"
            batch.clear()
    if batch:
        out.write(separator + ",\n".join(batch))
    out.write('], "findings": [')
    for i, finding in enumerate(report.findings):
        if i:
            out.write(",\n")
        out.write(_dumps(finding.to_dict()))
    out.write("]")
    out.write("}\n")


def exchange_dict(exchange: Exchange, redact: bool = True) -> dict[str, Any]:
    request = exchange.request
    response = exchange.response
    return {
        "id": exchange.id,
        "source": exchange.source,
        "client": exchange.client,
        "started": request.timestamp_start,
        "ended": exchange.ended,
        "method": request.method,
        "url": _redacted(request.url) if redact else request.url,
        "http_version": request.http_version,
        "status": response.status if response else None,
        "protocol": exchange.protocol.value,
        "evidence": exchange.evidence,
        "framework": exchange.framework,
        "websocket": _websocket(exchange.websocket)
        if exchange.protocol is Protocol.WEBSOCKET
        else None,
        "sse": _sse(exchange.sse) if exchange.sse is not None else None,
        "stream": (
            {
                "kind": exchange.stream.kind,
                "records": exchange.stream.records,
                "bytes": exchange.stream.bytes,
            }
            if exchange.stream is not None
            else None
        ),
        "request_bytes": request.body_size,
        "response_bytes": response.body_size if response else None,
        "error": exchange.error,
        "role": exchange.role,
        "tls_sni": exchange.tls_sni,
        "tls": _tls(exchange.tls) if exchange.tls is not None else None,
        "grpc": (
            {
                "status": exchange.grpc.status,
                "message": exchange.grpc.message,
                "request_messages": exchange.grpc.request_messages,
                "response_messages": exchange.grpc.response_messages,
            }
            if exchange.grpc is not None
            else None
        ),
    }


def _tls(tls: TlsInfo) -> dict[str, Any]:
    return {
        "version": tls.version,
        "cipher": tls.cipher,
        "alpn": tls.alpn,
        "sni": tls.sni,
        "decrypted": tls.decrypted,
    }


def _websocket(ws: WebSocketSession | None) -> dict[str, Any] | None:
    if ws is None:
        return None
    return {
        "handshake": "ok" if ws.handshake.ok else "failed",
        "handshake_error": ws.handshake.reason,
        "subprotocol": ws.handshake.subprotocol,
        "extensions": ws.handshake.extensions,
        "messages": ws.counts.as_dict(),
        "bytes": ws.bytes.as_dict(),
        "control_frames": ws.control_frames,
        "close_code": ws.close_code,
        "close_reason": ws.close_reason,
        "closed_by": ws.closed_by,
    }


def _sse(sse: SseStream) -> dict[str, Any]:
    return {
        "events": sse.count,
        "event_types": dict(sse.event_types),
        "ids": sse.ids > 0,
        "events_with_id": sse.ids,
        "retry_ms": sse.retry_ms,
        "comments": sse.comments,
        "errors": sse.errors,
    }
