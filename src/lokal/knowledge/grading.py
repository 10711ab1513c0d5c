"""`lokal kb eval --answers`: how often a grounded answer is right, beside the same model closed-book.

For each question of a BEIR-layout set with `answers.jsonl` (gold spans and the document they come
from), the model answers twice at temperature 0: from the base (retrieval + the grounded prompt,
as the APIs answer) and with no documents. Scores, SQuAD-style on normalised text (lowercase, no
punctuation, one space): `contains` (a gold span occurs in the answer) and token F1; for grounded
answers also `retrieved` (the gold document is among the passages given) and `cited` (a `[n]` the
answer cites is the gold document).
"""

from __future__ import annotations

import json
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..engine.generate import Done, Event
from ..engine.prompt import Request
from ..errors import BadRequestError
from .answer import KnowledgeSpec, retrieve, with_citations
from .base import Knowledge, KnowledgeBase
from .evaluate import Dataset
from .search import SearchOptions

Generate = Callable[[str, Request], Iterator[Event]]  # the runtime's generate(model, request)
_CITE = re.compile(r"\[(\d{1,2})\]")


def load_answers(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "answers.jsonl"
    if not path.exists():
        raise BadRequestError(f"{folder} has no answers.jsonl (gold answers): --answers needs one")
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {str(row["_id"]): row for row in rows if row.get("answers")}


def normalise(text: str) -> str:
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.lower())
    return " ".join(text.split())


def contains(answer: str, golds: list[str]) -> bool:
    said = f" {normalise(answer)} "
    return any(f" {normalise(g)} " in said for g in golds if normalise(g))


def token_f1(answer: str, golds: list[str]) -> float:
    said = normalise(answer).split()
    best = 0.0
    for gold in golds:
        want = normalise(gold).split()
        common = sum(min(said.count(w), want.count(w)) for w in set(want))
        if common:
            precision, recall = common / len(said), common / len(want)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def _answer(events: Iterator[Event]) -> tuple[Done, float]:
    started = time.perf_counter()
    done = next(e for e in events if isinstance(e, Done))
    return done, time.perf_counter() - started


def grade(knowledge: Knowledge, base: KnowledgeBase, dataset: Dataset, gold: dict[str, dict[str, Any]],
          generate: Generate, model: str, *, limit: int = 50, top_k: int = 4, seed: int = 0,
          progress: Callable[[int, int], None] | None = None) -> dict[str, dict[str, float]]:
    """{"grounded": {...}, "closed-book": {...}}: mean scores and seconds per answer."""
    ids = sorted(q for q in dataset.queries if q in gold)
    picked = random.Random(seed).sample(ids, min(limit, len(ids)))
    options = {"temperature": 0, "num_predict": 64}
    totals: dict[str, dict[str, float]] = {"grounded": {}, "closed-book": {}}
    for number, query_id in enumerate(picked, start=1):
        question, row = dataset.queries[query_id], gold[query_id]
        golds, document = [str(a) for a in row["answers"]], str(row.get("corpus_id", ""))
        asked = Request(messages=[{"role": "user", "content": question}], options=options)
        request, hits = retrieve(knowledge, KnowledgeSpec([base.name], SearchOptions(top_k=top_k)), asked)
        done, seconds = _answer(with_citations(generate(model, request), hits))
        cited = {int(n) for n in _CITE.findall(done.content)}
        scores = {"contains": contains(done.content, golds), "f1": token_f1(done.content, golds),
                  "retrieved": any(hit.path == document for hit in hits),
                  "cited": any(hits[n - 1].path == document for n in cited if 0 < n <= len(hits)), "seconds": seconds}
        _add(totals["grounded"], scores)
        closed, seconds = _answer(generate(model, asked))
        _add(totals["closed-book"], {"contains": contains(closed.content, golds),
                                     "f1": token_f1(closed.content, golds), "seconds": seconds})
        if progress:
            progress(number, len(picked))
    return {mode: {k: v / max(1, len(picked)) for k, v in scores.items()} | {"questions": len(picked)}
            for mode, scores in totals.items()}


def _add(totals: dict[str, float], scores: dict[str, float | bool]) -> None:
    for key, value in scores.items():
        totals[key] = totals.get(key, 0.0) + float(value)
