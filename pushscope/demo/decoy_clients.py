"""Decoys: repeated requests that are not polling (a user clicking around, a page load)."""

from __future__ import annotations

import asyncio
import contextlib
import random

import httpx

from pushscope.demo.common import check, http_client
from pushscope.demo.servers import ServerURLs

USER_SEED = 8
USER_MEAN_GAP = 0.6
USER_GAP_RANGE = (0.05, 2.5)
USER_PLAN: tuple[tuple[str, str], ...] = (
    ("GET", "/api/items"),
    ("GET", "/api/items/1"),
    ("GET", "/api/items"),
    ("POST", "/api/items"),
    ("GET", "/api/items"),
    ("GET", "/api/items/4"),
    ("GET", "/api/items"),
    ("POST", "/api/items"),
    ("GET", "/api/items/5"),
    ("GET", "/api/items"),
)
PAGE_SEED = 11
PIXELS = 20
BROWSER_CONNECTIONS = 6  # a browser's per-host connection cap
ONE_CONNECTION = httpx.Limits(max_connections=1)


def user_gaps(rng: random.Random, count: int) -> list[float]:
    """Think times between a user's clicks: exponential, clamped to :data:`USER_GAP_RANGE`."""
    low, high = USER_GAP_RANGE
    return [min(high, max(low, rng.expovariate(1 / USER_MEAN_GAP))) for _ in range(count)]


async def decoy_user_rest(urls: ServerURLs, proxy: str) -> str:
    """10 REST calls (5 of them ``GET /api/items``) at irregular, seeded gaps."""
    gaps = user_gaps(random.Random(USER_SEED), len(USER_PLAN) - 1)
    statuses: list[int] = []
    async with http_client(proxy) as client:
        for k, (method, path) in enumerate(USER_PLAN):
            if k:
                await asyncio.sleep(gaps[k - 1])
            body = {"name": f"thing {k}", "price": k + 0.5} if method == "POST" else None
            response = await client.request(method, f"{urls.http}{path}", json=body)
            check(response.is_success, f"{method} {path}: {response.status_code}")
            statuses.append(response.status_code)
    gap_text = ", ".join(f"{g:.2f}" for g in gaps)
    return f"decoy-user-rest: {len(statuses)} requests {statuses}, gaps {gap_text} s"


async def decoy_page_load(urls: ServerURLs, proxy: str) -> str:
    """``/index.html``; then its CSS and JS at once; when the JS is in, 20 beacon GIFs at once.

    Like a browser, the page uses 6 connections. Each is its own one-connection client and
    gets a fixed share of the requests (back to back on it), so every recording spreads the
    flows over the connections the same way.
    """
    rng = random.Random(PAGE_SEED)
    pixels = [f"/static/pixel.gif?evt={n}&rnd={rng.random()}" for n in range(1, PIXELS + 1)]
    async with contextlib.AsyncExitStack() as stack:
        lanes = [
            await stack.enter_async_context(http_client(proxy, limits=ONE_CONNECTION))
            for _ in range(BROWSER_CONNECTIONS)
        ]

        async def fetch(lane: int, paths: list[str]) -> list[int]:
            sizes = []
            for path in paths:
                response = await lanes[lane].get(f"{urls.http}{path}")
                check(response.status_code == 200, f"{path}: {response.status_code}")
                sizes.append(len(response.content))
            return sizes

        (page,) = await fetch(0, ["/index.html"])
        await asyncio.gather(fetch(0, ["/static/style.css"]), fetch(1, ["/static/app.js"]))
        shares = [pixels[lane::BROWSER_CONNECTIONS] for lane in range(BROWSER_CONNECTIONS)]
        sizes = await asyncio.gather(*(fetch(lane, share) for lane, share in enumerate(shares)))
    check(all(share == [43] * len(share) for share in sizes), f"pixel sizes {sizes}")
    return (
        f"decoy-page-load: 1 page ({page} B), 2 assets, {PIXELS} beacon GIFs "
        f"over {BROWSER_CONNECTIONS} connections"
    )
