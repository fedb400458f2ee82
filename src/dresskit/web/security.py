"""HTTP security headers sent with every response.

* ``Content-Security-Policy`` without ``'unsafe-inline'``: scripts and styles come from the
  application's own files only, so an injected ``<script>`` or ``style=`` attribute does
  nothing; ``frame-ancestors 'none'`` forbids framing (clickjacking) [1]_ [2]_.
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, a
  ``Permissions-Policy`` denying sensors, ``Cross-Origin-Opener-Policy: same-origin`` and
  ``Cache-Control: no-store`` on pages and API answers (clinical data stays out of caches).

References
----------
.. [1] W3C, Content Security Policy Level 3 (``frame-ancestors``, ``script-src``).
.. [2] OWASP Secure Headers Project; OWASP HTTP Headers Cheat Sheet.
"""

from __future__ import annotations

import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "SecurityHeaders"]

# Server-Timing (W3C Server Timing): how long the application took before it answered, so
# that bench/web_bench.py and the browser's developer tools read the server time.

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS: Final = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` (and ``no-store`` outside /static)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        started = time.perf_counter()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed:.2f}".encode()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self._headers if h[0] not in present)
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
