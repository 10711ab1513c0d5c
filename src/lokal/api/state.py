"""What every route shares: the runtime (the one native path both API surfaces call), the stores, and
the helpers that read the fields every surface has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request as HTTPRequest

from ..config import Settings, parse_duration
from ..errors import BadRequestError
from ..batch.service import BatchService
from ..knowledge.background import Syncer
from ..knowledge.base import Knowledge
from ..options import coerce_options
from ..runtime import Runtime
from ..store.chats import ChatStore
from ..store.jobs import JobStore
from ..store.models import ModelStore
from .metrics import Metrics


@dataclass
class Lokal:
    settings: Settings
    runtime: Runtime
    metrics: Metrics
    syncer: Syncer
    jobs: JobStore
    batches: BatchService
    chats: ChatStore

    @property
    def store(self) -> ModelStore:
        return self.runtime.store

    @property
    def knowledge(self) -> Knowledge:
        return self.runtime.knowledge


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
