"""A `curl` command line that repeats an exchange's request (no Textual): REST or SSE."""

from __future__ import annotations

import shlex

from pushscope.inspector.model import Exchange, Protocol

_SKIPPED = frozenset({"content-length", "connection", "transfer-encoding", "host", "upgrade"})
"""Headers curl writes itself (or that would break the repeat)."""


def curl_command(exchange: Exchange) -> str:
    """The request as one shell-quoted `curl` line; `-N` for an SSE stream (no buffering).

    A body that was not kept (or not text) is left out, and the line says so."""
    request = exchange.request
    words = ["curl"]
    if exchange.protocol is Protocol.SSE:
        words.append("-N")
    if request.method != "GET" or request.body:
        words += ["-X", request.method]
    for name, value in request.headers:
        if name.lower() not in _SKIPPED and not name.startswith(":"):
            words += ["-H", f"{name}: {value}"]
    note = ""
    if request.body:
        try:
            words += ["--data-binary", request.body.decode("utf-8")]
        except UnicodeDecodeError:
            note = "  # the request body is binary: not repeated"
        if len(request.body) < request.body_size:
            note = f"  # only {len(request.body)} of {request.body_size} body bytes were kept"
    elif request.body_size:
        note = f"  # the {request.body_size}-byte request body was not kept"
    words.append(request.url)
    return " ".join(shlex.quote(word) for word in words) + note
