"""The Python-facing shapes of the runtime: `chat()` and `ask()` over `generate()`, and what they return.

    import lokal
    with lokal.Runtime() as rt:
        print(rt.chat("starter/smollm2", "Why is the sky blue?").content)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from ..options import coerce_options


@dataclass
class Reply:
    """A finished answer."""

    content: str
    done_reason: str = "stop"
    thinking: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] | None = None  # for a knowledge-grounded answer
    prompt_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @classmethod
    def of(cls, done: Done) -> Reply:
        return cls(done.content, done.done_reason, done.thinking, done.tool_calls, done.citations,
                   done.prompt_eval_count, done.eval_count, done.total_duration)


@dataclass
class Embeddings:
    vectors: list[list[float]]  # L2-normalised, one per input
    prompt_tokens: int
    load_seconds: float


class Streamed:
    """The answer's text as it is generated; `reply` holds the whole answer once iteration ends.
    Breaking out of the loop (or `close()`) stops generation."""

    def __init__(self, events: Iterator[Event]) -> None:
        self._events = events
        self.reply: Reply | None = None

    def __iter__(self) -> Iterator[str]:
        for event in self._events:
            if isinstance(event, Done):
                self.reply = Reply.of(event)
            elif isinstance(event, Delta) and event.content:
                yield event.content

    def close(self) -> None:
        self._events.close()  # type: ignore[attr-defined]


class Chat:
    """`chat()` and `ask()` for any runtime that has `generate()` (local or remote); a context manager."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def generate(self, model: str, request: Request, *, keep_alive: float | None = None,
                 knowledge: Any = None) -> Iterator[Event]:
        raise NotImplementedError

    def chat(self, model: str, messages: str | list[dict[str, Any]], *, system: str | None = None,
             stream: bool = False, knowledge: Any = None, format: str | dict[str, Any] | None = None,
             tools: list[dict[str, Any]] | None = None, think: bool | str | None = None,
             **options: Any) -> Reply | Streamed:
        """Answer a message (a string) or a conversation; `options` are Ollama's (temperature, num_predict…)."""
        turns = [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
        request = Request(messages=turns, system=system, format=format, tools=tools, think=think,
                          options=coerce_options(options)[0])
        events = self.generate(model, request, knowledge=knowledge)
        if stream:
            return Streamed(events)
        done = next(e for e in events if isinstance(e, Done))
        return Reply.of(done)

    def ask(self, bases: str | list[str], question: str, *, model: str, stream: bool = False,
            **retrieval: Any) -> Reply | Streamed:
        """Answer from knowledge bases, with citations; `retrieval` as the API's (top_k, mode, rerank…)."""
        spec = {"bases": [bases] if isinstance(bases, str) else list(bases), **retrieval}
        return self.chat(model, question, knowledge=spec, stream=stream)
