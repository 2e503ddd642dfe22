"""Advice on push that is already there: WebSocket sessions and SSE streams used awkwardly."""

from __future__ import annotations

from dataclasses import dataclass

from pushscope.inspector.findings import Severity
from pushscope.inspector.model import Exchange, Protocol

ONE_WAY_MIN_SERVER = 10
"""Server messages a session needs before "one way" is worth saying."""
SUBSCRIBE_MAX = 2
"""Client messages a one-way session may still send (subscribe, unsubscribe)."""
RPC_MIN_PAIRS = 5
IDLE_LIMIT = 45.0
"""Seconds of silence after which proxies and load balancers start closing connections."""


@dataclass(slots=True, frozen=True)
class Advisory:
    """One piece of advice about one exchange; the detector groups them by endpoint."""

    kind: str
    severity: Severity
    recommendation: str | None
    rationale: str


def advise(exchange: Exchange) -> list[Advisory]:
    """Advice on one finished WebSocket or SSE exchange."""
    if exchange.protocol is Protocol.WEBSOCKET:
        return _websocket(exchange)
    if exchange.protocol is Protocol.SSE:
        return _sse(exchange)
    return []


def _websocket(exchange: Exchange) -> list[Advisory]:
    ws = exchange.websocket
    if ws is None or not ws.handshake.ok:
        return []
    client, server = ws.counts["client"], ws.counts["server"]
    found = []
    if server >= ONE_WAY_MIN_SERVER and client <= SUBSCRIBE_MAX:
        found.append(
            Advisory(
                "websocket-one-way",
                Severity.LOW,
                "sse",
                f"After {client} client message(s) ({'a subscribe' if client else 'none'}), all "
                f"{server} data messages went server to client: the socket is one-way. SSE "
                "would carry it over plain HTTP, with automatic reconnect and resume.",
            )
        )
    elif (
        client >= RPC_MIN_PAIRS
        and ws.first_direction == "client"
        and ws.longest_run.as_dict() == {"client": 1, "server": 1}
        and server == client
    ):
        found.append(
            Advisory(
                "websocket-rpc",
                Severity.LOW,
                "rest",
                f"Each of the {client} client messages got exactly one reply and the server "
                "never spoke first: request/response over a socket. Plain HTTP requests would "
                "do, with caching, status codes and simpler scaling.",
            )
        )
    messages = client + server + ws.control_frames
    found += _idle(
        exchange, ws.activity.longest_idle, ws.activity.last, messages, ws.control_frames
    )
    return found


def _sse(exchange: Exchange) -> list[Advisory]:
    sse = exchange.sse
    if sse is None:
        return []
    found = []
    if exchange.request.method == "GET" and sse.count and not sse.ids:
        found.append(
            Advisory(
                "sse-no-id",
                Severity.LOW,
                None,
                f"The stream delivered {sse.count} events without an id: field, so a client "
                "that reconnects cannot resume with Last-Event-ID and loses what was sent "
                "meanwhile. Give each event an id.",
            )
        )
    items = sse.count + sse.comments
    found += _idle(exchange, sse.activity.longest_idle, sse.activity.last, items, sse.comments)
    return found


def _idle(
    exchange: Exchange, longest: float, last: float | None, items: int, heartbeats: int
) -> list[Advisory]:
    """A long-lived connection that goes silent for long without any heartbeat.

    Only judged when arrival times are known (live, pcap, flow files' WebSocket messages):
    a flow file's SSE body has no per-event times."""
    if heartbeats or exchange.ended is None or (items and last is None):
        return []
    opened = exchange.response.timestamp_end if exchange.response else None
    opened = opened or exchange.started
    idle = max(longest, exchange.ended - (last if last is not None else opened))
    if idle < IDLE_LIMIT:
        return []
    kind = "WebSocket" if exchange.protocol is Protocol.WEBSOCKET else "SSE stream"
    beat = "ping frames" if exchange.protocol is Protocol.WEBSOCKET else "comment lines (`:`)"
    return [
        Advisory(
            "idle-no-heartbeat",
            Severity.MEDIUM,
            None,
            f"The {kind} was silent for {idle:.0f} s with no heartbeat: proxies and load "
            f"balancers often drop connections idle for 60 s. Send {beat} every 15-30 s.",
        )
    ]
