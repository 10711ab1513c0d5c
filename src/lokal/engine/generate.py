"""The one generation path: a loaded model turns a native `Request` into a stream of events.

Every surface (CLI, Ollama API, OpenAI API, knowledge answers, batch) goes through `stream()`.
The engine runs in a worker thread and hands chunks over a queue; closing the iterator (a client
that went away, Ctrl-C) stops generation at the next token and frees the slot.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequestError, ContextOverflowError
from ..store.gguf import GGUFInfo
from ..store.models import Model
from .prompt import Request, choose_template, conversation, render_prompt
from .runner import LlamaRunner
from .sampling import check_schema, format_schema, sampling_body
from .thinking import CLOSE, Splitter, starts_thinking, thinks
from .vision import image_parts, images_of, mark_images, new_sentinel
from .tools import PREFIXES, call_schema, parse_tool_calls, tool_names, with_ids


@dataclass
class Delta:
    """Generated text (and its logprobs) since the last event."""

    content: str = ""
    logprobs: list[dict[str, Any]] | None = None
    thinking: str = ""  # reasoning text of a thinking model, kept apart from the answer


@dataclass
class Done:
    """The end of a generation, with Ollama's counters (durations in seconds)."""

    done_reason: str
    content: str
    prompt_eval_count: int = 0
    prompt_eval_duration: float = 0.0
    eval_count: int = 0
    eval_duration: float = 0.0
    load_duration: float = 0.0
    total_duration: float = 0.0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    context: list[int] | None = None
    truncated: bool = False
    citations: list[dict[str, Any]] | None = None  # the sources a knowledge-grounded answer drew on
    thinking: str = ""


@dataclass
class Progress:
    """How far the engine is through the prompt (llama-server's `prompt_progress`), when asked for."""

    total: int
    cache: int
    processed: int
    time_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "cache": self.cache, "processed": self.processed, "time_ms": self.time_ms}


Event = Delta | Done | Progress


@dataclass
class Rendered:
    """A rendered prompt: its text (with a sentinel where each image goes) and those images."""

    text: str
    truncated: bool
    images: list[str] = field(default_factory=list)
    sentinel: str = ""
_END = object()


