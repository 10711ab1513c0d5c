"""Manifests in Ollama's layout: `manifests/<host>/<namespace>/<model>/<tag>`, JSON, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IntegrityError
from .names import ModelName

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
MODEL = "application/vnd.ollama.image.model"
PROJECTOR = "application/vnd.ollama.image.projector"  # a multimodal projector GGUF (architecture "clip")
TEMPLATE = "application/vnd.ollama.image.template"
SYSTEM = "application/vnd.ollama.image.system"
PARAMS = "application/vnd.ollama.image.params"
MESSAGES = "application/vnd.ollama.image.messages"
LICENSE = "application/vnd.ollama.image.license"
REMOTE = "application/vnd.lokal.remote"  # lokal's own: a model served by a remote OpenAI-compatible engine


@dataclass(frozen=True)
class Layer:
    media_type: str
    digest: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass
class Manifest:
    config: Layer
    layers: list[Layer] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"schemaVersion": 2, "mediaType": MANIFEST_V2, "config": self.config.to_json(),
                "layers": [layer.to_json() for layer in self.layers]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        def layer(d: dict[str, Any]) -> Layer:
            return Layer(str(d["mediaType"]), str(d["digest"]), int(d["size"]))
        return cls(layer(data["config"]), [layer(d) for d in data.get("layers", [])])

    def layer(self, media_type: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.media_type == media_type), None)

    def digests(self) -> set[str]:
        return {self.config.digest, *(layer.digest for layer in self.layers)}


class ManifestStore:
    """The `manifests/` directory of a model store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: ModelName) -> Path:
        return self.root.joinpath(*name.parts)

    def read(self, name: ModelName) -> Manifest | None:
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            return Manifest.from_json(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"manifest for {name} is unreadable ({exc}); remove it with `lokal rm {name}`") from None

    def write(self, name: ModelName, manifest: Manifest) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".partial")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(manifest.to_json(), out, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, name: ModelName) -> bool:
        path = self.path(name)
        if not path.is_file():
            return False
        path.unlink()
        for parent in list(path.parents)[:3]:  # tidy empty model/namespace/host folders
            try:
                parent.rmdir()
            except OSError:
                break
        return True

    def names(self) -> list[ModelName]:
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob("*/*/*/*"):
            if path.is_file() and not path.name.startswith("."):
                rel = path.relative_to(self.root).parts
                found.append(ModelName(*rel))
        return sorted(found)
