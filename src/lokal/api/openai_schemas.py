"""OpenAI wire schemas (the subset lokal serves); Ollama options are accepted as extras."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")  # extras: num_ctx, top_k, options, keep_alive, …


class StreamOptions(BaseModel):
    include_usage: bool = False  # send a final chunk with token usage


class ChatCompletionRequest(_Request):
    model: str  # model name
    messages: list[dict[str, Any]]  # the conversation
    stream: bool = False  # server-sent events
    stream_options: StreamOptions | None = None  # usage in the stream
    temperature: float | None = None  # sampling temperature
    top_p: float | None = None  # nucleus sampling
    max_tokens: int | None = None  # most tokens to generate
    max_completion_tokens: int | None = None  # newer name for max_tokens
    stop: str | list[str] | None = None  # stop sequences
    seed: int | None = None  # repeatable sampling
    presence_penalty: float | None = None  # penalise tokens already present
    frequency_penalty: float | None = None  # penalise frequent tokens
    response_format: dict[str, Any] | None = None  # text, json_object or json_schema
    tools: list[dict[str, Any]] | None = None  # functions the model may call
    tool_choice: str | dict[str, Any] | None = None  # none, auto, required, or a named function
    logprobs: bool = False  # return token log probabilities
    top_logprobs: int | None = None  # alternatives per token
    n: int = 1  # only 1 is supported
    user: str | None = None  # ignored


class CompletionRequest(_Request):
    model: str  # model name
    prompt: str | list[str] = ""  # raw prompt (no chat template)
    suffix: str | None = None  # fill-in-the-middle: refused until supported
    stream: bool = False  # server-sent events
    stream_options: StreamOptions | None = None  # usage in the stream
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = 16  # OpenAI's default for completions
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: int | None = None  # alternatives per token
    echo: bool = False  # not supported
    n: int = 1  # only 1 is supported


class EmbeddingRequest(_Request):
    model: str  # model name
    input: str | list[str] = Field(...)  # text or texts
    encoding_format: str = "float"  # float or base64
    dimensions: int | None = None  # truncate to this many dimensions


class ResponsesRequest(_Request):
    """OpenAI's Responses API, stateless as in Ollama: the whole conversation comes in `input`."""

    model: str  # model name
    input: str | list[dict[str, Any]]  # text, or messages, function calls and their outputs
    instructions: str | None = None  # a system message before the conversation
    stream: bool = False  # server-sent events named by type
    max_output_tokens: int | None = None  # most tokens to generate
    temperature: float | None = None
    top_p: float | None = None
    text: dict[str, Any] | None = None  # {"format": {"type": "text" | "json_object" | "json_schema", …}}
    tools: list[dict[str, Any]] | None = None  # function tools: {"type": "function", "name", "parameters"}
    tool_choice: str | dict[str, Any] | None = None  # auto, none, required, or {"type": "function", "name"}
    truncation: str | None = None  # "auto" drops the oldest turns to fit; default: a too-long prompt is an error
    previous_response_id: str | None = None  # refused: nothing is stored
    background: bool = False  # refused
    store: bool | None = None  # ignored: nothing is stored
    reasoning: dict[str, Any] | None = None  # ignored: no model here separates reasoning
    metadata: dict[str, Any] | None = None  # echoed back
    parallel_tool_calls: bool | None = None  # echoed back
