"""The Ollama API's model management: pull, create, copy, delete, blobs."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request as HTTPRequest
from fastapi.responses import JSONResponse, Response

from ..errors import BadRequestError, ModelNotFoundError
from ..sources.create import create_model
from ..sources.pull import pull_model
from ..store.blobs import normalize_digest
from ..store.gguf import read_gguf
from ..store.modelfile import ModelSpec, parse_modelfile
from ..store.names import ModelName
from .ollama_schemas import CopyRequest, CreateRequest, ModelRequest, PullRequest
from .state import Lokal, lokal, options_of
from .streaming import NDJSON, respond

router = APIRouter()
_DONE = object()


def progress_of(work: Any) -> Iterator[dict[str, Any]]:
    """Run `work(emit)` in a thread and yield what it emits; its exception is raised here."""
    events: queue.Queue[Any] = queue.Queue()

    def run() -> None:
        try:
            work(events.put)
        except BaseException as exc:
            events.put(exc)
        events.put(_DONE)

    threading.Thread(target=run, name="lokal-progress", daemon=True).start()
    while (item := events.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        yield item


def last(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    return chunks[-1] if chunks else {"status": "success"}


@router.post("/api/pull")
async def pull(body: PullRequest, state: Lokal = Depends(lokal)) -> Response:
    name = body.model or body.name
    if not name:
        raise BadRequestError("model is required")
    ModelName.parse(name)
    events = progress_of(lambda emit: pull_model(state.store, name, state.settings, emit, insecure=body.insecure))
    return await respond(NDJSON, events, stream=body.stream, merge=last)


def spec_of(body: CreateRequest, state: Lokal) -> ModelSpec:
    if body.quantize:
        raise BadRequestError("quantize is not supported: quantize the GGUF with llama.cpp's llama-quantize")
    if body.modelfile:
        spec = parse_modelfile(body.modelfile)
    else:
        spec = ModelSpec()
    if body.files:
        ggufs = [digest for filename, digest in body.files.items() if filename.endswith(".gguf")]
        for digest in ggufs:
            if not state.store.blobs.has(normalize_digest(digest)):
                raise BadRequestError(f"blob {digest} was not uploaded: POST it to /api/blobs/{digest} first")
        projectors = [d for d in ggufs if read_gguf(state.store.blobs.path(normalize_digest(d))).architecture == "clip"]
        models = [d for d in ggufs if d not in projectors]
        if len(projectors) > 1 or len(models) > 1 or not ggufs or (not models and not body.from_):
            raise BadRequestError("files must hold one model .gguf and at most one projector .gguf (or, with "
                                  "`from`, a projector alone); split GGUFs are not supported in create")
        spec.from_ = normalize_digest(models[0]) if models else str(body.from_)
        spec.projector = normalize_digest(projectors[0]) if projectors else spec.projector
    elif body.from_:
        spec.from_ = body.from_
    if not spec.from_:
        raise BadRequestError("create needs `from` (a model name) or `files` (an uploaded GGUF)")
    if body.template is not None:
        spec.template = body.template
    if body.system is not None:
        spec.system = body.system
    if body.parameters:
        spec.parameters.update(options_of(body.parameters))
    if body.messages:
        spec.messages = [{"role": str(m.get("role")), "content": str(m.get("content", ""))} for m in body.messages]
    if body.license:
        spec.licenses = [body.license] if isinstance(body.license, str) else list(body.license)
    return spec


@router.post("/api/create")
async def create(body: CreateRequest, state: Lokal = Depends(lokal)) -> Response:
    name = body.model or body.name
    if not name:
        raise BadRequestError("model is required")
    spec = spec_of(body, state)

    def work(emit: Any) -> None:  # created before the first status, so a refusal keeps its real status code
        create_model(state.store, name, spec)
        for status in ("parsing model", "writing manifest", "success"):
            emit({"status": status})

    return await respond(NDJSON, progress_of(work), stream=body.stream, merge=last)


@router.post("/api/copy")
async def copy(body: CopyRequest, state: Lokal = Depends(lokal)) -> Response:
    state.store.copy(body.source, body.destination)
    return Response(status_code=200)


@router.delete("/api/delete")
async def delete(body: ModelRequest, state: Lokal = Depends(lokal)) -> Response:
    name = body.model or body.name
    if not name:
        raise BadRequestError("model is required")
    state.runtime.unload(name)
    state.store.remove(name)
    return Response(status_code=200)


@router.head("/api/blobs/{digest}")
async def blob_exists(digest: str, state: Lokal = Depends(lokal)) -> Response:
    if not state.store.blobs.has(normalize_digest(digest)):
        raise ModelNotFoundError(f"blob {digest} not found")
    return Response(status_code=200)


@router.post("/api/blobs/{digest}")
async def blob_upload(digest: str, request: HTTPRequest, state: Lokal = Depends(lokal)) -> Response:
    expected = normalize_digest(digest)
    if state.store.blobs.has(expected):
        return Response(status_code=200)
    writer = await to_thread.run_sync(state.store.blobs.writer)
    try:
        async for chunk in request.stream():
            await to_thread.run_sync(writer.write, chunk)
    except BaseException:
        writer.abort()
        raise
    await to_thread.run_sync(writer.commit, expected)
    return Response(status_code=201)


@router.get("/api/blobs/{digest}")
async def blob_info(digest: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    expected = normalize_digest(digest)
    if not state.store.blobs.has(expected):
        raise ModelNotFoundError(f"blob {digest} not found")
    return JSONResponse({"digest": expected, "size": state.store.blobs.size(expected)})
