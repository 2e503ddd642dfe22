"""One connection's messages (WebSocket) or events (SSE) as a list, and what the conversation
view filters them by (no Textual): direction, type, size, text or a bounded regular expression
over the decoded content, a JSON path equality, heartbeats hidden; JSON Lines export; rates.

Payloads are untrusted: decoding goes through `decoders` (bounded, never raises), regular
expressions are checked before use (no nested or alternated repeats, which can backtrack
exponentially) and run over at most `REGEX_CHARS` characters of each message.
"""

from __future__ import annotations

import base64
import gc
import json
import re
import re._parser as sre_parse  # type: ignore[import-not-found]  # the parser `re` uses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from pushscope.inspector import decoders
from pushscope.inspector.decoders import Decoded
from pushscope.inspector.model import Exchange, Opcode, SseComment, SseEvent, SseStream
from pushscope.inspector.report.summary import human_bytes

MATCH_CHARS = 64 << 10
"""Characters of each message's decoded text a text term looks at."""
REGEX_CHARS = 2048
"""Characters a regular expression looks at: a single repeat that fails at every start
(`a+b` over `aaaa...`) costs the square of the length, so this bounds each match."""
KINDS = {  # an opcode as the viewer names it
    Opcode.CONTINUATION: "cont",
    Opcode.TEXT: "text",
    Opcode.BINARY: "binary",
    Opcode.CLOSE: "close",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
}
OPCODES = {kind: opcode for opcode, kind in KINDS.items()}
SAME_BYTES = 24
"""Payloads this short are decoded once per conversation, however many messages carry them."""
FREEZE_EVERY = 10_000
"""Items or decodings made before the conversation's objects are frozen out of the cyclic
collector (`gc.freeze`): they hold no cycles and live as long as the view, and each full
collection would otherwise rescan them all, a pause of tens of milliseconds at 100,000."""
DIRECTIONS = {"client": "client", "c": "client", "out": "client", ">": "client"} | {
    "server": "server",
    "s": "server",
    "in": "server",
    "<": "server",
}


class FilterError(ValueError):
    """A conversation filter that does not parse; the message says which term and why."""


@dataclass(slots=True)
class Item:
    """One message, event or comment of the conversation."""

    index: int
    direction: str
    kind: str
    size: int
    timestamp: float | None
    payload: bytes
    compressed: bool = False
    sse: SseEvent | SseComment | None = None
    decoded: Decoded | None = None
    """Filled on first use (`Conversation.decode`)."""
    marked: bool = False
    """The user marked it (`m`)."""


