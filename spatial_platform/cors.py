"""CORS for browsers on other origins: public reads from anywhere, token writes only from listed origins.

A raw ASGI middleware. Requests without a token (GET and HEAD, and the read-only POSTs anyone
may send, such as batch resolve) are allowed from any origin without credentials
(``Access-Control-Allow-Origin: *``). Origins listed in ``SP_CORS_ORIGINS`` may also send an
``Authorization`` token: for them the origin is echoed and the token and If-Match headers are
allowed. A preflight asking to send a token from another origin is answered 403 without CORS
headers, so the browser does not send the request.
"""

from __future__ import annotations

from collections.abc import Iterable

READS = {"GET", "HEAD"}
ALLOW_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, Accept, Accept-Encoding"
PUBLIC_HEADERS = "Content-Type, If-None-Match, Accept, Accept-Encoding"
ALL_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSE = (
    "ETag, Link, Location, Retry-After, X-Data-As-Of, X-Beyond-Record, X-Checksum-SHA256, Content-Crs, "
    "Content-Disposition, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
)


def parse_origins(value: str | Iterable[str]) -> frozenset[str]:
    """``https://a.example, https://b.example`` → the set of origins (no trailing slashes)."""
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(o.strip().rstrip("/") for o in items if o.strip())


class CorsPolicy:
    """The ASGI middleware; see the module docstring."""

    def __init__(self, app, origins: Iterable[str] = (), max_age: int = 600) -> None:
        self.app = app
        self.origins = parse_origins(origins)
        self.max_age = str(max_age)

    def _headers(self, origin: str, listed: bool) -> list[tuple[bytes, bytes]]:
        if listed:
            return [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin"),
                    (b"access-control-expose-headers", EXPOSE.encode())]  # fmt: skip
        return [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", EXPOSE.encode())]

    async def __call__(self, scope, receive, send) -> None:
        """Answer preflights; add the CORS headers to answers to cross-origin requests."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if not origin:
            await self.app(scope, receive, send)
            return
        listed = origin.rstrip("/") in self.origins
        method = scope["method"]
        wanted = headers.get(b"access-control-request-method", b"").decode("latin-1").upper()
        if method == "OPTIONS" and wanted:
            asked = headers.get(b"access-control-request-headers", b"").decode("latin-1").lower()
            if listed or wanted in READS or "authorization" not in asked:
                allow = ALL_METHODS if listed or wanted not in READS else "GET, HEAD, OPTIONS"
                out = [
                    *self._headers(origin, listed),
                    (b"access-control-allow-methods", allow.encode()),
                    (b"access-control-allow-headers", (ALLOW_HEADERS if listed else PUBLIC_HEADERS).encode()),
                    (b"access-control-max-age", self.max_age.encode()),
                    (b"content-length", b"0"),
                ]
                await send({"type": "http.response.start", "status": 204, "headers": out})
            else:
                body = b'{"detail": "writes are accepted only from the origins listed in SP_CORS_ORIGINS"}'
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})  # fmt: skip
                await send({"type": "http.response.body", "body": body})
                return
            await send({"type": "http.response.body", "body": b""})
            return
        if method not in READS and not listed and b"authorization" in headers:
            await self.app(scope, receive, send)  # a token from another origin: the browser hides the answer
            return
        extra = self._headers(origin, listed)

        async def with_cors(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_cors)
