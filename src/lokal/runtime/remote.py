"""The runtime's twin over HTTP: the same calls, answered by a running `lokal serve` (its native API).

The CLI uses it when a server answers at LOKAL_HOST, as `ollama run` does: the model stays loaded
there, shared with every other client, instead of a second copy loading in the terminal's process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..client import Client
from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from .reply import Chat, Embeddings


def native_body(model: str, request: Request, keep_alive: float | None, knowledge: Any) -> tuple[str, dict[str, Any]]:
    """The Ollama API path and body for a native request."""
    body: dict[str, Any] = {"model": model, "options": request.options, "stream": True}
    if request.messages is not None:
        system = [{"role": "system", "content": request.system}] if request.system else []
        body["messages"] = system + request.messages
        path = "/api/chat"
    else:
        body.update(prompt=request.prompt or "", raw=request.raw)
        for field in ("system", "template", "suffix", "context"):
            if getattr(request, field) is not None:
                body[field] = getattr(request, field)
        path = "/api/generate"
    for field in ("format", "tools", "think"):
        if getattr(request, field) is not None:
            body[field] = getattr(request, field)
    if request.truncate:
        body["truncate"] = True
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    if knowledge is not None:
        body["knowledge"] = knowledge
    return path, body


class RemoteRuntime(Chat):
    def __init__(self, client: Client) -> None:
        self.client = client

    def generate(self, model: str, request: Request, *, keep_alive: float | None = None,
                 knowledge: Any = None) -> Iterator[Event]:
        path, body = native_body(model, request, keep_alive, knowledge)
        parts: list[str] = []
        thoughts: list[str] = []
        for chunk in self.client.stream(path, body):
            message = chunk.get("message") or {}
            text = message.get("content", "") if path == "/api/chat" else chunk.get("response", "")
            thinking = message.get("thinking", "") if path == "/api/chat" else chunk.get("thinking", "")
            if not chunk.get("done"):
                parts.append(text)
                thoughts.append(thinking or "")
                yield Delta(text, thinking=thinking or "")
                continue
            seconds = {k: int(chunk.get(k) or 0) / 1e9 for k in
                       ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")}
            calls = [{"id": f"call_{i}", "function": c["function"]} for i, c in enumerate(message.get("tool_calls") or [])]
            yield Done(done_reason=chunk.get("done_reason", "stop"), content="".join(parts), thinking="".join(thoughts),
                       prompt_eval_count=int(chunk.get("prompt_eval_count") or 0),
                       eval_count=int(chunk.get("eval_count") or 0), citations=chunk.get("citations"),
                       tool_calls=calls, context=chunk.get("context"), **seconds)

    def embed(self, model: str, inputs: list[str], *, truncate: bool = True, keep_alive: float | None = None,
              options: dict[str, Any] | None = None, dimensions: int | None = None) -> Embeddings:
        body: dict[str, Any] = {"model": model, "input": inputs, "truncate": truncate, "options": options or {}}
        if keep_alive is not None:
            body["keep_alive"] = keep_alive
        if dimensions:
            body["dimensions"] = dimensions
        answer = self.client.request("POST", "/api/embed", json=body)
        return Embeddings(answer["embeddings"], int(answer.get("prompt_eval_count") or 0),
                          int(answer.get("load_duration") or 0) / 1e9)

    def rerank(self, model: str, query: str, documents: list[str], *, keep_alive: float | None = None) -> list[float]:
        answer = self.client.request("POST", "/api/rerank", json={"model": model, "query": query, "documents": documents,
                                                                  "keep_alive": keep_alive})
        scores = [0.0] * len(documents)
        for result in answer["results"]:
            scores[int(result["index"])] = float(result["relevance_score"])
        return scores

    def tokenize(self, model: str, text: str) -> list[int]:
        return list(self.client.request("POST", "/api/tokenize", json={"model": model, "content": text})["tokens"])

    def detokenize(self, model: str, tokens: list[int]) -> str:
        return str(self.client.request("POST", "/api/detokenize", json={"model": model, "tokens": tokens})["content"])

    def load(self, model: str, *, keep_alive: float | None = None) -> None:
        self.client.request("POST", "/api/generate", json={"model": model, "keep_alive": keep_alive})

    def unload(self, model: str) -> bool:
        loaded = any(row.get("name") == model or row.get("model") == model for row in self.loaded())
        self.client.request("POST", "/api/generate", json={"model": model, "keep_alive": 0})
        return loaded

    def loaded(self) -> list[dict[str, Any]]:
        return list(self.client.request("GET", "/api/ps")["models"])

    def close(self) -> None:
        self.client.close()
