"""The one settings table: every setting declared once, with its env var, default, type and help.

`Settings.from_env()` casts and validates each value when it is read; a bad value raises an error
naming the variable, the value and what was expected. The README's settings section and
`lokal serve --help-settings` are generated from `SETTINGS`, and a test fails on an undocumented one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadRequestError


def parse_duration(value: str | int | float) -> float:
    """Seconds from an Ollama-style duration: `5m`, `1h30m`, `300`, `0`, `-1` (forever -> inf)."""
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            seconds = _parse_go_duration(text)
    if seconds != seconds:
        raise ValueError(f"invalid duration {value!r}")
    # negative means forever; so does anything past a century (no clock date can hold 1e300 s)
    return float("inf") if seconds < 0 or seconds > _CENTURY else seconds


_CENTURY = 100 * 365 * 86400.0


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _parse_go_duration(text: str) -> float:
    sign = -1.0 if text.startswith("-") else 1.0
    rest = text.lstrip("+-")
    total, number = 0.0, ""
    i = 0
    if not rest:
        raise ValueError(f"invalid duration {text!r}")
    while i < len(rest):
        ch = rest[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = next((u for u in ("ns", "us", "µs", "ms", "h", "m", "s") if rest.startswith(u, i)), None)
        if unit is None or not number:
            raise ValueError(f"invalid duration {text!r}")
        total += float(number) * _UNITS[unit]
        number = ""
        i += len(unit)
    if number:
        raise ValueError(f"invalid duration {text!r} (missing unit)")
    return sign * total


def _host(value: str) -> tuple[str, int]:
    text = value.strip()
    for scheme in ("http://", "https://"):
        if text.startswith(scheme):
            text = text[len(scheme):]
    text = text.rstrip("/")
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port.lstrip(":")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    return host or "127.0.0.1", int(port) if port else 11434


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Setting:
    """One setting: attribute name, env var, default (as text), cast and help."""

    name: str
    env: str
    default: str
    cast: Callable[[str], Any]
    help: str
    expected: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "LOKAL_HOME", "~/.lokal", lambda v: Path(v).expanduser(),
            "Where models, knowledge bases and state live.", "a path"),
    Setting("host", "LOKAL_HOST", "127.0.0.1:11434", _host,
            "Address `lokal serve` binds and clients call (Ollama's port, so its clients work unchanged).",
            "host:port"),
    Setting("threads", "LOKAL_THREADS", "0", int,
            "Compute threads per model; 0 picks the measured default (all cores).", "an integer"),
    Setting("context", "LOKAL_CONTEXT", "4096", int,
            "Default context window in tokens (per request: option `num_ctx`).", "an integer"),
    Setting("keep_alive", "LOKAL_KEEP_ALIVE", "5m", parse_duration,
            "How long an idle model stays loaded (`5m`, `1h`, `0` unloads at once, negative keeps forever).",
            "a duration like 5m"),
    Setting("num_parallel", "LOKAL_NUM_PARALLEL", "0", int,
            "Parallel request slots per model (continuous batching); 0 chooses from memory.", "an integer"),
    Setting("prompt_cache", "LOKAL_PROMPT_CACHE", "0", int,
            "MiB of memory each loaded model may spend on saved prompt states beyond its slots' own cache "
            "(the engine's default, 8192, grew a server by 630 MB in a 10-minute soak).", "an integer"),
    Setting("sse_ping", "LOKAL_SSE_PING", "10s", parse_duration,
            "While an event stream waits (a load, a long prompt), a keep-alive ping this often; 0 never.",
            "a duration like 10s"),
    Setting("max_queue", "LOKAL_MAX_QUEUE", "512", int,
            "Requests waiting beyond the slots before the server answers 503.", "an integer"),
    Setting("max_loaded_models", "LOKAL_MAX_LOADED_MODELS", "3", int,
            "Most models kept loaded at once.", "an integer"),
    Setting("memory_budget", "LOKAL_MEMORY_BUDGET", "0", int,
            "Bytes of memory models may use together; 0 means 80 % of available memory.", "an integer"),
    Setting("api_keys", "LOKAL_API_KEYS", "", _list,
            "Comma-separated Bearer keys; when set, every route but `/` and the health check needs one.",
            "comma-separated keys"),
    Setting("origins", "LOKAL_ORIGINS", "", _list,
            "Extra CORS origins allowed besides localhost ones (comma-separated).", "comma-separated origins"),
    Setting("max_body", "LOKAL_MAX_BODY", "104857600", int,
            "Largest request body in bytes, blob uploads excepted.", "an integer"),
    Setting("package_index", "LOKAL_PACKAGE_INDEX", "", str,
            "Package index for starter models; empty follows pip's own configuration (PIP_INDEX_URL, pip.conf).",
            "a URL"),
    Setting("max_bandwidth", "LOKAL_MAX_BANDWIDTH", "0", int,
            "Download speed limit for pulls in bytes per second; 0 is unlimited (`lokal pull --max-bandwidth`).",
            "an integer"),
    Setting("debug", "LOKAL_DEBUG", "0", _bool,
            "Verbose engine logs and tracebacks.", "a boolean"),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with `Settings.from_env()`."""

    home: Path = Path("~/.lokal").expanduser()
    host: tuple[str, int] = ("127.0.0.1", 11434)
    threads: int = 0
    context: int = 4096
    keep_alive: float = 300.0
    num_parallel: int = 0
    prompt_cache: int = 0
    sse_ping: float = 10.0
    max_queue: int = 512
    max_loaded_models: int = 3
    memory_budget: int = 0
    api_keys: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    max_body: int = 100 * 1024 * 1024
    package_index: str = ""
    max_bandwidth: int = 0
    debug: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env, setting.default)
            try:
                values[setting.name] = setting.cast(raw)
            except (ValueError, TypeError) as exc:
                raise BadRequestError(
                    f"setting {setting.env}={raw!r} is invalid: expected {setting.expected} ({exc})"
                ) from None
        values.update(overrides)
        return cls(**values)

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def knowledge_dir(self) -> Path:
        return self.home / "knowledge"

    @property
    def base_url(self) -> str:
        host, port = self.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{port}"

    def compute_threads(self) -> int:
        """Compute threads for a model: the setting, else every core (chosen by bench/threads.py)."""
        if self.threads > 0:
            return self.threads
        return max(1, os.cpu_count() or 1)
