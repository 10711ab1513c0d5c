"""Pull from an Ollama registry (OCI distribution v2): manifests by tag, blobs by digest.

`llama3.2`, `qwen2.5:0.5b`, `ns/model:tag` and `host[:port]/ns/model:tag` (`insecure` for plain
http). Blobs are fetched in parallel ranged parts, resumably, following redirects to blob
storage, and verified before the local manifest is written. Layers map one to one, except the
template: Ollama's are Go templates, so lokal keeps the GGUF's own Jinja template when it has
one, else translates the Go template (see go_template.py), else refuses with what to do.
"""

from __future__ import annotations

import json


import httpx

from ..config import Settings
from ..errors import BadRequestError, DownloadError, ModelNotFoundError
from ..store import manifests as mt
from ..store.gguf import read_gguf
from ..store.manifests import Layer, Manifest
from ..store.models import Model, ModelStore, config_from_gguf
from ..store.names import ModelName
from .download import download_parts, http_client
from .go_template import go_to_jinja
from .starters import Progress

ACCEPT = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"


def fetch_blob(client: httpx.Client, store: ModelStore, url: str, layer: Layer, settings: Settings,
               progress: Progress, headers: dict[str, str] | None = None) -> None:
    if store.blobs.has(layer.digest):
        progress({"status": f"pulling {layer.digest[7:19]}", "digest": layer.digest, "total": layer.size,
                  "completed": layer.size})
        return
    label = f"pulling {layer.digest[7:19]}"
    download_parts(client, url, store.blobs.path(layer.digest), digest=layer.digest, size=layer.size,
                   headers=headers, max_bandwidth=settings.max_bandwidth,
                   progress=lambda done, total: progress({"status": label, "digest": layer.digest,
                                                         "total": total, "completed": done}))


def register(store: ModelStore, name: ModelName, layers: list[Layer], progress: Progress,
             go_template: str | None = None) -> Model:
    """Write the local manifest for verified blobs, choosing a usable template."""
    model_layer = next((layer for layer in layers if layer.media_type == mt.MODEL), None)
    if model_layer is None:
        raise BadRequestError(f"'{name}' has no GGUF model layer")
    info = read_gguf(store.blobs.path(model_layer.digest))
    kept = [layer for layer in layers if layer.media_type != mt.TEMPLATE]
    if not info.chat_template and go_template is not None:
        jinja = go_to_jinja(go_template)
        if jinja is None:
            progress({"status": "warning: the model's Go template uses forms lokal cannot translate; "
                                "give it a Modelfile TEMPLATE (a Jinja chat template)"})
        else:
            digest, size = store.blobs.write_bytes(jinja.encode())
            kept.append(Layer(mt.TEMPLATE, digest, size))
    config = config_from_gguf(info)
    config["rootfs"] = {"type": "layers", "diff_ids": [layer.digest for layer in kept]}
    digest, size = store.blobs.write_bytes(json.dumps(config).encode())
    progress({"status": "writing manifest"})
    store.manifests.write(name, Manifest(Layer(mt.CONFIG, digest, size), kept))
    progress({"status": "success"})
    return store.get(name)


def pull_registry(store: ModelStore, name: ModelName, settings: Settings, progress: Progress,
                  insecure: bool = False) -> Model:
    scheme = "http" if insecure else "https"
    base = f"{scheme}://{name.host}/v2/{name.namespace}/{name.model}"
    progress({"status": "pulling manifest"})
    with http_client() as client:
        try:
            response = client.get(f"{base}/manifests/{name.tag}", headers={"Accept": ACCEPT}, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise DownloadError(f"cannot reach the registry {name.host}: {exc}") from None
        if response.status_code == 404:
            raise ModelNotFoundError(f"model '{name}' not found in the registry {name.host}")
        if response.status_code >= 400:
            raise DownloadError(f"registry {name.host} answered {response.status_code} for {name}")
        try:
            remote = Manifest.from_json(response.json())
        except (ValueError, KeyError, TypeError):
            raise DownloadError(f"registry {name.host} sent an unreadable manifest for {name}") from None
        go_template = None
        layers: list[Layer] = []
        for layer in remote.layers:
            fetch_blob(client, store, f"{base}/blobs/{layer.digest}", layer, settings, progress)
            if layer.media_type == mt.TEMPLATE:
                go_template = store.blobs.read_bytes(layer.digest).decode()
            layers.append(layer)
        progress({"status": "verifying sha256 digest"})
        return register(store, name, layers, progress, go_template)
