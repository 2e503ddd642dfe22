"""GraphQL over WebSocket: graphql-ws (subscriptions-transport-ws) and
graphql-transport-ws.

apollographql/subscriptions-transport-ws PROTOCOL.md; enisdenjo/graphql-ws PROTOCOL.md
"""

from __future__ import annotations

from typing import Any, Final

from pushscope.inspector.decoders.render import (
    compact_json,
    is_scalar,
    json_or_none,
    json_preview,
    parse_json,
    pretty_json,
    quoted,
    scalar,
)
from pushscope.inspector.decoders.result import Decoded, Malformed, Message, safe_decoded
from pushscope.inspector.operations import graphql_operation

_GQL_LEGACY: Final = frozenset(
    {
        "start",
        "data",
        "stop",
        "ka",
        "connection_error",
        "connection_terminate",
        # pre-2017 names, still in the library's message types
        "init",
        "init_success",
        "init_fail",
        "keepalive",
        "subscription_start",
        "subscription_data",
        "subscription_success",
        "subscription_fail",
        "subscription_end",
    }
)
_GQL_MODERN: Final = frozenset({"subscribe", "next", "ping", "pong"})
_GQL_SHARED: Final = frozenset({"connection_init", "connection_ack", "error", "complete"})
_GQL_DISTINCT: Final = frozenset(
    {
        "connection_init",
        "connection_ack",
        "connection_error",
        "connection_terminate",
        "start",
        "subscribe",
        "ka",
        "next",
    }
)
"""Types that name GraphQL over WebSocket without any hint (`ping` could be anything)."""
_GQL_NEEDS_ID: Final = frozenset(
    {"start", "data", "stop", "subscribe", "next", "error", "complete"}
)
_GQL_HEARTBEATS: Final = frozenset({"ka", "keepalive", "ping", "pong"})


def decode_graphql(message: Message) -> Decoded:
    """A graphql-ws or graphql-transport-ws message: a JSON object of a type they define."""
    if message.cut:
        raise Malformed("too large to parse")
    value = parse_json(message.text)
    if not isinstance(value, dict):
        raise Malformed("a GraphQL over WebSocket message is a JSON object")
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in _GQL_LEGACY | _GQL_MODERN | _GQL_SHARED:
        raise Malformed(f"unknown message type {compact_json(kind, 40)}")
    notes: list[str] = []
    protocol = _graphql_protocol(message, kind, value, notes)
    ident = value.get("id")
    payload = value.get("payload")
    fields = [("type", kind)]
    summary = f"{protocol} {kind}"
    if ident is not None:
        fields.append(("id", scalar(ident)))
        summary += f" id={scalar(ident)}"
    if kind in _GQL_NEEDS_ID and not (isinstance(ident, str) and ident):
        notes.append(f"invalid: {kind} needs a non-empty string id")
    notes += _graphql_payload_problems(protocol, kind, payload)
    query = payload.get("query") if isinstance(payload, dict) else None
    if kind in ("subscribe", "start", "subscription_start"):
        operation = _graphql_operation(payload)
        fields.append(("operation", operation))
        summary += f" op={operation}"
    elif kind in ("next", "data", "subscription_data") and isinstance(payload, dict):
        errors = payload.get("errors")
        if payload.get("data") is not None:
            summary += f" {json_preview(payload['data'])}"
        if isinstance(errors, list) and errors:
            fields.append(("errors", str(len(errors))))
            summary += f" errors={len(errors)}"
    elif kind in ("error", "connection_error") and payload is not None:
        first = payload[0] if isinstance(payload, list) and payload else payload
        reason = first.get("message") if isinstance(first, dict) else first
        fields.append(("message", scalar(reason) if is_scalar(reason) else compact_json(reason)))
        summary += f" {quoted(reason)}"
    body = f"{protocol} {kind}\n\n{pretty_json(value)}"
    if isinstance(query, str):
        body += f"\n\nquery:\n{query}"
    return safe_decoded(
        protocol, summary, body, fields, heartbeat=kind in _GQL_HEARTBEATS, notes=notes
    )


def _graphql_protocol(message: Message, kind: str, value: dict[str, Any], notes: list[str]) -> str:
    """graphql-transport-ws or the legacy graphql-ws: the subprotocol says, else the type."""
    told = message.subprotocol if message.subprotocol in _GQL_PROTOCOLS else None
    if told is None and message.framework == "graphql-transport-ws":
        told = "graphql-transport-ws"
    by_type = (
        "graphql-ws"
        if kind in _GQL_LEGACY
        else "graphql-transport-ws"
        if kind in _GQL_MODERN
        else None
    )
    if kind == "error" and by_type is None:
        payload = value.get("payload")
        by_type = "graphql-transport-ws" if isinstance(payload, list) else "graphql-ws"
    if told is not None:
        if by_type is not None and by_type != told and kind != "error":
            notes.append(f"{kind} is a {by_type} message type, not {told}")
        return told
    if by_type is None:
        notes.append(
            f"no subprotocol, and {kind} is in both protocols: taken as graphql-transport-ws"
        )
        return "graphql-transport-ws"
    return by_type


_GQL_PROTOCOLS: Final = ("graphql-ws", "graphql-transport-ws")


def _graphql_payload_problems(protocol: str, kind: str, payload: Any) -> list[str]:
    """Payload shapes graphql-ws (the library) rejects, for graphql-transport-ws."""
    if protocol != "graphql-transport-ws":
        return []
    if kind in ("connection_init", "connection_ack", "ping", "pong"):
        ok = payload is None or isinstance(payload, dict)
        return [] if ok else [f"invalid: {kind} payload must be an object or absent"]
    if kind == "next":
        return [] if isinstance(payload, dict) else ["invalid: next payload must be an object"]
    if kind == "error":
        ok = isinstance(payload, list) and bool(payload)
        ok = ok and all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in payload)
        return [] if ok else ["invalid: error payload must be a list of GraphQL errors"]
    if kind == "subscribe":
        if not isinstance(payload, dict):
            return ["invalid: subscribe payload must be an object"]
        problems = (
            [] if isinstance(payload.get("query"), str) else ["invalid: query must be a string"]
        )
        if not isinstance(payload.get("operationName"), str | None):
            problems.append("invalid: operationName must be a string or null")
        for member in ("variables", "extensions"):
            if not isinstance(payload.get(member), dict | None):
                problems.append(f"invalid: {member} must be an object or null")
        return problems
    return []


def _graphql_operation(payload: Any) -> str:
    """The operation's name (operationName, else from the query), or its anonymous kind."""
    if not isinstance(payload, dict):
        return "?"
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = payload.get("query")
    if isinstance(query, str) and (found := graphql_operation(query)) is not None:
        kind, named = found
        return named or f"(anonymous {kind})"
    if isinstance(payload.get("extensions"), dict) and "persistedQuery" in payload["extensions"]:
        return "(persisted query)"
    return "?"


def sniff_graphql(message: Message) -> bool:
    """A JSON object of type, id and payload only, of a type that names GraphQL over
    WebSocket."""
    text = message.text
    if message.cut or not text.startswith("{") or '"type"' not in text[:200]:
        return False
    value = json_or_none(text)
    return (
        isinstance(value, dict)
        and value.get("type") in _GQL_DISTINCT
        and set(value) <= {"type", "id", "payload"}
    )
