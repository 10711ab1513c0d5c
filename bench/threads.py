"""Sweep the engine's thread settings and print decode tok/s; shows the default lokal picks.

    python bench/threads.py [--model starter/smollm2] [--tokens 128] [--runs 3]

Configurations are measured round-robin, `--runs` rounds, each loaded alone (idle engines beside it
skew the numbers), so the drift of a shared machine hits each alike: each generates `--tokens` tokens (EOS ignored, temperature 0)
for one client and for four concurrent clients; the table shows medians.
The default (compute threads = cores, one HTTP thread, the engine's poll) must be within
10 % of the best single-stream configuration.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from lokal.config import Settings  # noqa: E402
from lokal.engine.runner import LlamaRunner  # noqa: E402
from lokal.store.models import ModelStore  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import concurrent  # noqa: E402

PROMPT = "<|im_start|>user\nWrite a long story about a lighthouse keeper.<|im_end|>\n<|im_start|>assistant\n"


def measure(runner: LlamaRunner, tokens: int, clients: int) -> float:
    body = {"prompt": PROMPT, "n_predict": tokens, "temperature": 0, "ignore_eos": True, "cache_prompt": False}
    return concurrent(lambda: int(runner.complete_once(body)["usage"]["completion_tokens"]), clients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="starter/smollm2")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings.from_env()
    home = Path(os.environ.get("LOKAL_HOME", Path(__file__).resolve().parent.parent / ".cache/tests/home"))
    model = ModelStore(home.expanduser() / "models").get(args.model)
    cores = os.cpu_count() or 1
    default = (settings.compute_threads(), 1, None)
    configs = sorted({(t, h, p) for t in sorted({1, cores}) for h in (1, 2, -1) for p in (None, 0)} | {default},
                     key=lambda c: (c[0], c[1], -1 if c[2] is None else c[2]))
    samples: dict[tuple[int, int, int | None], tuple[list[float], list[float]]] = {c: ([], []) for c in configs}
    for round_ in range(args.runs):
        for config in configs:
            runner = LlamaRunner(model.model_path, n_ctx=1024, parallel=4, threads=config[0],
                                 threads_http=config[1], poll=config[2])
            measure(runner, 16, 1)  # warm-up
            samples[config][0].append(measure(runner, args.tokens, 1))
            samples[config][1].append(measure(runner, args.tokens, 4))
            runner.close()
        print(f"  round {round_ + 1}/{args.runs} done", file=sys.stderr)
    rows = [(c, statistics.median(s[0]), statistics.median(s[1])) for c, s in samples.items()]
    best = max(r[1] for r in rows)
    print(f"\nmodel {model.name}, {args.tokens} tokens, median of {args.runs}, {cores} cores\n")
    print(f"| compute threads | http threads | poll | 1 client tok/s | 4 clients tok/s | 1 client ÷ best |")
    print(f"|---|---|---|---|---|---|")
    for (threads, http, poll), single, four in rows:
        mark = " **default**" if (threads, http, poll) == default else ""
        print(f"| {threads} | {'auto' if http == -1 else http} | {'engine default' if poll is None else poll} "
              f"| {single:.1f} | {four:.1f} | {single / best:.2f}{mark} |")
    chosen = next(r for r in rows if r[0] == default)
    print(f"\ndefault = {chosen[1] / best:.2f} of the best single-stream rate "
          f"({'within' if chosen[1] >= 0.9 * best else 'NOT within'} 10 %)")


if __name__ == "__main__":
    main()
