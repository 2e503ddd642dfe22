"""h11 connections that only read: the one module that uses h11's internals.

A captured connection is read with two h11 connections, each in the role of the receiver (the
client's bytes go to a `SERVER` one, the server's to a `CLIENT` one), and what one side says
moves the other's state machine as if it had been sent. h11's public API has no way to say
"this was sent" without writing it: `send` serializes every request and response again, and
refuses HTTP/1.0, which captures hold. And at each change of state h11 makes a writer for our
side, which a reader never uses. So this module, and only this one, reaches inside h11:

- `mirror`: an event moves the state machine exactly as `send` moves it (h11's own
  `_process_event` and `_process_error`), without writing;
- `Receiver`: at a change of state only the reader is made, and every event (read or
  mirrored) passes through h11's `_process_event` step for step, without its `typing.cast`s;
- `next_event`: `Connection.next_event`, except that a body's `Data` does not pass through the
  state machine, which it cannot move; and `needs_bytes`, which says when `next_event` could
  only answer NEED_DATA (the reader then does not ask);
- `unparsed`: how many bytes wait in the receive buffer (`trailing_data` copies them);
- `Body`: what a `Data` event holds, as h11's readers make it.

These follow h11 0.16 (`h11>=0.16,<0.17` in pyproject.toml). On import, the version and the
names used are checked: another h11 is refused with one message, not misread.
"""

from __future__ import annotations

from typing import Protocol

import h11

_SUPPORTED = "0.16."
_VERSION: str = getattr(h11, "__version__", "(version unknown)")


class H11VersionError(ImportError):
    """The installed h11 is not the one this module follows."""


def _refuse(missing: str = "") -> H11VersionError:
    found = f" (it lacks {missing})" if missing else ""
    return H11VersionError(
        f"h11 {_VERSION} is installed{found}, but pushscope's pcap reader uses h11 "
        f"0.16's internals: install h11>=0.16,<0.17"
    )


if not _VERSION.startswith(_SUPPORTED):
    raise _refuse()
try:
    from h11._connection import _body_framing, _keep_alive
    from h11._headers import get_comma_header, has_expect_100_continue
    from h11._readers import READERS, ContentLengthReader
    from h11._state import (
        _SWITCH_CONNECT,
        _SWITCH_UPGRADE,
        DONE,
        MIGHT_SWITCH_PROTOCOL,
        SEND_BODY,
        SWITCHED_PROTOCOL,
    )
    from h11._util import Sentinel
except ImportError as e:  # pragma: no cover - a patched or broken h11 0.16
    raise _refuse(e.name or str(e)) from None


def _lacking() -> list[str]:
    """The internals used below that h11's objects lack (none, in h11 0.16)."""
    conn = h11.Connection(h11.CLIENT)
    wanted = {
        "Connection": (conn, ("_cstate", "_receive_buffer", "_receive_buffer_closed", "_reader",
                              "_max_incomplete_event_size", "_request_method", "_process_event",
                              "_process_error", "_respond_to_state_changes",
                              "_server_switch_event")),
        "ConnectionState": (conn._cstate, ("states",)),
        "ReceiveBuffer": (conn._receive_buffer, ("_data",)),
        "ContentLengthReader": (ContentLengthReader(0), ("_remaining",)),
    }  # fmt: skip
    return [f"{kind}.{name}" for kind, (obj, names) in wanted.items() for name in names
            if not hasattr(obj, name)]  # fmt: skip


if _lacking():  # pragma: no cover - a patched or broken h11 0.16
    raise _refuse(", ".join(_lacking()))


class Receiver(h11.Connection):
    """An h11 connection that only reads (the other side's events are mirrored into it, never
    written): no writer is made, and `_process_event` is h11's without its casts."""

    def _process_event(self, role: type[Sentinel], event: h11.Event) -> None:
        cstate = self._cstate
        old_states = dict(cstate.states)
        kind = type(event)
        if role is h11.CLIENT and type(event) is h11.Request:
            if event.method == b"CONNECT":
                cstate.process_client_switch_proposal(_SWITCH_CONNECT)
            if get_comma_header(event.headers, b"upgrade"):
                cstate.process_client_switch_proposal(_SWITCH_UPGRADE)
        server_switch_event = None
        if role is h11.SERVER:
            server_switch_event = self._server_switch_event(event)
        cstate.process_event(role, kind, server_switch_event)
        if type(event) is h11.Request:
            self._request_method = event.method
        if role is self.their_role and (
            type(event) is h11.Request
            or type(event) is h11.Response
            or type(event) is h11.InformationalResponse
        ):
            self.their_http_version = event.http_version
        if (type(event) is h11.Request or type(event) is h11.Response) and not _keep_alive(event):
            cstate.process_keep_alive_disabled()
        if type(event) is h11.Request and has_expect_100_continue(event):
            self.client_is_waiting_for_100_continue = True
        if kind is h11.InformationalResponse or kind is h11.Response:
            self.client_is_waiting_for_100_continue = False
        if role is h11.CLIENT and (kind is h11.Data or kind is h11.EndOfMessage):
            self.client_is_waiting_for_100_continue = False
        self._respond_to_state_changes(old_states, event)

    def _respond_to_state_changes(
        self, old_states: dict[type[Sentinel], type[Sentinel]], event: h11.Event | None = None
    ) -> None:
        role = self.their_role
        state = self._cstate.states[role]
        if state != old_states[role]:
            if state is SEND_BODY:
                assert type(event) is h11.Request or type(event) is h11.Response
                framing, args = _body_framing(self._request_method, event)  # type: ignore[arg-type]
                self._reader = READERS[SEND_BODY][framing](*args)  # type: ignore[index]
            else:
                self._reader = READERS.get((role, state))  # type: ignore[assignment]


