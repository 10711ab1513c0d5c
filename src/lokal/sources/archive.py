"""Carry models to machines with no network: one tar archive holding a manifest and its blobs.

`export_model` writes `lokal-model.json` (name + manifest) and `blobs/sha256-…` to a temp file and
renames it into place. `import_model` streams every blob through the blob store's verifying writer
and registers the name only after every digest matched; on any mismatch it removes the blobs it
added and registers nothing.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from pathlib import Path

from ..errors import BadRequestError, IntegrityError
from ..store.manifests import Manifest
from ..store.models import Model, ModelStore
from ..store.names import ModelName

INDEX = "lokal-model.json"


def export_model(store: ModelStore, name: str, output: Path) -> Path:
    model = store.get(name)
    store.verify(model)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".export-", suffix=".partial")
    os.close(fd)
    try:
        with tarfile.open(tmp, "w") as tar:
            index = json.dumps({"name": str(model.name), "manifest": model.manifest.to_json()}).encode()
            info = tarfile.TarInfo(INDEX)
            info.size = len(index)
            tar.addfile(info, io.BytesIO(index))
            for digest in sorted(model.manifest.digests()):
                tar.add(store.blobs.path(digest), arcname=f"blobs/{digest.replace(':', '-')}")
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output


def import_model(store: ModelStore, archive: Path, name: str | None = None) -> Model:
    try:
        tar = tarfile.open(archive, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BadRequestError(f"{archive} is not a lokal model archive: {exc}") from None
    added: list[str] = []
    with tar:
        member = tar.getmember(INDEX) if INDEX in tar.getnames() else None
        if member is None:
            raise BadRequestError(f"{archive} is not a lokal model archive (no {INDEX})")
        index = json.load(tar.extractfile(member))  # type: ignore[arg-type]
        manifest = Manifest.from_json(index["manifest"])
        target = ModelName.parse(name or index["name"])
        needed = manifest.digests()
        try:
            for member in tar.getmembers():
                if not member.name.startswith("blobs/") or not member.isfile():
                    continue
                digest = member.name.removeprefix("blobs/").replace("-", ":", 1)
                if digest not in needed:
                    raise IntegrityError(f"{archive} holds an unexpected blob {member.name}")
                if store.blobs.has(digest):
                    continue
                store.blobs.write_from(tar.extractfile(member), expected=digest)  # type: ignore[arg-type]
                added.append(digest)
            missing = [d for d in needed if not store.blobs.has(d)]
            if missing:
                raise IntegrityError(f"{archive} is incomplete: blob {missing[0]} is missing")
        except BaseException:
            store.prune(set(added))
            raise
    store.manifests.write(target, manifest)
    return store.get(target)
