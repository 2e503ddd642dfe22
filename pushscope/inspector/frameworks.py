"""Recognise well-known real-time frameworks from what their traffic shows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from pushscope.inspector.model import Exchange, header

# WebSocket subprotocols that name their framework outright.
SUBPROTOCOLS: dict[str, str] = {
    "graphql-ws": "graphql-ws",
    "graphql-transport-ws": "graphql-transport-ws",
    "v10.stomp": "stomp",
    "v11.stomp": "stomp",
    "v12.stomp": "stomp",
    "stomp": "stomp",
    "mqtt": "mqtt",
    "mqttv3.1": "mqtt",
    "mqttv3.1.1": "mqtt",
    "actioncable-v1-json": "actioncable",
    "actioncable-v1-msgpack": "actioncable",
    "actioncable-unsupported": "actioncable",
    "wamp.2.json": "wamp",
}


# Substrings of a URL without which no URL rule below can match: most URLs skip the parsing.
_URL_MARKERS = re.compile(r"EIO=|/socket\.io/|/engine\.io/|/negotiate|signalr|id=|vsn=")


def detect(exchange: Exchange) -> tuple[str, str] | None:
    """The framework and the evidence for it, or None."""
    ws = exchange.websocket
    if ws is not None and ws.handshake.subprotocol:
        name = SUBPROTOCOLS.get(ws.handshake.subprotocol.lower())
        if name:
            return name, f"WebSocket subprotocol {ws.handshake.subprotocol}"
    raw = exchange.request.url
    if _URL_MARKERS.search(raw) is None:
        path = urlsplit(raw).path if ws is not None else ""
        return _from_first_message(ws.first_client_text, path) if ws is not None else None
    url = urlsplit(raw)
    path = url.path
    query = parse_qs(url.query)
    if "EIO" in query or "/socket.io/" in path or "/engine.io/" in path:
        transport = query.get("transport", ["?"])[0]
        return (
            "socket.io",
            f"Engine.IO {path} with EIO={query.get('EIO', ['?'])[0]} transport={transport}",
        )
    if path.endswith("/negotiate") and ("negotiateVersion" in query or "clientProtocol" in query):
        return "signalr", "SignalR negotiate request"
    if "/signalr/" in path or (
        "id" in query and header(exchange.request.headers, "x-signalr-user-agent") is not None
    ):
        transport = query.get("transport", ["?"])[0]
        return "signalr", f"SignalR connection (transport {transport})"
    if "vsn" in query and (path.endswith("/websocket") or path.endswith("/longpoll")):
        return "phoenix", f"Phoenix {path.rsplit('/', 1)[-1]} transport, vsn={query['vsn'][0]}"
    if ws is not None:
        return _from_first_message(ws.first_client_text, path)
    return None


def _from_first_message(text: str | None, path: str) -> tuple[str, str] | None:
    if text is None:
        return None
    if text.startswith(("CONNECT\n", "STOMP\n", "CONNECT\r\n", "STOMP\r\n")):
        return "stomp", "first client frame is a STOMP CONNECT"
    if '"phx_join"' in text:
        return "phoenix", "client joins a channel with phx_join"
    if '"command":"subscribe"' in text.replace(" ", "") and path.endswith("/cable"):
        return "actioncable", "ActionCable subscribe command on /cable"
    if '"type":"connection_init"' in text.replace(" ", ""):
        return "graphql-ws", "client sends a GraphQL connection_init"
    if text.endswith("\x1e") and '"protocol"' in text:
        return "signalr", "SignalR handshake message"
    return None
