"""Decide what an exchange is (REST, SSE, WebSocket or other stream) and say why."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from pushscope.inspector.model import Handshake, Protocol, Request, Response
from pushscope.inspector.websocket import check_handshake, is_websocket_request, upgrade_target

# Media types of streamed bodies that are neither SSE nor WebSocket, and what to call them.
STREAM_TYPES: dict[str, str] = {
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
    "application/jsonlines": "ndjson",
    "application/stream+json": "ndjson",
    "application/x-json-stream": "ndjson",
    "application/json-seq": "json-seq",
    "multipart/x-mixed-replace": "multipart",
    "application/grpc": "grpc",
    "application/grpc+proto": "grpc",
    "application/grpc-web": "grpc-web",
    "application/grpc-web+proto": "grpc-web",
    "application/grpc-web-text": "grpc-web",
    "application/grpc-web-text+proto": "grpc-web",
    "application/connect+json": "connect",
    "application/connect+proto": "connect",
}


@dataclass(slots=True)
class Classification:
    protocol: Protocol
    evidence: list[str]
    handshake: Handshake | None = None
    stream_kind: str | None = None


def media_type(content_type: str | None) -> str:
    """`text/event-stream; charset=utf-8` -> `text/event-stream`."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def classify(
    request: Request, response: Response | None, websocket_hint: bool = False
) -> Classification:
    """Classify from the request and the response headers (the body is not needed).

    `websocket_hint` is a reader's own knowledge that this was a WebSocket (a HAR entry of
    resource type websocket), for exports that drop the handshake headers.
    """
    status = response.status if response else None
    fields = response.fields if response else {}
    target = upgrade_target(response.headers) if response and status == 101 else None

    if status == 101 and target is not None and target != "websocket":
        return _other_upgrade(target)
    if is_websocket_request(request) or target == "websocket" or websocket_hint:
        return _websocket(request, status, response)

    content_type = media_type(fields.get("content-type"))
    if content_type == "text/event-stream":
        evidence = ["Content-Type: text/event-stream"]
        if request.method != "GET":
            evidence.append(
                f"{request.method} answered with a stream of events (token streaming style)"
            )
        return Classification(Protocol.SSE, evidence)
    kind = STREAM_TYPES.get(content_type)
    if kind is not None:
        because = sys.intern(f"Content-Type: {content_type}")
        return Classification(Protocol.STREAM, [because], stream_kind=kind)
    # Interned: a capture repeats the same few sentences thousands of times.
    return Classification(
        Protocol.REST, [sys.intern(_rest_evidence(request, response, content_type))]
    )


def _websocket(request: Request, status: int | None, response: Response | None) -> Classification:
    extended = request.method == "CONNECT" and (request.http_version or "").startswith(
        ("HTTP/2", "HTTP/3")
    )
    handshake = check_handshake(
        request.headers, status, response.headers if response else None, extended
    )
    if handshake.ok and extended:
        evidence = [f"extended CONNECT (RFC 8441) over {request.http_version} answered {status}"]
    elif handshake.ok:
        evidence = ["101 Switching Protocols with Upgrade: websocket"]
        if handshake.accept_checked:
            evidence.append("Sec-WebSocket-Accept matches Sec-WebSocket-Key")
    else:
        evidence = [f"WebSocket upgrade requested; handshake failed: {handshake.reason}"]
    if handshake.subprotocol:
        evidence.append(f"subprotocol {handshake.subprotocol}")
    evidence.extend(f"extension {ext}" for ext in handshake.extensions)
    return Classification(Protocol.WEBSOCKET, evidence, handshake=handshake)


def _other_upgrade(target: str) -> Classification:
    if target.startswith("h2c"):
        return Classification(
            Protocol.REST, ["101 Switching Protocols to h2c: HTTP/2 over cleartext, not WebSocket"]
        )
    return Classification(
        Protocol.STREAM,
        [f"101 Switching Protocols to {target!r}: a raw upgraded connection, not WebSocket"],
        stream_kind=f"upgrade:{target}",
    )


def _rest_evidence(request: Request, response: Response | None, content_type: str) -> str:
    if response is None:
        return "request without a response"
    wanted = media_type(request.fields.get("accept"))
    got = f"{response.status} {content_type or 'no Content-Type'}"
    if wanted == "text/event-stream":
        return f"asked for text/event-stream but got {got}"
    return f"a single response: {got}"
