"""RPC operations: what a GraphQL or JSON-RPC request over HTTP asks for.

On an RPC API every request goes to one path (`POST /graphql`), so the URL does not say what a
request asks for; its body does, or for a GraphQL GET its query string. `rpc_operation` reads
them bounded (at most `RPC_BODY_CAP` bytes) and never raises on what the network sends:
whatever it cannot read is no operation.

GraphQL over HTTP (graphql.github.io/graphql-over-http), Apollo's automatic persisted queries
(`extensions.persistedQuery.sha256Hash`), JSON-RPC 2.0 (jsonrpc.org/specification).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote_plus

from pushscope.inspector.bodies import BodyDecoder, BodyError
from pushscope.inspector.model import Headers, header

RPC_BODY_CAP = 64 * 1024
"""Bytes of a request body (and characters of a GraphQL GET's query string) read for its
operation. Readers keep no more than this of a body, and only of a request that may be RPC
(`rpc_body_wanted`). A JSON body is read only when shorter: one this long may have been cut."""
MAX_BATCH_NAMES = 8
"""Operations of a batch named in its name; the rest are counted: `A+B+...+H(+4)`."""
MAX_NAME = 128
"""Longest operation name or JSON-RPC method kept."""
RPC_QUERY_FIELDS = frozenset({"query", "operationName", "extensions", "variables"})
"""The query parameters of a GraphQL GET: what the operation is and its arguments."""
_GET_FIELDS = RPC_QUERY_FIELDS - {"variables"}

OperationType = Literal["query", "mutation", "subscription"]
_OPERATION_TYPES: dict[str, OperationType] = {
    "query": "query",
    "mutation": "mutation",
    "subscription": "subscription",
}


class Operation(NamedTuple):
    """What an RPC request asks for. (A named tuple: cheap to make, pickle and compare.)"""

    protocol: Literal["graphql", "json-rpc"]
    name: str
    """The GraphQL operation name (`anonymous` when it has none, `persisted:<12 hex>` for a
    persisted query known only by its hash) or the JSON-RPC method; a batch's joined by `+`."""
    operation_type: OperationType | None
    """`query`, `mutation` or `subscription`; None for JSON-RPC, and for a persisted query
    POSTed without its document (GET is for queries only)."""
    persisted: bool = False
    """A persisted query, sent by its hash."""

    @property
    def kind(self) -> str:
        """`graphql query`, `graphql mutation`, `graphql subscription`, `graphql` (type
        unknown) or `json-rpc`."""
        if self.operation_type is None:
            return self.protocol
        return f"{self.protocol} {self.operation_type}"

    @property
    def writes(self) -> bool:
        """A GraphQL mutation: it changes something. A query or a JSON-RPC call asks."""
        return self.operation_type == "mutation"


_RPC_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/graphql",
        "application/json-rpc",
        "application/jsonrequest",
    }
)
_RPC_PATHS = ("/graphql", "/gql", "/rpc", "/jsonrpc", "/json-rpc")
_NAME = re.compile(rf"[_A-Za-z][_0-9A-Za-z]{{0,{MAX_NAME - 1}}}")
_METHOD = re.compile(rf"[\w.:/$@-]{{1,{MAX_NAME}}}")
"""A JSON-RPC method named in an endpoint: no spaces, brackets or control characters."""
_HASH = re.compile(r"[0-9a-fA-F]{12,128}")
_JSON_MARKERS = (b'"jsonrpc"', b'"query"', b'"extensions"')
"""One of these is in every JSON body that names an operation: no parse without one."""


def rpc_body_wanted(method: str, url: str, content_type: str | None) -> bool:
    """Whether a request's body may name an RPC operation, so that a reader keeps (the first
    `RPC_BODY_CAP` bytes of) it: a POST of JSON or GraphQL, or to a path like `/graphql`."""
    if method != "POST":
        return False
    if content_type:
        media = content_type.partition(";")[0].strip().lower()
        if media in _RPC_MEDIA_TYPES or media.endswith("+json"):
            return True
    path = url.partition("?")[0].partition("#")[0].rstrip("/").lower()
    return path.endswith(_RPC_PATHS)


