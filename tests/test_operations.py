"""What a GraphQL or JSON-RPC request asks for, read from its body or query string."""

from __future__ import annotations

import gzip
import json
import zlib
from urllib.parse import quote, urlencode

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushscope.inspector.operations import (
    MAX_BATCH_NAMES,
    RPC_BODY_CAP,
    Operation,
    graphql_operation,
    request_operation,
    rpc_body_wanted,
    rpc_operation,
    stored_operation,
)

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]

URL = "https://api.example.com/graphql"
HASH = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


def _post(body: object, content_type: str = "application/json", url: str = URL) -> Operation | None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return rpc_operation("POST", url, content_type, data)


def _get(**params: str) -> Operation | None:
    return rpc_operation("GET", f"{URL}?{urlencode(params)}", None, None)


def test_operation_name_wins() -> None:
    body = {"operationName": "UnreadCount", "query": "query UnreadCount { me { unread } }"}
    assert _post(body) == Operation("graphql", "UnreadCount", "query", False)


def test_the_named_operation_of_several_gives_the_type() -> None:
    query = "query Feed { feed { id } } mutation Like($id: ID!) { like(id: $id) }"
    assert _post({"operationName": "Like", "query": query}) == Operation(
        "graphql", "Like", "mutation"
    )
    assert _post({"query": query}) == Operation("graphql", "Feed", "query")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ me { id } }", ("query", None)),
        ("query { me { id } }", ("query", None)),
        ("query ($first: Int = 10) @live { feed(first: $first) { id } }", ("query", None)),
        ("subscription OnMessage { messageAdded { id } }", ("subscription", "OnMessage")),
        # fragments first, comments, strings and braces inside them, default object values
        (
            '# query Fake { x }\nfragment F on User { name } mutation Save($in: In = {a: "}"})'
            ' @tag(note: """ query Fake { """) { save(input: $in) { ...F } }',
            ("mutation", "Save"),
        ),
        ("query\n  # comment\n  Named, { x }", ("query", "Named")),
        ("\ufeffquery Bom { x }", ("query", "Bom")),
        ("shoes", None),
        ("fragment F on T { a }", None),
        ("type Query { me: User }", None),
        ("", None),
        ("} query A { a }", None),
        ('"""never closed query A { a }', None),
    ],
)
def test_graphql_documents(document: str, expected: tuple[str, str | None] | None) -> None:
    assert graphql_operation(document) == expected


def test_the_scan_is_bounded() -> None:
    """A bounded number of tokens is read, the inside of braces skipped in long runs."""
    many = "query A { a } " * 4000 + "query B { b }"
    assert graphql_operation(many, "B") == ("query", "A")  # B lies past the bound: the first
    assert graphql_operation("query A { a } " * 100 + "query B { b }", "B") == ("query", "B")
    big = "query Big { " + 'field(arg: "}") # }\n ' * 1500 + "} query B { b }"
    assert graphql_operation(big, "B") == ("query", "B")
    assert graphql_operation("query A " + "@d " * 30_000 + "{ a }") is None
    assert graphql_operation("query A @x(" + "()" * 32_000) is None


def test_anonymous_query_is_named_anonymous() -> None:
    assert _post({"query": "{ unread }"}) == Operation("graphql", "anonymous", "query")


def test_an_invalid_operation_name_falls_back_to_the_document() -> None:
    body = {"operationName": "not a name", "query": "query Real { x }"}
    assert _post(body) == Operation("graphql", "Real", "query")
    assert _post({"operationName": "X" * 500, "query": "{ x }"}) == Operation(
        "graphql", "anonymous", "query"
    )


def test_a_search_body_is_not_graphql() -> None:
    assert _post({"query": "red shoes", "page": 2}, url="https://shop.example/api/search") is None
    assert _post({"items": [1, 2]}) is None


def test_batched_operations_are_one_named_by_all() -> None:
    batch = [{"query": "query A { a }"}, {"operationName": "B", "query": "query B { b }"}]
    assert _post(batch) == Operation("graphql", "A+B", "query")
    with_mutation = [*batch, {"query": "mutation C { c }"}]
    assert _post(with_mutation) == Operation("graphql", "A+B+C", "mutation")


def test_a_long_batch_names_a_bounded_number() -> None:
    batch = [{"query": f"query Q{i} {{ a }}"} for i in range(MAX_BATCH_NAMES + 5)]
    operation = _post(batch)
    assert operation is not None
    assert operation.name == "+".join(f"Q{i}" for i in range(MAX_BATCH_NAMES)) + "(+5)"


def test_a_batch_with_something_else_is_no_operation() -> None:
    assert _post([{"query": "query A { a }"}, {"nope": 1}]) is None
    assert _post([{"query": "query A { a }"}, {"jsonrpc": "2.0", "method": "m"}]) is None
    assert _post([]) is None


