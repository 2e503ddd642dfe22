"""Endpoint templates: requests to the same resource family share one, whatever their ids."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
        "{id}" if _ID_SEGMENT.match(segment) else segment for segment in path.split("/")
    )


def endpoint(method: str, url: str) -> str:
    """`GET http://host/api/items/{id}`: the method, origin and path template (no query)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{method} {url}"
    if not parts.scheme:
        return f"{method} {url}"
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{method} {parts.scheme}://{host}{path_template(parts.path) or '/'}"
