"""Reranking: `/v1/rerank` (the Jina/Cohere shape llama-server serves) and `/api/rerank` (the same)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from .fields import Count
from .state import Lokal, keep_alive_of, lokal

router = APIRouter()


class Document(BaseModel):
    text: str  # Cohere's and Jina's object form of a document


class RerankRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str  # a reranker GGUF (rank pooling) or any chat model, which judges by yes/no
    query: str  # what the documents are ranked for
    documents: list[str | Document]  # the texts to rank
    top_n: Count | None = None  # how many results (all when absent)
    return_documents: bool = False  # include each document's text in its result
    keep_alive: float | str | None = None  # how long the model stays loaded


@router.post("/v1/rerank")
@router.post("/api/rerank")
async def rerank(body: RerankRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    texts = [d if isinstance(d, str) else d.text for d in body.documents]
    keep_alive = keep_alive_of(body.keep_alive)
    scores = await to_thread.run_sync(lambda: state.runtime.rerank(body.model, body.query, texts, keep_alive=keep_alive))
    order = sorted(range(len(texts)), key=lambda i: -scores[i])[:body.top_n or len(texts)]
    results: list[dict[str, Any]] = []
    for index in order:
        result: dict[str, Any] = {"index": index, "relevance_score": scores[index]}
        if body.return_documents:
            result["document"] = {"text": texts[index]}
        results.append(result)
    return JSONResponse({"model": body.model, "object": "list", "results": results})
