"""How a model is loaded: the load plan, one engine instance per distinct plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["generate", "embed", "rerank"]
RANK_POOLING = 4  # LLAMA_POOLING_TYPE_RANK: a cross-encoder's classification head scores (query, document)


@dataclass(frozen=True)
class LoadPlan:
    """How a model is loaded: one engine instance per distinct plan.

    `generate` loads it to chat and complete (and to rerank chat models by yes/no scoring);
    `embed` with pooling for vectors; `rerank` with rank pooling (a cross-encoder GGUF)."""

    name: str
    digest: str
    context: int  # tokens per slot
    slots: int
    mode: Mode = "generate"
    projector: str | None = None  # a vision projector GGUF loaded beside the weights (generate mode)
