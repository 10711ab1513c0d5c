"""The OpenAI batch file formats: task lines in, result lines out (the files `vllm run-batch` uses).

    in:  {"custom_id": "t1", "method": "POST", "url": "/v1/chat/completions", "body": {...}}
    out: {"id": "batch_req_…", "custom_id": "t1", "response": {"status_code": 200, "request_id": "…",
          "body": {...}}, "error": null}

Results are appended one line per `write()` on a file opened for appending, so a process killed at
any moment leaves whole lines; a torn last line (power loss) is cut off before resuming.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

from ..errors import BadRequestError

URLS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")


def parse_tasks(text: str, source: str = "input") -> list[dict[str, Any]]:
    tasks, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except ValueError as exc:
            raise BadRequestError(f"{source} line {number} is not JSON: {exc}") from None
        if not isinstance(task, dict) or not isinstance(task.get("custom_id"), str) or not task["custom_id"]:
            raise BadRequestError(f"{source} line {number}: custom_id (a string) is required")
        if task.get("method", "POST") != "POST" or task.get("url") not in URLS:
            raise BadRequestError(f"{source} line {number}: method must be POST and url one of {', '.join(URLS)}")
        if not isinstance(task.get("body"), dict):
            raise BadRequestError(f"{source} line {number}: body must be an object")
        if task["custom_id"] in seen:
            raise BadRequestError(f"{source} line {number}: custom_id {task['custom_id']!r} is used twice")
        seen.add(task["custom_id"])
        tasks.append(task)
    return tasks


def rows_to_tasks(path: Path, *, template: str, model: str, system: str | None = None,
                  schema: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Tasks from CSV or JSONL rows: `template` is filled with each row's fields, e.g. "Summarise: {text}"."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".csv", ".tsv"):
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    tasks = []
    for number, row in enumerate(rows, start=1):
        try:
            prompt = template.format(**row)
        except KeyError as exc:
            raise BadRequestError(f"row {number} has no field {exc} used by the prompt template "
                                  f"(fields: {', '.join(row)})") from None
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        body: dict[str, Any] = {"model": model, "messages": messages}
        if schema is not None:
            body["response_format"] = schema_format(schema)
        task: dict[str, Any] = {"custom_id": str(row.get("custom_id") or row.get("id") or f"row-{number}"),
                                "method": "POST", "url": "/v1/chat/completions", "body": body}
        tasks.append({**task, "row": row})
    return tasks


def schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}


def completed_ids(output: Path) -> set[str]:
    """custom_ids already in OUTPUT; a torn last line is cut off first so appends stay valid JSONL."""
    if not output.exists():
        return set()
    data = output.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(output, "r+b") as f:
            f.truncate(cut)
        data = data[:cut]
    done = set()
    for line in data.decode("utf-8").splitlines():
        try:
            done.add(json.loads(line)["custom_id"])
        except (ValueError, KeyError, TypeError):
            continue
    return done


class Appender:
    """Appends whole lines, each with one write() (and an fsync, so a finished line survives a crash)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: dict[str, Any]) -> None:
        os.write(self.fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


def result_line(custom_id: str, status: int, body: Any) -> dict[str, Any]:
    error = None
    if status != 200:
        message = body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) \
            else str(body)
        error = {"code": str(status), "message": message}
    return {"id": f"batch_req_{secrets.token_hex(12)}", "custom_id": custom_id,
            "response": {"status_code": status, "request_id": f"req_{secrets.token_hex(12)}", "body": body},
            "error": error}