def test_persisted_query_by_post() -> None:
    assert _post({"extensions": PERSISTED}) == Operation(
        "graphql", "persisted:ecf4edb46db4", None, True
    )
    named = {"operationName": "Feed", "variables": {}, "extensions": PERSISTED}
    assert _post(named) == Operation("graphql", "Feed", None, True)
    with_document = {**named, "query": "query Feed { feed }"}
    assert _post(with_document) == Operation("graphql", "Feed", "query", True)


def test_persisted_query_by_get() -> None:
    extensions = json.dumps(PERSISTED)
    assert _get(extensions=extensions) == Operation(
        "graphql", "persisted:ecf4edb46db4", "query", True
    )
    assert _get(operationName="Feed", variables="{}", extensions=extensions) == Operation(
        "graphql", "Feed", "query", True
    )


def test_get_with_a_document() -> None:
    assert _get(query="query Me { me { id } }") == Operation("graphql", "Me", "query")
    assert _get(query="{ me { id } }", operationName="Me") == Operation("graphql", "Me", "query")
    spaces = f"{URL}?query={quote('{ me }')}".replace("%20", "+")
    assert rpc_operation("GET", spaces, None, None) == Operation("graphql", "anonymous", "query")


@pytest.mark.parametrize(
    "url",
    [
        URL,
        "https://shop.example/search?query=shoes",
        "https://api.example/items?id=3",
        f"{URL}?extensions=not-json",
        f"{URL}?extensions=%7B%22persistedQuery%22%3A%7B%22sha256Hash%22%3A%22xyz%22%7D%7D",
    ],
)
def test_gets_that_are_no_operation(url: str) -> None:
    assert rpc_operation("GET", url, None, None) is None


def test_application_graphql_body() -> None:
    body = b"query Unread { unread }"
    assert _post(body, "application/graphql; charset=utf-8") == Operation(
        "graphql", "Unread", "query"
    )


def test_json_rpc() -> None:
    call = {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": [], "id": 1}
    assert _post(call, url="https://rpc.example/") == Operation("json-rpc", "eth_blockNumber", None)
    notification = {"jsonrpc": "2.0", "method": "textDocument/didChange"}
    assert _post(notification, "application/json-rpc", url="https://lsp.example/x") == Operation(
        "json-rpc", "textDocument/didChange", None
    )
    batch = [call, {**call, "method": "eth_gasPrice", "id": 2}]
    assert _post(batch) == Operation("json-rpc", "eth_blockNumber+eth_gasPrice", None)


@pytest.mark.parametrize(
    "call",
    [
        {"jsonrpc": "1.0", "method": "m"},
        {"jsonrpc": "2.0"},
        {"jsonrpc": "2.0", "method": 3},
        {"jsonrpc": "2.0", "method": "has space"},
        {"jsonrpc": "2.0", "method": "x" * 500},
        {"jsonrpc": "2.0", "result": 1, "id": 1},
    ],
)
def test_not_json_rpc_calls(call: dict[str, object]) -> None:
    assert _post(call) is None


def test_json_operations_only_where_rpc_may_be() -> None:
    body = {"operationName": "A", "query": "query A { a }"}
    assert _post(body, "text/plain", url="https://api.example/items") is None
    assert _post(body, "text/plain;charset=UTF-8") is not None  # to /graphql, whatever its type
    assert _post(body, "application/vnd.api+json", url="https://api.example/q") is not None
    assert rpc_operation("PUT", URL, "application/json", json.dumps(body).encode()) is None


@pytest.mark.parametrize(
    ("method", "url", "content_type", "wanted"),
    [
        ("POST", URL, None, True),
        ("POST", "https://h/api/graphql/?x=1", None, True),
        ("POST", "https://h/rpc", "text/plain", True),
        ("POST", "https://h/items", "application/json; charset=utf-8", True),
        ("POST", "https://h/items", "application/problem+json", True),
        ("POST", "https://h/items", "application/x-www-form-urlencoded", False),
        ("POST", "https://h/upload", None, False),
        ("GET", URL, "application/json", False),
        ("PUT", URL, "application/json", False),
    ],
)
def test_which_bodies_are_wanted(
    method: str, url: str, content_type: str | None, wanted: bool
) -> None:
    assert rpc_body_wanted(method, url, content_type) is wanted


def test_request_operation_reads_the_content_type_from_the_headers() -> None:
    body = b'{"jsonrpc": "2.0", "method": "ping"}'
    headers = (("Host", "h"), ("content-type", "application/json"))
    assert request_operation("POST", "https://h/", headers, body) == Operation(
        "json-rpc", "ping", None
    )
    assert request_operation("POST", "https://h/", (("Host", "h"),), body) is None
    assert request_operation("DELETE", URL, headers, body) is None


def test_a_body_over_the_cap_is_not_parsed() -> None:
    padding = " " * RPC_BODY_CAP
    body = json.dumps({"query": "query Big { a }", "pad": padding}).encode()
    assert len(body) > RPC_BODY_CAP
    assert _post(body) is None
    assert _post(body[:RPC_BODY_CAP]) is None  # as a reader keeps it: cut, so not read
    under = json.dumps({"query": "query Big { a }", "pad": padding[: RPC_BODY_CAP - 100]})
    assert _post(under.encode()) == Operation("graphql", "Big", "query")
    # a GraphQL document is read from its start: the operation is in its first bytes
    document = b"query Big { a }" + b" " * RPC_BODY_CAP
    assert _post(document, "application/graphql") == Operation("graphql", "Big", "query")


HOSTILE = {
    "empty": b"",
    "open brace": b"{",
    "cut": b'{"query": ',
    "not utf-8": b"\xff\xfe\x00garbage",
    "not utf-8 in a string": b'{"query": "\xff query A { a }"}',
    "deep arrays": b"[" * 100_000 + b'"query"' + b"]" * 100_000,
    "deep value": b'{"query": ' + b"[" * 60_000 + b"]" * 60_000 + b"}",
    "huge number": b'{"query": 1' + b"0" * 10_000 + b"}",
    "persistedQuery not an object": b'{"query": null, "extensions": {"persistedQuery": "x"}}',
    "deep braces": b'{"query": "query A {' + b"{" * 60_000 + b'"}',
    "block quotes": b'{"query": "' + b'\\"\\"\\"' * 10_000 + b'"}',
    "comment": b'{"query": "' + b"#" * 60_000 + b'"}',
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_bodies_are_no_operation_and_never_raise(body: bytes) -> None:
    for content_type in ("application/json", "application/graphql"):
        found = _post(body, content_type)
        assert found is None or isinstance(found, Operation)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=2048),
    content_type=st.sampled_from(["application/json", "application/graphql", None, "text/plain"]),
)
def test_random_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    found = rpc_operation("POST", URL, content_type, body)
    assert found is None or isinstance(found, Operation)


