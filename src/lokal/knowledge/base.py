"""Named knowledge bases under `LOKAL_HOME/knowledge/`: one SQLite file each, plus a folder of uploads.

A base is bound to folders on disk (`lokal kb add`) and to files uploaded to it, which are kept in
`NAME.files/` beside the database and synced like any folder. The embedder is chosen when the base
is created and recorded in it; asking for a different one is refused until `lokal kb reindex`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadRequestError, ConflictError, NotFoundError
from ..store.knowledge import KnowledgeStore
from .embed import DEFAULT, Embedder, embedder_for
from .vectors import VectorIndex

if TYPE_CHECKING:
    from ..engine.scheduler import Scheduler

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _resolved(path: Path) -> Path:
    text = str(path)
    if "\x00" in text or len(text) > 4096:
        raise BadRequestError(f"folder {text[:80]!r} is not a usable path")
    return path.expanduser().resolve()


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name) or name.endswith((".db", ".files")):
        raise BadRequestError(f"knowledge base name {name!r} is invalid: use letters, digits, '.', '_' or '-' "
                              "(at most 64, starting with a letter or digit)")
    return name


class KnowledgeBase:
    def __init__(self, name: str, store: KnowledgeStore, embedder: Embedder, uploads: Path) -> None:
        self.name, self.store, self.embedder, self.uploads = name, store, embedder, uploads
        self.index = VectorIndex(embedder.dim)
        self.sync_lock = threading.Lock()  # one sync or reindex at a time per base

    def folders(self) -> list[Path]:
        return [Path(p) for p in self.store.meta("folders", [])]

    def sources(self) -> list[Path]:
        """Every folder (or single file) the base holds: the bound ones, then its uploads."""
        return [*self.folders(), self.uploads]

    def add_folder(self, path: Path) -> None:
        path = _resolved(path)
        if not path.exists():
            raise NotFoundError(f"{path} does not exist")
        folders = [str(p) for p in self.folders()]
        if str(path) not in folders:
            self.store.set_meta("folders", [*folders, str(path)])

    def remove_folder(self, path: Path) -> None:
        target = str(_resolved(path))
        folders = [str(p) for p in self.folders()]
        if target not in folders:
            raise NotFoundError(f"{target} is not a folder of knowledge base '{self.name}'")
        self.store.set_meta("folders", [p for p in folders if p != target])

    def upload_path(self, filename: str) -> Path:
        """Where an uploaded file of this name lives: always directly in the base's uploads folder."""
        name = Path(filename.replace("\\", "/")).name.strip()
        if not name or name.startswith(".") or len(name.encode()) > 255 or any(ord(c) < 32 for c in name):
            raise BadRequestError(f"file name {filename[:80]!r} is not usable: give a plain file name "
                                  "(no folders, control characters or leading dot; at most 255 bytes)")
        return self.uploads / name

    def add_file(self, filename: str, data: bytes) -> Path:
        """Keep an uploaded file with the base (written atomically); the next sync ingests it."""
        target = self.upload_path(filename)
        self.uploads.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.uploads, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
        return target

    def info(self) -> dict[str, Any]:
        stats = self.store.stats()
        return {"name": self.name, "embedder": self.embedder.id, "dimensions": self.embedder.dim,
                "folders": [str(p) for p in self.folders()], **stats}


class Knowledge:
    """The registry of bases; keeps opened ones (and their in-memory vector index) for reuse."""

    def __init__(self, root: Path, scheduler: Scheduler | None = None) -> None:
        self.root, self.scheduler = root, scheduler
        self._open: dict[str, KnowledgeBase] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        return self.root / f"{check_name(name)}.db"

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.db")) if self.root.is_dir() else []

    def create(self, name: str, *, embedder: str | None = None, folders: list[Path] | None = None) -> KnowledgeBase:
        path = self.path(name)
        if path.exists():
            raise ConflictError(f"knowledge base '{name}' already exists")
        chosen = embedder_for(embedder, self.scheduler)
        for folder in folders or []:
            if not _resolved(folder).exists():
                raise NotFoundError(f"{folder} does not exist")
        store = KnowledgeStore(path)
        store.set_meta("embedder", {"spec": embedder or DEFAULT, "id": chosen.id, "dim": chosen.dim})
        base = KnowledgeBase(name, store, chosen, self.root / f"{name}.files")
        for folder in folders or []:
            base.add_folder(folder)
        with self._lock:
            self._open[name] = base
        return base

    def open(self, name: str, *, embedder: str | None = None) -> KnowledgeBase:
        with self._lock:
            base = self._open.get(name)
            if base is None:
                path = self.path(name)
                if not path.exists():
                    raise NotFoundError(f"knowledge base '{name}' not found (lokal kb create {name} FOLDER)")
                store = KnowledgeStore(path)
                recorded = store.meta("embedder")
                chosen = embedder_for(recorded["spec"], self.scheduler, recorded)
                base = KnowledgeBase(name, store, chosen, self.root / f"{name}.files")
                self._open[name] = base
        if embedder and embedder_for(embedder, self.scheduler).id != base.embedder.id:
            raise ConflictError(f"knowledge base '{name}' was embedded with {base.embedder.id}, not {embedder}; "
                                f"run `lokal kb reindex {name} --embedder {embedder}` to re-embed it")
        return base

    def rerank(self, model: str, query: str, texts: list[str]) -> list[float]:
        """Scores for `texts` by `model` (the search stage `options.rerank` names)."""
        from ..engine.rerank import rerank_documents

        if self.scheduler is None:
            raise BadRequestError("reranking needs the engine, which this registry was opened without")
        return rerank_documents(self.scheduler, model, query, texts)[0]

    def forget(self, name: str) -> None:
        with self._lock:
            base = self._open.pop(name, None)
        if base is not None:
            base.store.close()

    def delete(self, name: str) -> None:
        path = self.path(name)
        if not path.exists():
            raise NotFoundError(f"knowledge base '{name}' not found")
        self.forget(name)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.root / f"{name}.files", ignore_errors=True)

    def close(self) -> None:
        for name in list(self._open):
            self.forget(name)
