"""Safe by default: API keys, a Host check against DNS rebinding, and a request body limit.

- `LOKAL_API_KEYS` set: every route but `GET /`, `HEAD /` and `/health` needs `Authorization:
  Bearer KEY`, or `x-api-key: KEY` as Anthropic's clients send it (compared in constant time).
- Bound to loopback: the Host header must name a loopback host, so a web page on another
  origin cannot reach the server through DNS rebinding.
- Bodies over `LOKAL_MAX_BODY` get 413 (blob uploads excepted: they are models).
"""

from __future__ import annotations

import hmac
import ipaddress
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import LokalError
from .errors import error_body

PUBLIC = {("GET", "/"), ("HEAD", "/"), ("GET", "/health"), ("HEAD", "/health")}


def is_loopback(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str:
    if header.startswith("["):
        return header[1:].split("]")[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, api_keys: tuple[str, ...], loopback: bool, max_body: int) -> None:
        self.app = app
        self.keys = [k.encode() for k in api_keys]
        self.loopback = loopback
        self.max_body = max_body

    async def reject(self, scope: Scope, send: Send, status: int, message: str) -> None:
        body = json.dumps(error_body(scope["path"], message, status)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def authorized(self, headers: dict[bytes, bytes], scope: Scope) -> bool:
        if (scope["method"], scope["path"]) in PUBLIC or scope["method"] == "OPTIONS":
            return True
        if scope["method"] in ("GET", "HEAD") and scope["path"].startswith("/ui/static/"):
            return True  # the web UI's own files hold no data; it asks for a key before calling the API
        given = headers.get(b"authorization", b"")
        token = given[7:].strip() if given[:7].lower() == b"bearer " else headers.get(b"x-api-key", b"").strip()
        return bool(token) and any(hmac.compare_digest(token, key) for key in self.keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.loopback:
            host = host_of(headers.get(b"host", b"").decode("latin-1"))
            if not is_loopback(host):
                await self.reject(scope, send, 403, f"host {host!r} is not allowed: this server only answers "
                                                    "to loopback names (set LOKAL_HOST to expose it)")
                return
        if self.keys and not self.authorized(headers, scope):
            await self.reject(scope, send, 401, "missing or invalid API key: send Authorization: Bearer <key>")
            return
        if scope["path"].startswith("/api/blobs/"):
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self.reject(scope, send, 413, f"request body over {self.max_body} bytes (LOKAL_MAX_BODY)")
            return
        received = 0
        limit = self.max_body

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(f"request body over {limit} bytes (LOKAL_MAX_BODY)")
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge as exc:
            await self.reject(scope, send, 413, str(exc))


class BodyTooLarge(LokalError):
    """A body went past LOKAL_MAX_BODY while it was read."""

    status = 413


def cors_origin_regex() -> str:
    return r"^https?://(localhost|127\.0\.0\.1|\[::1\]|[a-z0-9.-]+\.localhost)(:\d+)?$"


