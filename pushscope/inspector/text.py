"""Text taken from a capture, made fit for every output.

A Python string may hold lone surrogates that no UTF-8 output can carry: bytes of an invalid
UTF-8 sequence kept by the `surrogateescape` error handler (mitmproxy's flow files), or a JSON
`\\udXXX` escape with no partner (HAR, the JSON Lines feed). Readers pass every string through
`valid_text` (or `valid_texts` for a decoded JSON value), so the model holds only text that
encodes as UTF-8.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = f"[{chr(0xD800)}-{chr(0xDFFF)}]"
"""Compiled when first needed (re keeps it): most text is ASCII, and its compiling is slow."""
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON escape of a surrogate: the only way JSON text decodes to one."""
SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def valid_text(value: str) -> str:
    """`value` with each lone surrogate replaced by U+FFFD."""
    if value.isascii():
        return value
    return re.sub(_SURROGATE, "\ufffd", value)


def valid_texts(value: Any) -> Any:
    """A decoded JSON value with `valid_text` applied to every string in it, keys included."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [valid_texts(item) for item in value]
    if isinstance(value, dict):
        return {valid_text(k): valid_texts(v) for k, v in value.items()}
    return value
