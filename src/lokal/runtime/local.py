"""The runtime: the one native path from a model name to generation, embeddings, scores and tokens.

Everything that runs a model goes through here: both API surfaces, `lokal run` and `lokal kb ask`
without a server, test-set generation, the batch worker (through the API) and Python programs
(`lokal.Runtime`). It owns the scheduler (which loads and keeps models) and the knowledge bases
that ground answers. `RemoteRuntime` is its twin over HTTP, for the CLI when a server runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from ..config import Settings
from ..engine.embed import embed_texts
from ..engine.generate import Done, Event
from ..engine.prompt import Request, check_chars
from ..engine.rerank import rerank_documents
from ..engine.scheduler import Scheduler
from ..knowledge.answer import parse_spec, retrieve, with_citations
from ..knowledge.base import Knowledge
from ..knowledge.ingest import Progress, sync
from ..store.models import ModelStore
from .reply import Embeddings, Reply, Chat


class Observer(Protocol):
    """What the server counts (its /metrics); the runtime reports to it."""

    def load(self, seconds: float) -> None: ...

    def started(self) -> None: ...

    def finished(self) -> None: ...

    def generation(self, prompt_tokens: int, eval_tokens: int, eval_seconds: float) -> None: ...


class Runtime(Chat):
    """Models from LOKAL_HOME's store, run by the engine in this process."""

    def __init__(self, settings: Settings | None = None, *, scheduler: Scheduler | None = None,
                 observer: Observer | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.store = scheduler.store if scheduler else ModelStore(self.settings.models_dir)
        self.scheduler = scheduler or Scheduler(self.store, self.settings)
        self.knowledge = Knowledge(self.settings.knowledge_dir, self.scheduler)
        self.observer = observer

    # generation ------------------------------------------------------------------------------

    def generate(self, model: str, request: Request, *, keep_alive: float | None = None,
                 knowledge: Any = None) -> Iterator[Event]:
        """Acquire the model (loading it if needed) and stream its events; closing the iterator
        cancels. With `knowledge` (base names and retrieval options, as the APIs take them) the
        answer is grounded in those bases and its last event carries the citations."""
        if knowledge is not None:
            request, hits = retrieve(self.knowledge, parse_spec(knowledge), request)
            yield from with_citations(self.generate(model, request, keep_alive=keep_alive), hits)
            return
        started = time.perf_counter()
        entry = self.scheduler.acquire(model, options=request.options, keep_alive=keep_alive)
        load = time.perf_counter() - started
        observer = self.observer
        if observer and load > 0.05:
            observer.load(load)
        if observer:
            observer.started()
        try:
            assert entry.served is not None
            for event in entry.served.stream(request):
                if isinstance(event, Done):
                    event.load_duration = load
                    event.total_duration += load
                    if observer:
                        observer.generation(event.prompt_eval_count, event.eval_count, event.eval_duration)
                yield event
        finally:
            if observer:
                observer.finished()
            self.scheduler.release(entry)

    # vectors, scores, tokens -----------------------------------------------------------------

    def embed(self, model: str, inputs: list[str], *, truncate: bool = True, keep_alive: float | None = None,
              options: dict[str, Any] | None = None, dimensions: int | None = None) -> Embeddings:
        vectors, tokens, load = embed_texts(self.scheduler, model, inputs, truncate=truncate, keep_alive=keep_alive,
                                            options=options, dimensions=dimensions)
        return Embeddings(vectors, tokens, load)

    def rerank(self, model: str, query: str, documents: list[str], *, keep_alive: float | None = None) -> list[float]:
        """One relevance score in [0, 1] per document, in their order."""
        return rerank_documents(self.scheduler, model, query, documents, keep_alive=keep_alive)[0]

    def tokenize(self, model: str, text: str) -> list[int]:
        check_chars(text, self._context(model), "content")  # before a model loads for a text that cannot fit
        with self.scheduler.use(model) as entry:
            assert entry.served is not None
            return entry.served.tokenize(text, add_special=False)

    def detokenize(self, model: str, tokens: list[int]) -> str:
        with self.scheduler.use(model) as entry:
            assert entry.served is not None
            return entry.served.detokenize(tokens)

    def count_tokens(self, model: str, request: Request) -> int:
        """The prompt's length in tokens, rendered as generation would render it (nothing is generated)."""
        with self.scheduler.use(model, options=request.options) as entry:
            assert entry.served is not None
            return entry.served.count_tokens(request)

    def _context(self, model: str) -> int:
        return self.scheduler.plan(self.store.get(model))[0].context

    # knowledge -------------------------------------------------------------------------------

    def index(self, name: str, *paths: str | Path, embedder: str | None = None) -> Progress:
        """Create the knowledge base `name` if it is new, bind `paths` (folders or files) to it,
        and bring it in step with them; `ask(name, …)` then answers from it."""
        bases = self.knowledge
        base = bases.open(name) if bases.path(name).exists() else bases.create(name, embedder=embedder)
        for path in paths:
            base.add_folder(Path(path))  # a folder already bound stays bound once
        return sync(base)

    # lifecycle -------------------------------------------------------------------------------

    def load(self, model: str, *, keep_alive: float | None = None) -> None:
        self.scheduler.release(self.scheduler.acquire(model, keep_alive=keep_alive))

    def unload(self, model: str) -> bool:
        """Unload now (or when its running requests finish); False if it was not loaded."""
        return self.scheduler.stop(model)

    def loaded(self) -> list[dict[str, Any]]:
        return self.scheduler.loaded()

    def close(self) -> None:
        self.knowledge.close()
        self.scheduler.close()
