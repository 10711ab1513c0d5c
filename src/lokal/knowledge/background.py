"""Syncs that run in the background: one at a time per base, progress kept for anyone who asks,
and a watcher that re-syncs bases whose folders change (`lokal kb watch`, `lokal serve --watch`).

Watching polls: one stat per file every interval. It needs no inotify limits, works on network
drives, and an unchanged folder costs only the stats.
"""

from __future__ import annotations

import logging
import threading

from .base import Knowledge
from .ingest import Progress, sync

log = logging.getLogger("lokal")


class Syncer:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.progress: dict[str, Progress] = {}
        self.errors: dict[str, str] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self, name: str) -> Progress:
        """Start a sync of `name` unless one is running; returns its live progress."""
        base = self.knowledge.open(name)
        with self._lock:
            running = self._threads.get(name)
            if running is not None and running.is_alive():
                return self.progress[name]
            progress = self.progress[name] = Progress()
            self.errors.pop(name, None)

            def run() -> None:
                try:
                    sync(base, into=progress)
                except Exception as exc:  # kept for the progress endpoint; the base keeps its last good state
                    log.exception("sync of knowledge base %s failed", name)
                    self.errors[name] = str(exc)
                    progress.finished = progress.finished or progress.started

            thread = self._threads[name] = threading.Thread(target=run, name=f"lokal-sync-{name}", daemon=True)
            thread.start()
            return progress

    def wait(self, name: str, timeout: float | None = None) -> None:
        thread = self._threads.get(name)
        if thread is not None:
            thread.join(timeout)

    def status(self, name: str) -> dict[str, object]:
        progress = self.progress.get(name)
        state = progress.as_dict() if progress else {"done": True, "files_total": 0, "files_done": 0}
        if name in self.errors:
            state["error"] = self.errors[name]
        return state

    def watch(self, names: list[str] | None = None, interval: float = 2.0) -> threading.Thread:
        """Re-sync the bases (all when `names` is None) every `interval` seconds until `stop()`."""

        def loop() -> None:
            while not self._stop.wait(interval):
                for name in names if names is not None else self.knowledge.names():
                    try:
                        self.start(name)
                        self.wait(name)
                    except Exception as exc:
                        log.warning("watch: %s: %s", name, exc)

        thread = threading.Thread(target=loop, name="lokal-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
