"""Conditional GETs and HEAD for every public read, as a raw ASGI middleware.

A ``GET`` answered 200 in one body (JSON, GeoJSON, CSV, HTML) gets an ``ETag`` (weak: the BLAKE2
digest of the body before compression) and, unless the route set one, ``Cache-Control: public,
no-cache`` (a client may keep it and must revalidate; the register changes when a change is
published). A request whose
``If-None-Match`` names that tag gets 304 without the body. ``HEAD`` is answered wherever ``GET``
is: the GET runs and its body is dropped. Streamed answers (exports) and requests with a token
(staff views) pass as they are, apart from HEAD.
"""

from __future__ import annotations

import hashlib


def _etag(body: bytes) -> bytes:
    return b'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


class ConditionalGet:
    """The ASGI middleware; see the module docstring."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Run GET (and HEAD as GET); tag single-body 200 answers and answer matching revalidations."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        headers = dict(scope["headers"])
        if b"authorization" in headers:
            await self.app(scope, receive, _drop_body(send) if head else send)
            return
        wanted = headers.get(b"if-none-match")
        start: dict | None = None

        async def tagged(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] != 200 or any(k == b"etag" for k, _ in message.get("headers", [])):
                    start = None
                    await send(message)
                    if head:
                        await send({"type": "http.response.body", "body": b""})
                    return
                start = message
                return
            if start is None:
                if not head:
                    await send(message)
                return
            if message.get("more_body"):  # streamed: send as it comes, untagged
                await send(start)
                start_sent = {**message, "body": b"" if head else message["body"]}
                start = None
                if not head:
                    await send(start_sent)
                else:
                    await send({"type": "http.response.body", "body": b""})
                return
            body = message.get("body", b"")
            tag = _etag(body)
            out = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            if not any(k == b"cache-control" for k, _ in out):
                out.append((b"cache-control", b"public, no-cache"))
            out.append((b"etag", tag))
            if wanted is not None and tag in [t.strip() for t in wanted.split(b",")]:
                out = [(k, v) for k, v in out if k not in (b"content-type", b"content-encoding")]
                await send({"type": "http.response.start", "status": 304, "headers": out})
                await send({"type": "http.response.body", "body": b""})
                return
            out.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": out})
            await send({"type": "http.response.body", "body": b"" if head else body})

        await self.app(scope, receive, tagged)


def _drop_body(send):
    async def drop(message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body"):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return drop
