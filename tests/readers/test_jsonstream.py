"""The JSON cursor HAR files are read with: a lone surrogate escape becomes U+FFFD wherever it
falls, across the edge between two blocks read from the file too."""

from __future__ import annotations

import io

import pytest

from pushscope.inspector.readers.jsonstream import _BLOCK, JsonStream


@pytest.mark.parametrize("before_edge", range(7))
def test_a_surrogate_escape_across_two_blocks_is_made_valid(before_edge: int) -> None:
    """The escape `\\ud800` starts `before_edge` characters before the first block ends."""
    lead = '["' + "a" * 10 + '", "'
    filler = "b" * (_BLOCK - len(lead) - before_edge)
    document = lead + filler + '\\ud800!"]'
    assert document.index("\\ud800") == _BLOCK - before_edge
    value = JsonStream(io.BytesIO(document.encode())).value()
    assert value == ["a" * 10, filler + "\ufffd!"]


def test_text_without_lone_surrogates_is_kept_as_decoded() -> None:
    document = '{"text": "caf\\u00e9 \\ud83d\\ude00 \\\\ud800"}'
    assert JsonStream(io.BytesIO(document.encode())).value() == {"text": "café 😀 \\ud800"}
