"""Prompt assembly: messages + system + Modelfile messages + tools → one prompt string.

Template order: a per-request `template` (Ollama /api/generate), the Modelfile's TEMPLATE, the
GGUF's own `tokenizer.chat_template`, a built-in one for the architecture. When the engine adds
BOS itself, a BOS the template wrote at the start is dropped, so the model never sees two.

Prompts are measured in characters before they are tokenized: no tokenizer's tokens run longer
than `CHARS_PER_TOKEN` characters, so a prompt past `context × CHARS_PER_TOKEN` cannot fit and is
refused at once — a 100 MB prompt would otherwise tokenize for minutes before failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from ..errors import BadRequestError, ContextOverflowError
from ..store.gguf import GGUFInfo
from ..store.models import Model
from .infill import infill_prompt
from .template import ChatTemplate, builtin_for
from .thinking import template_flags

CHARS_PER_TOKEN = 32


def char_limit(context_length: int) -> int:
    """The most characters that can still fit `context_length` tokens."""
    return context_length * CHARS_PER_TOKEN


def check_chars(text: str, context_length: int, what: str = "the prompt") -> None:
    if len(text) > char_limit(context_length):
        raise ContextOverflowError(
            f"{what} is {len(text):,} characters, more than a {context_length}-token context can hold: "
            "shorten it, raise num_ctx, or ask for truncation", prompt_chars=len(text), context_length=context_length)


class ToolCall(TypedDict):
    id: NotRequired[str]
    function: dict[str, Any]  # {"name": …, "arguments": {…}}


class Message(TypedDict):
    """One turn, as every surface converts it (the template sees these keys)."""

    role: str  # system, user, assistant or tool
    content: str
    images: NotRequired[list[str]]  # base64, for models with a vision projector
    tool_calls: NotRequired[list[ToolCall]]  # calls an assistant turn made
    tool_name: NotRequired[str]  # for a tool turn: which tool answered
    thinking: NotRequired[str]  # an assistant turn's reasoning


@dataclass
class Request:
    """One native generation request; every API surface converts into this."""

    messages: list[Message] | None = None  # chat
    prompt: str | None = None  # generate
    suffix: str | None = None  # code infill: the prompt is the text before the gap, this the text after
    images: list[str] | None = None  # generate: base64 images that go with the prompt
    system: str | None = None
    template: str | None = None
    raw: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    format: str | dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None  # None/"auto", "none", "required", or {"type": "function", "function": {"name": …}}
    logprobs: bool = False
    top_logprobs: int = 0
    truncate: bool = False
    want_context: bool = False
    context: list[int] | None = None
    think: bool | str | None = None  # thinking models: True/False, or an effort ("low", "medium", "high")
    progress: bool = False  # stream Progress events while the prompt is processed


def choose_template(model: Model, info: GGUFInfo | None, override: str | None = None) -> ChatTemplate:
    source = override or model.template or (info.chat_template if info else None) \
        or builtin_for(info.architecture if info else "")
    return ChatTemplate(source)


def conversation(model: Model, request: Request) -> list[dict[str, Any]]:
    """The messages the template sees: Modelfile messages, a system prompt, then the request's."""
    if request.messages is not None:
        messages = [dict(m) for m in request.messages]
    else:
        messages = [{"role": "user", "content": request.prompt or "", **({"images": request.images} if request.images else {})}]
    for m in messages:
        if m.get("images") and model.projector_path is None:
            raise BadRequestError(f"model '{model.name}' does not support images: it is a text-only model")
        if not isinstance(m.get("role"), str):
            raise BadRequestError("every message needs a string role")
    system = request.system if request.system is not None else model.system
    has_system = any(m.get("role") == "system" for m in messages)
    prefix = [dict(m) for m in model.messages]
    if system and not has_system:
        prefix.insert(0, {"role": "system", "content": system})
    return prefix + messages


TOOLS_INSTRUCTION = (
    "You can call these tools:\n{tools}\n\nTo call a tool, answer with nothing but\n"
    '<tool_call>{{"name": "<tool name>", "arguments": {{<arguments as JSON>}}}}</tool_call>'
)


def with_tool_instructions(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For templates that ignore `tools`: describe them in the system message instead."""
    text = TOOLS_INSTRUCTION.format(tools="\n".join(json.dumps(t.get("function", t)) for t in tools))
    if messages and messages[0].get("role") == "system":
        first = dict(messages[0])
        first["content"] = f"{first.get('content') or ''}\n\n{text}".strip()
        return [first, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


def render_prompt(model: Model, info: GGUFInfo | None, request: Request,
                  messages: list[dict[str, Any]] | None = None, *, context_length: int | None = None) -> str:
    """The exact text the engine will be given; with `context_length`, one that cannot fit raises
    ContextOverflowError before it is tokenized (or, for a template, before it is finished)."""
    if request.suffix is not None:
        text = infill_prompt(str(model.name), info, request.prompt or "", request.suffix)
        if context_length:
            check_chars(text, context_length)
        return text
    if request.raw:
        if context_length:
            check_chars(request.prompt or "", context_length)
        return request.prompt or ""
    template = choose_template(model, info, request.template)
    bos = info.token("bos") if info else ""
    eos = info.token("eos") if info else ""
    turns = messages if messages is not None else conversation(model, request)
    if request.tools and request.tool_choice != "none" and "tools" not in template.source:
        turns = with_tool_instructions(turns, request.tools)
    flags = template_flags(str(model.name), template.source, request.think)
    turns = [{**m, "reasoning_content": m["thinking"]} if m.get("thinking") else m for m in turns]
    text = template.render(turns, tools=request.tools or None, bos_token=bos, eos_token=eos,
                           max_chars=char_limit(context_length) if context_length else None, **flags)
    adds_bos = bool(info.get("tokenizer.ggml.add_bos_token", True)) if info else False
    if adds_bos and bos and text.startswith(bos):
        text = text[len(bos):]
    return text
