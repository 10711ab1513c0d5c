"""One loaded model in xllamacpp (llama.cpp's server engine, in-process).

The engine runs llama.cpp's own server loop: continuous batching over `parallel` slots, prompt
cache, grammar-constrained sampling. lokal renders prompts itself and calls the engine's
`/v1/completions` handler with raw text, so every request sees exactly the prompt lokal built.
The engine also opens an HTTP listener on 127.0.0.1; it is locked with a random key that never
leaves this object, and used only for tokenization.

Thread defaults come from `bench/threads.py` (the README quotes the sweep): compute threads =
cores (one thread halves decode speed on 2 cores), one HTTP thread (the engine's internal listener
only serves tokenization here), and the engine's default poll (poll 0 measured the same, and an
idle engine uses 0.3 % of a core either way).
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xllamacpp

from ..errors import BadRequestError, ContextOverflowError, EngineError

Chunk = dict[str, Any]
PASSTHROUGH = "{{ messages[0]['content'] }}"  # the engine's chat template for vision: lokal renders the prompt


def engine_error(payload: dict[str, Any]) -> Exception:
    """Turn an engine error object into a lokal error."""
    error = payload.get("error", payload)
    message = str(error.get("message", "engine error"))
    if error.get("type") == "exceed_context_size_error":
        n_prompt, n_ctx = error.get("n_prompt_tokens"), error.get("n_ctx")
        return ContextOverflowError(
            f"the prompt is {n_prompt} tokens but the context holds {n_ctx}: shorten it, raise num_ctx, "
            "or ask for truncation", prompt_tokens=n_prompt, context_length=n_ctx)
    if int(error.get("code", 500)) == 400:
        return BadRequestError(message)
    return EngineError(message)


class LlamaRunner:
    """A GGUF model loaded for generation (or for embeddings with `embedding=True`)."""

    def __init__(self, model_path: Path, *, n_ctx: int, parallel: int = 1, threads: int = 2,
                 threads_http: int = 1, poll: int | None = None, embedding: bool = False,
                 pooling: str | None = None, debug: bool = False, prompt_cache_mib: int = 0,
                 projector: Path | None = None) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.parallel = parallel
        self.embedding = embedding
        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = n_ctx * parallel  # llama.cpp splits the KV cache across slots
        params.n_parallel = parallel
        params.kv_unified = False
        params.ctx_shift = False  # a full context ends the answer ("length") instead of rambling forever
        # the engine keeps up to 8 GiB of saved prompt states by default: RSS grew 87 % in a 10-minute
        # soak (bench/soak.py); the slots keep their own prompt cache either way
        params.cache_ram_mib = prompt_cache_mib
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.n_threads_http = threads_http
        if poll is not None:
            params.cpuparams.poll = params.cpuparams_batch.poll = poll
        params.port = 0
        params.embedding = embedding
        self.sees = projector is not None
        if projector is not None:  # images go through the engine's chat handler, given lokal's own prompt
            params.mmproj.path = str(projector)
            params.use_jinja = True
            params.chat_template = PASSTHROUGH
        # prompts are processed 512 tokens a step (prompt progress comes once a step; measured: a
        # 1,500-token prompt took 5.67 s in steps of 512 and 5.70 s in one step of 2,048)
        params.n_batch = 512
        params.verbosity = 1 if debug else -1
        if embedding:
            params.n_batch = params.n_ubatch = max(512, n_ctx)
            if pooling:  # generative models declare no pooling; the engine then refuses OpenAI embeddings
                params.pooling_type = getattr(xllamacpp.llama_pooling_type, f"LLAMA_POOLING_TYPE_{pooling.upper()}")
        self._key = secrets.token_urlsafe(24)
        params.api_keys = [self._key]
        started = time.perf_counter()
        try:
            self._server: Any = xllamacpp.Server(params)
        except Exception as exc:  # the engine raises bare RuntimeErrors
            raise EngineError(f"could not load {model_path.name}: {exc}") from None
        self.load_duration = time.perf_counter() - started
        self._address = self._server.listening_address
        self._closed = False
        self._lock = threading.Lock()

    # generation --------------------------------------------------------------------------------

    def complete(self, body: dict[str, Any], on_chunk: Callable[[Chunk], bool]) -> None:
        """Stream a completion; `on_chunk` returns True to stop generation."""
        self._check_open()
        failure: list[Exception] = []

        def callback(chunk: Chunk) -> bool:
            if "error" in chunk or ("code" in chunk and "message" in chunk and "choices" not in chunk):
                failure.append(engine_error(chunk))
                return True
            return bool(on_chunk(chunk))

        self._server.handle_completions({**body, "stream": True,
                                         "stream_options": {"include_usage": True}}, callback)
        if failure:
            raise failure[0]

    def complete_with_images(self, parts: list[dict[str, Any]], body: dict[str, Any],
                             on_chunk: Callable[[Chunk], bool]) -> None:
        """Stream a completion whose prompt holds images: `parts` are the prompt's text and
        image_url pieces in order (the engine's chat handler puts its media marker where each
        image is, and its passthrough template leaves lokal's prompt as it is)."""
        self._check_open()
        if not self.sees:
            raise BadRequestError("this model has no vision projector: it cannot read images")
        failure: list[Exception] = []

        def callback(chunk: Chunk) -> bool:
            if "error" in chunk or ("code" in chunk and "message" in chunk and "choices" not in chunk):
                failure.append(engine_error(chunk))
                return True
            for choice in chunk.get("choices") or []:  # chat deltas, read as completion text
                choice["text"] = (choice.get("delta") or {}).get("content") or ""
            return bool(on_chunk(chunk))

        request = {k: v for k, v in body.items() if k != "prompt"}
        if "n_predict" in request:
            request["max_tokens"] = request.pop("n_predict")
        self._server.handle_chat_completions({**request, "messages": [{"role": "user", "content": parts}],
                                              "stream": True, "stream_options": {"include_usage": True}}, callback)
        if failure:
            raise failure[0]

    def complete_once(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_open()
        result = self._server.handle_completions({**body, "stream": False})
        if "error" in result or "choices" not in result:
            raise engine_error(result)
        return dict(result)

    def embed(self, inputs: list[str]) -> dict[str, Any]:
        self._check_open()
        result = self._server.handle_embeddings({"input": inputs, "encoding_format": "float"})
        if "error" in result or "data" not in result:
            raise engine_error(result)
        return dict(result)

    def rerank(self, query: str, documents: list[str]) -> list[float]:
        """Scores in [0, 1] from a rank-pooling model (the engine returns the head's logits)."""
        self._check_open()
        result = self._server.handle_rerank({"query": query, "documents": documents, "top_n": len(documents)})
        if "error" in result or "results" not in result:
            raise engine_error(result)
        scores = [0.0] * len(documents)
        for item in result["results"]:
            scores[int(item["index"])] = 1 / (1 + math.exp(-float(item["relevance_score"])))
        return scores

    # tokenization (through the engine's locked listener) ---------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self._address + path, data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            raise engine_error(json.loads(exc.read() or b"{}")) from None
        except OSError as exc:
            raise EngineError(f"engine listener failed: {exc}") from None

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]:
        self._check_open()
        return list(self._post("/tokenize", {"content": text, "add_special": add_special,
                                             "parse_special": True})["tokens"])

    def detokenize(self, tokens: list[int]) -> str:
        self._check_open()
        return str(self._post("/detokenize", {"tokens": tokens})["content"])

    # lifecycle ---------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise EngineError("the model was unloaded")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                server, self._server = self._server, None
                del server
