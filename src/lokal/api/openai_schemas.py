"""OpenAI wire schemas (the subset lokal serves); Ollama options are accepted as extras.

Every field a client sends is typed and bounded here, so a wrong one is a 400 naming it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .fields import Count, Penalty, Probability, Seed, Temperature, Tool, TopLogprobs


Effort = Literal["none", "minimal", "low", "medium", "high"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")  # extras: num_ctx, top_k, options, keep_alive, …


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str  # text, image_url, input_audio, file (only text is served)
    text: str | None = None  # the text of a text part


class FunctionCall(BaseModel):
    name: str  # the function's name
    arguments: str | dict[str, Any] = "{}"  # its arguments, as a JSON string (or an object)


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = None  # the call's id, echoed by the tool message that answers it
    type: str = "function"  # only function
    function: FunctionCall


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]  # who speaks
    content: str | list[ContentPart] | None = None  # text, or parts
    name: str | None = None  # a participant's name; for role tool, the tool's
    tool_calls: list[ToolCall] | None = None  # calls an assistant turn made
    tool_call_id: str | None = None  # for role tool: the call this answers


class StreamOptions(BaseModel):
    include_usage: bool = False  # send a final chunk with token usage


class ChatCompletionRequest(_Request):
    model: str  # model name
    messages: list[ChatMessage]  # the conversation
    stream: bool = False  # server-sent events
    stream_options: StreamOptions | None = None  # usage in the stream
    temperature: Temperature | None = None  # sampling temperature
    top_p: Probability | None = None  # nucleus sampling
    max_tokens: Count | None = None  # most tokens to generate
    max_completion_tokens: Count | None = None  # newer name for max_tokens
    stop: str | list[str] | None = None  # stop sequences
    seed: Seed | None = None  # repeatable sampling
    presence_penalty: Penalty | None = None  # penalise tokens already present
    frequency_penalty: Penalty | None = None  # penalise frequent tokens
    response_format: dict[str, Any] | None = None  # text, json_object or json_schema
    tools: list[Tool] | None = None  # functions the model may call
    tool_choice: str | dict[str, Any] | None = None  # none, auto, required, or a named function
    logprobs: bool = False  # return token log probabilities
    top_logprobs: TopLogprobs | None = None  # alternatives per token
    n: Count = 1  # only 1 is supported
    user: str | None = None  # ignored
    reasoning_effort: Effort | None = None  # thinking models: none/minimal turn thinking off


class CompletionRequest(_Request):
    model: str  # model name
    prompt: str | list[str] = ""  # raw prompt (no chat template)
    suffix: str | None = None  # code infill: the text after the gap (models with FIM tokens)
    stream: bool = False  # server-sent events
    stream_options: StreamOptions | None = None  # usage in the stream
    temperature: Temperature | None = None
    top_p: Probability | None = None
    max_tokens: Count | None = 16  # OpenAI's default for completions
    stop: str | list[str] | None = None
    seed: Seed | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logprobs: TopLogprobs | None = None  # alternatives per token
    echo: bool = False  # not supported
    n: Count = 1  # only 1 is supported


class EmbeddingRequest(_Request):
    model: str  # model name
    input: str | list[str] = Field(...)  # text or texts
    encoding_format: str = "float"  # float or base64
    dimensions: Count | None = None  # truncate to this many dimensions


class ResponseItem(BaseModel):
    """One input item: a message, a function call, or a function call's output."""

    model_config = ConfigDict(extra="allow")
    type: str | None = None  # message (the default when role is set), function_call, function_call_output
    role: str | None = None  # for messages
    content: str | list[dict[str, Any]] | None = None  # for messages: text or parts
    call_id: str | None = None  # for function calls and their outputs
    name: str | None = None  # for function calls
    arguments: str | None = None  # for function calls: a JSON object as a string
    output: str | list[dict[str, Any]] | None = None  # for function call outputs


class ResponseTool(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str  # only function
    name: str | None = None  # the function's name
    description: str | None = None
    parameters: dict[str, Any] | None = None  # its arguments, as a JSON schema


class TextFormat(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text", "json_object", "json_schema"] = "text"
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")  # for json_schema


class TextConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    format: TextFormat | None = None


class Reasoning(BaseModel):
    model_config = ConfigDict(extra="allow")
    effort: Effort | None = None  # none/minimal turn thinking off; low/medium/high go to the template


class ResponsesRequest(_Request):
    """OpenAI's Responses API, stateless as in Ollama: the whole conversation comes in `input`."""

    model: str  # model name
    input: str | list[ResponseItem]  # text, or messages, function calls and their outputs
    instructions: str | None = None  # a system message before the conversation
    stream: bool = False  # server-sent events named by type
    max_output_tokens: Count | None = None  # most tokens to generate
    temperature: Temperature | None = None
    top_p: Probability | None = None
    text: TextConfig | None = None  # {"format": {"type": "text" | "json_object" | "json_schema", …}}
    tools: list[ResponseTool] | None = None  # function tools: {"type": "function", "name", "parameters"}
    tool_choice: str | dict[str, Any] | None = None  # auto, none, required, or {"type": "function", "name"}
    truncation: str | None = None  # "auto" drops the oldest turns to fit; default: a too-long prompt is an error
    previous_response_id: str | None = None  # refused: nothing is stored
    background: bool = False  # refused
    store: bool | None = None  # ignored: nothing is stored
    reasoning: Reasoning | None = None  # thinking models: {"effort": …}; the reasoning comes as a reasoning item
    metadata: dict[str, Any] | None = None  # echoed back
    parallel_tool_calls: bool | None = None  # echoed back
