"""Retrieval: BM25 over FTS5 and dense vectors, fused by weighted reciprocal rank fusion.

    score(chunk) = w_keyword / (k + rank_keyword) + w_dense / (k + rank_dense),  k = 60

The default weights (1.0 keyword, 0.5 dense) are measured on NorQuAD and SweQUAD-MC: equal weights
scored 0.9551 / 0.8615 nDCG@10, half weight for the vectors 0.9575 / 0.8686 (bm25 alone 0.9462 /
0.8602, dense alone 0.9192 / 0.7952).

Query words are stemmed with every language in the base. FTS5 pays for every chunk a query term
occurs in, so the commonest terms are dropped from the keyword query while their chunks add up to
more than `KEYWORD_BUDGET`: they are the words BM25 weighs least. At 100k chunks this takes a
10-word question from 160 ms to about 15 ms; small bases keep every term. Every hit carries its
scores, ranks and citation. A query is searched by its first `QUERY_CHARS` characters (e5 reads
512 tokens; a pasted document as a question would otherwise stem and embed for seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import BadRequestError, ConflictError
from .base import KnowledgeBase
from .languages import query_terms

MODES = ("hybrid", "bm25", "dense")
KEYWORD_BUDGET = 10_000
QUERY_CHARS = 2000
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lokal-query")
Reranker = Callable[[str, str, list[str]], list[float]]  # (model, query, texts) → one score per text


@dataclass
class SearchOptions:
    top_k: int = 5
    mode: str = "hybrid"
    rrf_k: int = 60
    keyword_weight: float = 1.0
    dense_weight: float = 0.5  # measured: bench/retrieval.py (README, "Knowledge retrieval")
    candidates: int = 50
    rerank: str = ""  # a model that reorders the fused top `rerank_depth` (a reranker or a chat model)
    rerank_depth: int = 20
    # a follow-up's earlier turns, fused as retrievers of their own (0 ignores them). Measured on
    # two-turn sets made from NorQuAD/SweQUAD (bench/retrieval.py): at 2.0 follow-ups gain +0.19/+0.08
    # nDCG@10 over the last message alone, and a change of topic costs −0.005/−0.02 (4.0: +0.25/+0.14
    # and −0.01/−0.04)
    history_weight: float = 2.0

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
        if not 1 <= options.top_k <= 100 or options.candidates < 1 or options.rrf_k < 0 \
                or not 1 <= options.rerank_depth <= 100:
            raise BadRequestError("top_k and rerank_depth must be 1–100, candidates at least 1, rrf_k not negative")
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
    kept = sorted(terms, key=lambda t: frequencies[t])
    while len(kept) > 1 and sum(frequencies[t] for t in kept) > KEYWORD_BUDGET:
        kept.pop()
    return base.store.keyword_search(kept, limit)


def dense_ranking(base: KnowledgeBase, query: Future[np.ndarray], limit: int) -> list[tuple[int, float]]:
    if base.store.meta("reindexing"):
        raise ConflictError(f"knowledge base '{base.name}' is half re-embedded; run `lokal kb reindex {base.name}`")
    base.index.refresh(base.store)
    return base.index.search(query.result(), limit)


def _rankings(base: KnowledgeBase, query: str, options: SearchOptions,
              vectors: dict[str, Future[np.ndarray]]) -> dict[str, list[tuple[int, float]]]:
    rankings: dict[str, list[tuple[int, float]]] = {}
    depth = max(options.candidates, options.top_k)
    # the query embedding (C, GIL released) runs beside the keyword search (SQLite, GIL released);
    # bases with the same embedder share it
    if options.mode != "bm25" and base.embedder.id not in vectors:
        vectors[base.embedder.id] = _pool.submit(base.embedder.query, query)
    if options.mode in ("hybrid", "bm25"):
        rankings["bm25"] = keyword_ranking(base, query, depth)
    if options.mode in ("hybrid", "dense"):
        rankings["dense"] = dense_ranking(base, vectors[base.embedder.id], depth)
    return rankings


def search_many(bases: list[KnowledgeBase], query: str, options: SearchOptions | None = None,
                reranker: Reranker | None = None, context: str = "") -> list[Hit]:
    """Hits from one or more bases. Each retriever's lists are merged across bases by raw score
    (cosine, BM25) before ranks are fused, so one base's best is not everyone's rank 1. With
    `options.rerank`, the fused top `rerank_depth` are reordered by that model's scores.

    `context` is a follow-up's earlier turns ("and in Bergen?" after a question about hotel
    prices): the query with its context is searched too, and those rankings join the fusion with
    `history_weight` (measured in bench/retrieval.py's follow-up table)."""
    options = options or SearchOptions()
    if not query.strip():
        raise BadRequestError("the search query is empty")
    query = query[:QUERY_CHARS]
    queries = {"": query}
    if context.strip() and options.history_weight > 0:
        queries["+history"] = f"{context} {query}"[-QUERY_CHARS:]
    merged: dict[str, list[tuple[float, int, int]]] = {}  # retriever → (raw score, base index, chunk id)
    for suffix, text in queries.items():
        vectors: dict[str, Future[np.ndarray]] = {}
        for index, base in enumerate(bases):
            for name, ranking in _rankings(base, text, options, vectors).items():
                merged.setdefault(name + suffix, []).extend((raw, index, chunk_id) for chunk_id, raw in ranking)
    weights = {"bm25": options.keyword_weight, "dense": options.dense_weight,
               "bm25+history": options.keyword_weight * options.history_weight,
               "dense+history": options.dense_weight * options.history_weight}
    scores: dict[tuple[int, int], float] = {}
    ranks: dict[tuple[int, int], dict[str, int]] = {}
    for name, items in merged.items():
        items.sort(key=lambda item: -item[0])
        for rank, (raw, index, chunk_id) in enumerate(items[:max(options.candidates, options.top_k)], start=1):
            key = (index, chunk_id)
            fused = weights[name] / (options.rrf_k + rank) if options.mode == "hybrid" else raw
            scores[key] = scores.get(key, 0.0) + fused
            ranks.setdefault(key, {})[name] = rank
    best = sorted(scores, key=lambda k: -scores[k])[:options.top_k]
    if options.rerank:  # the fused head is reordered by the model; the rest keep their fused order
        best = sorted(scores, key=lambda k: -scores[k])[:max(options.top_k, options.rerank_depth)]
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for index, base in enumerate(bases):
        found = base.store.chunks([c for i, c in best if i == index])
        rows.update({(index, c): row for c, row in found.items()})
    best = [key for key in best if key in rows]
    if options.rerank and best:
        if reranker is None:
            raise BadRequestError("reranking needs the engine: search through `lokal serve` or the CLI")
        head, tail = best[:options.rerank_depth], best[options.rerank_depth:]
        scores.update(zip(head, reranker(options.rerank, query, [rows[key]["text"] for key in head])))
        head.sort(key=lambda k: -scores[k])
        for rank, key in enumerate(head, start=1):
            ranks[key]["rerank"] = rank
        best = (head + tail)[:options.top_k]
    return [Hit(key[1], scores[key], rows[key]["path"], rows[key]["page"], rows[key]["heading"], rows[key]["text"],
                rows[key]["start"], rows[key]["end"], bases[key[0]].name, ranks[key]) for key in best]


def search(base: KnowledgeBase, query: str, options: SearchOptions | None = None,
           reranker: Reranker | None = None, context: str = "") -> list[Hit]:
    return search_many([base], query, options, reranker, context)
