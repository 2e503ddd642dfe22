"""The filter bar's language, e.g. `proto:ws host:api -status:2xx finding:yes` (no Textual).

Terms are ANDed; `-` before a term negates it; commas inside a term are alternatives
(`proto:ws,sse`). A bare word matches host or path. Keys are lowercase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pushscope.inspector.model import Exchange
from pushscope.tui.rows import split_url

HELP = """\
proto:ws|sse|rest|stream   protocol (websocket also accepted)
host:TEXT                  host contains TEXT
path:TEXT                  path or query contains TEXT
method:GET                 request method
status:404 | 4xx | none    status code, class, or no response yet
finding:yes|no             part of a polling or push finding
open:yes|no                still streaming
marked:yes|no              marked with m
msg:TEXT                   a kept WebSocket message or SSE event contains TEXT
TEXT                       host or path contains TEXT
-TERM                      anything but TERM;  a,b  either a or b"""

_PROTOCOLS = {"ws": "websocket", "websocket": "websocket", "sse": "sse", "rest": "rest"}
_PROTOCOLS |= {"stream": "stream", "streaming": "stream"}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


class FilterError(ValueError):
    """The filter text cannot be understood; the message says which term and why."""


@dataclass(slots=True)
class Key:
    """What a filter looks at in one exchange, prepared once (lowercase text)."""

    protocol: str
    host: str
    path: str
    method: str
    status: int
    finding: bool
    open: bool
    marked: bool = False
    exchange: Exchange | None = None
    """For terms that read what the exchange carried (`msg:`), which grows while it streams."""


def key_of(exchange: Exchange, in_finding: bool, is_open: bool) -> Key:
    host, path = split_url(exchange.request.url)
    response = exchange.response
    return Key(
        protocol=exchange.protocol.value,
        host=host.lower(),
        path=path.lower(),
        method=exchange.request.method.upper(),
        status=response.status if response is not None else 0,
        finding=in_finding,
        open=is_open,
        exchange=exchange,
    )


MESSAGE_CHARS = 64 << 10
"""Characters of each kept message or event a `msg:` term looks at."""


def message_matches(exchange: Exchange | None, text: str) -> int:
    """How many of the exchange's kept WebSocket messages or SSE events contain `text`
    (lowercase; case-insensitive)."""
    if exchange is None:
        return 0
    if exchange.websocket is not None:
        return sum(
            text in preview[:MESSAGE_CHARS].decode("utf-8", "replace").lower()
            for preview in exchange.websocket.previews
        )
    if exchange.sse is not None:
        return sum(
            text in event.data[:MESSAGE_CHARS].lower() or text == event.type.lower()
            for event in exchange.sse.events
        )
    return 0


Predicate = Callable[[Key], bool]


@dataclass(frozen=True, slots=True)
class Filter:
    text: str
    predicates: tuple[Predicate, ...] = ()
    message_terms: tuple[str, ...] = ()
    """The `msg:` texts, for counting matches per row."""

    def message_hits(self, exchange: Exchange) -> int:
        """Messages of `exchange` that match every `msg:` term's first alternative."""
        if not self.message_terms:
            return 0
        return min(message_matches(exchange, term) for term in self.message_terms)

    def __call__(self, key: Key) -> bool:
        return all(predicate(key) for predicate in self.predicates)

    @property
    def empty(self) -> bool:
        return not self.predicates


def parse_filter(text: str) -> Filter:
    """Compile the filter text; raises FilterError naming the term it cannot read."""
    words = text.split()
    predicates = [_term(word) for word in words]
    messages = tuple(
        word.partition(":")[2].lower().split(",")[0]
        for word in words
        if word.lower().startswith("msg:") and len(word) > 4
    )
    return Filter(text.strip(), tuple(predicates), messages)


def _term(word: str) -> Predicate:
    negate = word.startswith("-") and len(word) > 1
    body = word[1:] if negate else word
    name, colon, value = body.partition(":")
    if not colon:
        name, value = "text", body
    name = name.lower()
    alternatives = [v for v in value.lower().split(",") if v]
    if not alternatives:
        raise FilterError(f"{word!r}: a value is needed after '{name}:'")
    make = _FIELDS.get(name)
    if make is None:
        known = ", ".join(sorted(n for n in _FIELDS if n != "text"))
        raise FilterError(f"{word!r}: unknown field {name!r} (known: {known})")
    tests = [make(word, alternative) for alternative in alternatives]
    if len(tests) == 1:
        test = tests[0]
    else:

        def test(key: Key) -> bool:
            return any(t(key) for t in tests)

    if negate:
        return lambda key: not test(key)
    return test  # one call per row for the usual single term: filtering 100k rows is ~10 ms


def _protocol(word: str, value: str) -> Predicate:
    protocol = _PROTOCOLS.get(value)
    if protocol is None:
        raise FilterError(f"{word!r}: unknown protocol {value!r} (ws, sse, rest, stream)")
    return lambda key: key.protocol == protocol


def _status(word: str, value: str) -> Predicate:
    if value in ("none", "-", "pending"):
        return lambda key: key.status == 0
    if len(value) == 3 and value[0] in "12345" and value[1:] == "xx":
        low = int(value[0]) * 100
        return lambda key: low <= key.status < low + 100
    if value.isdigit():
        code = int(value)
        return lambda key: key.status == code
    raise FilterError(f"{word!r}: status is a code (404), a class (4xx) or none")


def _flag(attribute: str) -> Callable[[str, str], Predicate]:
    def make(word: str, value: str) -> Predicate:
        if value in _YES:
            return lambda key: bool(getattr(key, attribute))
        if value in _NO:
            return lambda key: not getattr(key, attribute)
        raise FilterError(f"{word!r}: {attribute} is yes or no")

    return make


def _contains(attribute: str) -> Callable[[str, str], Predicate]:
    def make(word: str, value: str) -> Predicate:
        return lambda key: value in getattr(key, attribute)

    return make


def _text(word: str, value: str) -> Predicate:
    return lambda key: value in key.host or value in key.path


def _method(word: str, value: str) -> Predicate:
    method = value.upper()
    return lambda key: key.method == method


def _message(word: str, value: str) -> Predicate:
    return lambda key: message_matches(key.exchange, value) > 0


_FIELDS: dict[str, Callable[[str, str], Predicate]] = {
    "msg": _message,
    "proto": _protocol,
    "protocol": _protocol,
    "host": _contains("host"),
    "path": _contains("path"),
    "method": _method,
    "status": _status,
    "finding": _flag("finding"),
    "open": _flag("open"),
    "marked": _flag("marked"),
    "text": _text,
}
