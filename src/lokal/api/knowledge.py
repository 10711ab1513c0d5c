"""The knowledge API: create, list, show and delete bases, upload files, sync with progress, search.

    POST   /api/knowledge                      {"name", "folders"?, "embedder"?}
    GET    /api/knowledge                      every base with its counts
    GET    /api/knowledge/{name}               one base, its files and their problems
    DELETE /api/knowledge/{name}
    POST   /api/knowledge/{name}/folders       {"path"} binds a folder (or file) on the server
    DELETE /api/knowledge/{name}/folders       {"path"} unbinds it (its documents go at the next sync)
    PUT    /api/knowledge/{name}/files/{file}  the body is the file's bytes
    DELETE /api/knowledge/{name}/files/{file}
    POST   /api/knowledge/{name}/sync          {"stream"?: true}: NDJSON progress, like /api/pull
    GET    /api/knowledge/{name}/progress      the running (or last) sync
    POST   /api/knowledge/{name}/search        {"query", "top_k"?, "mode"?, …}: raw chunks with citations
    GET    /api/knowledge/{name}/chunks/{id}   one chunk's passage, with its file, page and heading

Answers grounded in bases come from /api/chat, /api/generate and /v1/chat/completions with a
`knowledge` field.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from anyio import to_thread
from fastapi import APIRouter, Depends, Request as HTTPRequest
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from ..errors import BadRequestError, NotFoundError
from ..knowledge.search import SearchOptions, search
from .fields import RowId
from .state import Lokal, lokal

router = APIRouter(prefix="/api/knowledge")


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    folders: list[str] = []
    embedder: str | None = None


class FolderBody(BaseModel):
    path: str


class SyncBody(BaseModel):
    stream: bool = True


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # retrieval options: top_k, mode, weights, …
    query: str


@router.post("")
async def create(body: CreateBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    base = await to_thread.run_sync(lambda: state.knowledge.create(
        body.name, embedder=body.embedder, folders=[Path(f) for f in body.folders]))
    return JSONResponse(base.info(), status_code=201)


@router.get("")
async def list_bases(state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse({"knowledge": [state.knowledge.open(name).info() for name in state.knowledge.names()]})


@router.get("/{name}")
async def show(name: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    base = state.knowledge.open(name)
    return JSONResponse({**base.info(), "files": base.store.documents(), "sync": state.syncer.status(name)})


@router.delete("/{name}")
async def delete(name: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    state.syncer.wait(name)
    state.knowledge.delete(name)
    return JSONResponse({"status": "success"})


@router.post("/{name}/folders")
async def add_folder(name: str, body: FolderBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    base = state.knowledge.open(name)
    base.add_folder(Path(body.path))
    return JSONResponse(base.info())


@router.delete("/{name}/folders")
async def remove_folder(name: str, body: FolderBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    base = state.knowledge.open(name)
    base.remove_folder(Path(body.path))
    return JSONResponse(base.info())


@router.put("/{name}/files/{filename}")
async def upload(name: str, filename: str, request: HTTPRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    base = state.knowledge.open(name)
    path = base.add_file(filename, await request.body())
    return JSONResponse({"file": path.name, "size": path.stat().st_size}, status_code=201)


@router.delete("/{name}/files/{filename}")
async def remove_file(name: str, filename: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    base = state.knowledge.open(name)
    path = base.upload_path(filename)
    if not path.is_file():
        raise NotFoundError(f"file '{filename}' is not in knowledge base '{name}'")
    path.unlink()
    return JSONResponse({"status": "success"})


@router.post("/{name}/sync")
async def sync(name: str, body: SyncBody | None = None, state: Lokal = Depends(lokal)) -> Response:
    progress = state.syncer.start(name)
    if not (body or SyncBody()).stream:
        await to_thread.run_sync(lambda: state.syncer.wait(name))
        return JSONResponse(state.syncer.status(name))

    async def lines() -> AsyncIterator[bytes]:
        last = None
        while True:
            status = state.syncer.status(name)
            if status != last:
                yield (json.dumps(status) + "\n").encode()
                last = status
            if progress.finished is not None:
                return
            await asyncio.sleep(0.2)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get("/{name}/progress")
async def progress(name: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    state.knowledge.open(name)
    return JSONResponse(state.syncer.status(name))


@router.post("/{name}/search")
async def search_chunks(name: str, body: SearchBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    options = SearchOptions.parse(body.model_extra)
    base = state.knowledge.open(name)
    if not body.query.strip():
        raise BadRequestError("query is empty")
    hits = await to_thread.run_sync(lambda: search(base, body.query, options, state.knowledge.rerank))
    return JSONResponse({"results": [dict(hit.citation(snippet=10_000), text=hit.text, ranks=hit.ranks)
                                     for hit in hits]})


@router.get("/{name}/chunks/{chunk_id}")
async def chunk(name: str, chunk_id: RowId, state: Lokal = Depends(lokal)) -> JSONResponse:
    rows = state.knowledge.open(name).store.chunks([chunk_id])
    if chunk_id not in rows:
        raise NotFoundError(f"chunk {chunk_id} is not in knowledge base '{name}'")
    row = rows[chunk_id]
    return JSONResponse({"knowledge": name, "chunk_id": chunk_id, "file": row["path"], "page": row["page"],
                         "heading": row["heading"] or None, "start": row["start"], "end": row["end"], "text": row["text"]})
