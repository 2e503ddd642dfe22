"""Short-polling clients: plain, conditional (ETag), backoff, chat, and two pollers at once.

Time is compressed (polls a fraction of a second apart) and any jitter comes from a fixed
seed, so every recording has the same shape. "Every X s" means a fixed-rate timer (request
starts X s apart); poll-short and poll-backoff instead sleep after each response.
"""

from __future__ import annotations

import asyncio
import random

from pushscope.demo.common import check, http_client, sleep_until
from pushscope.demo.servers import ServerURLs

SHORT_POLLS = 16
SHORT_SLEEP = 1.5
SHORT_SEED = 1
ETAG_POLLS = 15
ETAG_INTERVAL = 1.2
BACKOFF_SLEEPS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
JOB_ID = 42
CHAT_POLLS = 20
CHAT_INTERVAL = 0.3
CHAT_POST_AFTER = (3, 7, 11, 15, 19)
TWO_CLIENT_POLLS = 10
TWO_CLIENT_INTERVAL = 0.5
TWO_CLIENT_OFFSET = 0.25


def _count_new(bodies: list[bytes]) -> int:
    """How many answers differ from the one before (the first one counts as new)."""
    return sum(i == 0 or body != bodies[i - 1] for i, body in enumerate(bodies))


async def poll_short(urls: ServerURLs, proxy: str) -> str:
    """``GET /api/status`` 16 times, sleeping 1.5 s x uniform(0.8, 1.2) after each answer."""
    rng = random.Random(SHORT_SEED)
    bodies: list[bytes] = []
    async with http_client(proxy) as client:
        for k in range(SHORT_POLLS):
            if k:
                await asyncio.sleep(SHORT_SLEEP * rng.uniform(0.8, 1.2))
            response = await client.get(f"{urls.http}/api/status")
            check(response.status_code == 200, f"status: {response.status_code}")
            bodies.append(response.content)
    new = _count_new(bodies)
    return f"poll-short: {len(bodies)} polls, {new} new answers, {len(bodies) - new} unchanged"


async def poll_etag(urls: ServerURLs, proxy: str) -> str:
    """``GET /api/feed`` every 1.2 s with ``If-None-Match``: mostly ``304 Not Modified``."""
    statuses: list[int] = []
    etag: str | None = None
    async with http_client(proxy) as client:
        start = asyncio.get_running_loop().time()
        for k in range(ETAG_POLLS):
            await sleep_until(start + k * ETAG_INTERVAL)
            headers = {"If-None-Match": etag} if etag else {}
            response = await client.get(f"{urls.http}/api/feed", headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 200:
                etag = response.headers["etag"]
                check(response.json()["version"] >= 1, "feed body")
            else:
                check(response.status_code == 304 and not response.content, "expected 304")
    fresh = statuses.count(200)
    return f"poll-etag: {len(statuses)} polls, {fresh} x 200, {statuses.count(304)} x 304"


async def poll_backoff(urls: ServerURLs, proxy: str) -> str:
    """``GET /api/jobs/42`` until done, doubling the sleep after each ``pending``."""
    states: list[str] = []
    async with http_client(proxy) as client:
        for sleep in (0.0, *BACKOFF_SLEEPS):
            await asyncio.sleep(sleep)
            response = await client.get(f"{urls.http}/api/jobs/{JOB_ID}")
            check(response.status_code == 200, f"job: {response.status_code}")
            states.append(response.json()["state"])
    check(states == ["pending"] * len(BACKOFF_SLEEPS) + ["done"], f"job states {states}")
    return f"poll-backoff: {len(states)} polls, pending x {len(states) - 1}, then done"


async def poll_chat(urls: ServerURLs, proxy: str) -> str:
    """``GET /chat/messages?since=ID`` every 0.3 s; POST a message after polls 3, 7, ... 19."""
    since, nonempty, received = 0, 0, 0
    async with http_client(proxy) as client:
        start = asyncio.get_running_loop().time()
        for k in range(1, CHAT_POLLS + 1):
            await sleep_until(start + (k - 1) * CHAT_INTERVAL)
            response = await client.get(f"{urls.http}/chat/messages", params={"since": since})
            check(response.status_code == 200, f"poll: {response.status_code}")
            messages = response.json()
            if messages:
                since = messages[-1]["id"]
                nonempty, received = nonempty + 1, received + len(messages)
            if k in CHAT_POST_AFTER:
                text = f"message {CHAT_POST_AFTER.index(k) + 1} after poll {k}"
                posted = await client.post(
                    f"{urls.http}/chat/messages", json={"user": "alice", "text": text}
                )
                check(posted.status_code == 201, f"post: {posted.status_code}")
    check(received == len(CHAT_POST_AFTER), f"received {received} messages")
    return (
        f"poll-chat: {CHAT_POLLS} polls ({nonempty} with messages, "
        f"{CHAT_POLLS - nonempty} empty), {len(CHAT_POST_AFTER)} posts"
    )


async def _poller(urls: ServerURLs, proxy: str, delay: float) -> list[int]:
    """One independent poller (its own connection pool); returns the versions it saw."""
    await asyncio.sleep(delay)
    versions: list[int] = []
    async with http_client(proxy) as client:
        start = asyncio.get_running_loop().time()
        for k in range(TWO_CLIENT_POLLS):
            await sleep_until(start + k * TWO_CLIENT_INTERVAL)
            response = await client.get(f"{urls.http}/api/status")
            check(response.status_code == 200, f"status: {response.status_code}")
            versions.append(response.json()["version"])
    return versions


async def poll_two_clients(urls: ServerURLs, proxy: str) -> str:
    """Two pollers of ``GET /api/status`` every 0.5 s, the second starting 0.25 s later."""
    first, second = await asyncio.gather(
        _poller(urls, proxy, 0.0), _poller(urls, proxy, TWO_CLIENT_OFFSET)
    )
    return f"poll-two-clients: versions seen {first} and {second}"
