"""Every request that is not a stream, passed on to the API behind (``voicebox up``, where one
port serves both): bodies streamed both ways, redirects returned as they are, and the client's
address added to X-Forwarded-For (the API trusts one more hop for it)."""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web

from voicebox.errors import PROBLEM_JSON, problem_body

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never passed on.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
CHUNK = 64 * 1024
SESSION = web.AppKey("upstream", aiohttp.ClientSession)


def forward_everything_else(app: web.Application, upstream: str) -> None:
    """Route every other path and method to ``upstream`` (``unix:/path`` or ``http://host:port``)."""
    unix = upstream.startswith("unix:")
    base = "http://api" if unix else upstream.rstrip("/")

    async def session(app: web.Application):
        connector = (
            aiohttp.UnixConnector(path=upstream.removeprefix("unix:")) if unix else aiohttp.TCPConnector()
        )
        # No overall limit: a phone on 2G may take minutes to send a recording.
        timeout = aiohttp.ClientTimeout(total=None, connect=10)
        async with aiohttp.ClientSession(
            base, connector=connector, timeout=timeout, auto_decompress=False
        ) as client:
            app[SESSION] = client
            yield

    async def forward(request: web.Request) -> web.StreamResponse:
        headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP}
        peer = request.remote or ""
        earlier = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{earlier}, {peer}" if earlier else peer
        try:
            answer = await app[SESSION].request(
                request.method,
                request.rel_url,
                headers=headers,
                data=request.content if request.body_exists else None,
                allow_redirects=False,
            )
        except aiohttp.ClientConnectionError:
            body = problem_body(
                502, "Bad Gateway", "The API behind this server did not answer; try again shortly."
            )
            headers = {"Content-Type": PROBLEM_JSON, "Retry-After": "5"}
            return web.Response(status=502, body=json.dumps(body).encode(), headers=headers)
        async with answer:
            response = web.StreamResponse(
                status=answer.status,
                reason=answer.reason,
                headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP},
            )
            await response.prepare(request)
            if request.method != "HEAD":
                async for chunk in answer.content.iter_chunked(CHUNK):
                    await response.write(chunk)
            await response.write_eof()
            return response

    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/{tail:.*}", forward)
