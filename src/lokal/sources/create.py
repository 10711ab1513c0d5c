"""Create a model from a `ModelSpec`: resolve its FROM, check its template, write the manifest.

A second FROM names a vision projector GGUF (a blob digest, or a path for the CLI).
FROM may be a local `.gguf` path (relative to the Modelfile), a blob digest already uploaded
(`sha256:…`, from /api/create `files`), a stored model name, or
`openai+http(s)://host/v1 MODEL [KEY_ENV_VAR]` for a model served by a remote OpenAI-compatible engine.
Paths are read only for the CLI (which passes the Modelfile's folder as `base_dir`): over the API
the server reads no file a client names, and a client uploads the GGUF as a blob instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..engine.template import check_template
from ..errors import BadRequestError, ModelfileError
from ..store.manifests import Layer
from ..store.modelfile import ModelSpec
from ..store.models import Model, ModelStore
from ..store.names import ModelName

REMOTE_SCHEMES = ("openai+http://", "openai+https://")


def _projector(store: ModelStore, source: str | None, base_dir: Path | None) -> Layer | None:
    """The projector layer a second FROM names: an uploaded blob, or (CLI) a file."""
    if not source:
        return None
    if source.startswith(("sha256:", "sha256-")):
        return store.projector_layer(source)
    if base_dir is None:
        raise BadRequestError("a projector is uploaded as a blob and named in files: the server reads no path")
    path = Path(source).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if not path.is_file():
        raise BadRequestError(f"FROM {source}: no such file {path}")
    layer, _ = store.import_gguf(path)
    return store.projector_layer(layer.digest)


def create_model(store: ModelStore, name: str, spec: ModelSpec, *, base_dir: Path | None = None,
                 progress: Callable[[int], None] | None = None) -> Model:
    target = ModelName.parse(name)
    if spec.template is not None:
        check_template(spec.template)
    projector = _projector(store, spec.projector, base_dir)
    source = spec.from_.strip()
    if source.startswith(REMOTE_SCHEMES):
        url, remote_model, key_env = (source.split() + ["", ""])[:3]
        if not remote_model:
            raise ModelfileError("FROM openai+http(s)://HOST/v1 needs the remote model's name after the URL "
                                 "(and optionally the environment variable holding its API key)")
        remote = {"url": url.split("+", 1)[1].rstrip("/"), "model": remote_model, "api_key_env": key_env}
        return store.create(target, spec, remote=remote, projector=projector)
    if source.startswith(("sha256:", "sha256-")):
        return store.create(target, spec, model_layer=store.model_layer_from_blob(source), projector=projector)
    if base_dir is None:
        try:
            base_name = ModelName.parse(source)
        except BadRequestError:
            raise BadRequestError(f"FROM {source!r} is not a model name: upload the GGUF with POST "
                                  "/api/blobs/sha256:<digest> and name it in files (lokal create does this)") from None
        return store.create(target, spec, base=store.get(base_name), projector=projector)
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if source.endswith(".gguf") or path.is_file():
        if not path.is_file():
            raise BadRequestError(f"FROM {source}: no such file {path}")
        return store.create(target, spec, model_layer=store.import_gguf(path, progress), projector=projector)
    base = store.get(ModelName.parse(source))
    return store.create(target, spec, base=base, projector=projector)
