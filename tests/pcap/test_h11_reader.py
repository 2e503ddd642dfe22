"""`h11_reader` against h11 itself: the same events, states and errors as h11's own
connections give; and another h11 refused with one clear message."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Callable

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.model import Direction
from pushscope.inspector.pcap import h11_reader, http1
from pushscope.inspector.pcap.http1 import HttpConnection
from tests.conftest import fixture_path
from tests.pcap.helpers import events
from tests.pcap.test_chunking import FIXTURES, MORE_HTTP, PIECES, SIDED_PIECES


def _events_of(conn: h11.Connection, pieces: list[bytes], step: Callable[[], object]) -> list[str]:
    """Each piece fed, then events taken until h11 needs data: what was read, the states after
    each event, and the error if one was raised (h11's message included)."""
    seen: list[str] = []
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            try:
                event = step()
            except h11.ProtocolError as e:
                seen.append(f"{type(e).__name__}: {e}")
                return seen
            seen.append(
                f"{event!r} {conn.states} {conn.client_is_waiting_for_100_continue} "
                f"{conn.their_http_version!r} {conn.trailing_data!r}"
            )
            if event in (h11.NEED_DATA, h11.PAUSED) or type(event) is h11.ConnectionClosed:
                break
            if conn.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}:
                conn.start_next_cycle()
    return seen


REQUESTS = [
    b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
    b"abc",
    b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"5\r\nhello\r\n",
    b"0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a HTTP/1.0\r\nHost: x\r\n\r\n",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.binary(max_size=40), st.sampled_from(REQUESTS)), max_size=12),
    st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_next_event_reads_requests_as_h11_does(pieces: list[bytes], cuts: list[int]) -> None:
    """`next_event` of a `Receiver` reads what h11's own `next_event` of its own connection
    reads: the same events, states, flags and errors, however the bytes come."""
    data = b"".join(pieces)
    bounds = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    split = [data[a:b] for a, b in itertools.pairwise(bounds) if b > a] + [b""]
    ours, theirs = h11_reader.Receiver(h11.SERVER), h11.Connection(h11.SERVER)
    expected = _events_of(theirs, split, theirs.next_event)
    assert _events_of(ours, split, lambda: h11_reader.next_event(ours)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.binary(max_size=40), st.sampled_from(MORE_HTTP + PIECES[2:6])), max_size=10
    ),
    st.sampled_from([b"GET", b"HEAD", b"POST"]),
)
def test_next_event_reads_responses_as_h11_does(pieces: list[bytes], method: bytes) -> None:
    """The same for responses, after a request `mirror`ed (ours) or sent (h11's)."""
    request = h11.Request(method=method, target="/", headers=[("Host", "x")])
    ours, theirs = h11_reader.Receiver(h11.CLIENT), h11.Connection(h11.CLIENT)
    h11_reader.mirror(ours, request)
    h11_reader.mirror(ours, h11.EndOfMessage())
    theirs.send(request)
    theirs.send(h11.EndOfMessage())
    split = [*filter(None, pieces), b""]  # (b"" is the end of the stream)
    expected = _events_of(theirs, split, theirs.next_event)
    assert _events_of(ours, split, lambda: h11_reader.next_event(ours)) == expected


@settings(max_examples=300, deadline=None)
@given(SIDED_PIECES, st.booleans())
def test_needs_bytes_only_when_h11_would_need_them(
    pieces: list[tuple[Direction, bytes]], end: bool
) -> None:
    """Whenever the reader skips `next_event` as needing bytes, h11's own `next_event` would
    have said NEED_DATA or PAUSED (and changed nothing)."""
    needs_bytes = h11_reader.needs_bytes
    skipped = 0

    def checked(conn: h11.Connection) -> bool:
        nonlocal skipped
        if not needs_bytes(conn):
            return False
        skipped += 1
        before = (conn.states, conn.trailing_data)
        assert conn.next_event() in (h11.NEED_DATA, h11.PAUSED)
        assert (conn.states, conn.trailing_data) == before
        return True

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http1, "needs_bytes", checked)
        connection = HttpConnection(0, "c1", "c:1", "s:2", midstream=False, max_message=1 << 16)
        for n, (side, data) in enumerate(pieces):
            connection.data(side, data, float(n))
        if end:
            connection.end("server", 99.0)
        connection.close(100.0, None)


def test_needs_bytes_in_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    needs_bytes = h11_reader.needs_bytes
    skipped = 0

    def checked(conn: h11.Connection) -> bool:
        nonlocal skipped
        if not needs_bytes(conn):
            return False
        skipped += 1
        assert conn.next_event() in (h11.NEED_DATA, h11.PAUSED)
        return True

    monkeypatch.setattr(http1, "needs_bytes", checked)
    for parts in FIXTURES:
        events(fixture_path(*parts).read_bytes())
    assert skipped > 100


def test_unparsed_counts_what_h11_holds() -> None:
    conn = h11_reader.Receiver(h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next")
    assert h11_reader.next_event(conn) == h11.Request(
        method="GET", target="/", headers=[("Host", "x")]
    )
    assert h11_reader.unparsed(conn) == len(conn.trailing_data[0]) == len(b"GET /next")


def test_another_h11_is_refused_by_name() -> None:
    """Imported with another h11, the module stops with one message naming it."""
    code = "import h11; h11.__version__ = '0.17.0'; import pushscope.inspector.pcap.h11_reader"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "pushscope.inspector.pcap.h11_reader.H11VersionError: h11 0.17.0 is installed, but "
        "pushscope's pcap reader uses h11 0.16's internals: install h11>=0.16,<0.17"
    )


def test_an_h11_without_the_internals_used_is_refused_by_name() -> None:
    code = (
        "import h11; del h11.Connection._process_error; import pushscope.inspector.pcap.h11_reader"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].endswith(
        f"h11 {h11.__version__} is installed (it lacks Connection._process_error), but "
        "pushscope's pcap reader uses h11 0.16's internals: install h11>=0.16,<0.17"
    )
