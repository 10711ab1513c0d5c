"""The Anthropic Messages API: `/v1/messages` (plain and streamed) and `/v1/messages/count_tokens`."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from .anthropic_convert import merge_message, message_events, native_request
from .anthropic_schemas import CountTokensRequest, MessagesRequest
from .state import Lokal, keep_alive_of, lokal
from .streaming import ANTHROPIC_SSE, respond

router = APIRouter(prefix="/v1/messages")


@router.post("")
async def messages(body: MessagesRequest, state: Lokal = Depends(lokal)) -> Response:
    extras = body.model_extra or {}
    events = state.runtime.generate(body.model, native_request(body), keep_alive=keep_alive_of(extras.get("keep_alive")),
                                    knowledge=extras.get("knowledge"))
    return await respond(ANTHROPIC_SSE, message_events(body.model, events), stream=body.stream, merge=merge_message,
                         ping=state.settings.sse_ping)


@router.post("/count_tokens")
async def count_tokens(body: CountTokensRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    request = native_request(body)
    count = await to_thread.run_sync(lambda: state.runtime.count_tokens(body.model, request))
    return JSONResponse({"input_tokens": count})
