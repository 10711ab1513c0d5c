"""Pure converters between OpenAI's wire format and lokal's native request and events (G5)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..engine.generate import Delta, Done, Event, Progress
from ..engine.prompt import Request
from ..engine.vision import strip_data_url
from ..errors import BadRequestError
from ..options import OPTIONS, coerce_options
from .fields import tools_of
from .openai_schemas import ChatCompletionRequest, CompletionRequest, ResponsesRequest

_SAMPLING = {"temperature": "temperature", "top_p": "top_p", "seed": "seed",
             "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty"}


def sampling_options(body: ChatCompletionRequest | CompletionRequest | ResponsesRequest,
                     max_tokens: int | None) -> dict[str, Any]:
    """Native options from an OpenAI body: its sampling fields, and Ollama options sent as extras."""
    extras = dict(body.model_extra or {})
    options: dict[str, Any] = dict(extras.pop("options", None) or {})
    options.update({k: v for k, v in extras.items() if k in OPTIONS})  # Ollama options as body extras
    for field, name in _SAMPLING.items():
        value = getattr(body, field, None)
        if value is not None:
            options[name] = value
    stop = getattr(body, "stop", None)
    if stop is not None:
        options["stop"] = [stop] if isinstance(stop, str) else stop
    if max_tokens is not None:
        options["num_predict"] = max_tokens
    return coerce_options(options)[0]


def text_of(content: Any, where: str = "content", images: list[str] | None = None) -> str:
    """The text of a message's content: a string, or parts (chat's `text`, Responses' `input_text` and
    `output_text`). Image parts (chat's `image_url`, Responses' `input_image`, as data URLs) go to
    `images` as base64 where the caller collects them; audio and files are refused."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list) or not all(isinstance(p, dict) and isinstance(p.get("text", ""), str)
                                                for p in content):
        raise BadRequestError(f"{where} must be a string or a list of parts like {{\"type\": \"text\", \"text\": \"…\"}}")
    parts = []
    for number, part in enumerate(content):
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append(part.get("text", ""))
        elif kind in ("image_url", "input_image") and images is not None:
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            if not isinstance(url, str):
                raise BadRequestError(f"{where}.{number}: an image part needs image_url")
            images.append(strip_data_url(url, f"{where}.{number}"))
        elif kind in ("image_url", "input_image", "input_audio", "input_file"):
            raise BadRequestError(f"{where}.{number}: {kind} parts are not supported here")
    return "".join(parts)


def native_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        role = m.get("role")
        if role == "developer":
            role = "system"
        images: list[str] = []
        message: dict[str, Any] = {"role": role, "content": text_of(m.get("content"), images=images)}
        if images:
            message["images"] = images
        if m.get("tool_calls"):
            calls = []
            for call in m["tool_calls"]:
                fn = call.get("function", {})
                args = fn.get("arguments") or "{}"
                try:
                    parsed = json.loads(args) if isinstance(args, str) else args
                except ValueError:
                    parsed = {}
                calls.append({"id": call.get("id"), "function": {"name": fn.get("name"), "arguments": parsed}})
            message["tool_calls"] = calls
        if role == "tool" and m.get("name"):
            message["tool_name"] = m["name"]
        out.append(message)
    return out


def chat_request(body: ChatCompletionRequest) -> Request:
    if body.n != 1:
        raise BadRequestError("n must be 1")
    format_: Any = None
    rf = body.response_format or {}
    if rf.get("type") == "json_object":
        format_ = "json"
    elif rf.get("type") == "json_schema":
        schema = (rf.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise BadRequestError("response_format.json_schema.schema must be a JSON schema object")
        format_ = schema
    extras = body.model_extra or {}
    return Request(messages=native_messages([m.model_dump(exclude_none=True) for m in body.messages]),
                   tools=tools_of(body.tools),
                   tool_choice=body.tool_choice if body.tools else None, format=format_,
                   options=sampling_options(body, body.max_completion_tokens or body.max_tokens),
                   logprobs=body.logprobs, top_logprobs=body.top_logprobs or 0,
                   truncate=bool(extras.get("truncate", False)), think=think_of(body.reasoning_effort, extras),
                   progress=body.stream and extras.get("return_progress") is True)


def think_of(effort: str | None, extras: dict[str, Any]) -> bool | str | None:
    """`reasoning_effort` (or Ollama's `think` sent as an extra) as the native `think`."""
    if effort is not None:
        return False if effort in ("none", "minimal") else effort
    think = extras.get("think")
    if think is None or isinstance(think, bool) or think in ("low", "medium", "high"):
        return think
    raise BadRequestError("think must be true, false, low, medium or high")



def completion_request(body: CompletionRequest) -> Request:
    if body.n != 1:
        raise BadRequestError("n must be 1")
    prompt = body.prompt
    if isinstance(prompt, list):
        if len(prompt) != 1 or not isinstance(prompt[0], str):
            raise BadRequestError("prompt must be one string")
        prompt = prompt[0]
    return Request(prompt=prompt, raw=True, suffix=body.suffix or None,
                   progress=body.stream and (body.model_extra or {}).get("return_progress") is True, options=sampling_options(body, body.max_tokens),
                   logprobs=body.logprobs is not None, top_logprobs=body.logprobs or 0)


def finish_reason(done: Done) -> str:
    return "tool_calls" if done.tool_calls else done.done_reason


def usage(done: Done) -> dict[str, int]:
    return {"prompt_tokens": done.prompt_eval_count, "completion_tokens": done.eval_count,
            "total_tokens": done.prompt_eval_count + done.eval_count}


def openai_tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"index": i, "id": c["id"], "type": "function",
             "function": {"name": c["function"]["name"], "arguments": json.dumps(c["function"]["arguments"])}}
            for i, c in enumerate(calls)]


