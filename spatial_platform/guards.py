"""Bounded work per request: request bodies read in full (size and time limited) before any
database connection is taken, and a concurrency limit on heavy operations, per process and per
client, answered with 503 and Retry-After instead of a queue that stalls everyone.

Both are raw ASGI middleware: a GET without a body pays one dictionary look-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable

import orjson

from placenames.ratelimit import TrustedProxies

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEAVY_KEY = "x-heavy"  # openapi_extra flag a route sets to be counted as heavy


async def send_json(send: Send, status: int, body: dict, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Send a complete JSON answer from middleware (outside the app's exception handlers)."""
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyGuard:
    """Read a request's whole body before the app sees it, within a size and a time budget.

    A client that trickles its body ties up only this coroutine, never a pool connection;
    past ``idle_timeout`` seconds between chunks or ``timeout`` in all it gets 408, and a body
    larger than ``max_bytes`` (by Content-Length or as it streams) gets 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float, idle_timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.idle_timeout = idle_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body of POST/PUT/PATCH/DELETE requests, then replay it to the app."""
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(send, int(length))
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.timeout)
        except TimeoutError:
            await send_json(
                send,
                408,
                {
                    "detail": f"the request body did not arrive in time (at most {self.timeout:g} s "
                    f"in all, {self.idle_timeout:g} s between chunks)",
                    "field": "body",
                },
                [(b"connection", b"close")],
            )
            return
        except _Disconnected:
            return
        except _TooLarge as exc:
            await self._too_large(send, exc.size)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await asyncio.wait_for(receive(), self.idle_timeout)
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge(size)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send, size: int) -> None:
        await send_json(
            send,
            413,
            {"detail": f"request body of {size}+ bytes; at most {self.max_bytes}", "field": "body"},
            [(b"connection", b"close")],
        )


class _Disconnected(Exception):
    """The client went away while sending its body."""


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def client_key(scope: Scope, proxies: TrustedProxies) -> str:
    """Who a request is from: its bearer token (hashed) when it has one, else its address.

    The address is the peer's, or the forwarded client's when the peer is a trusted proxy.
    """
    headers = dict(scope["headers"])
    if auth := headers.get(b"authorization"):
        return "token:" + hashlib.sha256(auth).hexdigest()[:16]
    peer = (scope.get("client") or (None,))[0]
    forwarded = headers.get(b"x-forwarded-for")
    return "ip:" + proxies.client_address(peer, forwarded.decode("latin-1") if forwarded else None)


class HeavyGuard:
    """At most ``max_concurrent`` heavy requests at once in the process, ``max_per_client`` per client.

    Heavy operations are the routes whose ``openapi_extra`` has ``x-heavy: true`` (site
    selection, exports, imports, large batches, maps); over either limit a request is answered
    503 with Retry-After at once, so the rest of the service keeps answering.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Callable[[], list[tuple[frozenset[str], re.Pattern]]],
        max_concurrent: int,
        max_per_client: int,
        proxies: TrustedProxies | None = None,
        retry_after: int = 5,
    ) -> None:
        self.app = app
        self._routes_of = routes
        self._routes: list[tuple[frozenset[str], re.Pattern]] | None = None
        self.max_concurrent = max_concurrent
        self.max_per_client = max_per_client
        self.retry_after = retry_after
        self.proxies = proxies or TrustedProxies()
        self.running = 0
        self.per_client: Counter[str] = Counter()

    def is_heavy(self, method: str, path: str) -> bool:
        """Whether a request goes to a heavy route."""
        if self._routes is None:
            self._routes = self._routes_of()
        return any(method in methods and pattern.match(path) for methods, pattern in self._routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count heavy requests while they run; refuse one over a limit with 503."""
        if scope["type"] != "http" or not self.is_heavy(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        key = client_key(scope, self.proxies)
        if self.running >= self.max_concurrent or self.per_client[key] >= self.max_per_client:
            busy = "this client has" if self.per_client[key] >= self.max_per_client else "the server has"
            await send_json(
                send,
                503,
                {
                    "detail": f"{busy} too many heavy requests running (exports, imports, site "
                    f"selection, large batches); retry in {self.retry_after} s"
                },
                [(b"retry-after", str(self.retry_after).encode())],
            )
            return
        self.running += 1
        self.per_client[key] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            self.per_client[key] -= 1
            if self.per_client[key] <= 0:
                del self.per_client[key]


def heavy_routes(app) -> list[tuple[frozenset[str], re.Pattern]]:
    """Return (methods, path pattern) of every route of ``app`` flagged ``x-heavy``."""
    found = []
    for route in app.routes:
        extra = getattr(route, "openapi_extra", None) or {}
        if extra.get(HEAVY_KEY):
            found.append((frozenset(route.methods or ()), route.path_regex))
    return found
