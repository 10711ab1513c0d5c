"""`create_app`: wiring only — state, middleware, routers and the error handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..batch.service import BatchService
from ..config import Settings
from ..engine.scheduler import Scheduler
from ..errors import LokalError
from ..knowledge.background import Syncer
from ..store.chats import ChatStore
from ..store.jobs import JobStore
from ..runtime import Runtime
from ..web import views as web
from . import anthropic, batch as batch_api, chats, errors, knowledge as knowledge_api, ollama, ollama_models, openai, rerank, tokens
from .mcp import mcp_server
from .metrics import Metrics
from .security import SecurityMiddleware, cors_origin_regex, is_loopback
from .state import Lokal

log = logging.getLogger("lokal")


class JSONBodies:
    """API bodies are JSON whatever their declared type: `curl -d` and some Ollama clients send JSON
    as form-encoded or with no content type, and Ollama reads it as JSON anyway. Blob and file
    uploads (raw bytes, multipart) keep theirs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "DELETE", "PUT") \
                and scope["path"].startswith(("/api/", "/v1/")) and not scope["path"].startswith(("/api/blobs/", "/v1/files")):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)


def create_app(settings: Settings, *, scheduler: Scheduler | None = None) -> FastAPI:
    metrics = Metrics()
    runtime = Runtime(settings, scheduler=scheduler, observer=metrics)
    jobs = JobStore(settings.home)
    app_ref: list[FastAPI] = []

    def in_process() -> httpx.AsyncClient:  # the batch worker calls this same app, with the server's key
        headers = {"Authorization": f"Bearer {settings.api_keys[0]}"} if settings.api_keys else {}
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_ref[0]), base_url=settings.base_url,
                                 headers=headers, timeout=None)

    state = Lokal(settings, runtime, metrics, Syncer(runtime.knowledge), jobs, BatchService(jobs, in_process),
                  ChatStore(settings.home / "chats.db"))

    tools = mcp_server(runtime, http=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.batches.start()
        async with tools.session_manager.run():
            yield
        state.batches.stop()
        jobs.close()
        state.chats.close()
        state.syncer.stop()
        runtime.close()

    app = FastAPI(title="lokal", version=__version__, lifespan=lifespan, docs_url="/docs", redoc_url=None)
    app.state.lokal = state
    app_ref.append(app)
    app.mount("/mcp", tools.streamable_http_app())  # MCP over Streamable HTTP; keys and the Host check apply
    for router in (web.router, ollama.router, ollama_models.router, openai.router, knowledge_api.router, batch_api.router,
                   chats.router, rerank.router, tokens.router, anthropic.router):
        app.include_router(router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        loaded = runtime.loaded()
        depth = sum(max(0, row["entry"].refs - row["entry"].parallel) for row in loaded)
        return PlainTextResponse(state.metrics.render(queue_depth=depth, loaded_models=len(loaded)),
                                 media_type="text/plain; version=0.0.4")

    app.add_middleware(errors.Unhandled)  # innermost: inside the request counter, so it counts the 500

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        state.metrics.request(getattr(route, "path", "unmatched"), response.status_code)
        if settings.debug:
            log.info("%s %s %d %.1fms", request.method, request.url.path, response.status_code,
                     (time.perf_counter() - started) * 1000)
        return response

    for exc_type in (LokalError, HTTPException, RequestValidationError):
        app.add_exception_handler(exc_type, errors.handle)

    app.add_middleware(JSONBodies)
    app.add_middleware(CORSMiddleware, allow_origin_regex=cors_origin_regex(), allow_origins=list(settings.origins),
                       allow_methods=["*"], allow_headers=["*"])
    app.add_middleware(SecurityMiddleware, api_keys=settings.api_keys, loopback=is_loopback(settings.host[0]),
                       max_body=settings.max_body)
    return app
