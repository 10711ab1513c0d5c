"""Embeddings through the engine: Ollama's /api/embed, OpenAI's /v1/embeddings and GGUF embedders of knowledge bases."""

from __future__ import annotations

import math
import time
from typing import Any

from ..errors import BadRequestError
from .scheduler import Scheduler


def embed_texts(scheduler: Scheduler, name: str, inputs: list[str], *, truncate: bool, keep_alive: float | None,
                options: dict[str, Any] | None = None, dimensions: int | None = None) -> tuple[list[list[float]], int, float]:
    """(L2-normalised vectors, prompt tokens, load seconds)."""
    if not inputs:
        return [], 0, 0.0
    if any(not isinstance(text, str) for text in inputs):
        raise BadRequestError("input must be a string or a list of strings")
    started = time.perf_counter()
    entry = scheduler.acquire(name, options=options, keep_alive=keep_alive, embedding=True)
    load = time.perf_counter() - started
    try:
        runner = getattr(entry.served, "runner", None)
        if runner is None:
            raise BadRequestError(f"model '{name}' is remote: embeddings are served by local models only")
        batch: list[Any] = list(inputs)
        if truncate:
            limit = entry.context_length
            batch = [tokens[:limit] for tokens in (runner.tokenize(text) for text in inputs)]
        result = runner.embed(batch)
    finally:
        scheduler.release(entry)
    vectors = [item["embedding"] for item in sorted(result["data"], key=lambda d: d["index"])]
    if dimensions:
        vectors = [_normalise(v[:dimensions]) for v in vectors]
    return vectors, int(result.get("usage", {}).get("prompt_tokens", 0)), load


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]
