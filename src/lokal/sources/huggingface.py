"""Pull GGUF models from the Hugging Face Hub: `hf.co/ORG/REPO[:QUANT]` (or `huggingface.co/…`).

The repo's files come from the Hub's model-info listing (`/api/models/ORG/REPO/revision/REV?blobs=true`,
which gives each LFS file's size and sha256); lokal picks the requested quantization (default
Q4_K_M, else the nearest available), takes every part of a split GGUF (`-00001-of-0000N`), and
fetches `/ORG/REPO/resolve/REV/FILE` in parallel ranged parts. `HF_TOKEN` authorises gated repos,
`HF_ENDPOINT` points at a mirror, `revision` pins a commit or branch.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import httpx

from ..config import Settings
from ..errors import DownloadError, ModelNotFoundError, UnauthorizedError
from ..store import manifests as mt
from ..store.manifests import Layer
from ..store.models import Model, ModelStore
from ..store.names import ModelName
from .download import http_client
from .ollama_registry import fetch_blob, register
from .starters import Progress

HOSTS = ("hf.co", "huggingface.co")
DEFAULT_QUANT = "Q4_K_M"
# nearest-first preference around the usual choices
QUANTS = ["Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "Q5_K_S", "Q4_1", "Q5_0", "Q5_1", "IQ4_XS", "IQ4_NL", "Q6_K",
          "Q3_K_L", "Q3_K_M", "Q8_0", "Q3_K_S", "Q2_K", "F16", "BF16", "F32"]
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.I)


@dataclass(frozen=True)
class HubFile:
    path: str
    size: int
    sha256: str


def is_hf(name: ModelName) -> bool:
    return name.host.lower() in HOSTS


def quant_of(filename: str) -> str | None:
    stem = _SPLIT.sub(".gguf", filename).rsplit("/", 1)[-1].upper()
    return next((q for q in sorted(QUANTS, key=len, reverse=True) if re.search(rf"[-_.]{q}[-_.]", stem)), None)


def choose(files: list[HubFile], wanted: str) -> list[HubFile]:
    """The files of the requested quantization (all parts of a split), else of the nearest one."""
    ggufs = [f for f in files if f.path.lower().endswith(".gguf") and "mmproj" not in f.path.lower()]
    if not ggufs:
        raise ModelNotFoundError("the repository has no GGUF files")
    by_quant: dict[str, list[HubFile]] = {}
    for f in ggufs:
        by_quant.setdefault(quant_of(f.path) or f.path, []).append(f)
    want = wanted.upper()
    if want not in by_quant:
        order = QUANTS[QUANTS.index(want):] + QUANTS[:QUANTS.index(want)][::-1] if want in QUANTS else QUANTS
        want = next((q for q in order if q in by_quant), sorted(by_quant)[0])
    return sorted(by_quant[want], key=lambda f: f.path)


def choose_projector(files: list[HubFile]) -> HubFile | None:
    """The repository's vision projector (`mmproj*.gguf`), if it has one: F16 first, as llama.cpp's -hf does."""
    projectors = sorted((f for f in files if f.path.lower().endswith(".gguf") and "mmproj" in f.path.lower()),
                        key=lambda f: f.path)
    for kind in ("F16", "BF16", "Q8_0"):
        found = next((f for f in projectors if kind in f.path.upper().replace("-", "_")), None)
        if found:
            return found
    return projectors[0] if projectors else None


def pull_hf(store: ModelStore, name: ModelName, settings: Settings, progress: Progress,
            revision: str = "main") -> Model:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    repo = f"{name.namespace}/{name.model}"
    headers = {"Authorization": f"Bearer {os.environ['HF_TOKEN']}"} if os.environ.get("HF_TOKEN") else {}
    wanted = DEFAULT_QUANT if name.tag == "latest" else name.tag
    progress({"status": "pulling manifest"})
    with http_client() as client:
        try:
            response = client.get(f"{endpoint}/api/models/{repo}/revision/{revision}", params={"blobs": "true"},
                                  headers=headers, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise DownloadError(f"cannot reach {endpoint}: {exc}") from None
        if response.status_code in (401, 403):
            raise UnauthorizedError(f"{repo} is gated or private: accept its terms on the Hub and set HF_TOKEN")
        if response.status_code == 404:
            raise ModelNotFoundError(f"no repository {repo} (revision {revision}) on {endpoint}")
        if response.status_code >= 400:
            raise DownloadError(f"{endpoint} answered {response.status_code} for {repo}")
        files = []
        for sibling in response.json().get("siblings", []):
            lfs = sibling.get("lfs") or {}
            if lfs.get("sha256"):
                files.append(HubFile(sibling["rfilename"], int(lfs.get("size", sibling.get("size", 0))), lfs["sha256"]))
        chosen = [(mt.MODEL, f) for f in choose(files, wanted)]
        projector = choose_projector(files)
        if projector is not None:
            chosen.append((mt.PROJECTOR, projector))
        layers = []
        for kind, f in chosen:
            layer = Layer(kind, f"sha256:{f.sha256}", f.size)
            fetch_blob(client, store, f"{endpoint}/{repo}/resolve/{revision}/{f.path}", layer, settings, progress,
                       headers)
            layers.append(layer)
    progress({"status": "verifying sha256 digest"})
    return register(store, name, layers, progress)