def _logprobs(entries: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not entries:
        return None
    return {"content": [{"token": e.get("token", ""), "logprob": e.get("logprob", 0.0), "bytes": e.get("bytes"),
                         "top_logprobs": [{"token": t.get("token", ""), "logprob": t.get("logprob", 0.0),
                                           "bytes": t.get("bytes")} for t in e.get("top_logprobs") or []]}
                        for e in entries]}


class Ids:
    def __init__(self, prefix: str) -> None:
        self.id = f"{prefix}-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())


def chat_chunks(model: str, events: Iterator[Event], include_usage: bool) -> Iterator[dict[str, Any]]:
    ids = Ids("chatcmpl")
    base = {"id": ids.id, "object": "chat.completion.chunk", "created": ids.created, "model": model,
            "system_fingerprint": "lokal"}
    first = True
    for event in events:
        if isinstance(event, Progress):
            yield {**base, "choices": [], "prompt_progress": event.as_dict()}
        elif isinstance(event, Delta):
            delta: dict[str, Any] = {"content": event.content}
            if event.thinking:
                delta["reasoning_content"] = event.thinking  # llama-server's and DeepSeek's field
            if first:
                delta["role"] = "assistant"
                first = False
            yield {**base, "choices": [{"index": 0, "delta": delta, "logprobs": _logprobs(event.logprobs),
                                        "finish_reason": None}]}
        else:
            delta = {"role": "assistant"} if first else {}
            if event.tool_calls:
                delta["tool_calls"] = openai_tool_calls(event.tool_calls)
            final = {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                          "finish_reason": finish_reason(event)}]}
            if event.citations is not None:
                final["citations"] = event.citations  # lokal's extension, like Perplexity's top-level field
            yield final
            if include_usage:
                yield {**base, "choices": [], "usage": usage(event)}


def merge_chat(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    final = next(c for c in reversed(chunks) if c["choices"])
    calls = final["choices"][0]["delta"].get("tool_calls")
    message: dict[str, Any] = {"role": "assistant", "content": content or (None if calls else "")}
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content", "") for c in chunks if c["choices"])
    if reasoning:
        message["reasoning_content"] = reasoning
    if calls:
        message["tool_calls"] = [{k: v for k, v in call.items() if k != "index"} for call in calls]
    logprobs = [lp for c in chunks if c["choices"] for lp in (c["choices"][0].get("logprobs") or {}).get("content", [])]
    return {"id": final["id"], "object": "chat.completion", "created": final["created"], "model": final["model"],
            "system_fingerprint": "lokal",
            "choices": [{"index": 0, "message": message, "logprobs": {"content": logprobs} if logprobs else None,
                         "finish_reason": final["choices"][0]["finish_reason"]}],
            "usage": chunks[-1].get("usage"), **({"citations": final["citations"]} if "citations" in final else {})}


def completion_chunks(model: str, events: Iterator[Event], include_usage: bool) -> Iterator[dict[str, Any]]:
    ids = Ids("cmpl")
    base = {"id": ids.id, "object": "text_completion", "created": ids.created, "model": model,
            "system_fingerprint": "lokal"}
    for event in events:
        if isinstance(event, Progress):
            yield {**base, "choices": [], "prompt_progress": event.as_dict()}
        elif isinstance(event, Delta):
            yield {**base, "choices": [{"index": 0, "text": event.content, "logprobs": None, "finish_reason": None}]}
        else:
            yield {**base, "choices": [{"index": 0, "text": "", "logprobs": None,
                                        "finish_reason": event.done_reason}]}
            if include_usage:
                yield {**base, "choices": [], "usage": usage(event)}


def merge_completion(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    final = next(c for c in reversed(chunks) if c["choices"])
    text = "".join(c["choices"][0]["text"] for c in chunks if c["choices"])
    return {**{k: final[k] for k in ("id", "object", "created", "model", "system_fingerprint")},
            "choices": [{"index": 0, "text": text, "logprobs": None,
                         "finish_reason": final["choices"][0]["finish_reason"]}],
            "usage": chunks[-1].get("usage")}
