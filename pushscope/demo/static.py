"""A tiny web page and its assets (HTML, JS, CSS, a 1x1 tracking GIF) for the page-load decoy."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PIXEL_GIF = (  # the classic 43-byte transparent 1x1 GIF
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
INDEX_HTML = b"""<!doctype html>
<html><head><title>pushscope demo</title><link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script></head>
<body><h1>Items</h1><ul id="items"></ul></body></html>
"""
APP_JS = b"""for (let n = 1; n <= 20; n++) {
  new Image().src = "/static/pixel.gif?evt=" + n + "&rnd=" + Math.random();
}
"""
STYLE_CSS = b"body { font-family: sans-serif; margin: 2em; }\nh1 { color: #345; }\n"

ASSETS: dict[str, tuple[bytes, str, str]] = {
    "pixel.gif": (PIXEL_GIF, "image/gif", "no-store"),
    "app.js": (APP_JS, "text/javascript; charset=utf-8", "max-age=3600"),
    "style.css": (STYLE_CSS, "text/css; charset=utf-8", "max-age=3600"),
}
"""File name under ``/static/`` -> (body, Content-Type, Cache-Control)."""


async def index(request: Request) -> Response:
    """``GET /index.html``: the page."""
    return Response(INDEX_HTML, media_type="text/html; charset=utf-8")


async def asset(request: Request) -> Response:
    """``GET /static/{name}``: one of :data:`ASSETS`, or a plain 404."""
    found = ASSETS.get(request.path_params["name"])
    if found is None:
        return Response(b"not found\n", status_code=404, media_type="text/plain")
    body, media_type, cache = found
    return Response(body, media_type=media_type, headers={"Cache-Control": cache})


ROUTES = [
    Route("/index.html", index, methods=["GET"]),
    Route("/static/{name}", asset, methods=["GET"]),
]
"""The page routes, for :func:`demo.servers.create_app`."""