class LoadedModel:
    """A stored model with its engine runner."""

    def __init__(self, model: Model, info: GGUFInfo, runner: LlamaRunner) -> None:
        self.model = model
        self.info = info
        self.runner = runner
        self.active = 0
        self._active_lock = threading.Lock()

    @property
    def context_length(self) -> int:
        return self.runner.n_ctx

    @property
    def load_duration(self) -> float:
        return self.runner.load_duration

    def options(self, request: Request) -> dict[str, Any]:
        return {**self.model.parameters, **request.options}

    def prompt_for(self, request: Request) -> Rendered:
        """Render the prompt; with `truncate`, drop the oldest turns until it fits.

        A prompt too long in characters to fit is refused (or truncated) before it is tokenized."""
        sentinel = new_sentinel()
        messages = conversation(self.model, request)
        if any(m.get("images") for m in messages):
            messages = mark_images(messages, sentinel)
        n_ctx = self.context_length
        if request.context:
            self.check_tokens(request.context, "context")
        if request.context and len(request.context) >= n_ctx:
            raise ContextOverflowError(f"context holds {len(request.context)} tokens but the model's context is {n_ctx}",
                                       prompt_tokens=len(request.context), context_length=n_ctx)
        if not request.truncate or request.raw or request.suffix is not None:
            text = render_prompt(self.model, self.info, request, messages, context_length=n_ctx)
            if request.raw:  # a raw prompt has no template to place them: the images come first
                text = sentinel * len(images_of(messages)) + text
            return Rendered(text, False, images_of(messages), sentinel)
        limit = n_ctx - max(1, int(self.options(request).get("num_predict", 0) or 0), 16)
        truncated = False
        while True:
            droppable = [i for i, m in enumerate(messages) if m.get("role") != "system"]
            try:
                text = render_prompt(self.model, self.info, request, messages, context_length=n_ctx)
            except ContextOverflowError:
                if len(droppable) <= 1:  # even the last turn alone is too long
                    raise
            else:
                if len(droppable) <= 1 or len(self.runner.tokenize(text)) <= limit:
                    return Rendered(text, truncated, images_of(messages), sentinel)
            messages.pop(droppable[0])
            truncated = True

    def body(self, request: Request, prompt: str) -> dict[str, Any]:
        options = self.options(request)
        body: dict[str, Any] = {"prompt": prompt, **sampling_body(options)}
        if request.context and request.prompt is not None and not request.messages:
            body["prompt"] = [*request.context, *self.runner.tokenize(prompt, add_special=False)]
        schema = format_schema(request.format)
        choice = request.tool_choice
        if request.tools and (choice == "required" or isinstance(choice, dict)):
            only = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
            if only and only not in tool_names(request.tools):
                raise BadRequestError(f"tool_choice names {only!r}, which is not among the tools")
            schema = call_schema(request.tools, only)
        if schema is not None:
            body["json_schema"] = check_schema(schema, "tools" if request.format is None else "format")
        if request.logprobs:
            body["n_probs"] = max(1, request.top_logprobs)
        if request.progress:
            body["return_progress"] = True
        return body

    def _engine(self, body: dict[str, Any], logprobs: bool, final: dict[str, Any]) -> Iterator[Delta | Progress]:
        """The engine's raw text for one completion; `final` gets its finish reason, usage and
        timings. The engine runs in a worker thread; closing this iterator stops it."""
        events: queue.Queue[Any] = queue.Queue()
        cancel = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            if cancel.is_set():
                return True
            if "prompt_progress" in chunk:
                p = chunk["prompt_progress"]
                events.put(Progress(int(p.get("total", 0)), int(p.get("cache", 0)), int(p.get("processed", 0)),
                                    float(p.get("time_ms", 0.0))))
            choice = (chunk.get("choices") or [{}])[0]
            text = choice.get("text") or ""
            probs = (choice.get("logprobs") or {}).get("content") if logprobs else None
            if text or probs:
                events.put(Delta(text, probs))
            if choice.get("finish_reason"):
                final["reason"] = choice["finish_reason"]
            if "usage" in chunk:
                final.setdefault("usage", []).append(chunk["usage"])
                final.setdefault("timings", []).append(chunk.get("timings", {}))
            return False

        def work() -> None:
            try:
                if "parts" in body:
                    parts = body["parts"]
                    self.runner.complete_with_images(parts, {k: v for k, v in body.items() if k != "parts"}, on_chunk)
                else:
                    self.runner.complete(body, on_chunk)
            except Exception as exc:  # handed to the consumer, raised there
                events.put(exc)
            events.put(_END)

        worker = threading.Thread(target=work, name="lokal-generate", daemon=True)
        worker.start()
        try:
            while (item := events.get()) is not _END:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            cancel.set()
            worker.join()

    def splitter(self, request: Request, prompt: str) -> Splitter | None:
        """A thinking splitter when the model thinks and the request did not turn thinking off."""
        if request.raw or request.suffix is not None or request.think is False:
            return None
        if not thinks(choose_template(self.model, self.info, request.template).source):
            return None
        return Splitter(inside=starts_thinking(prompt))

    def stream(self, request: Request) -> Iterator[Event]:
        """Generate; yields Delta events then one Done. Closing the iterator cancels.

        A thinking model's reasoning comes as Delta.thinking. With a thinking budget or a grammar,
        the reasoning runs first, unconstrained, up to its close tag (or the budget, where the tag
        is written for the model); the answer then continues from there under the grammar."""
        started = time.perf_counter()
        rendered = self.prompt_for(request)
        prompt, truncated = rendered.text, rendered.truncated
        body = self.body(request, prompt)
        if rendered.images:
            body["parts"] = image_parts(prompt, rendered.images, rendered.sentinel)
        forced = "json_schema" in body and bool(request.tools) and request.format is None
        watch_tools = bool(request.tools) and request.tool_choice != "none" and not forced
        split = self.splitter(request, prompt)
        budget = self.options(request).get("think_budget")
        phased = split is not None and isinstance(body["prompt"], str) and "parts" not in body and (
            "json_schema" in body or budget is not None)
        answer_body = body
        if phased:
            body = {k: v for k, v in body.items() if k != "json_schema"}
        budget = float("inf") if budget is None else budget
        spent = 0
        final: dict[str, Any] = {}
        raw: list[str] = []
        thoughts: list[str] = []
        text_parts: list[str] = []
        held: list[str] = []
        holding = watch_tools
        with self._active_lock:
            self.active += 1
        try:
            phases = [body]
            while phases:
                engine = self._engine(phases.pop(), request.logprobs, final)
                try:
                    for item in engine:
                        if isinstance(item, Progress):
                            yield item
                            continue
                        raw.append(item.content)
                        if split is not None:
                            thinking, item.content = split.feed(item.content)
                            if thinking:
                                thoughts.append(thinking)
                                yield Delta(thinking=thinking)
                            spent += split.inside
                            if phased and (split.done or spent >= budget):
                                phases.append(self._answer_body(answer_body, prompt, "".join(raw), split, request))
                                phased = False
                                break
                        if not item.content and not item.logprobs:
                            continue
                        text_parts.append(item.content)
                        if forced:
                            continue
                        if holding:
                            held.append(item.content)
                            seen = "".join(held).lstrip()
                            if not seen or any(p.startswith(seen) or seen.startswith(p) for p in PREFIXES):
                                continue
                            holding = False
                            item = Delta("".join(held), item.logprobs)
                            held = []
                        yield item
                    else:  # the engine stopped inside the reasoning: close it, so the answer still comes
                        if phased and split is not None and split.inside:
                            phases.append(self._answer_body(answer_body, prompt, "".join(raw), split, request))
                            phased = False
                finally:
                    engine.close()
        finally:
            with self._active_lock:
                self.active -= 1
        if split is not None:
            thinking, rest = split.flush()
            thoughts.append(thinking)
            text_parts.append(rest)
        content = "".join(text_parts)
        calls: list[dict[str, Any]] = []
        if forced:
            content, calls = parse_tool_calls(content, request.tools or [])
        elif watch_tools:
            content, calls = parse_tool_calls(content, request.tools or [])
            if holding and content:
                yield Delta(content)
        timings = final.get("timings", [{}])
        usage = final.get("usage", [{}])
        reason = "length" if final.get("reason") == "length" else "stop"
        context = None
        if request.want_context and not request.messages:
            context = self.runner.tokenize(prompt + content, add_special=False)
        yield Done(
            done_reason=reason, content=content, thinking="".join(thoughts).strip(),
            prompt_eval_count=int(usage[0].get("prompt_tokens", timings[0].get("prompt_n", 0))),
            prompt_eval_duration=sum(float(t.get("prompt_ms", 0.0)) for t in timings) / 1000,
            eval_count=sum(int(t.get("predicted_n", u.get("completion_tokens", 0))) for t, u in zip(timings, usage)),
            eval_duration=sum(float(t.get("predicted_ms", 0.0)) for t in timings) / 1000,
            total_duration=time.perf_counter() - started,
            tool_calls=with_ids(calls), context=context, truncated=truncated,
        )

    def _answer_body(self, body: dict[str, Any], prompt: str, raw: str, split: Splitter,
                     request: Request) -> dict[str, Any]:
        """The second phase: the answer, continuing the prompt after the reasoning (closed for the
        model if its budget ran out; any answer text already begun is generated again under the grammar)."""
        if split.done:  # the model closed its reasoning (or answered without any)
            at = raw.rfind(CLOSE)
            raw = raw[:at + len(CLOSE)] + "\n\n" if at >= 0 else ""
        else:
            raw += split.close()
        limit = int(self.options(request).get("num_predict", -1) or -1)
        spent = len(self.runner.tokenize(raw, add_special=False))
        return {**body, "prompt": prompt + raw, "n_predict": max(1, limit - spent) if limit > 0 else -1}

    def complete(self, request: Request) -> Done:
        """Run to the end and return the final event."""
        done: Done | None = None
        for event in self.stream(request):
            if isinstance(event, Done):
                done = event
        assert done is not None
        return done

    def embed(self, inputs: list[Any]) -> dict[str, Any]:
        return self.runner.embed(inputs)

    def rerank(self, query: str, documents: list[str]) -> list[float]:
        if self.runner.embedding:  # a cross-encoder loaded with rank pooling
            return self.runner.rerank(query, documents)
        from .rerank import judge_scores

        return judge_scores(self, query, documents)

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]:
        return self.runner.tokenize(text, add_special=add_special)

    def check_tokens(self, tokens: list[int], what: str = "tokens") -> None:
        size = self.info.vocab_size
        wrong = next((t for t in tokens if not 0 <= t < size), None)
        if wrong is not None:
            raise BadRequestError(f"{what} holds token {wrong}, which is not in the model's vocabulary of {size:,}")

    def detokenize(self, tokens: list[int]) -> str:
        self.check_tokens(tokens)
        return self.runner.detokenize(tokens)

    def count_tokens(self, request: Request) -> int:
        """How many tokens the request's prompt is, as the model would see it."""
        return len(self.runner.tokenize(self.prompt_for(request).text))

    def close(self) -> None:
        self.runner.close()

