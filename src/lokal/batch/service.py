"""The server's batch worker: runs OpenAI Batch API jobs one at a time, and resumes them after a restart.

A job moves validating → in_progress → finalizing → completed (or failed, or cancelling →
cancelled). Results are appended to `files/BATCH.partial.jsonl` as they finish, so a server that
stops mid-job picks up at the next task when it starts again. At the end the successful lines
become the output file and the failed ones the error file, as OpenAI does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from ..errors import LokalError
from ..store.jobs import JobStore
from .jsonl import parse_tasks
from .runner import Tally, run_tasks

log = logging.getLogger("lokal")
ACTIVE = ("validating", "in_progress", "finalizing", "cancelling")


class BatchService:
    def __init__(self, jobs: JobStore, client: Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]],
                 workers: int = 4) -> None:
        self.jobs, self.client, self.workers = jobs, client, workers
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel: set[str] = set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="lokal-batches", daemon=True)
        self._thread.start()
        self._wake.set()  # resume whatever a previous run left active

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def submit(self) -> None:
        self._wake.set()

    def cancel(self, batch_id: str) -> dict[str, Any]:
        batch = self.jobs.batch(batch_id)
        if batch["status"] in ("validating", "in_progress"):
            self._cancel.add(batch_id)
            batch = self.jobs.update_batch(batch_id, status="cancelling")
            self._wake.set()
        return batch

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            for batch in reversed(self.jobs.batches(ACTIVE)):  # oldest first
                if self._stop.is_set():
                    return
                try:
                    asyncio.run(self._run(batch))
                except Exception as exc:  # recorded on the batch; the worker goes on with the next
                    log.exception("batch %s failed", batch["id"])
                    self.jobs.update_batch(batch["id"], status="failed",
                                           errors={"object": "list", "data": [{"code": "server_error", "message": str(exc)}]})

    async def _run(self, batch: dict[str, Any]) -> None:
        batch_id = batch["id"]
        try:
            tasks = parse_tasks(self.jobs.file_path(batch["input_file_id"]).read_text(encoding="utf-8"), "input file")
            wrong = [t["custom_id"] for t in tasks if t["url"] != batch["endpoint"]]
            if wrong:
                raise LokalError(f"task {wrong[0]} has url other than the batch endpoint {batch['endpoint']}")
        except LokalError as exc:
            self.jobs.update_batch(batch_id, status="failed",
                                   errors={"object": "list", "data": [{"code": "invalid_file", "message": str(exc)}]})
            return
        partial = self.jobs.files_dir / f"{batch_id}.partial.jsonl"
        if batch["status"] == "cancelling":
            self._cancel.add(batch_id)
        elif batch["status"] != "finalizing":
            self.jobs.update_batch(batch_id, status="in_progress")
            last = [0.0]

            def progress(tally: Tally) -> None:
                if time.monotonic() - last[0] > 0.5 or tally.done == tally.total:
                    last[0] = time.monotonic()
                    self.jobs.update_batch(batch_id, request_counts=self._counts(partial, len(tasks)))

            async with self.client() as client:
                await run_tasks(tasks, client, partial, workers=self.workers, progress=progress,
                                cancelled=lambda: batch_id in self._cancel or self._stop.is_set())
            if self._stop.is_set() and batch_id not in self._cancel:
                return  # the server is stopping: resume on the next start
        self._finish(batch_id, partial, len(tasks), cancelled=batch_id in self._cancel)

    def _counts(self, partial: Any, total: int) -> dict[str, int]:
        lines = [json.loads(line) for line in partial.read_text().splitlines() if line.strip()] if partial.exists() else []
        failed = sum(1 for line in lines if line["response"]["status_code"] != 200)
        return {"total": total, "completed": len(lines) - failed, "failed": failed}

    def _finish(self, batch_id: str, partial: Any, total: int, *, cancelled: bool) -> None:
        self.jobs.update_batch(batch_id, status="finalizing")
        lines = partial.read_text().splitlines(keepends=True) if partial.exists() else []
        good = [line for line in lines if line.strip() and json.loads(line)["response"]["status_code"] == 200]
        bad = [line for line in lines if line.strip() and json.loads(line)["response"]["status_code"] != 200]
        fields: dict[str, Any] = {"request_counts": self._counts(partial, total)}
        if good:
            fields["output_file_id"] = self.jobs.add_file(f"{batch_id}_output.jsonl", "batch_output",
                                                          "".join(good).encode())["id"]
        if bad:
            fields["error_file_id"] = self.jobs.add_file(f"{batch_id}_error.jsonl", "batch_output",
                                                         "".join(bad).encode())["id"]
        self.jobs.update_batch(batch_id, status="cancelled" if cancelled else "completed", **fields)
        partial.unlink(missing_ok=True)
        self._cancel.discard(batch_id)
