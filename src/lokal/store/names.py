"""Model names, following Ollama's rules: `[host/][namespace/]model[:tag]`.

Defaults fill what is left out: host `registry.ollama.ai`, namespace `library`, tag `latest`.
So `qwen2.5:0.5b`, `starter/smollm2` and `hf.co/org/repo:Q4_K_M` all map to one manifest path
`manifests/<host>/<namespace>/<model>/<tag>` under the models directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidNameError

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,349}$")


@dataclass(frozen=True, order=True)
class ModelName:
    """A fully qualified model name."""

    host: str
    namespace: str
    model: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> ModelName:
        raw = text.strip()
        if not raw:
            raise InvalidNameError("model name is empty")
        for scheme in ("https://", "http://"):
            if raw.startswith(scheme):
                raw = raw[len(scheme):]
        path, tag = raw, DEFAULT_TAG
        last = raw.rsplit("/", 1)[-1]
        if ":" in last:
            path, _, tag = raw.rpartition(":")
        parts = path.split("/")
        if len(parts) == 1:
            host, namespace, model = DEFAULT_HOST, DEFAULT_NAMESPACE, parts[0]
        elif len(parts) == 2:
            host, (namespace, model) = DEFAULT_HOST, parts
        elif len(parts) == 3:
            host, namespace, model = parts
        else:
            raise InvalidNameError(
                f"invalid model name {text!r}: use model, model:tag, namespace/model:tag or host/namespace/model:tag"
            )
        for kind, value, pattern in (("host", host, _HOST), ("namespace", namespace, _PART),
                                     ("model", model, _PART), ("tag", tag, _TAG)):
            if not pattern.match(value) or ".." in value:
                raise InvalidNameError(
                    f"invalid model name {text!r}: {kind} {value!r} must start with a letter or digit and "
                    "use only letters, digits, '_', '-' and '.'"
                )
        return cls(host, namespace, model, tag)

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        """The shortest form that parses back to this name (what `lokal list` shows)."""
        if self.host == DEFAULT_HOST and self.namespace == DEFAULT_NAMESPACE:
            return f"{self.model}:{self.tag}"
        if self.host == DEFAULT_HOST:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def parts(self) -> tuple[str, str, str, str]:
        return (self.host, self.namespace, self.model, self.tag)
