"""Ollama wire schemas (names and types from Ollama's api/types.go and docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .fields import Count, Token, Tool, TopLogprobs


Think = bool | Literal["low", "medium", "high"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ToolCallFunction(_Request):
    name: str  # the function called
    arguments: dict[str, Any] = Field(default_factory=dict)  # its arguments


class ToolCall(_Request):
    function: ToolCallFunction


class Message(_Request):
    role: str  # system, user, assistant or tool
    content: str | None = ""  # the text
    images: list[str] | None = None  # base64 images (multimodal models only)
    tool_calls: list[ToolCall] | None = None  # calls an assistant turn made
    tool_name: str | None = None  # for role "tool": which tool answered
    thinking: str | None = None  # reasoning text of thinking models


class GenerateRequest(_Request):
    model: str  # model name
    prompt: str | None = None  # the prompt; empty with keep_alive loads or unloads the model
    suffix: str | None = None  # code infill: the text after the gap (models with FIM tokens)
    system: str | None = None  # overrides the model's system prompt
    template: str | None = None  # overrides the model's chat template (Jinja)
    context: list[Token] | None = None  # tokens from a previous response, to continue it
    stream: bool = True  # NDJSON chunks (default) or one object
    raw: bool = False  # send the prompt unformatted
    format: str | dict[str, Any] | None = None  # "json" or a JSON schema, enforced by grammar
    images: list[str] | None = None  # base64 images (multimodal models only)
    options: dict[str, Any] | None = None  # Ollama options (temperature, num_ctx, …)
    keep_alive: float | str | None = None  # how long the model stays loaded after this request
    logprobs: bool = False  # return log probabilities of the output tokens
    top_logprobs: TopLogprobs = 0  # how many alternatives per token, with logprobs
    truncate: bool = False  # lokal: drop the oldest context instead of refusing an over-long prompt
    think: Think | None = None  # thinking models: reason first (into `thinking`), or not; or a level
    return_progress: bool = False  # lokal, as llama-server: stream `prompt_progress` while the prompt is read
    knowledge: Any = None  # lokal: knowledge bases to answer from (see the knowledge API)


class ChatRequest(_Request):
    model: str  # model name
    messages: list[Message] = Field(default_factory=list)  # the conversation; empty loads or unloads
    tools: list[Tool] | None = None  # tools the model may call
    format: str | dict[str, Any] | None = None  # "json" or a JSON schema, enforced by grammar
    options: dict[str, Any] | None = None  # Ollama options
    stream: bool = True  # NDJSON chunks (default) or one object
    keep_alive: float | str | None = None  # how long the model stays loaded after this request
    logprobs: bool = False  # return log probabilities of the output tokens
    top_logprobs: TopLogprobs = 0  # how many alternatives per token, with logprobs
    truncate: bool = False  # lokal: drop the oldest turns instead of refusing an over-long prompt
    think: Think | None = None  # thinking models: reason first (into `message.thinking`), or not; or a level
    return_progress: bool = False  # lokal, as llama-server: stream `prompt_progress` while the prompt is read
    knowledge: Any = None  # lokal: knowledge bases to answer from (see the knowledge API)


class EmbedRequest(_Request):
    model: str  # model name
    input: str | list[str]  # text or texts to embed
    truncate: bool = True  # cut inputs to the context instead of failing
    options: dict[str, Any] | None = None  # Ollama options
    keep_alive: float | str | None = None  # how long the model stays loaded
    dimensions: Count | None = None  # truncate embeddings to this many dimensions


class EmbeddingsRequest(_Request):
    model: str  # model name
    prompt: str = ""  # text to embed (legacy endpoint)
    options: dict[str, Any] | None = None  # Ollama options
    keep_alive: float | str | None = None  # how long the model stays loaded


class ModelRequest(_Request):
    model: str | None = None  # model name
    name: str | None = None  # older clients send `name`
    verbose: bool = False  # /api/show: include large metadata arrays


class PullRequest(_Request):
    model: str | None = None  # model name
    name: str | None = None  # older clients send `name`
    insecure: bool = False  # allow plain http registries
    stream: bool = True  # progress chunks (default) or one final status


class CreateRequest(_Request):
    model: str | None = None  # name of the model to create
    name: str | None = None  # older clients send `name`
    from_: str | None = Field(default=None, alias="from")  # base model name
    files: dict[str, str] | None = None  # file name → blob digest of uploaded GGUF files
    template: str | None = None  # chat template (Jinja)
    license: str | list[str] | None = None  # license text(s)
    system: str | None = None  # system prompt
    parameters: dict[str, Any] | None = None  # default options
    messages: list[dict[str, Any]] | None = None  # conversation preamble
    modelfile: str | None = None  # a whole Modelfile (older clients)
    quantize: str | None = None  # not supported: quantize with llama.cpp tools
    stream: bool = True  # status chunks (default) or one final status


class CopyRequest(_Request):
    source: str  # existing model
    destination: str  # new name
