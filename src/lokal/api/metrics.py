"""`/metrics` in Prometheus text format: requests, tokens, tok/s, queue depth, loaded models, loads."""

from __future__ import annotations

import threading
from collections import Counter


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.tokens_in = 0
        self.tokens_out = 0
        self.eval_seconds = 0.0
        self.loads = 0
        self.load_seconds = 0.0
        self.active = 0

    def started(self) -> None:
        with self._lock:
            self.active += 1

    def finished(self) -> None:
        with self._lock:
            self.active -= 1

    def request(self, path: str, status: int) -> None:
        with self._lock:
            self.requests[(path, status)] += 1

    def generation(self, prompt_tokens: int, eval_tokens: int, eval_seconds: float) -> None:
        with self._lock:
            self.tokens_in += prompt_tokens
            self.tokens_out += eval_tokens
            self.eval_seconds += eval_seconds

    def load(self, seconds: float) -> None:
        with self._lock:
            self.loads += 1
            self.load_seconds += seconds

    def render(self, *, queue_depth: int, loaded_models: int) -> str:
        with self._lock:
            lines = ["# HELP lokal_requests_total HTTP requests by path and status.",
                     "# TYPE lokal_requests_total counter"]
            for (path, status), count in sorted(self.requests.items()):
                lines.append(f'lokal_requests_total{{path="{path}",status="{status}"}} {count}')
            rate = self.tokens_out / self.eval_seconds if self.eval_seconds else 0.0
            for name, kind, value, text in (
                ("lokal_prompt_tokens_total", "counter", self.tokens_in, "Prompt tokens evaluated."),
                ("lokal_generated_tokens_total", "counter", self.tokens_out, "Tokens generated."),
                ("lokal_generation_seconds_total", "counter", round(self.eval_seconds, 6), "Time spent generating."),
                ("lokal_tokens_per_second", "gauge", round(rate, 3), "Generated tokens per second of generation."),
                ("lokal_active_requests", "gauge", self.active, "Generations running now."),
                ("lokal_queue_depth", "gauge", queue_depth, "Requests waiting beyond the engine slots."),
                ("lokal_loaded_models", "gauge", loaded_models, "Models loaded now."),
                ("lokal_model_loads_total", "counter", self.loads, "Model loads."),
                ("lokal_model_load_seconds_total", "counter", round(self.load_seconds, 6), "Time spent loading."),
            ):
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {value}"]
        return "\n".join(lines) + "\n"
