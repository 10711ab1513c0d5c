"""Embeddings through the engine: Ollama's /api/embed, OpenAI's /v1/embeddings and GGUF embedders of knowledge bases.

One request's work is bounded before anything is tokenized: at most `MAX_INPUTS` inputs (OpenAI's
limit) of at most `MAX_CHARS` characters together; an input longer than its context could hold
is cut in characters first when truncating, and refused with its numbers when not.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..errors import BadRequestError
from .prompt import char_limit, check_chars
from .scheduler import Scheduler

MAX_INPUTS = 2048
MAX_CHARS = 1_000_000


def check_inputs(inputs: list[str]) -> None:
    if any(not isinstance(text, str) for text in inputs):
        raise BadRequestError("input must be a string or a list of strings")
    if len(inputs) > MAX_INPUTS:
        raise BadRequestError(f"input holds {len(inputs):,} texts; at most {MAX_INPUTS:,} per request")
    total = sum(len(text) for text in inputs)
    if total > MAX_CHARS:
        raise BadRequestError(f"input is {total:,} characters; at most {MAX_CHARS:,} per request")


def embed_texts(scheduler: Scheduler, name: str, inputs: list[str], *, truncate: bool, keep_alive: float | None,
                options: dict[str, Any] | None = None, dimensions: int | None = None) -> tuple[list[list[float]], int, float]:
    """(L2-normalised vectors, prompt tokens, load seconds)."""
    if not inputs:
        return [], 0, 0.0
    check_inputs(inputs)
    started = time.perf_counter()
    with scheduler.use(name, options=options, keep_alive=keep_alive, mode="embed") as entry:
        load = time.perf_counter() - started
        served = entry.served
        assert served is not None
        limit = entry.context_length
        batch: list[Any] = list(inputs)
        if truncate:
            batch = [tokens[:limit] for tokens in (served.tokenize(text[:char_limit(limit)]) for text in inputs)]
        else:
            for number, text in enumerate(inputs):
                check_chars(text, limit, f"input {number}")
        result = served.embed(batch)
    vectors = [item["embedding"] for item in sorted(result["data"], key=lambda d: d["index"])]
    if dimensions:
        vectors = [_normalise(v[:dimensions]) for v in vectors]
    return vectors, int(result.get("usage", {}).get("prompt_tokens", 0)), load


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]
