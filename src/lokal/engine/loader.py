"""Load a stored model into the engine: verify its blobs, inspect its GGUF, size its context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import BadRequestError
from ..options import coerce_options
from ..store.gguf import read_gguf
from ..store.manifests import MODEL
from ..store.models import Model, ModelStore
from .generate import LoadedModel
from .plan import RANK_POOLING, LoadPlan
from .runner import LlamaRunner


def context_for(model: Model, settings: Settings, options: dict[str, Any] | None = None) -> int:
    """Context per slot: request `num_ctx`, else the Modelfile's, else the setting; capped by the model."""
    merged = {**model.parameters, **(options or {})}
    num_ctx = int(merged.get("num_ctx") or settings.context)
    trained = int(model.config.get("context_length") or 0)
    if num_ctx < 64:
        raise BadRequestError(f"num_ctx must be at least 64, got {num_ctx}")
    return min(num_ctx, trained) if trained else num_ctx


def weights_path(store: ModelStore, model: Model) -> Path:
    """The path to give the engine: the GGUF, or for a split GGUF the first of its parts linked
    side by side under the `-0000i-of-0000N` names llama.cpp looks for."""
    layers = [layer for layer in model.manifest.layers if layer.media_type == MODEL]
    assert model.model_path is not None
    if len(layers) < 2:
        return model.model_path
    folder = store.root / "splits" / layers[0].digest.split(":")[1][:16]
    folder.mkdir(parents=True, exist_ok=True)
    for i, layer in enumerate(layers, 1):
        link = folder / f"model-{i:05d}-of-{len(layers):05d}.gguf"
        if not link.exists():
            link.symlink_to(store.blobs.path(layer.digest))
    return folder / f"model-00001-of-{len(layers):05d}.gguf"


def load_model(store: ModelStore, model: Model, settings: Settings, plan: LoadPlan | None = None) -> LoadedModel:
    """Load `model` as `plan` says (by default: to generate, one slot, the configured context)."""
    if model.model_path is None:
        raise BadRequestError(f"model '{model.name}' has no GGUF weights to load")
    store.verify(model)
    info = read_gguf(model.model_path)
    plan = plan or LoadPlan(str(model.name), model.digest, context_for(model, settings), 1)
    opts, _ = coerce_options(model.parameters)
    threads = int(opts.get("num_thread") or settings.compute_threads())
    if plan.mode == "rerank":
        if info.arch_value("pooling_type") != RANK_POOLING:
            raise BadRequestError(f"model '{model.name}' is not a reranking model")
        pooling = "rank"
    elif plan.mode == "embed":  # generative models declare no pooling; mean-pool them
        pooling = None if info.arch_value("pooling_type") is not None else "mean"
    else:
        pooling = None
    runner = LlamaRunner(weights_path(store, model), n_ctx=plan.context, parallel=plan.slots,
                         threads=threads, embedding=plan.mode != "generate", pooling=pooling, debug=settings.debug,
                         prompt_cache_mib=settings.prompt_cache if plan.mode == "generate" else 0,
                         projector=Path(plan.projector) if plan.projector else None)
    return LoadedModel(model, info, runner)
