"""Anthropic's Messages API as an adapter over the native path: content blocks → native request,
native events → the named event stream (`message_start` … `message_stop`).

Block by block: text joins into the turn's content; `tool_use` becomes the assistant's tool calls
and `tool_result` a tool message named after the call it answers; `thinking` is kept on the turn;
base64 images travel as the turn's images (a text-only model refuses them). Stop reasons: a tool
call is `tool_use`, the token limit `max_tokens`, anything else `end_turn`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from ..errors import BadRequestError
from ..options import coerce_options
from .anthropic_schemas import Block, CountTokensRequest, MessagesRequest


def _text(content: str | list[Block] | None, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    parts = []
    for block in content:
        if block.type != "text":
            raise BadRequestError(f"{where}: only text blocks may appear here, not {block.type!r}")
        parts.append(block.text or "")
    return "\n".join(parts)


def _image(block: Block, where: str) -> str:
    if block.source is None or block.source.type != "base64" or not block.source.data:
        raise BadRequestError(f"{where}: images must be inline base64 (lokal fetches no URLs)")
    return block.source.data


def native_messages(body: CountTokensRequest) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    system = _text(body.system, "system")
    if system:
        messages.append({"role": "system", "content": system})
    names: dict[str, str] = {}  # tool_use id → tool name, for the results that answer them
    for number, message in enumerate(body.messages):
        where = f"messages.{number}"
        if isinstance(message.content, str):
            messages.append({"role": message.role, "content": message.content})
            continue
        turn: dict[str, Any] = {"role": message.role, "content": ""}
        texts: list[str] = []
        for index, block in enumerate(message.content):
            at = f"{where}.content.{index}"
            if block.type == "text":
                texts.append(block.text or "")
            elif block.type == "image":
                turn.setdefault("images", []).append(_image(block, at))
            elif block.type == "tool_use" and message.role == "assistant":
                names[block.id or ""] = block.name or ""
                turn.setdefault("tool_calls", []).append(
                    {"id": block.id, "function": {"name": block.name, "arguments": block.input or {}}})
            elif block.type == "tool_result" and message.role == "user":
                result = block.content if isinstance(block.content, str) else _text(block.content, at)
                messages.append({"role": "tool", "content": ("error: " if block.is_error else "") + result,
                                 "tool_name": names.get(block.tool_use_id or "", "")})
            elif block.type == "thinking" and message.role == "assistant":
                turn["thinking"] = block.thinking or ""
            elif block.type != "redacted_thinking":
                raise BadRequestError(f"{at}: a {block.type!r} block is not supported in a {message.role} turn")
        turn["content"] = "\n".join(texts)
        if texts or "images" in turn or "tool_calls" in turn or "thinking" in turn:
            messages.append(turn)
    return messages


def _tools(body: CountTokensRequest) -> tuple[list[dict[str, Any]] | None, Any]:
    tools = [{"type": "function", "function": {"name": t.name, "description": t.description or "",
                                               "parameters": t.input_schema}} for t in body.tools or []]
    choice: Any = None
    if body.tool_choice is not None:
        kind = body.tool_choice.type
        if kind == "tool":
            if not body.tool_choice.name:
                raise BadRequestError("tool_choice of type tool needs a name")
            choice = {"type": "function", "function": {"name": body.tool_choice.name}}
        else:
            choice = {"auto": None, "any": "required", "none": "none"}[kind]
    return tools or None, choice if tools else None


def _think(body: CountTokensRequest) -> tuple[bool | None, int | None]:
    """(think, budget) from `thinking`: budget_tokens becomes the `think_budget` option."""
    if body.thinking is None:
        return None, None
    if body.thinking.type == "disabled":
        return False, None
    return True, body.thinking.budget_tokens


def native_request(body: CountTokensRequest) -> Request:
    tools, choice = _tools(body)
    think, budget = _think(body)
    options: dict[str, Any] = {}
    if isinstance(body, MessagesRequest):
        options = {"num_predict": body.max_tokens}
        for name in ("temperature", "top_p", "top_k"):
            if getattr(body, name) is not None:
                options[name] = getattr(body, name)
        if body.stop_sequences:
            options["stop"] = body.stop_sequences
        options.update(coerce_options((body.model_extra or {}).get("options") or {})[0])  # Ollama options as an extra
    if budget is not None:
        options["think_budget"] = budget
    return Request(messages=native_messages(body), tools=tools, tool_choice=choice, think=think,
                   options=coerce_options(options)[0])


def _stop_reason(done: Done) -> str:
    if done.tool_calls:
        return "tool_use"
    return "max_tokens" if done.done_reason == "length" else "end_turn"


def message_events(model: str, events: Iterator[Event]) -> Iterator[dict[str, Any]]:
    """The Messages event stream. The first native event is awaited before `message_start`, so an
    error before any output (unknown model, prompt too long) keeps its HTTP status."""
    iterator = iter(events)
    first = next(iterator)
    message = {"id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant", "model": model,
               "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 0, "output_tokens": 0}}
    yield {"type": "message_start", "message": message}
    index, kind = -1, ""

    def switch(to: str) -> Iterator[dict[str, Any]]:
        """Close the open block (if any) and open one of kind `to` (none for '')."""
        nonlocal index, kind
        if kind:
            if kind == "thinking":
                yield {"type": "content_block_delta", "index": index, "delta": {"type": "signature_delta", "signature": ""}}
            yield {"type": "content_block_stop", "index": index}
        kind = to
        if to:
            index += 1
            block = {"type": "text", "text": ""} if to == "text" else {"type": "thinking", "thinking": "", "signature": ""}
            yield {"type": "content_block_start", "index": index, "content_block": block}

    for event in _chain(first, iterator):
        if isinstance(event, Delta):
            for to, text in (("thinking", event.thinking), ("text", event.content)):
                if not text:
                    continue
                if kind != to:
                    yield from switch(to)
                delta = {"type": "text_delta", "text": text} if to == "text" else {"type": "thinking_delta", "thinking": text}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
        elif isinstance(event, Done):
            yield from switch("")
            for call in event.tool_calls:
                index += 1
                yield {"type": "content_block_start", "index": index,
                       "content_block": {"type": "tool_use", "id": call["id"], "name": call["function"]["name"], "input": {}}}
                yield {"type": "content_block_delta", "index": index,
                       "delta": {"type": "input_json_delta", "partial_json": json.dumps(call["function"]["arguments"])}}
                yield {"type": "content_block_stop", "index": index}
            usage = {"input_tokens": event.prompt_eval_count, "output_tokens": event.eval_count}
            extra = {"citations": event.citations} if event.citations is not None else {}
            yield {"type": "message_delta", "delta": {"stop_reason": _stop_reason(event), "stop_sequence": None},
                   "usage": usage, **extra}
            yield {"type": "message_stop"}


def _chain(first: Event, rest: Iterator[Event]) -> Iterator[Event]:
    yield first
    yield from rest


def merge_message(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed answer, rebuilt from the stream's events."""
    message = dict(events[0]["message"])
    blocks: list[dict[str, Any]] = []
    partial: dict[int, str] = {}
    for event in events[1:]:
        kind = event["type"]
        if kind == "content_block_start":
            blocks.append(dict(event["content_block"]))
        elif kind == "content_block_delta":
            delta, block = event["delta"], blocks[event["index"]]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "input_json_delta":
                partial[event["index"]] = partial.get(event["index"], "") + delta["partial_json"]
        elif kind == "message_delta":
            message.update(event["delta"], usage=event["usage"])
            if "citations" in event:
                message["citations"] = event["citations"]
    for number, text in partial.items():
        blocks[number]["input"] = json.loads(text)
    message["content"] = blocks
    return message