@dataclass(slots=True)
class Conversation:
    """The kept messages of `exchange`, grown with `refresh()` while it streams; an SSE
    stream's events and comments in the order they came."""

    exchange: Exchange
    items: list[Item] = field(default_factory=list)
    _events: int = 0
    _comments: int = 0
    _ahead: int = 0
    """Items before this one are decoded (`decode_ahead`)."""
    _same: dict[tuple[bytes, str], Decoded] = field(default_factory=dict)
    """Short payloads decoded once for all messages that carry them (heartbeats repeat)."""
    _unfrozen: int = 0
    """Items and decodings made since the last `gc.freeze()`."""

    def __post_init__(self) -> None:
        self.refresh()

    @property
    def start(self) -> float:
        return self.exchange.started

    def refresh(self) -> int:
        """Take the messages kept since the last call; return how many were new."""
        before = len(self.items)
        session, stream = self.exchange.websocket, self.exchange.sse
        if session is not None:
            new = zip(session.messages[before:], session.previews[before:], strict=False)
            self.items += [
                Item(
                    n,
                    message.direction,
                    KINDS.get(message.opcode, str(message.opcode)),
                    message.size,
                    message.timestamp,
                    preview,
                    message.compressed,
                )
                for n, (message, preview) in enumerate(new, before)
            ]
        elif stream is not None:
            self._take_sse(stream)
        self._made(len(self.items) - before)
        return len(self.items) - before

    def _made(self, count: int) -> None:
        self._unfrozen += count
        if self._unfrozen >= FREEZE_EVERY:
            self._unfrozen = 0
            gc.freeze()

    def _take_sse(self, stream: SseStream) -> None:
        events, comments = stream.events, stream.kept_comments
        items = self.items
        while self._events < len(events) or self._comments < len(comments):
            if self._comments < len(comments) and (
                self._events >= len(events) or comments[self._comments].after <= self._events
            ):
                comment = comments[self._comments]
                self._comments += 1
                text = comment.text.encode("utf-8", "replace")
                item = Item(
                    len(items), "server", "comment", len(text), comment.timestamp, text, sse=comment
                )
            else:
                event = events[self._events]
                self._events += 1
                data = event.data.encode("utf-8", "replace")
                kind = event.type or "message"
                item = Item(len(items), "server", kind, len(data), event.timestamp, data, sse=event)
            items.append(item)

    def not_kept(self) -> str:
        """Which messages the viewer did not keep (past its limits), or ''."""
        session, stream = self.exchange.websocket, self.exchange.sse
        if session is not None:
            parts = [_dropped("messages", len(session.messages), session.total)]
        elif stream is not None:
            parts = [
                _dropped("events", len(stream.events), stream.count),
                _dropped("comments", len(stream.kept_comments), stream.comments),
            ]
        else:
            parts = []
        return "; ".join(part for part in parts if part)

    def decode(self, item: Item) -> Decoded:
        if item.decoded is None:
            if type(item.sse) is SseEvent:
                item.decoded = decoders.decode_sse(item.sse)
            elif type(item.sse) is SseComment:
                item.decoded = decoders.decode_sse_comment(item.sse)
            elif len(item.payload) <= SAME_BYTES:
                key = (item.payload, item.kind)
                decoded = self._same.get(key)
                if decoded is None:
                    decoded = self._same[key] = self._decode_message(item)
                item.decoded = decoded
            else:
                item.decoded = self._decode_message(item)
            self._made(1)
        return item.decoded

    def _decode_message(self, item: Item) -> Decoded:
        session = self.exchange.websocket
        opcode = OPCODES.get(item.kind, Opcode.BINARY)
        return decoders.decode_message(
            item.payload,
            opcode,
            self.exchange.framework,
            session.handshake.subprotocol if session else None,
        )

    def decode_ahead(self, deadline: float) -> bool:
        """Decode the items not decoded yet, in order, until `perf_counter()` passes
        `deadline`; True while some are left."""
        items, n = self.items, self._ahead
        while n < len(items):
            for item in items[n : n + 32]:
                self.decode(item)
            n = min(len(items), n + 32)
            if time.perf_counter() > deadline:
                break
        self._ahead = n
        return n < len(items)

    def gap(self, index: int) -> float | None:
        """Seconds since the message before `index` in the whole conversation."""
        if index <= 0 or index >= len(self.items):
            return None
        now, before = self.items[index].timestamp, self.items[index - 1].timestamp
        return now - before if now is not None and before is not None else None


def _dropped(what: str, kept: int, total: int) -> str:
    if total <= kept:
        return ""
    return f"{what} {kept + 1:,} to {total:,} not kept ({total - kept:,}, past the viewer's limits)"


# -- filters


