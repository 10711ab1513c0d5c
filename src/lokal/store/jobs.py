"""Files and batches of the OpenAI Batch API, in `LOKAL_HOME/batches.db`, so jobs survive a restart.

    files    id, filename, purpose, bytes, created_at — the bytes live in `files/ID`, written atomically
    batches  id, status, endpoint, input/output/error file ids, request counts, timestamps, metadata
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from .sqlite import Database

TIMESTAMPS = ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
              "cancelled_at")


def m001_initial(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE files (id TEXT PRIMARY KEY, filename TEXT NOT NULL, purpose TEXT NOT NULL, "
                 "bytes INTEGER NOT NULL, created_at INTEGER NOT NULL)")
    conn.execute("CREATE TABLE batches (id TEXT PRIMARY KEY, status TEXT NOT NULL, endpoint TEXT NOT NULL, "
                 "input_file_id TEXT NOT NULL, completion_window TEXT NOT NULL, output_file_id TEXT, "
                 "error_file_id TEXT, errors TEXT, metadata TEXT, request_counts TEXT NOT NULL, "
                 "created_at INTEGER NOT NULL, expires_at INTEGER, "
                 + ", ".join(f"{t} INTEGER" for t in TIMESTAMPS) + ")")


class JobStore:
    def __init__(self, home: Path) -> None:
        self.files_dir = home / "files"
        self.db = Database(home / "batches.db", [m001_initial])

    def close(self) -> None:
        self.db.close()

    # files
    def add_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        file_id = f"file-{secrets.token_hex(12)}"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.files_dir, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, self.files_dir / file_id)
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO files VALUES (?, ?, ?, ?, ?)", (file_id, filename, purpose, len(data), int(time.time())))
        return self.file(file_id)

    def file(self, file_id: str) -> dict[str, Any]:
        row = self.db.row("SELECT * FROM files WHERE id = ?", (file_id,))
        if row is None:
            raise NotFoundError(f"No such File object: {file_id}")
        return {"id": row["id"], "object": "file", "bytes": row["bytes"], "created_at": row["created_at"],
                "filename": row["filename"], "purpose": row["purpose"], "status": "processed"}

    def files(self) -> list[dict[str, Any]]:
        return [self.file(r[0]) for r in self.db.rows("SELECT id FROM files ORDER BY created_at DESC")]

    def file_path(self, file_id: str) -> Path:
        self.file(file_id)
        return self.files_dir / file_id

    def remove_file(self, file_id: str) -> None:
        path = self.file_path(file_id)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
        path.unlink(missing_ok=True)

    # batches
    def add_batch(self, endpoint: str, input_file_id: str, completion_window: str, metadata: dict | None,
                  total: int) -> dict[str, Any]:
        batch_id = f"batch_{secrets.token_hex(12)}"
        now = int(time.time())
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO batches (id, status, endpoint, input_file_id, completion_window, metadata, "
                         "request_counts, created_at, expires_at) VALUES (?, 'validating', ?, ?, ?, ?, ?, ?, ?)",
                         (batch_id, endpoint, input_file_id, completion_window, json.dumps(metadata),
                          json.dumps({"total": total, "completed": 0, "failed": 0}), now, now + 86400))
        return self.batch(batch_id)

    def batch(self, batch_id: str) -> dict[str, Any]:
        row = self.db.row("SELECT * FROM batches WHERE id = ?", (batch_id,))
        if row is None:
            raise NotFoundError(f"No such Batch object: {batch_id}")
        batch = dict(row)
        for key in ("errors", "metadata", "request_counts"):
            batch[key] = json.loads(batch[key]) if batch[key] else None
        return {"object": "batch", **batch}

    def batches(self, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        rows = self.db.rows("SELECT id, status FROM batches ORDER BY created_at DESC")
        return [self.batch(r[0]) for r in rows if statuses is None or r[1] in statuses]

    def update_batch(self, batch_id: str, **fields: Any) -> dict[str, Any]:
        if "status" in fields and f"{fields['status']}_at" in TIMESTAMPS:
            fields.setdefault(f"{fields['status']}_at", int(time.time()))
        for key in ("errors", "metadata", "request_counts"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        with self.db.transaction() as conn:
            conn.execute(f"UPDATE batches SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
                         (*fields.values(), batch_id))
        return self.batch(batch_id)
