"""Retrieval: BM25 over FTS5 and dense vectors, fused by weighted reciprocal rank fusion.

    score(chunk) = w_keyword / (k + rank_keyword) + w_dense / (k + rank_dense),  k = 60

The default weights (1.0 keyword, 0.5 dense) are measured on NorQuAD and SweQUAD-MC: equal weights
scored 0.9551 / 0.8615 nDCG@10, half weight for the vectors 0.9575 / 0.8686 (bm25 alone 0.9462 /
0.8602, dense alone 0.9192 / 0.7952).

Query words are stemmed with every language in the base. FTS5 pays for every chunk a query term
occurs in, so the commonest terms are dropped from the keyword query while their chunks add up to
more than `KEYWORD_BUDGET` (and terms in over half of all chunks always): they are the words
BM25 weighs least. At 100k chunks this takes a 10-word question from 160 ms to about 15 ms;
small bases keep every term. Every hit carries its scores, ranks and citation.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import BadRequestError, ConflictError
from .base import KnowledgeBase
from .languages import query_terms

MODES = ("hybrid", "bm25", "dense")
KEYWORD_BUDGET = 10_000
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lokal-query")


@dataclass
class SearchOptions:
    top_k: int = 5
    mode: str = "hybrid"
    rrf_k: int = 60
    keyword_weight: float = 1.0
    dense_weight: float = 0.5  # measured: bench/retrieval.py (README, "Knowledge retrieval")
    candidates: int = 50

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> SearchOptions:
        raw = dict(raw or {})
        options = cls()
        for key, value in raw.items():
            if not hasattr(options, key):
                raise BadRequestError(f"unknown retrieval option {key!r} (known: {', '.join(asdict(options))})")
            expected = type(getattr(options, key))
            try:
                setattr(options, key, value if expected is str else expected(value))
            except (TypeError, ValueError):
                raise BadRequestError(f"retrieval option {key} must be a {expected.__name__}") from None
        if options.mode not in MODES:
            raise BadRequestError(f"retrieval mode {options.mode!r} is unknown (use {', '.join(MODES)})")
        if not 1 <= options.top_k <= 100 or options.candidates < 1 or options.rrf_k < 0:
            raise BadRequestError("top_k must be 1–100, candidates at least 1, rrf_k not negative")
        return options


@dataclass
class Hit:
    chunk_id: int
    score: float
    path: str
    page: int | None
    heading: str
    text: str
    start: int
    end: int
    base: str = ""
    ranks: dict[str, int] = field(default_factory=dict)

    def citation(self, snippet: int = 240) -> dict[str, Any]:
        text = " ".join(self.text.split())
        return {"knowledge": self.base, "file": self.path, "page": self.page, "heading": self.heading or None,
                "chunk_id": self.chunk_id, "score": round(self.score, 6), "start": self.start, "end": self.end,
                "snippet": text if len(text) <= snippet else text[:snippet].rsplit(" ", 1)[0] + "…"}


def keyword_ranking(base: KnowledgeBase, query: str, limit: int) -> list[tuple[int, float]]:
    terms = query_terms(query, base.store.languages() or {"en"})
    frequencies = base.store.document_frequencies(terms)
    terms = [t for t in terms if t in frequencies]  # a term no chunk holds matches nothing
    if not terms:
        return []
    half = base.store.chunk_count() / 2
    kept = sorted(terms, key=lambda t: frequencies[t])
    while len(kept) > 1 and (frequencies[kept[-1]] > half or sum(frequencies[t] for t in kept) > KEYWORD_BUDGET):
        kept.pop()
    return base.store.keyword_search(kept, limit)


def dense_ranking(base: KnowledgeBase, query: str | Future[np.ndarray], limit: int) -> list[tuple[int, float]]:
    if base.store.meta("reindexing"):
        raise ConflictError(f"knowledge base '{base.name}' is half re-embedded; run `lokal kb reindex {base.name}`")
    base.index.refresh(base.store)
    vector = base.embedder.query(query) if isinstance(query, str) else query.result()
    return base.index.search(vector, limit)


def search(base: KnowledgeBase, query: str, options: SearchOptions | None = None) -> list[Hit]:
    options = options or SearchOptions()
    if not query.strip():
        raise BadRequestError("the search query is empty")
    rankings: dict[str, list[tuple[int, float]]] = {}
    depth = max(options.candidates, options.top_k)
    # the query embedding (C, GIL released) runs beside the keyword search (SQLite, GIL released)
    vector = _pool.submit(base.embedder.query, query) if options.mode == "hybrid" else query
    if options.mode in ("hybrid", "bm25"):
        rankings["bm25"] = keyword_ranking(base, query, depth)
    if options.mode in ("hybrid", "dense"):
        rankings["dense"] = dense_ranking(base, vector, depth)
    weights = {"bm25": options.keyword_weight, "dense": options.dense_weight}
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, ranking in rankings.items():
        for rank, (chunk_id, raw) in enumerate(ranking, start=1):
            fused = weights[name] / (options.rrf_k + rank) if options.mode == "hybrid" else raw
            scores[chunk_id] = scores.get(chunk_id, 0.0) + fused
            ranks.setdefault(chunk_id, {})[name] = rank
    best = sorted(scores, key=lambda c: -scores[c])[:options.top_k]
    rows = base.store.chunks(best)
    return [Hit(c, scores[c], rows[c]["path"], rows[c]["page"], rows[c]["heading"], rows[c]["text"],
                rows[c]["start"], rows[c]["end"], base.name, ranks[c]) for c in best if c in rows]


def search_many(bases: list[KnowledgeBase], query: str, options: SearchOptions | None = None) -> list[Hit]:
    """Hits from several bases, merged by score (fused scores share one scale across bases)."""
    options = options or SearchOptions()
    hits = [hit for base in bases for hit in search(base, query, options)]
    hits.sort(key=lambda h: -h.score)
    return hits[:options.top_k]
