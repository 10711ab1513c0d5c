"""Soak: a real `lokal serve` under mixed load for minutes, then a burst, then clients that walk away.

    python bench/soak.py [--minutes 10] [--clients 8] [--model starter/smollm2] [--only "ollama chat"]

1. `--clients` threads loop over a mix (streaming chat on the Ollama and the OpenAI API, embeddings,
   knowledge search) for `--minutes`; every 10 s a row: requests, errors, p50/p95 latency of that
   window, and the server's RSS. RSS growth is measured from the end of the first minute (warm-up).
2. 64 simultaneous chat requests against a queue of 48: the only failures allowed are 503s, and
   only for what is beyond the slots plus the queue.
3. 50 clients that start a stream and disconnect after 3 tokens: afterwards no generation is still
   running (`/metrics`) and a normal request answers at once.

Only 127.0.0.1 is ever contacted. The server's home is a temporary one with the starter linked from
LOKAL_HOME (default: the tests' cache, `.cache/tests/home`; run the tests once to fill it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import at_once  # noqa: E402
from tests.helpers import LiveServer, link_store  # noqa: E402

QUEUE = 48
DOCS = {f"note{i}.md": f"# Note {i}\n\nThe harbour crane number {i} lifts {i * 7} tonnes. "
        f"Kranen i Bergen heter Ole {i}. " * 20 for i in range(30)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Load:
    """The mixed clients: each records (finished at, seconds, ok) per request."""

    def __init__(self, url: str, model: str, only: str | None = None) -> None:
        self.url, self.model = url, model
        self.results: list[tuple[float, float, bool]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        chat = [{"role": "user", "content": "Name three colours."}]
        self.calls = [
            ("ollama chat", "/api/chat", {"model": model, "messages": chat, "options": {"num_predict": 24}}),
            ("openai chat", "/v1/chat/completions", {"model": model, "messages": chat, "max_tokens": 24,
                                                     "stream": True}),
            ("embed", "/api/embed", {"model": model, "input": ["harbour crane", "kranen i Bergen"]}),
            ("search", "/api/knowledge/soak/search", {"query": "Hvor mye løfter kranen?", "top_k": 5}),
        ]
        self.calls = [call for call in self.calls if only in (None, call[0])]

    def client(self, number: int) -> None:
        with httpx.Client(base_url=self.url, timeout=120) as http:
            turn = number
            while not self.stop.is_set():
                name, path, body = self.calls[turn % len(self.calls)]
                turn += 1
                started = time.perf_counter()
                try:
                    with http.stream("POST", path, json=body) as response:
                        text = b"".join(response.iter_bytes())
                    ok = response.status_code == 200 and b'"error"' not in text
                    if not ok:
                        self.note(f"{name}: {response.status_code} {text[:200]!r}")
                except httpx.HTTPError as exc:
                    ok = False
                    self.note(f"{name}: {exc!r}")
                with self.lock:
                    self.results.append((time.perf_counter(), time.perf_counter() - started, ok))

    def note(self, error: str) -> None:
        with self.lock:
            self.errors.append(error)


def window(results: list[tuple[float, float, bool]], since: float) -> tuple[int, int, float, float]:
    recent = [r for r in results if r[0] >= since]
    latencies = sorted(r[1] * 1000 for r in recent)
    if not latencies:
        return 0, 0, 0.0, 0.0
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return len(recent), sum(not r[2] for r in recent), statistics.median(latencies), p95


def soak(live: LiveServer, model: str, minutes: float, clients: int, only: str | None = None) -> None:
    load = Load(live.url, model, only)
    threads = [threading.Thread(target=load.client, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    print(f"| t (s) | requests | errors | p50 ms | p95 ms | server RSS MB |\n|---|---|---|---|---|---|")
    warm_rss = None
    rss = 0.0
    end = started + minutes * 60
    while time.perf_counter() < end:
        tick = time.perf_counter()
        time.sleep(min(10.0, max(0.0, end - tick)))
        n, errors, p50, p95 = window(load.results, tick)
        rss = rss_mb(live.proc.pid)
        elapsed = time.perf_counter() - started
        if warm_rss is None and elapsed >= 60:
            warm_rss = rss
        print(f"| {elapsed:.0f} | {n} | {errors} | {p50:.0f} | {p95:.0f} | {rss:.0f} |", flush=True)
    load.stop.set()
    for t in threads:
        t.join()
    total, errors, p50, p95 = window(load.results, 0)
    growth = (rss / warm_rss - 1) * 100 if warm_rss else 0.0
    print(f"\nmixed load: {total} requests, {errors} errors, p50 {p50:.0f} ms, p95 {p95:.0f} ms; "
          f"RSS {warm_rss or 0:.0f} MB after warm-up → {rss:.0f} MB at the end ({growth:+.1f} %)")
    for error in load.errors[:10]:
        print("  error:", error)


def burst(live: LiveServer, model: str, count: int = 64) -> None:
    statuses: list[int | str] = []
    body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "stream": False,
            "options": {"num_predict": 8}}

    def one() -> None:
        try:
            statuses.append(httpx.post(live.url + "/api/chat", json=body, timeout=300).status_code)
        except httpx.HTTPError as exc:
            statuses.append(repr(exc))

    at_once(one, count)
    counts = {s: statuses.count(s) for s in set(statuses)}
    print(f"\nburst of {count} simultaneous chats (queue {QUEUE}): {counts}; "
          f"allowed 503s: at most {max(0, count - QUEUE - 1)} (beyond slots + queue)")


def walk_away(live: LiveServer, model: str, count: int = 50) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "Tell a long story."}], "stream": True,
            "options": {"num_predict": 400}}
    errors: list[str] = []

    def one() -> None:
        try:
            with httpx.stream("POST", live.url + "/api/chat", json=body, timeout=300) as response:
                for number, _ in enumerate(response.iter_lines()):
                    if number >= 2:
                        break  # three tokens, then the client goes away
        except httpx.HTTPError as exc:
            errors.append(repr(exc))

    at_once(one, count)
    active = None
    deadline = time.time() + 30
    while time.time() < deadline:
        metrics = httpx.get(live.url + "/metrics").text
        active = next((float(line.split()[-1]) for line in metrics.splitlines()
                       if line.startswith("lokal_active_requests ")), None)
        if active == 0:
            break
        time.sleep(0.2)
    started = time.perf_counter()
    after = httpx.post(live.url + "/api/chat", json={**body, "stream": False, "options": {"num_predict": 8}},
                       timeout=60)
    print(f"\n{count} clients gone after 3 tokens: {len(errors)} client errors; active generations after: "
          f"{active}; next request {after.status_code} in {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--model", default="starter/smollm2")
    parser.add_argument("--only", choices=["ollama chat", "openai chat", "embed", "search"],
                        help="one kind of request instead of the mix (to find what grows)")
    args = parser.parse_args()
    source = Path(os.environ.get("LOKAL_HOME", ROOT / ".cache/tests/home")).expanduser()
    with tempfile.TemporaryDirectory(prefix="lokal-soak-") as tmp:
        home = Path(tmp)
        link_store(source, home)
        with LiveServer(home, LOKAL_MAX_QUEUE=str(QUEUE), LOKAL_CONTEXT="2048") as live:
            http = httpx.Client(base_url=live.url, timeout=300)
            http.post("/api/knowledge", json={"name": "soak"}).raise_for_status()
            for name, text in DOCS.items():
                http.put(f"/api/knowledge/soak/files/{name}", content=text.encode()).raise_for_status()
            http.post("/api/knowledge/soak/sync", json={"stream": False}).raise_for_status()
            print(f"lokal serve (pid {live.proc.pid}), {args.clients} clients, {args.minutes:g} min, "
                  f"model {args.model}, {len(DOCS)} documents in the base\n")
            soak(live, args.model, args.minutes, args.clients, args.only)
            if args.only:
                return
            burst(live, args.model)
            walk_away(live, args.model)
            alive = live.proc.poll() is None
            print(f"\nserver alive at the end: {alive}")
            log = live.log.read_text(errors="replace")
            tracebacks = log.count("Traceback")
            print(f"tracebacks in the server log: {tracebacks}")
            if tracebacks:
                print(log[-3000:])


if __name__ == "__main__":
    main()
