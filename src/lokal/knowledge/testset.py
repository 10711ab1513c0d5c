"""`lokal kb testset`: a local model writes question/answer pairs from a base's own chunks.

The output is a BEIR-layout folder (corpus.jsonl of the base's documents, queries.jsonl, qrels.tsv,
answers.jsonl) that `lokal kb eval --dataset` reads, so a team measures retrieval on its own data.
The model's reply is held to a JSON schema by grammar, so every pair parses.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..engine.generate import Done, Event
from ..engine.prompt import Request
from .base import KnowledgeBase

Generate = Callable[[str, Request], Iterator[Event]]  # the runtime's generate(model, request)

SCHEMA = {"type": "object", "properties": {"question": {"type": "string", "maxLength": 300},
                                           "answer": {"type": "string", "maxLength": 300}},
          "required": ["question", "answer"], "additionalProperties": False}
PROMPT = ("Write one question that the passage below answers, in the passage's language, and its short answer. "
          "Reply as JSON with keys question and answer.\n\nPassage:\n{text}")


def _write(path: Path, lines: list[str]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)


def make_testset(base: KnowledgeBase, generate: Generate, model: str, out: Path, *, count: int = 20,
                 seed: int = 0, progress: Callable[[int, int], None] | None = None) -> int:
    """Write `count` pairs into `out`; returns how many were written."""
    documents: dict[str, list[str]] = {}
    rows = base.store.all_chunks()
    for row in rows:
        documents.setdefault(row["path"], []).append(row["text"])
    picked = random.Random(seed).sample(rows, min(count, len(rows)))
    out.mkdir(parents=True, exist_ok=True)
    queries, qrels, answers = [], ["query-id\tcorpus-id\tscore"], []
    for number, row in enumerate(picked, start=1):
        request = Request(messages=[{"role": "user", "content": PROMPT.format(text=row["text"][:1500])}],
                          format=SCHEMA, options={"temperature": 0.3, "num_predict": 256, "seed": seed + number})
        done = next(e for e in generate(model, request) if isinstance(e, Done))
        try:
            pair = json.loads(done.content)
        except ValueError:
            continue
        if not str(pair.get("question", "")).strip():
            continue
        query_id = f"q{number}"
        queries.append(json.dumps({"_id": query_id, "text": pair["question"].strip()}, ensure_ascii=False))
        qrels.append(f"{query_id}\t{row['path']}\t1")
        answers.append(json.dumps({"_id": query_id, "answers": [str(pair.get("answer", "")).strip()],
                                   "corpus_id": row["path"], "chunk_id": row["id"]}, ensure_ascii=False))
        if progress:
            progress(number, len(picked))
    _write(out / "corpus.jsonl", [json.dumps({"_id": path, "title": Path(path).name, "text": "\n\n".join(texts)},
                                             ensure_ascii=False) for path, texts in documents.items()])
    _write(out / "queries.jsonl", queries)
    _write(out / "qrels.tsv", qrels)
    _write(out / "answers.jsonl", answers)
    return len(queries)
