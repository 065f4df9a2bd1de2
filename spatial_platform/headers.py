"""Security headers on every answer, as a raw ASGI middleware (the warm tile path stays cheap)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping

from fastapi import FastAPI

# Only the app's own origin. MapLibre GL JS starts its workers from blob: URLs and draws
# images from data: and blob: URLs; its stylesheet's control icons are data: SVGs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "img-src 'self' data: blob:",
        "style-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}

_CSP = b"content-security-policy"


class SecurityHeaders:
    """ASGI middleware appending fixed security headers to every ``http.response.start``.

    It also adds the RateLimit headers a rate-limited route left in the request state.

    A response that sets its own Content-Security-Policy (the API docs allow their one inline
    script by hash) keeps it instead of the default one; every other header is always added.
    """

    def __init__(self, app, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
        self.app = app
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self._csp = [h for h in encoded if h[0] == _CSP]
        self._always = [h for h in encoded if h[0] != _CSP]

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on, adding the headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        always, csp = self._always, self._csp
        state = scope.setdefault("state", {})  # shared with every request object down the stack

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.extend(always)
                if limit := state.get("rate_limit"):  # RateLimit-* of a limited answer
                    headers.extend(
                        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in limit.items()
                    )
                if csp and not any(key.lower() == _CSP for key, _ in headers):
                    headers.extend(csp)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(app: FastAPI, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
    """Wrap the whole middleware stack, so even the 500 page of ServerErrorMiddleware has them."""
    build = app.build_middleware_stack

    def build_with_headers():
        return SecurityHeaders(build(), headers)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]


def script_hashes(html: str) -> Iterable[str]:
    """Return the CSP ``'sha256-…'`` source of every inline ``<script>`` in ``html``."""
    for attributes, body in re.findall(r"<script(\s[^>]*)?>(.*?)</script>", html, flags=re.DOTALL):
        if "src=" not in (attributes or ""):
            digest = hashlib.sha256(body.encode()).digest()
            yield f"'sha256-{base64.b64encode(digest).decode()}'"


def page_policy(html: str) -> str:
    """A Content-Security-Policy for a generated page that loads from other hosts (folium maps).

    Scripts and styles may come only from the origins its tags name (none, once its assets are
    inlined) and its inline scripts by hash; images (map tiles) from any https origin the page
    names; inline styles are allowed; nothing may frame it, and it posts nowhere.
    """
    origins = " ".join(sorted(set(re.findall(r"https://[A-Za-z0-9.-]+", html))))
    tagged = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="(https://[A-Za-z0-9.-]+)', html)
    linked = " ".join(sorted(set(tagged)))
    scripts = " ".join(script_hashes(html))
    return "; ".join(
        (
            "default-src 'self'",
            " ".join(x for x in ("script-src 'self'", linked, scripts) if x),
            " ".join(x for x in ("style-src 'self'", linked, "'unsafe-inline'") if x),
            f"img-src 'self' data: blob: {origins}",
            f"font-src 'self' data: {origins}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )
