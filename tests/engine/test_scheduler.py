"""Scheduler behaviour with an injected loader: what loads, what is evicted, what is refused."""

import threading
import time

import pytest

from lokal.config import Settings
from lokal.engine.scheduler import Scheduler
from lokal.errors import BusyError, InsufficientMemoryError

MB = 1024 * 1024


class FakeServed:
    def __init__(self, model):
        self.model = model
        self.closed = False

    def stream(self, request):
        return iter(())

    def close(self):
        self.closed = True


@pytest.fixture
def names(starter_store):
    for name in ("a", "b", "c"):
        starter_store.copy("starter/smollm2", name)
    return starter_store


def scheduler(store, **settings):
    loads = []

    def loader(model, plan):
        time.sleep(0.05)
        served = FakeServed(model)
        loads.append((str(model.name), plan.context, plan.slots, served))
        return served

    env = {"LOKAL_HOME": str(store.root.parent), "LOKAL_CONTEXT": "1024", **settings}
    return Scheduler(store, Settings.from_env(env), loader=loader), loads


def test_loads_once_for_concurrent_requests(names):
    sched, loads = scheduler(names)
    entries = []
    threads = [threading.Thread(target=lambda: entries.append(sched.acquire("a"))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len({id(e) for e in entries}) == 1 and entries[0].refs == 5
    sched.close()


def test_evicts_the_least_recently_used_idle_model(names):
    sched, loads = scheduler(names, LOKAL_MAX_LOADED_MODELS="2")
    for name in ("a", "b"):
        sched.release(sched.acquire(name))
    sched.release(sched.acquire("a"))  # a is now more recent than b
    sched.release(sched.acquire("c"))
    loaded = {str(row["entry"].model.name) for row in sched.loaded()}
    assert loaded == {"a:latest", "c:latest"}
    assert next(s for n, *_, s in loads if n == "b:latest").closed
    sched.close()


def test_a_busy_model_is_not_evicted(names):
    sched, _ = scheduler(names, LOKAL_MAX_LOADED_MODELS="1")
    held = sched.acquire("a")
    started = threading.Event()
    got = []

    def other():
        started.set()
        got.append(sched.acquire("b"))

    t = threading.Thread(target=other)
    t.start()
    started.wait()
    time.sleep(0.3)
    assert not got, "b must wait while a is in use"
    sched.release(held)
    t.join(timeout=5)
    assert got and {str(r["entry"].model.name) for r in sched.loaded()} == {"b:latest"}
    sched.close()


def test_a_model_that_cannot_fit_alone_is_refused(names):
    sched, loads = scheduler(names, LOKAL_MEMORY_BUDGET=str(50 * MB))
    with pytest.raises(InsufficientMemoryError, match="budget"):
        sched.acquire("a")
    assert loads == []
    sched.close()


def test_slots_follow_memory(names):
    sched, loads = scheduler(names)
    sched.release(sched.acquire("a"))
    assert loads[-1][2] == 4
    sched.close()
    sched, loads = scheduler(names, LOKAL_NUM_PARALLEL="2")
    sched.release(sched.acquire("a"))
    assert loads[-1][2] == 2
    sched.close()


def test_keep_alive_zero_unloads_after_the_request(names):
    sched, loads = scheduler(names)
    sched.release(sched.acquire("a", keep_alive=0))
    assert sched.loaded() == [] and loads[0][3].closed
    sched.close()


def test_keep_alive_expires(names):
    sched, loads = scheduler(names)
    sched.release(sched.acquire("a", keep_alive=0.5))
    assert len(sched.loaded()) == 1
    deadline = time.time() + 5
    while sched.loaded() and time.time() < deadline:
        time.sleep(0.1)
    assert sched.loaded() == [] and loads[0][3].closed
    sched.close()


def test_the_queue_is_bounded(names):
    sched, _ = scheduler(names, LOKAL_MAX_QUEUE="2", LOKAL_NUM_PARALLEL="1")
    held = [sched.acquire("a") for _ in range(3)]  # one in the slot, two waiting
    with pytest.raises(BusyError, match="LOKAL_MAX_QUEUE"):
        sched.acquire("a")
    for entry in held:
        sched.release(entry)
    sched.close()


def test_num_ctx_is_capped_by_the_model_and_stop_unloads(names):
    sched, loads = scheduler(names)
    sched.release(sched.acquire("a", options={"num_ctx": 100000}))
    assert loads[-1][1] == 8192
    assert sched.stop("a") and sched.loaded() == []
    sched.close()
