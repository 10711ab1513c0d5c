"""The one place exceptions become HTTP responses, one body shape per API surface.

Native (Ollama): `{"error": "message"}`. OpenAI (`/v1/…`): `{"error": {"message", "type", "param",
"code"}}` with the type mapped from the status. Anthropic (`/v1/messages`): `{"type": "error",
"error": {"type", "message"}}`. The status comes from the error class
(`LokalError.status`); pydantic validation failures are 400s that name the field.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import LokalError

log = logging.getLogger("lokal")

_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "invalid_request_error", 409: "invalid_request_error", 413: "invalid_request_error",
                 422: "invalid_request_error", 429: "rate_limit_error", 503: "server_error"}


_ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 503: "overloaded_error"}


def is_openai(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def is_anthropic(path: str) -> bool:
    return path == "/v1/messages" or path.startswith("/v1/messages/")


def status_of(exc: BaseException) -> int:
    if isinstance(exc, LokalError):
        return int(getattr(exc, "status", 500))
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 400
    return 500


def message_of(exc: BaseException) -> str:
    if isinstance(exc, RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return "invalid request: " + "; ".join(problems)
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, LokalError):
        return str(exc)
    return f"internal error: {type(exc).__name__}"


def native_body(message: str) -> dict[str, Any]:
    return {"error": message}


def openai_body(message: str, status: int) -> dict[str, Any]:
    code = {401: "invalid_api_key", 404: "model_not_found", 503: "server_busy"}.get(status)
    return {"error": {"message": message, "type": _OPENAI_TYPES.get(status, "api_error"), "param": None,
                      "code": code}}


def anthropic_body(message: str, status: int) -> dict[str, Any]:
    return {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}


def error_body(path: str, message: str, status: int) -> dict[str, Any]:
    if is_anthropic(path):
        return anthropic_body(message, status)
    return openai_body(message, status) if is_openai(path) else native_body(message)


def error_response(path: str, exc: BaseException) -> JSONResponse:
    status = status_of(exc)
    if status >= 500 and not isinstance(exc, LokalError):
        log.exception("unhandled error on %s", path, exc_info=exc)
    return JSONResponse(error_body(path, message_of(exc), status), status_code=status)


async def handle(request: Request, exc: Exception) -> JSONResponse:
    return error_response(request.url.path, exc)


class Unhandled:
    """The last resort: an exception no handler knows becomes a logged 500 in the surface's shape.

    Starlette's own last-resort handler answers and then re-raises, and the server then drops the
    connection, so a client's next request on it failed too; this one answers and returns."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:
                raise
            await error_response(scope["path"], exc)(scope, receive, send)
