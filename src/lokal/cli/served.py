"""`lokal run` through a running server, as `ollama run` does: the model stays loaded there, shared
with every other client, instead of a second copy loading in the terminal's process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..client import Client
from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from ..errors import LokalError
from ..store.gguf import GGUFInfo
from ..store.models import Model


class ServedModel:
    """Stands in for a `LoadedModel` in a chat session; generation happens in the server."""

    load_duration = 0.0  # the server reports its own, per answer

    def __init__(self, client: Client, model: Model, info: GGUFInfo | None) -> None:
        self.client = client
        self.model = model
        self.info = info

    def stream(self, request: Request) -> Iterator[Event]:
        system = [{"role": "system", "content": request.system}] if request.system else []
        body: dict[str, Any] = {"model": str(self.model.name), "messages": system + (request.messages or []),
                                "options": request.options, "stream": True}
        if request.format:
            body["format"] = request.format
        parts: list[str] = []
        try:
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
                           eval_count=int(chunk.get("eval_count") or 0), **seconds)
        except LokalError as exc:
            if getattr(exc, "status", 0) == 404:
                raise LokalError(f"the server at {self.client.base_url} has no model '{self.model.name}' "
                                 "(does it use another LOKAL_HOME?)") from None
            raise

    def close(self) -> None:
        self.client.close()
