"""Endpoint templates: requests to the same resource family share one, whatever their ids."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from pushscope.inspector.model import Headers, header

# Path segments that identify one resource rather than name a kind of resource.
_ID_SEGMENT = re.compile(
    r"""^(?:
        \d+                                                   # numeric id
      | [0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}  # UUID
      | [0-9a-f]{16,}                                         # hex digest
      | [0-9A-Za-z_-]{20,}                                    # opaque token (base64url, ULIDs...)
      | \d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?                      # date / timestamp
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def path_template(path: str) -> str:
    """`/api/items/42/comments/9f1c...` -> `/api/items/{id}/comments/{id}`."""
    return "/".join(
        [
            segment  # a short word is never an id: no call for the usual segment
            if (len(segment) < 16 and segment.isalpha()) or not segment
            else "{id}"
            if _is_id(segment)
            else segment
            for segment in path.split("/")
        ]
    )


def _is_id(segment: str) -> bool:
    # A short all-letter word ("api", "items") never matches and a number always does: the
    # regex only for the rest. (isdecimal is exactly what `\d` matches.)
    if not segment or (len(segment) < 16 and segment.isalpha()):
        return False
    return segment.isdecimal() or _ID_SEGMENT.match(segment) is not None


def endpoint(method: str, url: str) -> str:
    """`GET http://host/api/items/{id}`: the method, origin and path template (no query)."""
    where = target(method, url)
    return f"{method} {where.origin}{where.path}" if where.origin else f"{method} {url}"


CACHE_BUSTERS = frozenset(
    {
        "_",
        "t",
        "ts",
        "timestamp",
        "nocache",
        "no_cache",
        "rnd",
        "rand",
        "random",
        "cb",
        "cachebust",
        "cachebuster",
        "cache_bust",
        "_t",
        "_ts",
        "nonce",
    }
)
"""Query parameters that only defeat caches; they never tell two resources apart."""


class Target(NamedTuple):
    """Where a request goes, reduced to what identifies the resource polled. (A named tuple:
    one is made for most requests, and a frozen dataclass is several times slower to make.)"""

    endpoint: str
    """`GET http://host/api/items/{id}`, or with query keys `GET http://host/feed?page=*`."""
    origin: str
    path: str
    """The path template: `/api/items/{id}`."""
    family: str
    """The path template without trailing ids: `/chat/messages/{id}` -> `/chat/messages`."""
    params: tuple[tuple[str, str], ...]
    """Query parameters other than cache-busters, with their values, sorted."""


_URL_PARTS = re.compile(r"([^/?#]*)([^?#]*)(?:\?([^#]*))?")
"""After `scheme://`: the authority, the path and the query (a fragment is dropped)."""


@lru_cache(maxsize=1 << 14)
def target(method: str, url: str) -> Target:
    scheme, separator, rest = url.partition("://")
    if not separator:
        return Target(f"{method} {url}", "", url, url, ())
    # Split by hand: urllib's urlsplit validates far more than a template needs.
    parts = _URL_PARTS.match(rest)
    assert parts is not None  # every part may be empty: it always matches
    netloc, path, query = parts.groups("")
    origin = f"{scheme}://{netloc.rpartition('@')[2]}"
    template = path_template(path) or "/"
    params: tuple[tuple[str, str], ...] = ()
    keys = ""
    if query:
        params = tuple(
            sorted(
                (name, value) for name, value in _query(query) if name.lower() not in CACHE_BUSTERS
            )
        )
        keys = "&".join(f"{name}=*" for name in dict(params))
    family = template
    while family.endswith("/{id}"):
        family = family[: -len("/{id}")]
    return Target(
        f"{method} {origin}{template}{'?' + keys if keys else ''}", origin, template, family, params
    )


def _query(query: str) -> list[tuple[str, str]]:
    """`parse_qsl(query, keep_blank_values=True)`, without its work when nothing is escaped."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    pairs = []
    for pair in query.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            pairs.append((name, value))
    return pairs


DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def request_url(scheme: str, host: str, port: int, authority: str, path: str) -> str:
    """The URL as the client asked for it: `authority` (HTTP/2's :authority or the Host header)
    over the address connected to (in transparent and reverse modes only an IP), as mitmproxy's
    `pretty_url` and HAR export do (the pcap reader builds its URLs here too)."""
    if authority:
        host, named_port = _split_authority(authority)
        port = named_port or DEFAULT_PORTS.get(scheme, port)
    if ":" in host:
        host = f"[{host}]"
    netloc = host if DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"


def _split_authority(authority: str) -> tuple[str, int | None]:
    """`example.com:8080` -> ("example.com", 8080); `[::1]` -> ("::1", None)."""
    host, colon, port = authority.rpartition(":")
    if not colon or "]" in port or not port.isdigit():
        return authority.strip("[]"), None
    return host.strip("[]"), int(port)


def flow_url(
    method: str,
    scheme: str,
    host: str,
    port: int,
    authority: str,
    path: str,
    http_version: str,
    headers: Headers,
) -> str:
    """The URL of a mitmproxy flow's request (its fields decoded): a CONNECT's is its
    authority; otherwise HTTP/2's and HTTP/3's :authority, or the Host header, over the
    address, as `request_url` builds it. The live addon and the flow-file reader both call
    this, so an exchange seen live and the same flow read back have the same URL."""
    if method == "CONNECT":
        return authority or f"{host}:{port}"
    if not http_version.startswith(("HTTP/2", "HTTP/3")):
        authority = ""
    return request_url(scheme, host, port, authority or header(headers, "host") or "", path)


def peer_address(peer: Any) -> str | None:
    """A connection's (host, port, ...) as `host:port` (`[host]:port` for IPv6), or None."""
    if not peer:
        return None
    host, port = peer[0], peer[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