@settings(max_examples=300, deadline=None)
@given(document=st.text(alphabet='{}()[]"\\#\n ,$@!:=queryfragmentmutationABC_01', max_size=400))
def test_random_documents_never_raise(document: str) -> None:
    found = graphql_operation(document)
    assert found is None or found[0] in ("query", "mutation", "subscription")
    body = json.dumps({"query": document, "operationName": "A"}).encode()
    assert _post(body) is None or isinstance(_post(body), Operation)


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=300))
def test_random_query_strings_never_raise(query: str) -> None:
    for url in (f"{URL}?{query}", f"{URL}?query={query}", f"{URL}?extensions={query}"):
        found = rpc_operation("GET", url, None, None)
        assert found is None or isinstance(found, Operation)


@settings(max_examples=200, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "query",
                        "operationName",
                        "extensions",
                        "persistedQuery",
                        "sha256Hash",
                        "jsonrpc",
                        "method",
                        "x",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_random_json_never_raises(value: object) -> None:
    found = _post(json.dumps(value).encode())
    assert found is None or isinstance(found, Operation)


def test_stored_operations_read_back_and_garbage_is_none() -> None:
    operation = Operation("graphql", "persisted:0123456789ab", "query", True)
    assert stored_operation(json.loads(json.dumps(operation))) == operation
    assert stored_operation(["json-rpc", "eth_call", None, False]) == Operation(
        "json-rpc", "eth_call", None
    )
    for garbage in (
        None,
        "x",
        [],
        ["graphql", "A", ["query"], False],
        ["graphql", "", None, 0],
        ["soap", "A", None, False],
        ["graphql", "A", "query", "yes"],
        {"a": 1},
    ):
        assert stored_operation(garbage) is None


CODECS = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}
CODECS["zstd"] = zstd.compress


def encode(body: bytes, encoding: str) -> bytes:
    """`body` with the Content-Encoding `encoding` applied (codings in the order listed)."""
    for coding in encoding.split(", "):
        body = CODECS[coding](body)
    return body


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_compressed_bodies_are_decoded(encoding: str) -> None:
    body = json.dumps({"operationName": "Unread", "query": "query Unread { n }"}).encode()
    encoded = encode(body, encoding)
    assert encoded != body
    expected = Operation("graphql", "Unread", "query")
    assert rpc_operation("POST", URL, "application/json", encoded, encoding) == expected
    headers = (("content-type", "application/json"), ("Content-Encoding", encoding))
    assert request_operation("POST", URL, headers, encoded) == expected
    assert rpc_operation("POST", URL, "application/json", encoded) is None  # read as it is


def test_compressed_bodies_that_cannot_be_read_are_no_operation() -> None:
    body = json.dumps({"query": "query Q { a }"}).encode()
    bomb = gzip.compress(json.dumps({"query": "query Q { a }", "pad": " " * 10**7}).encode())
    assert len(bomb) < RPC_BODY_CAP  # ten megabytes in a few kilobytes
    for data, encoding in [
        (gzip.compress(body)[:-12], "gzip"),  # truncated
        (b"\x1f\x8b not gzip", "gzip"),
        (body, "compress"),  # an encoding nobody decodes
        (bomb, "gzip"),  # decoded only up to the cap
    ]:
        assert rpc_operation("POST", URL, "application/json", data, encoding) is None
    assert rpc_operation("POST", URL, "application/json", body, "identity") is not None