class Body(Protocol):
    """h11's `Data` event as its readers make it: `data` is a slice of the receive buffer, a
    bytearray (h11 annotates it bytes). Read `data` through this type where the annotation is
    checked (compiled code)."""

    @property
    def data(self) -> bytes | bytearray: ...


Sent = h11.Request | h11.InformationalResponse | h11.Response | h11.EndOfMessage


def mirror(conn: h11.Connection, event: Sent) -> None:
    """`conn.send(event)` without writing the bytes nobody sends: the state machine moves
    exactly as `send` moves it (the same checks; an error leaves it in ERROR). The event is
    the one the other parser read, framing headers included: `send` would rebuild a
    response's framing and Connection headers for writing, which never changes the state
    (keep-alive is already off whenever it adds close). h11's writers send only HTTP/1.1; a
    capture also holds HTTP/1.0, which the state machine knows (no keep-alive, a body read to
    the close), so that check of `send` is not made."""
    if conn.our_state is h11.ERROR:
        raise h11.LocalProtocolError("Can't send data when our state is ERROR")
    try:
        conn._process_event(conn.our_role, event)
    except BaseException:
        conn._process_error(conn.our_role)
        raise


def needs_bytes(conn: h11.Connection) -> bool:
    """`next_event(conn)` could only say NEED_DATA (or PAUSED): no bytes wait, the stream is
    not closed, and the reader needs bytes to say anything (every one does but a
    Content-Length body with nothing left, whose end is an event)."""
    if conn._receive_buffer._data or conn._receive_buffer_closed:
        return False
    reader = conn._reader
    if type(reader) is ContentLengthReader and reader._remaining == 0:
        return False
    return conn._cstate.states[conn.their_role] is not h11.ERROR  # (raises: left to next_event)


def next_event(conn: h11.Connection) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
    """`conn.next_event()`: the same events, states and errors, but a body's `Data` is not
    passed through the state machine. In SEND_BODY, where alone a reader gives one, `Data`
    leaves every state as it was (SEND_BODY to SEND_BODY, the rest already at their fixed
    point) and changes only `client_is_waiting_for_100_continue` (off, for a client's body),
    which is done here."""
    role = conn.their_role
    state = conn._cstate.states[role]
    if state is h11.ERROR:
        raise h11.RemoteProtocolError("Can't receive data when peer state is ERROR")
    try:
        buffer = conn._receive_buffer
        event: h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED] | None
        if (
            (state is DONE and buffer._data)
            or state is MIGHT_SWITCH_PROTOCOL
            or state is SWITCHED_PROTOCOL
        ):
            return h11.PAUSED
        reader = conn._reader
        assert reader is not None
        event = reader(buffer)
        if event is None:
            if not buffer._data and conn._receive_buffer_closed:
                # (A body read to the close ends there; anything else is a closed stream.)
                read_eof = getattr(reader, "read_eof", None)
                event = h11.ConnectionClosed() if read_eof is None else read_eof()
            if event is None:
                event = h11.NEED_DATA
        elif type(event) is h11.Data and state is SEND_BODY:
            if role is h11.CLIENT:
                conn.client_is_waiting_for_100_continue = False
            return event
        if event is h11.NEED_DATA:
            if len(buffer._data) > conn._max_incomplete_event_size:
                raise h11.RemoteProtocolError("Receive buffer too long", error_status_hint=431)
            if conn._receive_buffer_closed:
                raise h11.RemoteProtocolError("peer unexpectedly closed connection")
        else:
            conn._process_event(role, event)  # type: ignore[arg-type]
        return event
    except BaseException as exc:
        conn._process_error(role)
        if isinstance(exc, h11.LocalProtocolError):
            exc._reraise_as_remote_protocol_error()
        raise


def unparsed(conn: h11.Connection) -> int:
    """Bytes `conn` holds that it has not parsed yet."""
    return len(conn._receive_buffer)
