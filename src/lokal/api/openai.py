"""The OpenAI API: an adapter over the native generation path (OpenAI → native → events → OpenAI)."""

from __future__ import annotations

import base64
import struct
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from ..errors import BadRequestError
from . import openai_convert as convert
from .openai_schemas import ChatCompletionRequest, CompletionRequest, EmbeddingRequest, ResponsesRequest
from .responses_convert import merge_response, response_events, responses_request
from .state import Lokal, keep_alive_of, lokal
from .streaming import NAMED_SSE, SSE, respond

router = APIRouter(prefix="/v1")


def _usage_wanted(body: ChatCompletionRequest | CompletionRequest) -> bool:
    return not body.stream or bool(body.stream_options and body.stream_options.include_usage)


@router.post("/chat/completions")
async def chat_completions(body: ChatCompletionRequest, state: Lokal = Depends(lokal)) -> Response:
    extras = body.model_extra or {}
    request = convert.chat_request(body)
    events = state.runtime.generate(body.model, request, keep_alive=keep_alive_of(extras.get("keep_alive")),
                                    knowledge=extras.get("knowledge"))
    chunks = convert.chat_chunks(body.model, events, _usage_wanted(body))
    return await respond(SSE, chunks, stream=body.stream, merge=convert.merge_chat, ping=state.settings.sse_ping)


@router.post("/completions")
async def completions(body: CompletionRequest, state: Lokal = Depends(lokal)) -> Response:
    request = convert.completion_request(body)
    events = state.runtime.generate(body.model, request,
                                    keep_alive=keep_alive_of((body.model_extra or {}).get("keep_alive")))
    chunks = convert.completion_chunks(body.model, events, _usage_wanted(body))
    return await respond(SSE, chunks, stream=body.stream, merge=convert.merge_completion, ping=state.settings.sse_ping)


@router.post("/responses")
async def responses(body: ResponsesRequest, state: Lokal = Depends(lokal)) -> Response:
    extras = body.model_extra or {}
    events = state.runtime.generate(body.model, responses_request(body),
                                    keep_alive=keep_alive_of(extras.get("keep_alive")), knowledge=extras.get("knowledge"))
    return await respond(NAMED_SSE, response_events(body, events), stream=body.stream, merge=merge_response,
                         ping=state.settings.sse_ping)


@router.post("/embeddings")
async def embeddings(body: EmbeddingRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    if body.encoding_format not in ("float", "base64"):
        raise BadRequestError("encoding_format must be float or base64")
    inputs = [body.input] if isinstance(body.input, str) else list(body.input)
    result = await to_thread.run_sync(lambda: state.runtime.embed(body.model, inputs, dimensions=body.dimensions))

    def encode(vector: list[float]) -> Any:
        if body.encoding_format == "base64":
            return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        return vector

    return JSONResponse({"object": "list", "model": body.model,
                         "data": [{"object": "embedding", "index": i, "embedding": encode(v)}
                                  for i, v in enumerate(result.vectors)],
                         "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens}})


def _model_object(name: str, created: int) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": created, "owned_by": "lokal"}


@router.get("/models")
async def models(state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse({"object": "list", "data": [_model_object(str(m.name), int(m.modified_at.timestamp()))
                                                    for m in state.store.list()]})


@router.get("/models/{name:path}")
async def model(name: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    found = state.store.get(name)
    return JSONResponse(_model_object(str(found.name), int(found.modified_at.timestamp())))
