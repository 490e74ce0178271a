"""Bearer-token auth as ASGI middleware: checked before the body is read, compared in constant time.

Without a token (loopback or a unix socket only; ``ServiceConfig.check_exposure``) every request passes.
``/healthz`` and ``/readyz`` are always open: they say whether the service is up, nothing more.
"""

from __future__ import annotations

import hmac
import json

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})


class BearerAuth:
    """Refuses a request without ``Authorization: Bearer <token>`` (401) or with another token (403)."""

    def __init__(self, app, token: str | None, on_refuse=None) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.on_refuse = on_refuse  # metrics hook

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.token is None or scope.get("path") in PUBLIC_PATHS:
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            return await self._refuse(send, 401, "missing bearer token: send 'Authorization: Bearer <token>'")
        if not hmac.compare_digest(given.strip(), self.token):
            return await self._refuse(send, 403, "wrong bearer token")
        return await self.app(scope, receive, send)

    async def _refuse(self, send, status: int, message: str) -> None:
        if self.on_refuse:
            self.on_refuse()
        body = json.dumps({"error": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"www-authenticate", b"Bearer")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


__all__ = ["PUBLIC_PATHS", "BearerAuth"]