def rpc_operation(
    method: str,
    url: str,
    content_type: str | None,
    body: bytes | None,
    content_encoding: str | None = None,
) -> Operation | None:
    """The GraphQL operation or JSON-RPC method a request asks for, or None.

    A GET is read from its query string (`query`, `operationName`, `extensions`); a POST that
    may be RPC (`rpc_body_wanted`) from its body: JSON (one request or a batch) or an
    `application/graphql` document, compressed or not (`content_encoding`: at most
    `RPC_BODY_CAP` bytes are decoded)."""
    if method == "GET":
        return _from_query_string(url)
    if not body or not rpc_body_wanted(method, url, content_type):
        return None
    if content_encoding and content_encoding.strip().lower() != "identity":
        try:
            body = BodyDecoder(content_encoding, RPC_BODY_CAP).decode(body)
        except BodyError:  # corrupt, unsupported, or longer than the cap once decoded
            return None
    media = (content_type or "").partition(";")[0].strip().lower()
    if media == "application/graphql":
        return _from_document(body[:RPC_BODY_CAP])
    if len(body) >= RPC_BODY_CAP or not any(marker in body for marker in _JSON_MARKERS):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # invalid JSON or UTF-8; nesting too deep
        return None
    return _from_json(value, method)


def request_operation(
    method: str, url: str, headers: Headers, body: bytes | None
) -> Operation | None:
    """`rpc_operation` of a request as a reader holds it: the content type is looked up in
    `headers` only for a POST with a body."""
    if method == "GET":
        return _from_query_string(url)
    if method != "POST" or not body:
        return None
    content_type, encoding = header(headers, "content-type"), header(headers, "content-encoding")
    return rpc_operation(method, url, content_type, body, encoding)


def stored_operation(value: Any) -> Operation | None:
    """An operation as a feed or an exported HAR stores it (the tuple as a JSON list), or
    None if `value` is not one."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    protocol, name, operation_type, persisted = value
    kind = _OPERATION_TYPES.get(operation_type) if isinstance(operation_type, str) else None
    if (
        protocol not in ("graphql", "json-rpc")
        or not isinstance(name, str)
        or not 0 < len(name) <= _STORED_NAME
        or (operation_type is not None and kind is None)
        or not isinstance(persisted, bool)
    ):
        return None
    return Operation(protocol, name, kind, persisted)


_STORED_NAME = MAX_BATCH_NAMES * (MAX_NAME + 1) + 16


def graphql_operation(
    document: str, name: str | None = None
) -> tuple[OperationType, str | None] | None:
    """The type and name of operation `name` in a GraphQL document, else of its first
    operation (the name None when it has none); None if the document holds no operation.

    A small tokenizer over the first `RPC_BODY_CAP` characters, for at most `_MAX_TOKENS`
    tokens, reads the definitions at the top level; inside braces and parentheses it only
    counts brackets, skipping strings, block strings and comments whole, so a name in a
    selection, a string or a comment never counts. It stops at a definition that cannot be
    executed (`red shoes`, `type Query`)."""
    depth = 0  # braces and parentheses open
    keyword: str | None = None  # the first word of the top-level definition being read
    named: str | None = None  # and its name
    expect_name = False  # the last top-level token was the keyword: a name now is its name
    budget = _MAX_TOKENS
    first: tuple[OperationType, str | None] | None = None
    position, end = 0, min(len(document), RPC_BODY_CAP)
    # Compiled when a document is first read (re keeps them): most captures hold none.
    token_at = re.compile(_TOKEN, _VERBOSE).match
    skip_at = re.compile(_INSIDE, _VERBOSE).match
    while position < end and budget:
        budget -= 1
        if depth:
            token = skip_at(document, position, end)
            assert token is not None  # the last alternative takes any character
            position = token.end()
            bracket = token.group(1)
            if bracket is not None:
                depth += 1 if bracket in "{(" else -1
            continue
        token = token_at(document, position, end)
        assert token is not None
        position = token.end()
        group = token.lastindex
        if group is None:
            continue
        if group == _BRACKET:
            bracket = token.group(_BRACKET)
            if bracket in "})":
                break  # unbalanced: what came before is all there is
            if bracket == "{":  # a top-level selection set: the definition's body
                kind = _OPERATION_TYPES.get(keyword or "query")  # `{ ... }`: a query
                if kind is not None:
                    found = (kind, named)
                    if name is None or named == name:
                        return found
                    first = first or found
                keyword = named = None
            depth = 1
        elif group == _WORD:
            word = token.group(_WORD)
            if keyword is None:
                if word not in _EXECUTABLE:
                    break
                keyword = word
                expect_name = True
                continue
            if expect_name:
                named = word[:MAX_NAME]
        expect_name = False
    return first


_EXECUTABLE = frozenset({*_OPERATION_TYPES, "fragment"})
_MAX_TOKENS = 16384
"""Most tokens read, whitespace and skipped runs included: more than a real document has
before its operation, and a bound (about 10 ms) on what a hostile one costs."""
_STRINGS = r'"""(?:\\"""|[^"]|"(?!""))*"""' + r' | "(?:[^"\\\n\r]|\\.)*"'
"""A block string (three quotes after a backslash do not end it), or a string."""
_WORD, _BRACKET = 2, 3
_VERBOSE = re.VERBOSE | re.DOTALL
_TOKEN = rf"""
      [\s,\ufeff]+ | \#[^\n\r]*             # ignored: white space, commas, comments
    | ( {_STRINGS} )                       # 1: a string or block string
    | ( [_A-Za-z][_0-9A-Za-z]* )           # 2: a name
    | ( [{{}}()] )                           # 3: brackets that nest
    | ( . )                                # 4: other punctuation, or garbage
    """
