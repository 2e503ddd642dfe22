"""Keep secrets out of reports: URL credentials and token-like query parameters.

Reports never show header fields, so credential headers cannot leak through them."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MASK = "REDACTED"

SECRET_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "authorization",
        "api_key",
        "apikey",
        "api-key",
        "key",
        "sig",
        "signature",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "session",
        "sessionid",
        "session_id",
        "jwt",
        "code",
        "ticket",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
    }
)
_SECRET_PARTS = ("token", "secret", "password", "signature", "apikey", "api_key")


def is_secret_param(name: str) -> bool:
    name = name.lower()
    return name in SECRET_PARAMS or any(part in name for part in _SECRET_PARTS)


def redact_url(url: str) -> str:
    """The URL with credentials in the user-info and token-like query values masked."""
    if "?" not in url and "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_pair(pair: str) -> str:
    name, eq, value = pair.partition("=")
    return f"{name}={MASK}" if eq and value and is_secret_param(name) else pair
