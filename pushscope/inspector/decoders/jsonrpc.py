"""JSON-RPC requests, notifications, responses and batches
(https://www.jsonrpc.org/specification)."""

from __future__ import annotations

from typing import Any, Final

from pushscope.inspector.decoders.render import (
    json_preview,
    parse_json,
    pretty_json,
    quoted,
    scalar,
)
from pushscope.inspector.decoders.result import Decoded, Malformed, Message, safe_decoded

_RPC_REQUEST: Final = frozenset({"jsonrpc", "id", "method", "params"})
_RPC_RESPONSE: Final = frozenset({"jsonrpc", "id", "result", "error"})


def decode_jsonrpc(message: Message) -> Decoded:
    """A JSON-RPC request, notification, response or error, or a batch of them."""
    if message.cut:
        raise Malformed("too large to parse")
    value = parse_json(message.text)
    calls = value if isinstance(value, list) else [value]
    if not calls:
        raise Malformed("an empty batch")
    shapes = [_rpc_shape(call) for call in calls[:1000]]
    if any(shape is None for shape in shapes):
        raise Malformed("not a JSON-RPC request or response")
    parts = [_rpc_part(call, shape) for call, shape in zip(calls, shapes, strict=False) if shape]
    notes = []
    if not all(call.get("jsonrpc") == "2.0" for call in calls[:1000]):
        notes.append('no "jsonrpc": "2.0" member: JSON-RPC 1.0 or a look-alike')
    if isinstance(value, list):
        kinds = ", ".join(text for text, _ in parts[:3]) + (", ..." if len(parts) > 3 else "")
        summary = f"json-rpc batch of {len(calls)}: {kinds}"
        fields = [("type", "batch"), ("calls", str(len(calls)))]
    else:
        summary = f"json-rpc {parts[0][0]}"
        fields = parts[0][1]
    return safe_decoded("json-rpc", summary, pretty_json(value), fields, notes=notes)


def _rpc_shape(call: Any) -> str | None:
    """request, notification, response or error, or None when `call` is none of them."""
    if not isinstance(call, dict):
        return None
    keys, v2 = set(call), call.get("jsonrpc") == "2.0"
    if isinstance(call.get("method"), str) and keys <= _RPC_REQUEST:
        if "id" in call and call["id"] is not None:
            return "request"
        return "notification" if v2 or "id" in call else None
    if ("result" in call or "error" in call) and "id" in call and keys <= _RPC_RESPONSE:
        return "error" if call.get("error") is not None else "response"
    return None


def _rpc_part(call: dict[str, Any], shape: str) -> tuple[str, list[tuple[str, str]]]:
    """The summary words and fields of one call."""
    fields = [("type", shape)]
    words = [shape]
    if "method" in call:
        fields.append(("method", call["method"]))
        words.append(f"method={call['method']}")
    if call.get("id") is not None:
        fields.append(("id", scalar(call["id"])))
        words.append(f"id={scalar(call['id'])}")
    if shape == "error":
        error = call["error"]
        code = error.get("code") if isinstance(error, dict) else None
        text = error.get("message") if isinstance(error, dict) else error
        if code is not None:
            fields.append(("code", scalar(code)))
            words.append(f"code={scalar(code)}")
        words.append(quoted(text))
    elif shape == "response":
        words.append(f"result={json_preview(call.get('result'), 48)}")
    return " ".join(words), fields


def sniff_jsonrpc(message: Message) -> bool:
    """JSON whose first 200 characters name a JSON-RPC member."""
    head = message.text[:200]
    return (
        not message.cut
        and head.lstrip()[:1] in ("{", "[")
        and ('"jsonrpc"' in head or '"method"' in head or '"result"' in head or '"error"' in head)
    )