"""GraphQL's lexical tokens, as much as the top level needs."""
_INSIDE = rf"""
      [^{{}}()"\#]+ | \#[^\n\r]* | {_STRINGS}   # anything but a bracket, strings and comments whole
    | ( [{{}}()] )                           # 1: a bracket
    | .                                    # a quote that opens no string
    """
"""Inside brackets: only the brackets count. For both, every alternative matches at least one
character and the last any, so a scan is linear whatever the input."""


def _from_document(body: bytes) -> Operation | None:
    """An `application/graphql` body: the document itself."""
    try:
        document = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found = graphql_operation(document)
    if found is None:
        return None
    kind, named = found
    return Operation("graphql", named or "anonymous", kind)


def _from_query_string(url: str) -> Operation | None:
    """A GraphQL GET: `query`, `operationName` and a JSON-encoded `extensions` in the URL."""
    if "query=" not in url and "extensions=" not in url:
        return None  # the usual GET: no look at its parameters
    start = url.find("?")
    if start < 0:
        return None
    query = url[start + 1 : start + 1 + RPC_BODY_CAP].partition("#")[0]
    fields: dict[str, Any] = {}
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key in _GET_FIELDS and key not in fields:
            fields[key] = unquote_plus(value)
    extensions = fields.get("extensions")
    if extensions is not None:
        try:
            fields["extensions"] = json.loads(extensions)
        except (ValueError, RecursionError):
            fields["extensions"] = None
    return _graphql(fields, "GET")


def _from_json(value: Any, method: str) -> Operation | None:
    if isinstance(value, dict):
        return _single(value, method)
    if not isinstance(value, list) or not value:
        return None
    operations: list[Operation] = []
    for item in value:  # the body's cap bounds the batch
        operation = _single(item, method) if isinstance(item, dict) else None
        if operation is None or (operations and operation.protocol != operations[0].protocol):
            return None  # one request that is not an operation, or a mix: not a batch
        operations.append(operation)
    name = "+".join(operation.name for operation in operations[:MAX_BATCH_NAMES])
    if len(operations) > MAX_BATCH_NAMES:
        name += f"(+{len(operations) - MAX_BATCH_NAMES})"
    writes = any(operation.writes for operation in operations)
    return Operation(
        operations[0].protocol,
        name,
        "mutation" if writes else operations[0].operation_type,
        any(operation.persisted for operation in operations),
    )


def _single(value: dict[str, Any], method: str) -> Operation | None:
    if value.get("jsonrpc") == "2.0":
        called = value.get("method")
        if isinstance(called, str) and _METHOD.fullmatch(called):
            return Operation("json-rpc", called, None)
        return None
    return _graphql(value, method)


def _graphql(request: dict[str, Any], method: str) -> Operation | None:
    """A GraphQL request's parameters: `query`, `operationName` and `extensions`."""
    name = request.get("operationName")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        name = None
    digest = None
    extensions = request.get("extensions")
    if isinstance(extensions, dict):
        persisted = extensions.get("persistedQuery")
        if isinstance(persisted, dict):
            sha = persisted.get("sha256Hash")
            if isinstance(sha, str) and _HASH.fullmatch(sha):
                digest = sha[:12].lower()
    query = request.get("query")
    if isinstance(query, str) and (found := graphql_operation(query, name)) is not None:
        kind, named = found
        return Operation("graphql", name or named or "anonymous", kind, digest is not None)
    if digest is None:
        return None
    return Operation(
        "graphql", name or f"persisted:{digest}", "query" if method == "GET" else None, True
    )
