"""The model store: names → manifests → content-addressed blobs, in Ollama's on-disk layout.

A model is a manifest whose layers are blobs: the GGUF weights, and small JSON or text blobs for
template, system prompt, parameters, messages and licenses. Several names may share blobs;
removing a name deletes only the blobs no other manifest uses. Blob bytes are re-hashed before a
model is used whenever their size or mtime changed since they were last verified, so a corrupted
blob is refused instead of loaded.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path
from typing import Any

from ..errors import BadRequestError, ConflictError, ModelNotFoundError
from . import manifests as mt
from .blobs import BlobStore, normalize_digest
from .gguf import GGUFInfo, read_gguf
from .manifests import Layer, Manifest, ManifestStore
from .modelfile import ModelSpec, render_modelfile
from .names import ModelName


@dataclass
class Model:
    """A stored model, with its small layers read."""

    name: ModelName
    manifest: Manifest
    digest: str
    modified_at: datetime
    model_path: Path | None
    projector_path: Path | None  # the vision projector, for models that see images
    config: dict[str, Any]
    template: str | None = None
    system: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    remote: dict[str, Any] | None = None

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.manifest.layers)

    def to_spec(self) -> ModelSpec:
        return ModelSpec(from_=str(self.model_path or ""), parameters=dict(self.parameters), template=self.template,
                         system=self.system, messages=list(self.messages), licenses=list(self.licenses),
                         projector=str(self.projector_path) if self.projector_path else None)

    def modelfile(self) -> str:
        """The Modelfile that recreates this model (remote aliases keep their FROM line)."""
        spec = self.to_spec()
        if self.remote:
            spec.from_ = f"openai+{self.remote['url']} {self.remote['model']} {self.remote.get('api_key_env', '')}".strip()
        return render_modelfile(str(self.name), spec)

    def details(self) -> dict[str, Any]:
        """Ollama's `details` object."""
        return {
            "parent_model": "",
            "format": self.config.get("model_format", "gguf"),
            "family": self.config.get("model_family", ""),
            "families": self.config.get("model_families") or None,
            "parameter_size": self.config.get("parameter_size", ""),
            "quantization_level": self.config.get("file_type", ""),
        }


def config_from_gguf(info: GGUFInfo) -> dict[str, Any]:
    return {
        "model_format": "gguf",
        "model_family": info.architecture,
        "model_families": [info.architecture],
        "model_type": info.parameter_size,
        "parameter_size": info.parameter_size,
        "file_type": info.quantization,
        "context_length": info.context_length,
        "embedding_length": info.embedding_length,
        "architecture": "amd64",
        "os": "linux",
    }


