"""Run batch tasks against the API with parallel workers, appending each result as it finishes.

The runner speaks HTTP through an `httpx.AsyncClient`: to a server (`--url`), or to lokal's own app
in-process (an ASGI transport), so a batch line means exactly what the same request to
`lokal serve` means. Tasks whose custom_id is already in OUTPUT are skipped; a failed request is
recorded as its result line, and the batch goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .jsonl import Appender, completed_ids, result_line


@dataclass
class Tally:
    total: int = 0
    skipped: int = 0
    completed: int = 0
    failed: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> int:
        return self.skipped + self.completed + self.failed

    def tokens_per_second(self) -> float:
        return self.completion_tokens / max(1e-9, time.perf_counter() - self.started)


async def call(client: httpx.AsyncClient, task: dict[str, Any]) -> tuple[int, Any, float]:
    """(status, JSON body, seconds) of one task's request; network failures become a 599 result."""
    body = {**task["body"], "stream": False}
    started = time.perf_counter()
    try:
        response = await client.post(task["url"], json=body)
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": {"message": response.text[:500]}}
        return response.status_code, payload, time.perf_counter() - started
    except httpx.HTTPError as exc:
        return 599, {"error": {"message": f"{type(exc).__name__}: {exc}"}}, time.perf_counter() - started


async def run_tasks(tasks: list[dict[str, Any]], client: httpx.AsyncClient, output: Path, *, workers: int = 4,
                    progress: Callable[[Tally], None] | None = None,
                    cancelled: Callable[[], bool] = lambda: False, timings: dict[str, float] | None = None) -> Tally:
    done = completed_ids(output)
    tally = Tally(total=len(tasks))
    pending = [t for t in tasks if t["custom_id"] not in done]
    tally.skipped = len(tasks) - len(pending)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for task in pending:
        queue.put_nowait(task)
    appender = Appender(output)

    async def worker() -> None:
        while not queue.empty() and not cancelled():
            task = queue.get_nowait()
            status, payload, seconds = await call(client, task)
            if timings is not None:
                timings[task["custom_id"]] = seconds
            appender.write(result_line(task["custom_id"], status, payload))
            if status == 200:
                tally.completed += 1
                tally.completion_tokens += int((payload.get("usage") or {}).get("completion_tokens") or 0)
            else:
                tally.failed += 1
            if progress:
                progress(tally)

    try:
        if progress:
            progress(tally)
        await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    finally:
        appender.close()
    return tally
