"""Conversations the web UI keeps: `LOKAL_HOME/chats.db`.

    conversations  id, title, model, system prompt, options (JSON), knowledge bases (JSON), times
    messages       conversation, role, content, thinking, citations (JSON), stats (JSON: tokens, tok/s), time
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from .sqlite import Database

FIELDS = ("title", "model", "system", "options", "knowledge")


def m001_initial(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', "
                 "system TEXT NOT NULL DEFAULT '', options TEXT NOT NULL DEFAULT '{}', "
                 "knowledge TEXT NOT NULL DEFAULT '[]', created_at REAL NOT NULL, updated_at REAL NOT NULL)")
    conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL "
                 "REFERENCES conversations(id) ON DELETE CASCADE, role TEXT NOT NULL, content TEXT NOT NULL, "
                 "citations TEXT, stats TEXT, created_at REAL NOT NULL)")
    conn.execute("CREATE INDEX messages_conversation ON messages(conversation_id, id)")


def m002_thinking(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE messages ADD COLUMN thinking TEXT NOT NULL DEFAULT ''")


class ChatStore:
    def __init__(self, path: Path) -> None:
        self.db = Database(path, [m001_initial, m002_thinking])

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def _conversation(row: sqlite3.Row) -> dict[str, Any]:
        item = dict(row)
        item["options"], item["knowledge"] = json.loads(item["options"]), json.loads(item["knowledge"])
        return item

    def list(self) -> list[dict[str, Any]]:
        return [self._conversation(r) for r in self.db.rows("SELECT * FROM conversations ORDER BY updated_at DESC")]

    def get(self, conversation_id: str) -> dict[str, Any]:
        row = self.db.row("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if row is None:
            raise NotFoundError(f"conversation {conversation_id} not found")
        item = self._conversation(row)
        item["messages"] = [
            {**dict(m), "citations": json.loads(m["citations"]) if m["citations"] else None,
             "stats": json.loads(m["stats"]) if m["stats"] else None}
            for m in self.db.rows("SELECT id, role, content, thinking, citations, stats, created_at FROM messages "
                                  "WHERE conversation_id = ? ORDER BY id", (conversation_id,))]
        return item

    def create(self, **fields: Any) -> dict[str, Any]:
        conversation_id = secrets.token_hex(8)
        now = time.time()
        values = {"title": "New chat", "model": "", "system": "", "options": {}, "knowledge": [], **fields}
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO conversations (id, title, model, system, options, knowledge, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (conversation_id, values["title"], values["model"], values["system"],
                          json.dumps(values["options"]), json.dumps(values["knowledge"]), now, now))
        return self.get(conversation_id)

    def update(self, conversation_id: str, **fields: Any) -> dict[str, Any]:
        self.get(conversation_id)
        changes = {k: json.dumps(v) if k in ("options", "knowledge") else v for k, v in fields.items() if k in FIELDS}
        with self.db.transaction() as conn:
            if changes:
                conn.execute(f"UPDATE conversations SET {', '.join(f'{k} = ?' for k in changes)}, updated_at = ? "
                             "WHERE id = ?", (*changes.values(), time.time(), conversation_id))
        return self.get(conversation_id)

    def delete(self, conversation_id: str) -> None:
        self.get(conversation_id)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def add_message(self, conversation_id: str, role: str, content: str, citations: Any = None,
                    stats: Any = None, thinking: str = "") -> dict[str, Any]:
        self.get(conversation_id)
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, thinking, citations, stats, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (conversation_id, role, content, thinking,
                                                 json.dumps(citations) if citations is not None else None,
                                                 json.dumps(stats) if stats is not None else None, time.time()))
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (time.time(), conversation_id))
        return {"id": cursor.lastrowid, "role": role, "content": content, "thinking": thinking, "citations": citations,
                "stats": stats}

    def delete_message(self, conversation_id: str, message_id: int) -> None:
        with self.db.transaction() as conn:
            if not conn.execute("DELETE FROM messages WHERE id = ? AND conversation_id = ?",
                                (message_id, conversation_id)).rowcount:
                raise NotFoundError(f"message {message_id} not found in conversation {conversation_id}")
