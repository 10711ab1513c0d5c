"""A model served by a remote OpenAI-compatible engine (vLLM, llama-server, another lokal).

`FROM openai+https://host/v1 MODEL [KEY_ENV]` in a Modelfile makes such an alias. It offers the
same `stream(Request)` as a local model, so both APIs serve it alike: streaming, tools, JSON.
The API key is read from the named environment variable at request time, never stored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx

from ..errors import BadRequestError, DownloadError, LokalError
from ..store.models import Model
from .generate import Delta, Done, Event
from .prompt import Request, conversation
from .sampling import format_schema

_OPTION_NAMES = {"temperature": "temperature", "top_p": "top_p", "seed": "seed", "stop": "stop",
                 "num_predict": "max_tokens", "presence_penalty": "presence_penalty",
                 "frequency_penalty": "frequency_penalty", "top_k": "top_k", "min_p": "min_p"}


class RemoteModel:
    """Forwards native requests to a remote /v1/chat/completions."""

    def __init__(self, model: Model, client: httpx.Client | None = None) -> None:
        assert model.remote is not None
        self.model = model
        self.url = str(model.remote["url"]).rstrip("/")
        self.remote_name = str(model.remote["model"])
        self.key_env = str(model.remote.get("api_key_env") or "")
        self.client = client or httpx.Client(timeout=httpx.Timeout(600.0, connect=10.0))

    def body(self, request: Request) -> dict[str, Any]:
        if request.raw:
            raise BadRequestError(f"model '{self.model.name}' is remote: raw prompts are not supported")
        options = {**self.model.parameters, **request.options}
        body: dict[str, Any] = {"model": self.remote_name, "messages": conversation(self.model, request),
                                "stream": True, "stream_options": {"include_usage": True}}
        for name, value in options.items():
            if name in _OPTION_NAMES and not (name == "num_predict" and value < 0):
                body[_OPTION_NAMES[name]] = value
        if request.tools:
            body["tools"] = request.tools
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        schema = format_schema(request.format)
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
        if request.logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = request.top_logprobs
        return body

    def stream(self, request: Request) -> Iterator[Event]:
        started = time.perf_counter()
        headers = {"Accept": "text/event-stream"}
        if self.key_env:
            key = os.environ.get(self.key_env)
            if not key:
                raise LokalError(f"model '{self.model.name}' needs its API key in ${self.key_env}, which is not set")
            headers["Authorization"] = f"Bearer {key}"
        parts: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage: dict[str, Any] = {}
        reason = "stop"
        first_token: float | None = None
        try:
            with self.client.stream("POST", f"{self.url}/chat/completions", json=self.body(request),
                                    headers=headers) as response:
                if response.status_code >= 400:
                    detail = response.read().decode(errors="replace")[:500]
                    error = LokalError(f"remote engine {self.url} answered {response.status_code}: {detail}")
                    error.status = response.status_code if response.status_code < 500 else 502
                    raise error
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or []:
                        delta = choice.get("delta") or {}
                        if choice.get("finish_reason"):
                            reason = "length" if choice["finish_reason"] == "length" else "stop"
                        for call in delta.get("tool_calls") or []:
                            slot = calls.setdefault(int(call.get("index", 0)), {"id": call.get("id"), "name": "",
                                                                                  "arguments": ""})
                            fn = call.get("function") or {}
                            slot["name"] += fn.get("name") or ""
                            slot["arguments"] += fn.get("arguments") or ""
                        if text := delta.get("content"):
                            first_token = first_token or time.perf_counter()
                            parts.append(text)
                            yield Delta(text)
        except httpx.HTTPError as exc:
            raise DownloadError(f"remote engine {self.url} failed: {exc}") from None
        ended = time.perf_counter()
        tool_calls = []
        for slot in calls.values():
            try:
                arguments = json.loads(slot["arguments"] or "{}")
            except ValueError:
                arguments = {"_raw": slot["arguments"]}
            tool_calls.append({"id": slot["id"] or f"call_{len(tool_calls)}",
                               "function": {"name": slot["name"], "arguments": arguments}})
        yield Done(done_reason=reason, content="".join(parts),
                   prompt_eval_count=int(usage.get("prompt_tokens", 0)),
                   prompt_eval_duration=(first_token or ended) - started,
                   eval_count=int(usage.get("completion_tokens", 0)),
                   eval_duration=ended - (first_token or ended), total_duration=ended - started,
                   tool_calls=tool_calls)

    def _local_only(self, what: str) -> BadRequestError:
        return BadRequestError(f"model '{self.model.name}' is remote: {what} is served by local models only")

    def embed(self, inputs: list[Any]) -> dict[str, Any]:
        raise self._local_only("embedding")

    def rerank(self, query: str, documents: list[str]) -> list[float]:
        raise self._local_only("reranking")

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]:
        raise self._local_only("tokenization")

    def detokenize(self, tokens: list[int]) -> str:
        raise self._local_only("tokenization")

    def count_tokens(self, request: Request) -> int:
        raise self._local_only("token counting")

    def close(self) -> None:
        self.client.close()
