"""Shared by the benchmarks: run one call from several clients at once and measure throughput."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def at_once(call: Callable[[], object], clients: int) -> None:
    """Run `call` from `clients` threads at the same time and wait for all of them."""
    threads = [threading.Thread(target=call) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def concurrent(call: Callable[[], int], clients: int) -> float:
    """Aggregate tokens per second of `clients` simultaneous calls; each call returns its token count."""
    counts: list[int] = []
    started = time.perf_counter()
    at_once(lambda: counts.append(call()), clients)
    return sum(counts) / (time.perf_counter() - started)
