"""mitmproxy flow files (`mitmdump -w`), every format version mitmproxy itself can read.

Flows in the current format are converted straight from their serialized state, skipping
mitmproxy's object model (which is what makes its reader slow); older flows are first
upgraded by mitmproxy's own migration code, so every version it reads is read here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

from mitmproxy.io import compat
from mitmproxy.version import FLOW_FORMAT_VERSION

from pushscope.inspector.endpoints import flow_url, peer_address
from pushscope.inspector.events import (
    MAX_PROBLEMS,
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    WebSocketMessageSeen,
)
from pushscope.inspector.model import Exchange, Headers, Request, Response, WebSocketMessage
from pushscope.inspector.operations import request_operation
from pushscope.inspector.readers.base import CaptureError, StringPool, http_version
from pushscope.inspector.readers.tnetstring import Keep, Lookup, TnetError, iter_raw, loads
from pushscope.inspector.text import valid_text

_pooled = StringPool()


# What a flow in the current format is read for; the rest (certificate chains, cipher lists,
# metadata...) is skipped by its length, unparsed.
_FLOW_KEEP: Keep = {
    "type": None,
    "version": None,
    "id": None,
    "error": None,
    "request": None,
    "response": None,
    "websocket": None,
    "client_conn": Lookup(("peername", "tls", "sni")),
    "server_conn": Lookup(("address",)),
}


def read_mitm(fp: BinaryIO, source: int, name: str) -> Iterator[ModelEvent]:
    """Model events for every HTTP flow in a flow file.

    A flow that cannot be used is reported by its byte offset and skipped; a file none of
    whose flows can be used is a CaptureError.
    """
    count = 0
    # Problems before the first good flow wait: if no flow is good, the file is unusable and
    # the first of them is the one-line error, not a problem repeated beside it.
    waiting: list[str] = []  # at most MAX_PROBLEMS of them; `bad` counts them all
    bad = 0
    try:
        for offset, raw in iter_raw(fp):
            try:
                state = _state(raw)
                if state.get("type") != "http":
                    continue
                events = list(_flow_events(state, source))
            except (TnetError, KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
                problem = f"flow at byte {offset}: {_describe(e)}"
                if count:
                    yield SourceProblem(source, problem)
                else:
                    bad += 1
                    if len(waiting) < MAX_PROBLEMS:
                        waiting.append(problem)
                continue
            count += 1
            for problem in waiting:
                yield SourceProblem(source, problem)
            waiting.clear()
            yield from events
    except TnetError as e:
        if count == 0:
            raise CaptureError(f"{name}: {waiting[0] if waiting else e}") from None
        yield SourceProblem(source, f"{e}; flows after it were not read")
    if waiting:
        more = f" (and {bad - 1} more flows like it)" if bad > 1 else ""
        raise CaptureError(f"{name}: {waiting[0]}{more}")


def _state(raw: bytes) -> dict[Any, Any]:
    state = loads(raw, _FLOW_KEEP)
    if not isinstance(state, dict):
        raise TypeError(f"not a flow but a {type(state).__name__}")
    if state.get("version") == FLOW_FORMAT_VERSION:
        return state
    # Older formats are read whole and upgraded by mitmproxy's own migrations.
    full = loads(raw)
    try:
        return compat.migrate_flow(full)
    except ValueError as e:
        raise _TooOld(_version_message(full, e)) from None


class _TooOld(ValueError):
    pass


def _describe(error: Exception) -> str:
    if isinstance(error, TnetError | _TooOld):
        return str(error)
    return f"malformed flow ({type(error).__name__}: {error})"


def _version_message(state: dict[Any, Any], error: ValueError) -> str:
    version = state.get(b"version", state.get("version"))
    if isinstance(version, list):
        version = ".".join(str(v) for v in version)
    return f"flow format version {version} cannot be read ({error})"


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return valid_text(value)  # a str leaf keeps invalid bytes as surrogates


def _peer(peer: Any) -> str | None:
    address: str | None = peer_address(peer)
    return address if address is None else valid_text(address)


def _headers(fields: Iterable[Sequence[bytes | str]]) -> Headers:
    # Pairs: lists from a flow file, tuples from a live flow's `get_state()`.
    return tuple((_text(k), _text(v)) for k, v in fields)


def _url(request: dict[str, Any], headers: Headers) -> str:
    return flow_url(
        _text(request["method"]),
        _text(request["scheme"]),
        _text(request["host"]),
        int(request["port"]),
        _text(request.get("authority")),
        _text(request["path"]),
        _text(request.get("http_version")),
        headers,
    )


def _flow_events(state: dict[str, Any], source: int) -> Iterator[ModelEvent]:
    req = state["request"]
    flow_id = _text(state["id"])
    content = req.get("content")
    request_headers = _headers(req["headers"])
    method = _pooled(_text(req["method"]))
    url = _url(req, request_headers)
    exchange = Exchange(
        id=flow_id,
        source=source,
        request=Request(
            method=method,
            url=url,
            http_version=_version(req["http_version"]),
            headers=request_headers,
            timestamp_start=float(req["timestamp_start"]),
            body_size=len(content) if content else 0,
            operation=request_operation(
                method, url, request_headers, content if isinstance(content, bytes) else None
            ),
        ),
        client=_peer(state.get("client_conn", {}).get("peername")),
        server=_peer((state.get("server_conn") or {}).get("address")),
    )
    client_conn = state.get("client_conn") or {}
    if client_conn.get("tls"):
        exchange.tls_sni = _text(client_conn.get("sni")) or None
    yield ExchangeOpened(exchange)

    resp = state.get("response")
    end: float | None = None
    if resp is not None:
        body = resp.get("content")
        end = _time(resp.get("timestamp_end"))
        yield ResponseStarted(
            flow_id,
            Response(
                status=int(resp["status_code"]),
                reason=_pooled(_text(resp.get("reason"))),
                http_version=_version(resp.get("http_version")),
                headers=_headers(resp["headers"]),
                timestamp_start=_time(resp.get("timestamp_start")),
                timestamp_end=end,
                body_size=len(body) if body else 0,
            ),
        )
        if body:
            yield BodyChunk(flow_id, body, end)

    ws = state.get("websocket")
    close: dict[str, Any] = {}
    if ws is not None:
        for message in ws.get("messages") or ():
            opcode, from_client, payload, timestamp = message[:4]
            if isinstance(payload, str):  # old formats stored text messages as str
                payload = payload.encode("utf-8", "surrogateescape")
            yield WebSocketMessageSeen(
                flow_id,
                WebSocketMessage(
                    direction="client" if from_client else "server",
                    opcode=int(opcode),
                    size=len(payload),
                    timestamp=float(timestamp),
                ),
                payload,
            )
        end = _time(ws.get("timestamp_end")) or end
        if ws.get("close_code") is not None:
            close = {
                "close_code": int(ws["close_code"]),
                "close_reason": _text(ws.get("close_reason")) or None,
                "closed_by": "client" if ws.get("closed_by_client") else "server",
            }
    error = state.get("error")
    if error:
        end = end or _time(error.get("timestamp"))
    yield ExchangeClosed(flow_id, end, error=_text(error["msg"]) if error else None, **close)


def _time(raw: Any) -> float | None:
    """A time of the flow (seconds), or None; not a number: a ValueError or TypeError."""
    return None if raw is None else float(raw)


def _version(raw: Any) -> str | None:
    version = http_version(_text(raw))
    return _pooled(version) if version else None
