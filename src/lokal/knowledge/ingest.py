"""Ingest: sync a base with its folders — only new or changed files are extracted and embedded.

A file is unchanged when its size and mtime match the record (or, when only the mtime moved, its
sha256 does). Each document is written in its own transaction after all its chunks are embedded,
so an ingest killed at any point loses at most the document in flight, and the next sync finishes
the rest. Chunks whose text was embedded before reuse the stored vector (by content hash).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..store.knowledge import ChunkRow
from .base import Knowledge, KnowledgeBase
from .chunk import chunk
from .embed import embedder_for
from .extract import Block, Unsupported, extract, supported
from .languages import detect, stems
from .vectors import VectorIndex

BATCH = 16


@dataclass
class Progress:
    """What a sync is doing; `callback(progress)` is called as it moves."""

    files_total: int = 0
    files_done: int = 0
    chunks_embedded: int = 0
    current: str = ""
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {"files_total": self.files_total, "files_done": self.files_done, "current": self.current,
                "chunks_embedded": self.chunks_embedded, "added": self.added, "updated": self.updated,
                "removed": self.removed, "unchanged": self.unchanged, "problems": self.problems,
                "done": self.finished is not None, "seconds": round((self.finished or time.time()) - self.started, 3)}


Callback = Callable[[Progress], None]


def _files(source: Path) -> Iterator[Path]:
    if source.is_file():
        yield source
        return
    for root, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__", "node_modules")))
        for name in sorted(names):
            if not name.startswith((".", "~$")):
                yield Path(root) / name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def embed_document(base: KnowledgeBase, blocks: list[Block], progress: Progress | None = None,
                   callback: Callback | None = None) -> tuple[str, list[ChunkRow]]:
    """(language, chunk rows with vectors) for a document's blocks."""
    chunks = chunk(blocks)
    language = detect(" ".join(b.text for b in blocks[:200]))
    texts = [c.indexed_text() for c in chunks]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    vectors = base.store.vectors_for(hashes)
    missing = [i for i, h in enumerate(hashes) if h not in vectors]
    for i in range(0, len(missing), BATCH):
        batch = missing[i:i + BATCH]
        embedded = base.embedder.passages([texts[j] for j in batch])
        for j, row in zip(batch, embedded):
            vectors[hashes[j]] = np.asarray(row, dtype="<f4").tobytes()
        if progress is not None:
            progress.chunks_embedded += len(batch)
            if callback:
                callback(progress)
    rows = [ChunkRow(c.text, c.heading, c.page, c.start, c.end, h, " ".join(stems(t, language)), vectors[h])
            for c, t, h in zip(chunks, texts, hashes)]
    return language, rows


def sync(base: KnowledgeBase, callback: Callback | None = None, *, into: Progress | None = None) -> Progress:
    """Bring the base in step with its folders and uploads (progress kept in `into` when given)."""
    progress = into or Progress()
    progress.started = time.time()
    with base.sync_lock:
        found: dict[str, Path] = {}
        missing: list[str] = []  # a bound folder that is not there (an unmounted drive): keep its files
        for source in base.sources():
            if source.exists():
                for path in _files(source):
                    found[str(path)] = path
            elif source != base.uploads:
                missing.append(str(source))
                progress.problems[str(source)] = (f"{source} is missing; its documents are kept until it is back "
                                                  "or unbound")
        known = {d["path"]: d for d in base.store.documents()}
        gone = [p for p in known if p not in found and not any(p == m or p.startswith(m.rstrip("/") + "/")
                                                                for m in missing)]
        if gone:
            base.store.remove_documents(gone)
            progress.removed = gone
        progress.files_total = len(found)
        for key, path in found.items():
            progress.current = key
            if callback:
                callback(progress)
            try:
                _sync_file(base, key, path, known.get(key), progress, callback)
            except OSError as exc:  # vanished or unreadable mid-sync: record it, go on
                progress.problems[key] = f"{path.name}: {exc.strerror or exc}"
            progress.files_done += 1
        progress.current, progress.finished = "", time.time()
        if callback:
            callback(progress)
    return progress


def _sync_file(base: KnowledgeBase, key: str, path: Path, record: dict | None, progress: Progress,
               callback: Callback | None) -> None:
    stat = path.stat()
    if record and record["size"] == stat.st_size and record["mtime"] == stat.st_mtime:
        progress.unchanged += 1
        if record["status"] != "ok":
            progress.problems[key] = record["error"]
        return
    if not supported(path):
        reason = f"{path.name}: {path.suffix or 'no suffix'} is not a supported type"
        base.store.record_problem(key, status="skipped", error=reason, sha256=None, size=stat.st_size,
                                  mtime=stat.st_mtime)
        progress.problems[key] = reason
        return
    digest = sha256_of(path)
    if record and record["sha256"] == digest and record["status"] == "ok":
        base.store.touch(key, stat.st_mtime)
        progress.unchanged += 1
        return
    try:
        blocks = extract(path)
    except Unsupported as exc:
        base.store.record_problem(key, status="error", error=exc.message, sha256=digest, size=stat.st_size,
                                  mtime=stat.st_mtime)
        progress.problems[key] = exc.message
        return
    language, rows = embed_document(base, blocks, progress, callback)
    base.store.write_document(key, sha256=digest, size=stat.st_size, mtime=stat.st_mtime, language=language,
                              chunks=rows)
    (progress.updated if record else progress.added).append(key)


def reindex(knowledge: Knowledge, name: str, embedder: str | None = None,
            callback: Callable[[int, int], None] | None = None) -> int:
    """Re-embed every chunk, with a new embedder when one is named; returns the number of chunks.

    The base is flagged while vectors of two embedders are mixed, and searching it is refused until
    a reindex finishes (running it again after a crash does)."""
    base = knowledge.open(name)
    with base.sync_lock:
        if embedder:
            chosen = embedder_for(embedder, knowledge.scheduler)
            base.store.set_meta("reindexing", True)
            base.store.set_meta("embedder", {"spec": embedder, "id": chosen.id, "dim": chosen.dim})
            base.embedder, base.index = chosen, VectorIndex(chosen.dim)
        base.store.set_meta("reindexing", True)
        total, done, after = base.store.stats()["chunks"], 0, 0
        while rows := base.store.chunk_texts(after, 256):
            texts = [f"{r['heading']}\n{r['text']}" if r["heading"] else r["text"] for r in rows]
            vectors: dict[int, bytes] = {}
            for i in range(0, len(rows), BATCH):
                embedded = base.embedder.passages(texts[i:i + BATCH])
                vectors.update({rows[i + j]["id"]: np.asarray(v, dtype="<f4").tobytes() for j, v in enumerate(embedded)})
                done += len(embedded)
                if callback:
                    callback(done, total)
            base.store.set_vectors(vectors)
            after = rows[-1]["id"]
        base.store.set_meta("reindexing", False)
        return total
