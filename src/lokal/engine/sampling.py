"""Ollama options → llama.cpp completion parameters (one mapping, used by every API surface)."""

from __future__ import annotations

from typing import Any

from ..options import LOAD_OPTIONS

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


def format_schema(format_: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema a `format` asks for: "json" → any object; a dict is a schema itself."""
    if format_ in (None, ""):
        return None
    if format_ == "json":
        return {"type": "object"}
    if isinstance(format_, dict):
        return format_
    from ..errors import BadRequestError

    raise BadRequestError(f'format must be "json" or a JSON schema object, got {format_!r}')
