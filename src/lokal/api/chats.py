"""Conversations for the web UI, kept server-side (lokal's own API; the UI is a client like any other).

    GET /api/conversations   POST /api/conversations   GET|PATCH|DELETE /api/conversations/{id}
    POST /api/conversations/{id}/messages   DELETE /api/conversations/{id}/messages/{message_id}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from .fields import RowId
from .state import Lokal, lokal

router = APIRouter(prefix="/api/conversations")


class ConversationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    model: str | None = None
    system: str | None = None
    options: dict[str, Any] | None = None
    knowledge: list[str] | None = None


class MessageBody(BaseModel):
    role: str
    content: str
    thinking: str = ""  # a thinking model's reasoning, shown folded
    citations: list[dict[str, Any]] | None = None
    stats: dict[str, Any] | None = None


@router.get("")
async def list_conversations(state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse({"conversations": state.chats.list()})


@router.post("")
async def create(body: ConversationBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.chats.create(**body.model_dump(exclude_none=True)), status_code=201)


@router.get("/{conversation_id}")
async def get(conversation_id: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.chats.get(conversation_id))


@router.patch("/{conversation_id}")
async def update(conversation_id: str, body: ConversationBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.chats.update(conversation_id, **body.model_dump(exclude_none=True)))


@router.delete("/{conversation_id}")
async def delete(conversation_id: str, state: Lokal = Depends(lokal)) -> JSONResponse:
    state.chats.delete(conversation_id)
    return JSONResponse({"status": "success"})


@router.post("/{conversation_id}/messages")
async def add_message(conversation_id: str, body: MessageBody, state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse(state.chats.add_message(conversation_id, body.role, body.content, body.citations, body.stats,
                                                body.thinking), status_code=201)


@router.delete("/{conversation_id}/messages/{message_id}")
async def delete_message(conversation_id: str, message_id: RowId, state: Lokal = Depends(lokal)) -> JSONResponse:
    state.chats.delete_message(conversation_id, message_id)
    return JSONResponse({"status": "success"})
