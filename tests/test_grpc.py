"""The gRPC message counter: whole length-prefixed messages, however the body is cut."""

from __future__ import annotations

import random

from pushscope.inspector.grpc import GrpcMessageCounter


def _message(payload: bytes) -> bytes:
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


BODY = b"".join(_message(bytes([i]) * i * 7) for i in range(12))  # one of them empty


def test_whole_body() -> None:
    counter = GrpcMessageCounter()
    assert counter.feed(BODY) == 12
    assert counter.count == 12


def test_byte_at_a_time_counts_the_same() -> None:
    counter = GrpcMessageCounter()
    done = [counter.feed(BODY[i : i + 1]) for i in range(len(BODY))]
    assert counter.count == sum(done) == 12
    assert done[4] == 1  # the empty first message is whole with its 5-byte prefix


def test_a_message_still_arriving_is_not_counted() -> None:
    counter = GrpcMessageCounter()
    assert counter.feed(_message(b"abcdef")[:-1]) == 0
    assert counter.feed(b"f") == 1


def test_any_cuts_count_the_same() -> None:
    rnd = random.Random(5)
    for _ in range(200):
        sizes = [rnd.choice((0, 1, 4, 5, 6, 300)) for _ in range(rnd.randint(0, 20))]
        body = b"".join(_message(b"m" * size) for size in sizes)
        counter, pos, done = GrpcMessageCounter(), 0, 0
        while pos < len(body):
            step = rnd.randint(1, 12)
            done += counter.feed(body[pos : pos + step])
            pos += step
        assert done == counter.count == len(sizes)
