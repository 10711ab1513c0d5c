"""Ollama's generation options: one table of names and types, shared by Modelfile and requests.

Names and meanings follow Ollama's `api/types.go` Options/Runner. `coerce_options` casts
values from a request or a Modelfile, refusing wrong types and out-of-range values by name
(a client cannot hand the engine a NaN temperature or a 10^30-token context); unknown names are
reported back so callers can warn (Ollama ignores them too).
"""

from __future__ import annotations

from typing import Any
import math

from .errors import OptionsError

OPTIONS: dict[str, type] = {
    # sampling
    "temperature": float, "top_k": int, "top_p": float, "min_p": float, "typical_p": float,
    "seed": int, "stop": list, "num_predict": int, "num_keep": int,
    "repeat_penalty": float, "repeat_last_n": int, "presence_penalty": float, "frequency_penalty": float,
    "mirostat": int, "mirostat_tau": float, "mirostat_eta": float, "penalize_newline": bool,
    "think_budget": int,  # lokal: most tokens a thinking model may reason before it must answer
    # runner (load-time)
    "num_ctx": int, "num_batch": int, "num_thread": int, "num_gpu": int, "main_gpu": int,
    "use_mmap": bool, "use_mlock": bool, "numa": bool, "low_vram": bool, "vocab_only": bool,
}

_INT32 = 2**31 - 1
# the range each numeric option may take; the engine's own limits, or far beyond any sane use
RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0, 100), "top_k": (0, _INT32), "top_p": (0, 1), "min_p": (0, 1), "typical_p": (0, 1),
    "seed": (-(2**63), 2**64 - 1), "num_predict": (-2, _INT32), "num_keep": (-1, _INT32),
    "repeat_penalty": (0, 100), "repeat_last_n": (-1, _INT32), "presence_penalty": (-100, 100),
    "frequency_penalty": (-100, 100), "mirostat": (0, 2), "mirostat_tau": (0, 100), "mirostat_eta": (0, 100),
    "num_ctx": (1, 2**24), "num_batch": (1, 2**24), "num_thread": (0, 1024), "num_gpu": (-1, 1024),
    "main_gpu": (0, 1024), "think_budget": (0, _INT32),
}
MAX_STOPS = 16  # stop sequences per request (OpenAI allows 4, llama.cpp any)
MAX_STOP_CHARS = 1000

LOAD_OPTIONS = frozenset({"num_ctx", "num_batch", "num_thread", "num_gpu", "main_gpu",
                          "use_mmap", "use_mlock", "numa", "low_vram", "vocab_only"})


def _cast(name: str, kind: type, value: Any) -> Any:
    if kind is list:
        stops = [value] if isinstance(value, str) else value
        if not isinstance(stops, list) or not all(isinstance(v, str) for v in stops):
            raise OptionsError(f"option {name!r} must be a string or a list of strings, got {_shown(value)}")
        if len(stops) > MAX_STOPS or any(len(v) > MAX_STOP_CHARS for v in stops):
            raise OptionsError(f"option {name!r} takes at most {MAX_STOPS} strings of at most {MAX_STOP_CHARS} "
                               f"characters, got {len(stops)} of up to {max(map(len, stops), default=0)}")
        return list(stops)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise OptionsError(f"option {name!r} must be true or false, got {_shown(value)}")
    what = "an integer" if kind is int else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise OptionsError(f"option {name!r} must be {what}, got {_shown(value)}")
    try:
        number: int | float = int(value) if isinstance(value, int) else float(value)
        if kind is int and isinstance(number, float):
            if not number.is_integer():
                raise ValueError
            number = int(number)
    except (TypeError, ValueError, OverflowError):
        raise OptionsError(f"option {name!r} must be {what}, got {_shown(value)}") from None
    low, high = RANGES.get(name, (-math.inf, math.inf))
    if (isinstance(number, float) and not math.isfinite(number)) or not low <= number <= high:
        raise OptionsError(f"option {name!r} must be between {low} and {high}, got {_shown(number)}")
    return number if kind is int else float(number)


def _shown(value: Any) -> str:
    """A value as an error message shows it: never more than a line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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
