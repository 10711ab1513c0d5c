"""Tokens: `/api/tokenize` and `/api/detokenize` (llama-server's `/tokenize` and `/detokenize` fields)."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .fields import Token
from .state import Lokal, lokal

router = APIRouter()


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str  # whose vocabulary
    content: str  # the text (special tokens such as <|im_start|> are parsed as such)


class DetokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str  # whose vocabulary
    tokens: list[Token] = Field(max_length=1_000_000)  # token ids


@router.post("/api/tokenize")
async def tokenize(body: TokenizeRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    tokens = await to_thread.run_sync(lambda: state.runtime.tokenize(body.model, body.content))
    return JSONResponse({"model": body.model, "tokens": tokens, "count": len(tokens)})


@router.post("/api/detokenize")
async def detokenize(body: DetokenizeRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    content = await to_thread.run_sync(lambda: state.runtime.detokenize(body.model, body.tokens))
    return JSONResponse({"model": body.model, "content": content})
