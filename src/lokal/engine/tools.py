"""Tool calls: read them out of model text, or force them by grammar when the API promises one.

Models write tool calls in a few shapes; lokal recognises the common ones and accepts a call only
for a tool the request offered:
    <tool_call>{"name": …, "arguments": {…}}</tool_call>      Qwen2.5, Hermes, SmolLM2
    [TOOL_CALLS] [{"name": …, "arguments": {…}}]             Mistral
    {"name": …, "parameters"|"arguments": {…}}               Llama 3.x, and plain JSON
    ```json {"name": …, "arguments": {…}} ```              Qwen2.5-Coder (seen here)
When a call is required (`tool_choice: "required"` or a named function) lokal does not trust the
model to comply: it constrains sampling with a JSON schema whose only outputs are valid calls.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCED = re.compile(r"^```(?:json)?\s*\n(.*?)\n?```\s*$", re.S)
PREFIXES = ("<tool_call>", "[TOOL_CALLS]", "{", "[", "```json\n{", "```\n{")


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [t.get("function", {}).get("name", "") for t in tools if t.get("type", "function") == "function"]


def call_schema(tools: list[dict[str, Any]], only: str | None = None) -> dict[str, Any]:
    """A JSON schema matching exactly one call of one offered tool (or of `only`)."""
    options = []
    for tool in tools:
        fn = tool.get("function", {})
        name = fn.get("name", "")
        if only and name != only:
            continue
        params = dict(fn.get("parameters") or {"type": "object"})
        if params.get("properties") is not None:
            params.setdefault("additionalProperties", False)  # only declared arguments, as in strict mode
        options.append({"type": "object", "properties": {"name": {"const": name}, "arguments": params},
                        "required": ["name", "arguments"], "additionalProperties": False})
    return options[0] if len(options) == 1 else {"anyOf": options}


def _as_calls(value: Any, names: set[str]) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    calls = []
    for item in items:
        if not isinstance(item, dict):
            return []
        fn = item.get("function", item)
        name = fn.get("name")
        args = fn.get("arguments", fn.get("parameters", {}))
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                return []
        if name not in names or not isinstance(args, dict):
            return []
        calls.append({"name": name, "arguments": args})
    return calls


def parse_tool_calls(text: str, tools: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Split model output into (content, calls); content keeps whatever is not a call."""
    names = set(tool_names(tools))
    tagged = _TAGGED.findall(text)
    if tagged:
        calls = []
        for body in tagged:
            try:
                calls += _as_calls(json.loads(body), names)
            except ValueError:
                continue
        if calls:
            return _TAGGED.sub("", text).strip(), calls
    stripped = text.strip()
    if fenced := _FENCED.match(stripped):
        stripped = fenced.group(1).strip()
    if stripped.startswith("[TOOL_CALLS]"):
        stripped = stripped[len("[TOOL_CALLS]"):].strip()
    if stripped[:1] in ("{", "["):
        try:
            calls = _as_calls(json.loads(stripped), names)
        except ValueError:
            calls = []
        if calls:
            return "", calls
    return text, []


def with_ids(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Native tool calls, each with an id (OpenAI needs one; Ollama ignores it)."""
    return [{"id": f"call_{uuid.uuid4().hex[:24]}", "function": call} for call in calls]