def check_pattern(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled, or `FilterError` if it is not a regex or could backtrack
    exponentially (a repeat holding another repeat or an alternation, or a backreference)."""
    try:
        parsed = sre_parse.parse(pattern)
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as error:
        raise FilterError(f"not a regular expression: {pattern!r} ({error})") from None
    if _risky(parsed, inside_repeat=False):
        raise FilterError(
            f"regular expression {pattern!r} nests repeats (could take forever): simplify it"
        )
    return compiled


_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT}


def _risky(parsed: object, inside_repeat: bool) -> bool:
    for op, arg in parsed:  # type: ignore[attr-defined]
        if op in _REPEATS:
            _low, high, sub = arg
            unbounded = high is sre_parse.MAXREPEAT or high > 1
            if inside_repeat and unbounded:
                return True
            if _risky(sub, inside_repeat or unbounded):
                return True
        elif op is sre_parse.BRANCH:
            if inside_repeat:
                return True
            if any(_risky(branch, inside_repeat) for branch in arg[1]):
                return True
        elif op is sre_parse.SUBPATTERN:
            if _risky(arg[-1], inside_repeat):
                return True
        elif op in (sre_parse.GROUPREF, sre_parse.GROUPREF_EXISTS):
            return True
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            if _risky(arg[1], inside_repeat):
                return True
        elif op is sre_parse.ATOMIC_GROUP and _risky(arg, inside_repeat):
            return True
    return False


def json_path_get(value: object, path: str) -> tuple[bool, object]:
    """(found, value) at `path` (`$.a.b[0].c`) inside a parsed JSON `value`."""
    for part in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path[1:] if path.startswith("$") else path):
        key, index = part
        if key and isinstance(value, dict) and key in value:
            value = value[key]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        elif key.isdigit() and isinstance(value, list) and int(key) < len(value):
            value = value[int(key)]
        else:
            return False, None
    return True, value


def _json_of(item: Item) -> object:
    """The payload as JSON, past an Engine.IO/Socket.IO packet-type prefix (`42[...]`)."""
    text = item.payload[:MATCH_CHARS].decode("utf-8", "replace")
    for candidate in (text, text.lstrip("0123456789")):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _equal(found: object, wanted: str) -> bool:
    if isinstance(found, str):
        return found == wanted
    return json.dumps(found) == wanted or str(found) == wanted


_SIZE = re.compile(r"([<>]=?|=)?(\d+(?:\.\d+)?)([kmg]?)b?", re.IGNORECASE)
_SCALE = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


@dataclass(slots=True)
class MessageFilter:
    """What the conversation view keeps; `parse_message_filter` builds one from text."""

    directions: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    sizes: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    paths: list[tuple[str, str]] = field(default_factory=list)
    hide_heartbeats: bool = False
    marked: bool | None = None
    """Only the marked messages (True), only the others (False), or all."""

    @property
    def everything(self) -> bool:
        """Every message matches: no term, heartbeats shown."""
        return not (
            self.directions
            or self.kinds
            or self.sizes
            or self.texts
            or self.patterns
            or self.paths
            or self.hide_heartbeats
            or self.marked is not None
        )

    def matches(self, conversation: Conversation, item: Item) -> bool:
        if self.marked is not None and item.marked is not self.marked:
            return False
        if self.directions and item.direction not in self.directions:
            return False
        if self.kinds and item.kind.lower() not in self.kinds:
            return False
        for op, limit in self.sizes:
            if not _compare(item.size, op, limit):
                return False
        if self.hide_heartbeats and conversation.decode(item).heartbeat:
            return False
        if self.texts or self.patterns:
            text = searchable(conversation, item)
            lowered = text.lower()
            if any(term not in lowered for term in self.texts):
                return False
            capped = text[:REGEX_CHARS]
            if any(pattern.search(capped) is None for pattern in self.patterns):
                return False
        if self.paths:
            document = _json_of(item)
            for path, wanted in self.paths:
                found, value = json_path_get(document, path)
                if not found or not _equal(value, wanted):
                    return False
        return True

    def highlights(self) -> list[re.Pattern[str]]:
        """What to highlight in a shown line: the text terms and the patterns."""
        return [re.compile(re.escape(t), re.IGNORECASE) for t in self.texts] + self.patterns


def searchable(conversation: Conversation, item: Item) -> str:
    """The text a text or regex term looks in: the decoded summary and body, capped."""
    decoded = conversation.decode(item)
    return (decoded.summary + "\n" + decoded.body)[:MATCH_CHARS]


def _compare(size: int, op: str, limit: int) -> bool:
    return {
        "<": size < limit,
        "<=": size <= limit,
        ">": size > limit,
        ">=": size >= limit,
        "=": size == limit,
    }[op]


def parse_message_filter(text: str, hide_heartbeats: bool = False) -> MessageFilter:
    """`dir:client type:text size:>1k $.type=msg re:ord(er)?-\\d+ /regex/ marked:yes word`
    (all must hold; comma-separated values within a term are alternatives)."""
    result = MessageFilter(hide_heartbeats=hide_heartbeats)
    for term in text.split():
        name, sep, value = term.partition(":")
        if term.startswith("$") and "=" in term:
            path, _, wanted = term.partition("=")
            result.paths.append((path, wanted))
        elif len(term) > 2 and term.startswith("/") and term.endswith("/"):
            result.patterns.append(check_pattern(term[1:-1]))
        elif sep and name in ("dir", "direction"):
            for part in value.lower().split(","):
                if part not in DIRECTIONS:
                    raise FilterError(f"dir:{value}: expected client or server")
                result.directions.add(DIRECTIONS[part])
        elif sep and name == "type":
            result.kinds.update(part for part in value.lower().split(",") if part)
        elif sep and name == "size":
            match = _SIZE.fullmatch(value)
            if match is None:
                raise FilterError(f"size:{value}: expected e.g. >1k, <=200, =0")
            op, number, unit = match.groups()
            result.sizes.append((op or ">=", int(float(number) * _SCALE[unit.lower()])))
        elif sep and name == "marked":
            if value.lower() not in ("yes", "no"):
                raise FilterError(f"marked:{value}: expected yes or no")
            result.marked = value.lower() == "yes"
        elif sep and name in ("re", "regex"):
            result.patterns.append(check_pattern(value))
        elif sep and name in ("text", "msg"):
            result.texts.append(value.lower())
        else:
            result.texts.append(term.lower())
    return result


# -- showing, export


def offset(conversation: Conversation, item: Item) -> str:
    """Seconds since the connection started, `+12.345s`."""
    if item.timestamp is None or not conversation.start:
        return ""
    return f"+{item.timestamp - conversation.start:.3f}s"


def gap_text(gap: float | None) -> str:
    if gap is None:
        return ""
    return f"{gap * 1000:.0f}ms" if gap < 1 else f"{gap:.1f}s"


def frame_facts(conversation: Conversation, item: Item) -> list[tuple[str, str]]:
    """The frame fields known for a message (whole messages: fin set, rsv per compression)."""
    facts = [
        ("direction", "client to server" if item.direction == "client" else "server to client"),
        ("type", item.kind),
        ("size", f"{item.size} B ({human_bytes(item.size)})"),
        ("time", offset(conversation, item)),
    ]
    if item.sse is None:
        facts += [
            ("fin", "1 (a whole message)"),
            ("rsv1", "1 (permessage-deflate)" if item.compressed else "0"),
            ("masked", "yes (client frames are)" if item.direction == "client" else "no"),
            ("payload length", str(item.size)),
            ("kept", f"{len(item.payload)} B"),
        ]
    else:
        facts += [("event id", item.sse.id)] if type(item.sse) is SseEvent and item.sse.id else []
    return facts


def jsonl_lines(conversation: Conversation, items: list[Item]) -> Iterator[str]:
    """One JSON object a line: index, direction, time, type, size, and the data kept (text, or
    base64 under `data_base64` when it is not UTF-8)."""
    for item in items:
        record: dict[str, object] = {
            "index": item.index,
            "direction": item.direction,
            "time": item.timestamp,
            "type": item.kind,
            "size": item.size,
        }
        try:
            record["data"] = item.payload.decode("utf-8")
        except UnicodeDecodeError:
            record["data_base64"] = base64.b64encode(item.payload).decode("ascii")
        if len(item.payload) < item.size:
            record["truncated"] = True
        if item.marked:
            record["marked"] = True
        yield json.dumps(record, ensure_ascii=False)


BARS = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def rate_strip(conversation: Conversation, width: int) -> tuple[str, str, float]:
    """Messages per second each way over the connection's life, `width` buckets per side:
    (client bars, server bars, the peak rate the tallest bar stands for)."""
    times = [i.timestamp for i in conversation.items if i.timestamp is not None]
    if not times or width <= 0:
        return "", "", 0.0
    start, end = min(times), max(times)
    span = max(end - start, 1e-9)
    buckets = {"client": [0] * width, "server": [0] * width}
    for item in conversation.items:
        if item.timestamp is not None:
            slot = min(width - 1, int((item.timestamp - start) / span * width))
            buckets["client" if item.direction == "client" else "server"][slot] += 1
    peak = max(max(buckets["client"]), max(buckets["server"]), 1)
    seconds = max(span / width, 1e-3)

    def bars(counts: list[int]) -> str:
        return "".join(BARS[0 if not c else max(1, round(c / peak * 8))] for c in counts)

    return bars(buckets["client"]), bars(buckets["server"]), peak / seconds
