"""`lokal run` through a running server, as `ollama run` does: the model stays loaded there, shared
with every other client, instead of a second copy loading in the terminal's process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..client import Client
from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from ..store.gguf import GGUFInfo
from ..store.models import Model


class ServedModel:
    """Stands in for a `LoadedModel` in a chat session; generation happens in the server."""

    load_duration = 0.0  # the server reports its own, per answer

    def __init__(self, client: Client, model: Model, info: GGUFInfo | None) -> None:
        self.client = client
        self.model = model
        self.info = info

    def stream(self, request: Request, knowledge: dict[str, Any] | None = None) -> Iterator[Event]:
        """Chat through the server; with `knowledge`, answered from those bases (Done has citations)."""
        system = [{"role": "system", "content": request.system}] if request.system else []
        body: dict[str, Any] = {"model": str(self.model.name), "messages": system + (request.messages or []),
                                "options": request.options, "stream": True}
        if request.format:
            body["format"] = request.format
        if knowledge:
            body["knowledge"] = knowledge
        parts: list[str] = []
        for chunk in self.client.stream("/api/chat", body):
            if not chunk.get("done"):
                text = chunk.get("message", {}).get("content", "")
                parts.append(text)
                yield Delta(text)
                continue
            seconds = {k: int(chunk.get(k) or 0) / 1e9 for k in
                       ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")}
            yield Done(done_reason=chunk.get("done_reason", "stop"), content="".join(parts),
                       prompt_eval_count=int(chunk.get("prompt_eval_count") or 0),
                       eval_count=int(chunk.get("eval_count") or 0), citations=chunk.get("citations"),
                       **seconds)

    def close(self) -> None:
        self.client.close()
