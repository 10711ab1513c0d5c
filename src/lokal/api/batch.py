"""The OpenAI Files and Batch APIs: upload a JSONL of tasks, run it as a batch, download the results.

    POST /v1/files (multipart: file, purpose)   GET /v1/files   GET|DELETE /v1/files/{id}
    GET /v1/files/{id}/content
    POST /v1/batches   GET /v1/batches   GET /v1/batches/{id}   POST /v1/batches/{id}/cancel

Jobs are kept in SQLite and run by the batch worker against this same app, in-process.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from ..batch.jsonl import URLS, parse_tasks
from ..errors import BadRequestError
from .state import Lokal, lokal

router = APIRouter(prefix="/v1")


class BatchBody(BaseModel):
    input_file_id: str
    endpoint: str
    completion_window: str = "24h"
    metadata: dict[str, Any] | None = None


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": False}


@router.post("/files")
async def upload(file: UploadFile = File(...), purpose: str = Form(...), state: Lokal = Depends(lokal)) -> JSONResponse:
    data = await file.read()
    if purpose == "batch":
        try:
            parse_tasks(data.decode("utf-8"), file.filename or "file")
        except UnicodeDecodeError:
            raise BadRequestError("a batch file must be UTF-8 JSONL") from None
    return JSONResponse(state.jobs.add_file(file.filename or "upload", purpose, data))


@router.get("/files")
async def list_files(state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse({"object": "list", "data": state.jobs.files(), "has_more": False})


@router.get("/files/{file_id}")
async def get_file(file_id: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.jobs.file(file_id))


@router.delete("/files/{file_id}")
async def delete_file(file_id: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    state.jobs.remove_file(file_id)
    return JSONResponse({"id": file_id, "object": "file", "deleted": True})


@router.get("/files/{file_id}/content")
async def file_content(file_id: str, state: Lokal = Depends(lokal)) -> Response:
    return Response(state.jobs.file_path(file_id).read_bytes(), media_type="application/jsonl")


@router.post("/batches")
async def create_batch(body: BatchBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    if body.endpoint not in URLS:
        raise BadRequestError(f"endpoint must be one of {', '.join(URLS)}")
    tasks = parse_tasks(state.jobs.file_path(body.input_file_id).read_text(encoding="utf-8"), "input file")
    batch = state.jobs.add_batch(body.endpoint, body.input_file_id, body.completion_window, body.metadata, len(tasks))
    state.batches.submit()
    return JSONResponse(batch)


@router.get("/batches")
async def list_batches(state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(page(state.jobs.batches()))


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.jobs.batch(batch_id))


@router.post("/batches/{batch_id}/cancel")
async def cancel_batch(batch_id: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.batches.cancel(batch_id))
