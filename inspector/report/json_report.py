"""The JSON report (`pushscope.report/1`), written exchange by exchange."""

from __future__ import annotations

import json
from typing import Any, TextIO

from inspector import __version__
from inspector.model import Exchange, Protocol, SseStream, WebSocketSession
from inspector.redact import redact_url
from inspector.report import SCHEMA, Report

_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


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
    out.write(_dumps(head)[:-1])
    out.write(', "exchanges": [')
    for i, exchange in enumerate(report.exchanges):
        if i:
            out.write(",\n")
        out.write(_dumps(exchange_dict(exchange, report.redact)))
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
        "url": redact_url(request.url) if redact else request.url,
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
