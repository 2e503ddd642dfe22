"""The flow-file parser agrees with mitmproxy's own, and fails cleanly on bad input."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy.io import tnetstring as reference
from mitmproxy.test import tflow

from pushscope.inspector.readers.tnetstring import Lookup, TnetError, iter_raw, loads

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.binary(max_size=20)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(values)
def test_agrees_with_mitmproxy(value: object) -> None:
    encoded = reference.dumps(value)  # type: ignore[arg-type]
    assert loads(encoded) == reference.loads(encoded)


def test_a_real_flow_whole_and_in_part() -> None:
    state = tflow.twebsocketflow().get_state()
    encoded = reference.dumps(state)
    assert loads(encoded) == reference.loads(encoded)
    part = loads(
        encoded,
        {"id": None, "request": {"method": None}, "client_conn": Lookup(("peername", "sni"))},
    )
    assert part == {
        "id": state["id"],
        "request": {"method": b"GET"},
        "client_conn": {"peername": ["127.0.0.1", 22], "sni": "address"},
    }


def test_framing_of_consecutive_values() -> None:
    stream = io.BytesIO(reference.dumps({"a": 1}) + reference.dumps([b"x"]))
    assert [loads(raw) for _, raw in iter_raw(stream)] == [{"a": 1}, [b"x"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"5:abc,", "runs past the end"),
        (b"3:abc?", "unknown type tag"),
        (b"2:xy#", "invalid number"),
        (b"x:abc,", "missing or invalid length prefix"),
        (b"4:1:a,}", "dictionary key without a value"),
        (b"4:true!", None),
    ],
)
def test_malformed_values(data: bytes, message: str | None) -> None:
    if message is None:
        assert loads(data) is True
        return
    with pytest.raises(TnetError, match=message):
        loads(data)
