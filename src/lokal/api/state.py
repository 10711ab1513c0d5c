"""What every route shares, and the one native generation path both API surfaces call (G5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request as HTTPRequest

from ..config import Settings, parse_duration
from ..engine.generate import Done, Event
from ..engine.prompt import Request
from ..engine.scheduler import Scheduler
from ..errors import BadRequestError
from ..batch.service import BatchService
from ..knowledge.answer import parse_spec, retrieve, with_citations
from ..knowledge.background import Syncer
from ..knowledge.base import Knowledge
from ..options import coerce_options
from ..store.chats import ChatStore
from ..store.jobs import JobStore
from ..store.models import ModelStore
from .metrics import Metrics


@dataclass
class Lokal:
    settings: Settings
    store: ModelStore
    scheduler: Scheduler
    metrics: Metrics
    knowledge: Knowledge
    syncer: Syncer
    jobs: JobStore
    batches: BatchService
    chats: ChatStore

    def events(self, name: str, request: Request, *, keep_alive: float | None, knowledge: Any = None) -> Iterator[Event]:
        """Acquire the model (loading it if needed) and stream its events; runs in a worker thread.

        With `knowledge` (base names and retrieval options) the answer is grounded in those bases
        and its last event carries the citations."""
        if knowledge is not None:
            request, hits = retrieve(self.knowledge, parse_spec(knowledge), request)
            yield from with_citations(self.events(name, request, keep_alive=keep_alive), hits)
            return
        started = time.perf_counter()
        entry = self.scheduler.acquire(name, options=request.options, keep_alive=keep_alive)
        load = time.perf_counter() - started
        if load > 0.05:
            self.metrics.load(load)
        self.metrics.started()
        try:
            assert entry.served is not None
            for event in entry.served.stream(request):
                if isinstance(event, Done):
                    event.load_duration = load
                    event.total_duration += load
                    self.metrics.generation(event.prompt_eval_count, event.eval_count, event.eval_duration)
                yield event
        finally:
            self.metrics.finished()
            self.scheduler.release(entry)


def lokal(request: HTTPRequest) -> Lokal:
    return request.app.state.lokal  # type: ignore[no-any-return]


def keep_alive_of(value: Any) -> float | None:
    """Seconds from a request's keep_alive (number of seconds or a duration string); None if absent."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        raise BadRequestError(f"keep_alive {value!r} is not a duration (use seconds or e.g. \"5m\")") from None


def options_of(value: Any) -> dict[str, Any]:
    options, _unknown = coerce_options(value)  # Ollama ignores unknown options too
    return options
