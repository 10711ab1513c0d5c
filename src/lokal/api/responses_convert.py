"""OpenAI's Responses API as an adapter over the native path: input items → native request, native
events → the typed event stream (`response.created` … `response.completed`).

Stateless, as in Ollama: nothing is stored, so `previous_response_id` is refused and clients send
the whole conversation (messages, `function_call` items and their `function_call_output`s).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from ..errors import BadRequestError
from .openai_convert import sampling_options, text_of, think_of
from .openai_schemas import ResponsesRequest


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _messages(body: ResponsesRequest) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": body.instructions}] if body.instructions else []
    if isinstance(body.input, str):
        return [*messages, {"role": "user", "content": body.input}]
    names: dict[str, str] = {}  # call_id → function name, for the tool messages that answer them
    for number, raw in enumerate(body.input):
        item = raw.model_dump(exclude_none=True)
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = "system" if item.get("role") == "developer" else item.get("role")
            if role not in ("system", "user", "assistant"):
                raise BadRequestError(f"input[{number}]: role must be user, system, developer or assistant")
            images: list[str] = []
            messages.append({"role": role, "content": text_of(item.get("content"), f"input[{number}].content", images),
                             **({"images": images} if images else {})})
        elif kind == "function_call":
            try:
                arguments = json.loads(item.get("arguments") or "{}")
            except ValueError:
                raise BadRequestError(f"input[{number}]: arguments must be a JSON object") from None
            names[item.get("call_id", "")] = item.get("name", "")
            call = {"id": item.get("call_id"), "function": {"name": item.get("name"), "arguments": arguments}}
            if messages and messages[-1]["role"] == "assistant":  # calls after text belong to the same turn
                messages[-1].setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append({"role": "tool", "content": output if isinstance(output, str) else
                             text_of(output, f"input[{number}].output"),
                             "tool_name": names.get(item.get("call_id", ""), "")})
        elif kind != "reasoning":  # reasoning items from other servers carry nothing a model here can use
            raise BadRequestError(f"input[{number}]: items of type {kind!r} are not supported")
    return messages


def _tools(body: ResponsesRequest) -> list[dict[str, Any]] | None:
    tools = []
    for raw in body.tools or []:
        tool = raw.model_dump(exclude_none=True)
        if tool.get("type") != "function":
            raise BadRequestError(f"only function tools are supported, not {tool.get('type')!r}")
        tools.append({"type": "function", "function": {
            "name": tool.get("name"), "description": tool.get("description") or "",
            "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}})
    return tools or None


def _format(body: ResponsesRequest) -> Any:
    fmt = body.text.format if body.text else None
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return "json"
    if fmt.schema_ is None:
        raise BadRequestError("text.format.schema must be a JSON schema object")
    return fmt.schema_


def responses_request(body: ResponsesRequest) -> Request:
    if body.previous_response_id:
        raise BadRequestError("previous_response_id is not supported: lokal stores no responses, "
                              "send the whole conversation in input")
    if body.background:
        raise BadRequestError("background responses are not supported")
    choice = body.tool_choice
    if isinstance(choice, dict):  # Responses names the function at the top level of tool_choice
        choice = {"type": "function", "function": {"name": choice.get("name")}}
    tools = _tools(body)
    effort = body.reasoning.effort if body.reasoning else None
    return Request(messages=_messages(body), tools=tools, tool_choice=choice if tools else None,
                   format=_format(body), options=sampling_options(body, body.max_output_tokens),
                   truncate=body.truncation == "auto", think=think_of(effort, body.model_extra or {}))


class _Stream:
    """Numbers the events and keeps the response object they describe."""

    def __init__(self, body: ResponsesRequest) -> None:
        self.sequence = 0
        self.response: dict[str, Any] = {
            "id": _id("resp"), "object": "response", "created_at": int(time.time()), "status": "in_progress",
            "model": body.model, "output": [], "error": None, "incomplete_details": None,
            "instructions": body.instructions, "max_output_tokens": body.max_output_tokens,
            "temperature": body.temperature, "top_p": body.top_p,
            "text": body.text.model_dump(by_alias=True, exclude_none=True) if body.text else {"format": {"type": "text"}},
            "tools": [tool.model_dump(exclude_none=True) for tool in body.tools or []], "tool_choice": body.tool_choice or "auto",
            "parallel_tool_calls": body.parallel_tool_calls is not False, "truncation": body.truncation or "disabled",
            "metadata": body.metadata or {}, "store": False, "usage": None}

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.sequence += 1
        return {"type": kind, "sequence_number": self.sequence - 1, **fields}

    def snapshot(self) -> dict[str, Any]:
        return self.copy(self.response)

    def copy(self, item: dict[str, Any]) -> dict[str, Any]:
        return json.loads(json.dumps(item))  # type: ignore[no-any-return]

    def index(self, item: dict[str, Any]) -> int:
        return next(i for i, each in enumerate(self.response["output"]) if each is item)


def response_events(body: ResponsesRequest, events: Iterator[Event]) -> Iterator[dict[str, Any]]:
    """The Responses event stream; its last event carries the whole response. A thinking model's
    reasoning comes first, as a `reasoning` item with `reasoning_text` content."""
    out = _Stream(body)
    yield out.event("response.created", response=out.snapshot())
    yield out.event("response.in_progress", response=out.snapshot())
    message: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    for event in events:
        if isinstance(event, Delta):
            if event.thinking:
                if reasoning is None:
                    reasoning = {"id": _id("rs"), "type": "reasoning", "summary": [], "status": "in_progress",
                                 "content": [{"type": "reasoning_text", "text": ""}]}
                    out.response["output"].append(reasoning)
                    yield out.event("response.output_item.added", output_index=0, item=out.copy(reasoning))
                reasoning["content"][0]["text"] += event.thinking
                yield out.event("response.reasoning_text.delta", item_id=reasoning["id"], output_index=0,
                                content_index=0, delta=event.thinking)
            if not event.content:
                continue
            if message is None:  # opened at the first text, so a reply that is only a call has no empty message
                if reasoning is not None:
                    yield from _close_reasoning(out, reasoning)
                message = {"id": _id("msg"), "type": "message", "status": "in_progress", "role": "assistant",
                           "content": []}
                out.response["output"].append(message)
                yield out.event("response.output_item.added", output_index=out.index(message), item=dict(message))
                yield out.event("response.content_part.added", item_id=message["id"], output_index=out.index(message),
                                content_index=0, part={"type": "output_text", "text": "", "annotations": []})
                message["content"].append({"type": "output_text", "text": "", "annotations": []})
            message["content"][0]["text"] += event.content
            yield out.event("response.output_text.delta", item_id=message["id"], output_index=out.index(message),
                            content_index=0, delta=event.content, logprobs=[])
        elif isinstance(event, Done):
            if reasoning is not None and reasoning["status"] != "completed":
                yield from _close_reasoning(out, reasoning)
            yield from _finish(out, message, event)


def _close_reasoning(out: _Stream, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield out.event("response.reasoning_text.done", item_id=item["id"], output_index=0, content_index=0,
                    text=item["content"][0]["text"])
    item["status"] = "completed"
    yield out.event("response.output_item.done", output_index=0, item=out.copy(item))


def _finish(out: _Stream, message: dict[str, Any] | None, done: Done) -> Iterator[dict[str, Any]]:
    if message is not None:
        part, index = message["content"][0], out.index(message)
        yield out.event("response.output_text.done", item_id=message["id"], output_index=index, content_index=0,
                        text=part["text"], logprobs=[])
        yield out.event("response.content_part.done", item_id=message["id"], output_index=index, content_index=0,
                        part=part)
        message["status"] = "completed"
        yield out.event("response.output_item.done", output_index=index, item=message)
    for call in done.tool_calls:
        index = len(out.response["output"])
        arguments = json.dumps(call["function"]["arguments"])
        item = {"id": _id("fc"), "type": "function_call", "status": "in_progress", "call_id": call["id"],
                "name": call["function"]["name"], "arguments": ""}
        out.response["output"].append(item)
        yield out.event("response.output_item.added", output_index=index, item=dict(item))
        yield out.event("response.function_call_arguments.delta", item_id=item["id"], output_index=index,
                        delta=arguments)
        yield out.event("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                        arguments=arguments)
        item.update(arguments=arguments, status="completed")
        yield out.event("response.output_item.done", output_index=index, item=item)
    out.response["usage"] = {
        "input_tokens": done.prompt_eval_count, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": done.eval_count, "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": done.prompt_eval_count + done.eval_count}
    if done.citations is not None:
        out.response["citations"] = done.citations  # lokal's extension, as on chat completions
    if done.done_reason == "length" and not done.tool_calls:
        out.response.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        yield out.event("response.incomplete", response=out.snapshot())
    else:
        out.response["status"] = "completed"
        yield out.event("response.completed", response=out.snapshot())


def merge_response(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The non-streamed answer: the response object of the last event."""
    return dict(events[-1]["response"])
