"""Endpoint templates: requests to the same resource family share one, whatever their ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

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
    return "/".join("{id}" if _is_id(segment) else segment for segment in path.split("/"))


def _is_id(segment: str) -> bool:
    # A short all-letter word ("api", "items") never matches: skip the regex for it.
    if not segment or (len(segment) < 16 and segment.isalpha()):
        return False
    return _ID_SEGMENT.match(segment) is not None


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


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes, reduced to what identifies the resource polled."""

    endpoint: str
    """`GET http://host/api/items/{id}`, or with query keys `GET http://host/feed?page=*`."""
    origin: str
    path: str
    """The path template: `/api/items/{id}`."""
    family: str
    """The path template without trailing ids: `/chat/messages/{id}` -> `/chat/messages`."""
    params: tuple[tuple[str, str], ...]
    """Query parameters other than cache-busters, with their values, sorted."""


@lru_cache(maxsize=1 << 14)
def target(method: str, url: str) -> Target:
    scheme, separator, rest = url.partition("://")
    if not separator:
        return Target(f"{method} {url}", "", url, url, ())
    # Split by hand: urllib's urlsplit validates far more than a template needs.
    cut = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if 0 <= at < cut:
            cut = at
    netloc, remainder = rest[:cut], rest[cut:]
    remainder = remainder.partition("#")[0]
    path, _, query = remainder.partition("?")
    origin = f"{scheme}://{netloc.rpartition('@')[2]}"
    template = path_template(path) or "/"
    params: tuple[tuple[str, str], ...] = ()
    if query:
        params = tuple(
            sorted(
                (name, value)
                for name, value in parse_qsl(query, keep_blank_values=True)
                if name.lower() not in CACHE_BUSTERS
            )
        )
    keys = "&".join(f"{name}=*" for name in dict(params))
    family = template
    while family.endswith("/{id}"):
        family = family[: -len("/{id}")]
    return Target(
        f"{method} {origin}{template}{'?' + keys if keys else ''}", origin, template, family, params
    )
