"""Ollama options → llama.cpp completion parameters (one mapping, used by every API surface)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadRequestError
from ..options import LOAD_OPTIONS

# The engine turns a JSON schema into a grammar, and silently samples without one when the schema
# nests deeper than ~70 levels or a pattern repeats a part millions of times (measured: the answer
# came out as free text). Such schemas are refused instead, so a promised shape is always enforced.
MAX_SCHEMA_DEPTH = 64  # levels of JSON: about 30 levels of nested objects
MAX_SCHEMA_NODES = 10_000
MAX_PATTERN_REPEAT = 10_000
_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")

_RENAMES = {
    "temperature": "temperature", "top_k": "top_k", "top_p": "top_p", "min_p": "min_p",
    "typical_p": "typical_p", "seed": "seed", "stop": "stop", "num_predict": "n_predict",
    "repeat_penalty": "repeat_penalty", "repeat_last_n": "repeat_last_n",
    "presence_penalty": "presence_penalty", "frequency_penalty": "frequency_penalty",
    "mirostat": "mirostat", "mirostat_tau": "mirostat_tau", "mirostat_eta": "mirostat_eta",
    "num_keep": "n_keep",
}


# Ollama's defaults (api/types.go DefaultOptions), so answers match what Ollama users expect;
# llama.cpp's own differ (repeat_penalty 1.0, top_p 0.95, min_p 0.05).
DEFAULTS: dict[str, Any] = {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.0,
                            "repeat_penalty": 1.1, "repeat_last_n": 64}


def sampling_body(options: dict[str, Any]) -> dict[str, Any]:
    """Engine fields for the sampling options in `options` (load-time options are left out)."""
    body: dict[str, Any] = {}
    for name, value in {**DEFAULTS, **options}.items():
        if name in LOAD_OPTIONS or name not in _RENAMES:
            continue
        body[_RENAMES[name]] = value
    if body.get("seed", 0) is not None and body.get("seed", 0) < 0:
        body.pop("seed")  # Ollama's -1 means random, the engine's default
    return body


def check_schema(schema: dict[str, Any], where: str = "format") -> dict[str, Any]:
    """A schema the engine will really enforce, or a 400 that says why not."""
    nodes = 0

    def walk(value: Any, depth: int) -> None:
        nonlocal nodes
        nodes += 1
        if depth > MAX_SCHEMA_DEPTH:
            raise BadRequestError(f"{where}: the JSON schema nests deeper than {MAX_SCHEMA_DEPTH} levels")
        if nodes > MAX_SCHEMA_NODES:
            raise BadRequestError(f"{where}: the JSON schema has more than {MAX_SCHEMA_NODES:,} parts")
        if isinstance(value, dict):
            pattern = value.get("pattern")
            if isinstance(pattern, str) and any(int(n) > MAX_PATTERN_REPEAT for m in _REPEAT.finditer(pattern)
                                                for n in m.groups() if n):
                raise BadRequestError(f"{where}: a pattern repeats more than {MAX_PATTERN_REPEAT:,} times")
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth + 1)

    walk(schema, 0)
    return schema


def format_schema(format_: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema a `format` asks for: "json" → any object; a dict is a schema itself."""
    if format_ in (None, ""):
        return None
    if format_ == "json":
        return {"type": "object"}
    if isinstance(format_, dict):
        return format_
    raise BadRequestError(f'format must be "json" or a JSON schema object, got {format_!r}')
