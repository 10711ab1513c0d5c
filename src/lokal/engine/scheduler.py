"""The scheduler: which models are loaded, for how long, and who may use them.

- Loads a model on first use; concurrent requests for one model share one load.
- Keeps several models loaded within a memory budget (estimated from the GGUF before loading)
  and `LOKAL_MAX_LOADED_MODELS`; evicts the least recently used idle model to make room, and
  refuses a model that cannot fit even alone.
- Requests to one model run concurrently in its engine slots (continuous batching).
- `keep_alive`: seconds an idle model stays loaded (0 unloads after the request, inf forever).
- A bounded queue: requests waiting beyond the loaded models' slots past `LOKAL_MAX_QUEUE` get BusyError.
Collaborators (loader, clock, memory probe) are injected so tests can drive it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from ..config import Settings
from ..errors import BusyError, InsufficientMemoryError
from ..store.gguf import read_gguf
from ..store.models import Model, ModelStore
from ..store.names import ModelName
from .generate import Event
from .loader import context_for, load_model
from .memory import MiB, available_bytes, estimate_bytes
from .plan import LoadPlan, Mode
from .prompt import Request


class Served(Protocol):
    """What the runtime needs from a loaded model, local or remote (a capability it lacks raises
    BadRequestError saying so)."""

    model: Model

    def stream(self, request: Request) -> Iterator[Event]: ...

    def embed(self, inputs: list[Any]) -> dict[str, Any]: ...

    def rerank(self, query: str, documents: list[str]) -> list[float]: ...

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]: ...

    def detokenize(self, tokens: list[int]) -> str: ...

    def count_tokens(self, request: Request) -> int: ...

    def close(self) -> None: ...


Loader = Callable[[Model, LoadPlan], Served]


@dataclass
class Entry:
    plan: LoadPlan
    model: Model
    size: int
    served: Served | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    refs: int = 0
    last_used: float = 0.0
    keep_alive: float = 300.0
    expires_at: float = float("inf")
    load_duration: float = 0.0

    @property
    def parallel(self) -> int:
        return self.plan.slots

    @property
    def context_length(self) -> int:
        return self.plan.context


class Scheduler:
    """Owns load, unload, keep-alive and the queue limit for every model."""

    def __init__(self, store: ModelStore, settings: Settings, *, loader: Loader | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 memory: Callable[[], int] = available_bytes) -> None:
        self.store = store
        self.settings = settings
        self._loader = loader or self._load_local
        self._clock = clock
        budget = settings.memory_budget or int(memory() * 0.8)
        self.budget = budget
        self._entries: dict[LoadPlan, Entry] = {}
        self._cond = threading.Condition()
        self._waiting = 0
        self._closed = False
        self._reaper = threading.Thread(target=self._reap, name="lokal-keepalive", daemon=True)
        self._reaper.start()

    # loading ---------------------------------------------------------------------------------

    def _load_local(self, model: Model, plan: LoadPlan) -> Served:
        from .remote import RemoteModel

        if model.remote:
            return RemoteModel(model)
        return load_model(self.store, model, self.settings, plan)

    def plan(self, model: Model, options: dict[str, Any] | None = None, mode: Mode = "generate") -> tuple[LoadPlan, int]:
        """The load plan for a request, and its estimated bytes."""
        name, digest = str(model.name), model.digest
        if model.remote:
            return LoadPlan(name, digest, 0, 1, mode), 0
        n_ctx = context_for(model, self.settings, options)
        assert model.model_path is not None
        info = read_gguf(model.model_path)
        if mode != "generate":
            return LoadPlan(name, digest, n_ctx, 1, mode), estimate_bytes(info, n_ctx, 1)
        projector = model.projector_path
        cache = self.settings.prompt_cache * MiB + (projector.stat().st_size if projector else 0)
        choices = (self.settings.num_parallel,) if self.settings.num_parallel > 0 else (4, 2, 1)
        for parallel in choices:  # the most slots that fit the budget (else the fewest)
            size = estimate_bytes(info, n_ctx, parallel, cache)
            if size <= self.budget:
                break
        return LoadPlan(name, digest, n_ctx, parallel, mode, str(projector) if projector else None), size

    @contextmanager
    def use(self, name: str | ModelName, *, options: dict[str, Any] | None = None,
            keep_alive: float | None = None, mode: Mode = "generate") -> Iterator[Entry]:
        """Hold a loaded model for one request."""
        entry = self.acquire(name, options=options, keep_alive=keep_alive, mode=mode)
        try:
            yield entry
        finally:
            self.release(entry)

    def acquire(self, name: str | ModelName, *, options: dict[str, Any] | None = None,
                keep_alive: float | None = None, mode: Mode = "generate") -> Entry:
        model = self.store.get(name)
        plan, size = self.plan(model, options, mode)
        with self._cond:
            busy = self._waiting + sum(max(0, e.refs - e.parallel) for e in self._entries.values())
            if busy >= self.settings.max_queue:
                raise BusyError(f"server busy: {busy} requests are queued (LOKAL_MAX_QUEUE="
                                f"{self.settings.max_queue}); try again shortly")
            entry = self._entries.get(plan)
            if entry is None:
                if size > self.budget:
                    raise InsufficientMemoryError(
                        f"model '{model.name}' needs about {size / 2**30:.1f} GiB with a {plan.context}-token context, "
                        f"more than the {self.budget / 2**30:.1f} GiB budget: use a smaller num_ctx or quantization, "
                        "or raise LOKAL_MEMORY_BUDGET")
                self._waiting += 1
                try:
                    self._make_room(size, exclude=plan)
                finally:
                    self._waiting -= 1
                entry = Entry(plan, model, size)
                self._entries[plan] = entry
                loader = True
            else:
                loader = False
            entry.refs += 1
            entry.last_used = self._clock()
            entry.expires_at = float("inf")
            if keep_alive is not None:
                entry.keep_alive = keep_alive
            elif loader:
                entry.keep_alive = self.settings.keep_alive
        if loader:
            started = time.perf_counter()
            try:
                entry.served = self._loader(model, plan)
                entry.load_duration = time.perf_counter() - started
            except BaseException as exc:
                entry.error = exc
                with self._cond:
                    self._entries.pop(plan, None)
                    self._cond.notify_all()
                raise
            finally:
                entry.ready.set()
        else:
            entry.ready.wait()
            if entry.error is not None:
                with self._cond:
                    entry.refs -= 1
                raise entry.error
        return entry

    def release(self, entry: Entry) -> None:
        unload = None
        with self._cond:
            entry.refs -= 1
            entry.last_used = self._clock()
            if entry.refs == 0:
                if entry.keep_alive <= 0:
                    unload = self._entries.pop(entry.plan, None)
                else:
                    entry.expires_at = entry.last_used + entry.keep_alive
            self._cond.notify_all()
        if unload is not None and unload.served is not None:
            unload.served.close()

    def _make_room(self, size: int, exclude: LoadPlan) -> None:
        """Evict idle models (LRU first) until `size` fits; wait for busy ones. Holds the lock."""
        while True:
            loaded = [e for e in self._entries.values() if e.plan != exclude]
            used = sum(e.size for e in loaded)
            if used + size <= self.budget and len(loaded) < self.settings.max_loaded_models:
                return
            idle = sorted((e for e in loaded if e.refs == 0 and e.ready.is_set()), key=lambda e: e.last_used)
            if idle:
                victim = idle[0]
                self._entries.pop(victim.plan, None)
                if victim.served is not None:
                    victim.served.close()
                continue
            self._cond.wait(timeout=1.0)

    # keep-alive, ps, stop --------------------------------------------------------------------

    def _reap(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                self._cond.wait(timeout=1.0)
                now = self._clock()
                expired = [e for e in self._entries.values() if e.refs == 0 and e.expires_at <= now]
                for entry in expired:
                    self._entries.pop(entry.plan, None)
            for entry in expired:
                if entry.served is not None:
                    entry.served.close()

    def loaded(self) -> list[dict[str, Any]]:
        """What `/api/ps` shows: only models that are loaded now."""
        now_mono, now = self._clock(), datetime.now(timezone.utc)
        with self._cond:
            entries = [e for e in self._entries.values() if e.ready.is_set() and e.served is not None]
        rows = []
        for e in sorted(entries, key=lambda e: -e.last_used):
            remaining = e.expires_at - now_mono if e.refs == 0 else e.keep_alive
            forever = remaining == float("inf") or remaining > 10 * 365 * 86400
            expires = (now + timedelta(days=365 * 100)) if forever else now + timedelta(seconds=max(remaining, 0))
            rows.append({"entry": e, "expires_at": expires})
        return rows

    def stop(self, name: str | ModelName) -> bool:
        """Unload a model now (or as soon as its running requests finish)."""
        parsed = ModelName.parse(name) if isinstance(name, str) else name
        found, closing = False, []
        with self._cond:
            for entry in list(self._entries.values()):
                if entry.model.name == parsed:
                    found = True
                    entry.keep_alive = 0
                    if entry.refs == 0:
                        closing.append(self._entries.pop(entry.plan))
        for entry in closing:
            if entry.served is not None:
                entry.served.close()
        return found

    def close(self) -> None:
        with self._cond:
            self._closed = True
            entries = list(self._entries.values())
            self._entries.clear()
            self._cond.notify_all()
        for entry in entries:
            if entry.served is not None:
                entry.served.close()
