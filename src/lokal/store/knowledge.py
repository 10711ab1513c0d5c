"""One knowledge base's SQLite file: documents, chunks, the FTS5 keyword index and the vectors.

    documents  path, sha256, size, mtime, language, status (ok | error | skipped), error, chunks
    chunks     document, seq, text, heading path, page, character offsets, content hash,
               `terms` (the stemmed words FTS5 indexes), `vector` (float32 little-endian BLOB)
    chunks_fts FTS5 over chunks.terms (external content, kept in step by triggers)
    terms      document frequency of every term (kept in step by the writes below)
    meta       embedder id and dimension, bound folders, a generation counter bumped by every write

A document is replaced in one transaction (old chunks out, new chunks and vectors in), so a sync
killed at any moment leaves every document either as it was or fully updated. Vectors are stored
with their chunk's content hash, so re-ingesting unchanged text reuses them (S4).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sqlite import Database


def m001_initial(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sha256 TEXT, size INTEGER, mtime REAL,
            language TEXT, status TEXT NOT NULL, error TEXT, chunks INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL)""",
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, text TEXT NOT NULL, heading TEXT NOT NULL, page INTEGER,
            start INTEGER NOT NULL, end INTEGER NOT NULL, hash TEXT NOT NULL, terms TEXT NOT NULL, vector BLOB)""",
        "CREATE INDEX chunks_document ON chunks(document_id)",
        "CREATE INDEX chunks_hash ON chunks(hash)",
        """CREATE VIRTUAL TABLE chunks_fts USING fts5(terms, content='chunks', content_rowid='id',
                                                   tokenize='unicode61 remove_diacritics 0')""",
        "CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row')",
        """CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, terms) VALUES (new.id, new.terms); END""",
        """CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END""",
    ):
        conn.execute(statement)


def m002_term_frequencies(conn: sqlite3.Connection) -> None:
    """How many chunks hold each term: keyword search prunes its query with these, and reading them
    from fts5vocab costs 2 ms a term at 100k chunks."""
    conn.execute("CREATE TABLE terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID")
    conn.execute("INSERT INTO terms SELECT term, doc FROM chunks_vocab")


MIGRATIONS = [m001_initial, m002_term_frequencies]


@dataclass
class ChunkRow:
    text: str
    heading: str
    page: int | None
    start: int
    end: int
    hash: str
    terms: str
    vector: bytes


class KnowledgeStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = Database(path, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    # meta
    def meta(self, key: str, default: Any = None) -> Any:
        row = self.db.row("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def generation(self) -> int:
        return int(self.meta("generation", 0))

    def _bump(self, conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                     "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def _count_terms(self, conn: sqlite3.Connection, path: str, sign: int) -> None:
        """Add (sign 1) or take away (sign -1) the document's chunks from the term frequencies."""
        counts: dict[str, int] = {}
        rows = conn.execute("SELECT terms FROM chunks WHERE document_id = (SELECT id FROM documents WHERE path = ?)",
                            (path,)).fetchall()
        for row in rows:
            for term in set(row[0].split()):
                counts[term] = counts.get(term, 0) + sign
        conn.executemany("INSERT INTO terms (term, df) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                         counts.items())
        if sign < 0:
            conn.execute("DELETE FROM terms WHERE df <= 0")

    def _drop_chunks(self, conn: sqlite3.Connection, path: str) -> None:
        self._count_terms(conn, path, -1)
        conn.execute("DELETE FROM chunks WHERE document_id = (SELECT id FROM documents WHERE path = ?)", (path,))

    # documents
    def documents(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.rows("SELECT * FROM documents ORDER BY path")]

    def document(self, path: str) -> dict[str, Any] | None:
        row = self.db.row("SELECT * FROM documents WHERE path = ?", (path,))
        return dict(row) if row else None

    def _upsert(self, conn: sqlite3.Connection, path: str, **fields: Any) -> int:
        """Insert or update a document row; returns its id."""
        fields["updated_at"] = time.time()
        columns = ", ".join(fields)
        conn.execute(f"INSERT INTO documents (path, {columns}) VALUES (?, {', '.join('?' * len(fields))}) "
                     f"ON CONFLICT(path) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in fields)}",
                     (path, *fields.values()))
        return int(conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()[0])

    def write_document(self, path: str, *, sha256: str, size: int, mtime: float, language: str,
                       chunks: list[ChunkRow]) -> None:
        """Replace a document and all its chunks in one transaction."""
        with self.db.transaction() as conn:
            self._drop_chunks(conn, path)
            document_id = self._upsert(conn, path, sha256=sha256, size=size, mtime=mtime, language=language,
                                       status="ok", error=None, chunks=len(chunks))
            conn.executemany(
                "INSERT INTO chunks (document_id, seq, text, heading, page, start, end, hash, terms, vector) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(document_id, seq, c.text, c.heading, c.page, c.start, c.end, c.hash, c.terms, c.vector)
                 for seq, c in enumerate(chunks)])
            self._count_terms(conn, path, 1)
            self._bump(conn)

    def record_problem(self, path: str, *, status: str, error: str, sha256: str | None, size: int,
                       mtime: float) -> None:
        """A file that could not be ingested: keep the reason, drop any chunks it had."""
        with self.db.transaction() as conn:
            self._drop_chunks(conn, path)
            self._upsert(conn, path, sha256=sha256, size=size, mtime=mtime, status=status, error=error, chunks=0)
            self._bump(conn)

    def touch(self, path: str, mtime: float) -> None:
        """The file's bytes are unchanged; remember its new mtime so the next sync skips hashing it."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE documents SET mtime = ? WHERE path = ?", (mtime, path))

    def remove_documents(self, paths: Iterable[str]) -> None:
        with self.db.transaction() as conn:
            for path in paths:
                self._drop_chunks(conn, path)
                conn.execute("DELETE FROM documents WHERE path = ?", (path,))
            self._bump(conn)

    # chunks
    def vectors_for(self, hashes: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            rows = self.db.rows(f"SELECT hash, vector FROM chunks WHERE vector IS NOT NULL AND hash IN "
                                f"({','.join('?' * len(part))})", part)
            found.update({r[0]: r[1] for r in rows})
        return found

    def all_vectors(self) -> tuple[list[int], list[bytes]]:
        rows = self.db.rows("SELECT id, vector FROM chunks WHERE vector IS NOT NULL ORDER BY id")
        return [r[0] for r in rows], [r[1] for r in rows]

    def set_vectors(self, vectors: dict[int, bytes]) -> None:
        with self.db.transaction() as conn:
            conn.executemany("UPDATE chunks SET vector = ? WHERE id = ?", [(v, k) for k, v in vectors.items()])
            self._bump(conn)

    def chunk_texts(self, after: int = 0, limit: int = 256) -> list[sqlite3.Row]:
        return self.db.rows("SELECT c.id, c.text, c.heading FROM chunks c WHERE c.id > ? ORDER BY c.id LIMIT ?",
                            (after, limit))

    def all_chunks(self) -> list[sqlite3.Row]:
        return self.db.rows("SELECT c.id, c.text, c.heading, c.page, d.path FROM chunks c "
                            "JOIN documents d ON d.id = c.document_id ORDER BY c.id")

    def keyword_search(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        """Chunks matching any of the terms, best BM25 first (FTS5's bm25 is negative: lower is better)."""
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self.db.rows("SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
                            "ORDER BY bm25(chunks_fts) LIMIT ?", (match, limit))
        return [(r[0], -r[1]) for r in rows]

    def document_frequencies(self, terms: list[str]) -> dict[str, int]:
        if not terms:
            return {}
        rows = self.db.rows(f"SELECT term, df FROM terms WHERE term IN ({','.join('?' * len(terms))})", terms)
        return {r[0]: r[1] for r in rows}

    def chunks(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.db.rows(
            "SELECT c.id, c.text, c.heading, c.page, c.start, c.end, c.seq, d.path, d.language FROM chunks c "
            f"JOIN documents d ON d.id = c.document_id WHERE c.id IN ({','.join('?' * len(ids))})", ids)
        return {r["id"]: dict(r) for r in rows}

    def stats(self) -> dict[str, int]:
        row = self.db.row("SELECT (SELECT COUNT(*) FROM documents WHERE status = 'ok'), "
                          "(SELECT COUNT(*) FROM documents WHERE status != 'ok'), (SELECT COUNT(*) FROM chunks)")
        assert row is not None
        return {"documents": row[0], "problems": row[1], "chunks": row[2]}

    def languages(self) -> set[str]:
        return {r[0] for r in self.db.rows("SELECT DISTINCT language FROM documents WHERE language IS NOT NULL")}
