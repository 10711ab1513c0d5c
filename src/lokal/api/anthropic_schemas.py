"""Anthropic Messages wire schemas (names from Anthropic's Messages API reference)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .fields import Count, Probability


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")  # cache_control, citations, … are accepted and ignored


class ImageSource(_Loose):
    type: Literal["base64", "url"]  # an inline image or a link (links are refused: nothing is fetched)
    media_type: str | None = None  # image/png, image/jpeg, image/gif, image/webp
    data: str | None = None  # base64 bytes
    url: str | None = None


class Block(_Loose):
    type: str  # text, image, tool_use, tool_result, thinking, redacted_thinking, document
    text: str | None = None  # text
    source: ImageSource | None = None  # image
    id: str | None = None  # tool_use: the call's id
    name: str | None = None  # tool_use: the tool called
    input: dict[str, Any] | None = None  # tool_use: its arguments
    tool_use_id: str | None = None  # tool_result: which call it answers
    content: str | list[Block] | None = None  # tool_result: what the tool returned
    is_error: bool | None = None  # tool_result: the tool failed
    thinking: str | None = None  # thinking: the reasoning text
    signature: str | None = None  # thinking: opaque, echoed back by clients


class Message(_Loose):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class Tool(_Loose):
    name: str  # the tool's name
    description: str | None = None  # what it does, for the model
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})  # its input, as JSON schema


class ToolChoice(_Loose):
    type: Literal["auto", "any", "tool", "none"]  # any: some tool must be called; tool: the one named
    name: str | None = None


class Thinking(_Loose):
    type: Literal["enabled", "disabled", "adaptive"]
    budget_tokens: Count | None = None  # most tokens the model may think before it must answer


class CountTokensRequest(_Loose):
    model: str  # model name
    messages: list[Message] = Field(max_length=100_000)  # the conversation
    system: str | list[Block] | None = None  # system prompt
    tools: list[Tool] | None = None  # tools the model may call
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None


class MessagesRequest(CountTokensRequest):
    max_tokens: Count  # most tokens to generate (required, as in Anthropic's API)
    stream: bool = False  # named server-sent events
    stop_sequences: list[str] | None = Field(default=None, max_length=64)  # texts that end the answer
    temperature: Probability | None = None  # 0–1, as Anthropic's range
    top_p: Probability | None = None
    top_k: Count | None = None
    metadata: dict[str, Any] | None = None  # ignored