class ModelStore:
    """`LOKAL_HOME/models`: blobs and manifests together."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = BlobStore(root / "blobs")
        self.manifests = ManifestStore(root / "manifests")
        self._verified_path = root / "blobs" / ".verified.json"

    # reading -------------------------------------------------------------------------------

    def get(self, name: str | ModelName) -> Model:
        parsed = ModelName.parse(name) if isinstance(name, str) else name
        manifest = self.manifests.read(parsed)
        if manifest is None:
            raise ModelNotFoundError(f"model '{parsed}' not found, try `lokal pull {parsed}`")
        path = self.manifests.path(parsed)
        return self._load(parsed, manifest, sha256(path.read_bytes()).hexdigest(),
                          datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))

    def exists(self, name: str | ModelName) -> bool:
        parsed = ModelName.parse(name) if isinstance(name, str) else name
        return self.manifests.path(parsed).is_file()

    def list(self) -> list[Model]:
        models = []
        for name in self.manifests.names():
            try:
                models.append(self.get(name))
            except Exception:  # an unreadable manifest must not hide the others from `lokal list`
                continue
        return sorted(models, key=lambda m: m.modified_at, reverse=True)

    def _json_layer(self, manifest: Manifest, media_type: str) -> Any:
        layer = manifest.layer(media_type)
        return json.loads(self.blobs.read_bytes(layer.digest)) if layer else None

    def _text_layer(self, manifest: Manifest, media_type: str) -> str | None:
        layer = manifest.layer(media_type)
        return self.blobs.read_bytes(layer.digest).decode() if layer else None

    def _load(self, name: ModelName, manifest: Manifest, digest: str, modified: datetime) -> Model:
        model_layer = manifest.layer(mt.MODEL)
        config = json.loads(self.blobs.read_bytes(manifest.config.digest))
        licenses = [self.blobs.read_bytes(layer.digest).decode()
                    for layer in manifest.layers if layer.media_type == mt.LICENSE]
        return Model(
            name=name, manifest=manifest, digest=digest, modified_at=modified,
            model_path=self.blobs.path(model_layer.digest) if model_layer else None,
            projector_path=self.blobs.path(projector.digest) if (projector := manifest.layer(mt.PROJECTOR)) else None,
            config=config,
            template=self._text_layer(manifest, mt.TEMPLATE),
            system=self._text_layer(manifest, mt.SYSTEM),
            parameters=self._json_layer(manifest, mt.PARAMS) or {},
            messages=self._json_layer(manifest, mt.MESSAGES) or [],
            licenses=licenses,
            remote=self._json_layer(manifest, mt.REMOTE),
        )

    # verification ----------------------------------------------------------------------------

    def verify(self, model: Model) -> None:
        """Re-hash any blob of the model whose size or mtime changed since it was last verified."""
        seen = self._read_verified()
        changed = False
        for layer in model.manifest.layers:
            path = self.blobs.path(layer.digest)
            try:
                stat = path.stat()
            except FileNotFoundError:
                self.blobs.verify(layer.digest)  # raises a clear "missing" error
                continue
            stamp = [stat.st_size, stat.st_mtime_ns]
            if seen.get(layer.digest) != stamp:
                self.blobs.verify(layer.digest)
                seen[layer.digest] = stamp
                changed = True
        if changed:
            _atomic_write(self._verified_path, json.dumps(seen).encode())

    def _read_verified(self) -> dict[str, list[int]]:
        try:
            data = json.loads(self._verified_path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    # writing ---------------------------------------------------------------------------------

    def _put_json(self, value: Any, media_type: str) -> Layer:
        digest, size = self.blobs.write_bytes(json.dumps(value).encode())
        return Layer(media_type, digest, size)

    def _put_text(self, value: str, media_type: str) -> Layer:
        digest, size = self.blobs.write_bytes(value.encode())
        return Layer(media_type, digest, size)

    def import_gguf(self, path: Path, progress: Callable[[int], None] | None = None) -> tuple[Layer, dict[str, Any]]:
        """Copy a GGUF file into the blob store (after inspecting it) and return its layer and config."""
        info = read_gguf(path)
        digest, size = self.blobs.write_file(path, progress)
        return Layer(mt.MODEL, digest, size), config_from_gguf(info)

    def projector_layer(self, digest: str) -> Layer:
        """A projector layer for a blob in the store, which must be a vision projector GGUF."""
        digest = normalize_digest(digest)
        info = read_gguf(self.blobs.path(digest))
        if info.architecture != "clip":
            raise BadRequestError(f"{digest} is a {info.architecture} GGUF, not a projector (architecture clip)")
        return Layer(mt.PROJECTOR, digest, self.blobs.size(digest))

    def model_layer_from_blob(self, digest: str) -> tuple[Layer, dict[str, Any]]:
        """A model layer for a blob already in the store (uploaded through /api/blobs)."""
        digest = normalize_digest(digest)
        info = read_gguf(self.blobs.path(digest))
        return Layer(mt.MODEL, digest, self.blobs.size(digest)), config_from_gguf(info)

    def create(self, name: str | ModelName, spec: ModelSpec, base: Model | None = None,
               model_layer: tuple[Layer, dict[str, Any]] | None = None,
               remote: dict[str, Any] | None = None, projector: Layer | None = None) -> Model:
        """Write a manifest for `spec` on top of `base` (a stored model) or a new model layer; a
        `projector` replaces the base's (if any)."""
        parsed = ModelName.parse(name) if isinstance(name, str) else name
        layers: list[Layer] = []
        if base is not None:
            config = dict(base.config)
            kept = (mt.MODEL, mt.REMOTE) if projector else (mt.MODEL, mt.REMOTE, mt.PROJECTOR)
            layers += [layer for layer in base.manifest.layers if layer.media_type in kept]
            parameters = {**base.parameters, **spec.parameters}
            template = spec.template if spec.template is not None else base.template
            system = spec.system if spec.system is not None else base.system
            messages = spec.messages or base.messages
            licenses = spec.licenses or base.licenses
        elif model_layer is not None or remote is not None:
            if model_layer is not None:
                layers.append(model_layer[0])
                config = dict(model_layer[1])
            else:
                config = {"model_format": "remote", "model_family": "remote", "parameter_size": "", "file_type": ""}
                layers.append(self._put_json(remote, mt.REMOTE))
            parameters, template, system = dict(spec.parameters), spec.template, spec.system
            messages, licenses = list(spec.messages), list(spec.licenses)
        else:
            raise BadRequestError("a model needs a base model, a GGUF file or a remote engine")
        if projector is not None:
            if remote is not None or (base is not None and base.remote):
                raise BadRequestError("a remote model cannot take a projector: the remote engine serves it")
            layers.append(projector)
        if template is not None:
            layers.append(self._put_text(template, mt.TEMPLATE))
        if system is not None:
            layers.append(self._put_text(system, mt.SYSTEM))
        if parameters:
            layers.append(self._put_json(parameters, mt.PARAMS))
        if messages:
            layers.append(self._put_json(messages, mt.MESSAGES))
        for text in licenses:
            layers.append(self._put_text(text, mt.LICENSE))
        config["rootfs"] = {"type": "layers", "diff_ids": [layer.digest for layer in layers]}
        digest, size = self.blobs.write_bytes(json.dumps(config).encode())
        self.manifests.write(parsed, Manifest(Layer(mt.CONFIG, digest, size), layers))
        return self.get(parsed)

    def copy(self, source: str | ModelName, destination: str | ModelName) -> Model:
        src = self.get(source)
        dst = ModelName.parse(destination) if isinstance(destination, str) else destination
        if dst == src.name:
            raise ConflictError(f"'{dst}' is the same model as '{src.name}'")
        self.manifests.write(dst, src.manifest)
        return self.get(dst)

    def remove(self, name: str | ModelName) -> list[str]:
        """Delete a name; returns the blobs deleted because nothing else used them."""
        parsed = ModelName.parse(name) if isinstance(name, str) else name
        manifest = self.manifests.read(parsed)
        if manifest is None:
            raise ModelNotFoundError(f"model '{parsed}' not found")
        self.manifests.delete(parsed)
        return self.prune(manifest.digests())

    def prune(self, candidates: set[str]) -> list[str]:
        in_use: set[str] = set()
        for other in self.manifests.names():
            manifest = self.manifests.read(other)
            if manifest:
                in_use |= manifest.digests()
        removed = sorted(candidates - in_use)
        for digest in removed:
            self.blobs.remove(digest)
        return removed


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
