"""Ollama's generation options: one table of names and types, shared by Modelfile and requests.

Names and meanings follow Ollama's `api/types.go` Options/Runner. `coerce_options` casts
values from a request or a Modelfile, refusing wrong types by name; unknown names are
reported back so callers can warn (Ollama ignores them too).
"""

from __future__ import annotations

from typing import Any

from .errors import OptionsError

OPTIONS: dict[str, type] = {
    # sampling
    "temperature": float, "top_k": int, "top_p": float, "min_p": float, "typical_p": float,
    "seed": int, "stop": list, "num_predict": int, "num_keep": int,
    "repeat_penalty": float, "repeat_last_n": int, "presence_penalty": float, "frequency_penalty": float,
    "mirostat": int, "mirostat_tau": float, "mirostat_eta": float, "penalize_newline": bool,
    # runner (load-time)
    "num_ctx": int, "num_batch": int, "num_thread": int, "num_gpu": int, "main_gpu": int,
    "use_mmap": bool, "use_mlock": bool, "numa": bool, "low_vram": bool, "vocab_only": bool,
}

LOAD_OPTIONS = frozenset({"num_ctx", "num_batch", "num_thread", "num_gpu", "main_gpu",
                          "use_mmap", "use_mlock", "numa", "low_vram", "vocab_only"})


def _cast(name: str, kind: type, value: Any) -> Any:
    if kind is list:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise OptionsError(f"option {name!r} must be a string or a list of strings, got {value!r}")
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise OptionsError(f"option {name!r} must be true or false, got {value!r}")
    if isinstance(value, bool):
        raise OptionsError(f"option {name!r} must be a number, got {value!r}")
    try:
        if kind is int:
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        return float(value)
    except (TypeError, ValueError):
        raise OptionsError(f"option {name!r} must be {'an integer' if kind is int else 'a number'}, got {value!r}") from None


def coerce_options(options: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Cast known options; returns (options, unknown names)."""
    if options is None:
        return {}, []
    if not isinstance(options, dict):
        raise OptionsError(f"options must be an object, got {type(options).__name__}")
    known: dict[str, Any] = {}
    unknown: list[str] = []
    for name, value in options.items():
        kind = OPTIONS.get(name)
        if kind is None:
            unknown.append(name)
        elif value is not None:
            known[name] = _cast(name, kind, value)
    return known, unknown
