"""Serving speed, in one run on one model: lokal's API vs. the engine called directly, 4 clients vs.
1, and lokal vs. llama-cpp-python's own server under the same 4-client load.

The engine called directly with 4 clients is measured too: it is the ceiling for lokal's 4-client
row (continuous batching cannot beat the engine's own batched decode), so the table shows how
much of the scaling the machine allows and how much of that the API keeps.

    python bench/serve.py [--model starter/smollm2] [--tokens 128] [--runs 3]
                          [--peer-python /path/to/venv/bin/python]

The same raw prompt and sampling settings (temperature 0) go to every path, so each produces the
same tokens; tok/s = generated tokens ÷ wall time per request as a client sees it (prompt included).
The peer runs with the same context and threads; with no `--peer-python` its row is skipped.
Build the peer in its own venv for the CPU at hand (a build for AVX-512 dies with "Illegal
instruction" on AVX2-only machines):

    python3 -m venv /tmp/peer && CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON \
        -DGGML_F16C=ON -DGGML_AVX512=OFF" /tmp/peer/bin/pip install "llama-cpp-python[server]"
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from lokal.config import Settings  # noqa: E402
from lokal.engine.runner import LlamaRunner  # noqa: E402
from lokal.engine.sampling import sampling_body  # noqa: E402
from lokal.store.models import ModelStore  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from common import concurrent  # noqa: E402

PROMPT = "<|im_start|>user\nWrite a long story about a lighthouse keeper.<|im_end|>\n<|im_start|>assistant\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server at {url} exited")
        try:
            if httpx.get(url + path, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="starter/smollm2")
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-python", help="python of a venv with llama-cpp-python[server] installed")
    args = parser.parse_args()
    home = Path(os.environ.get("LOKAL_HOME", ROOT / ".cache/tests/home")).expanduser()
    settings = Settings.from_env({**os.environ, "LOKAL_HOME": str(home)})
    model = ModelStore(home / "models").get(args.model)
    threads, n_ctx = settings.compute_threads(), 2048
    options = {**model.parameters, "temperature": 0, "num_predict": args.tokens}
    body = {"prompt": PROMPT, **sampling_body(options)}
    median = statistics.median

    procs: list[subprocess.Popen[bytes]] = []
    try:
        # 1. the engine, called directly and streaming token by token like the API (4 slots, as the server loads it)
        runner = LlamaRunner(model.model_path, n_ctx=n_ctx, parallel=4, threads=threads)

        def direct_once() -> int:
            usage: dict[str, int] = {}
            runner.complete(body, lambda chunk: bool(usage.update(chunk.get("usage") or {})))
            return int(usage["completion_tokens"])

        # 2. through lokal serve
        port = free_port()
        env = {**os.environ, "LOKAL_HOME": str(home), "LOKAL_HOST": f"127.0.0.1:{port}",
               "LOKAL_CONTEXT": str(n_ctx), "LOKAL_NUM_PARALLEL": "4"}
        procs.append(subprocess.Popen([sys.executable, "-m", "lokal", "serve", "--model", args.model], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        lokal_url = f"http://127.0.0.1:{port}"
        wait_up(lokal_url, procs[-1], "/health")
        client = httpx.Client(timeout=600)

        def api_once() -> int:
            tokens = 0
            with client.stream("POST", f"{lokal_url}/api/generate", json={
                    "model": args.model, "prompt": PROMPT, "raw": True, "options": options}) as response:
                for line in response.iter_lines():
                    if '"done":true' in line.replace(" ", ""):
                        tokens = int(httpx.Response(200, content=line).json()["eval_count"])
            return tokens

        # 3. llama-cpp-python's own server, same model, context and threads
        peer_once = None
        if args.peer_python:
            port = free_port()
            procs.append(subprocess.Popen(
                [args.peer_python, "-m", "llama_cpp.server", "--model", str(model.model_path), "--n_ctx", str(n_ctx),
                 "--n_threads", str(threads), "--port", str(port), "--host", "127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            peer_url = f"http://127.0.0.1:{port}"
            wait_up(peer_url, procs[-1], "/v1/models")
            peer_body = {"prompt": PROMPT, "max_tokens": args.tokens, "temperature": 0,
                         "top_k": options.get("top_k", 40), "top_p": options.get("top_p", 0.9),
                         "repeat_penalty": options.get("repeat_penalty", 1.1)}

            def peer_once() -> int:
                return int(client.post(f"{peer_url}/v1/completions", json=peer_body).json()["usage"]["completion_tokens"])

        # interleaved rounds: every contender is loaded, and drift on a shared machine hits each alike
        calls = {"direct": (direct_once, 1), "direct4": (direct_once, 4),
                 "api1": (api_once, 1), "api4": (api_once, 4)}
        if peer_once:
            calls["peer4"] = (peer_once, 4)
        for fn, _ in calls.values():
            fn()  # warm-up
        samples: dict[str, list[float]] = {key: [] for key in calls}
        for _ in range(args.runs):
            for key, (fn, clients) in calls.items():
                samples[key].append(concurrent(fn, clients))
        direct, direct4, api1, api4 = (median(samples[k]) for k in ("direct", "direct4", "api1", "api4"))
        peer4 = median(samples["peer4"]) if peer_once else None
        runner.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()

    print(f"\nmodel {model.name}, {args.tokens} tokens, {threads} threads, context {n_ctx}, median of {args.runs} interleaved rounds\n")
    print("| measurement | tok/s | ratio | goal |")
    print("|---|---|---|---|")
    print(f"| engine direct, 1 client | {direct:.1f} | | |")
    print(f"| engine direct, 4 clients (aggregate) | {direct4:.1f} | {direct4 / direct:.2f} × 1 client: "
          "the machine's ceiling | |")
    print(f"| lokal API, 1 client | {api1:.1f} | {api1 / direct:.2f} of direct | ≥ 0.95 |")
    print(f"| lokal API, 4 clients (aggregate) | {api4:.1f} | {api4 / api1:.2f} × 1 client "
          f"({api4 / direct4:.2f} of the engine's 4 clients) | ≥ 2.2 |")
    if peer4:
        print(f"| llama-cpp-python server, 4 clients (aggregate) | {peer4:.1f} | lokal {api4 / peer4:.2f} × peer | ≥ 2.5 |")
    else:
        print("| llama-cpp-python server | skipped (no --peer-python) | | |")


if __name__ == "__main__":
    main()
