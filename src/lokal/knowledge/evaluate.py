"""Retrieval evaluation on a BEIR-layout folder (corpus.jsonl, queries.jsonl, qrels.tsv).

The corpus is ingested into an evaluation base kept under `LOKAL_HOME/knowledge/eval/` (so a rerun
re-embeds nothing), each query is searched in bm25, dense and hybrid mode, chunk hits are folded
into document rankings (a document ranks where its best chunk does), and nDCG@10, Recall@5/10 and
MRR@10 are averaged over the queries that have judgements.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadRequestError
from .base import Knowledge, KnowledgeBase
from .extract import paragraphs
from .ingest import embed_document
from .search import Reranker, SearchOptions, search


@dataclass
class Dataset:
    name: str
    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_dataset(folder: Path) -> Dataset:
    need = [folder / "corpus.jsonl", folder / "queries.jsonl"]
    qrels_path = folder / "qrels.tsv" if (folder / "qrels.tsv").exists() else folder / "qrels" / "test.tsv"
    for path in [*need, qrels_path]:
        if not path.exists():
            raise BadRequestError(f"{folder} is not a BEIR-layout dataset: {path.name} is missing")
    corpus = {}
    for line in need[0].read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            title, text = row.get("title") or "", row.get("text") or ""
            corpus[str(row["_id"])] = text if not title or text.startswith(title) else f"{title}\n{text}"
    queries = {str(r["_id"]): r["text"] for r in map(json.loads, filter(str.strip, need[1].read_text().splitlines()))}
    qrels: dict[str, dict[str, int]] = {}
    for line in qrels_path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].strip().lstrip("-").isdigit():
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {q: t for q, t in queries.items() if q in qrels}
    return Dataset(folder.name, corpus, queries, qrels)


def ingest_corpus(base: KnowledgeBase, corpus: dict[str, str], progress: Callable[[int, int], None] | None = None) -> float:
    """Ingest documents given as text (path = document id); returns seconds spent. Unchanged ones are skipped."""
    started = time.perf_counter()
    known = {d["path"]: d["sha256"] for d in base.store.documents()}
    for i, (doc_id, text) in enumerate(corpus.items()):
        digest = hashlib.sha256(text.encode()).hexdigest()
        if known.get(doc_id) != digest:
            language, rows = embed_document(base, paragraphs(text))
            base.store.write_document(doc_id, sha256=digest, size=len(text), mtime=0.0, language=language, chunks=rows)
        if progress:
            progress(i + 1, len(corpus))
    stale = set(known) - set(corpus)
    if stale:
        base.store.remove_documents(stale)
    return time.perf_counter() - started


def eval_base(knowledge: Knowledge, dataset: Dataset, embedder: str | None = None) -> KnowledgeBase:
    digest = hashlib.sha256(json.dumps(sorted(dataset.corpus.items())).encode()).hexdigest()[:10]
    name = f"{dataset.name}-{digest}"[-64:].lstrip(".-_")
    if knowledge.path(name).exists():
        return knowledge.open(name, embedder=embedder)
    return knowledge.create(name, embedder=embedder)


def document_ranking(base: KnowledgeBase, query: str, options: SearchOptions,
                     reranker: Reranker | None = None, context: str = "") -> list[str]:
    ranking: list[str] = []
    for hit in search(base, query, options, reranker, context):
        if hit.path not in ranking:
            ranking.append(hit.path)
    return ranking


def scores(ranking: list[str], relevant: dict[str, int]) -> dict[str, float]:
    gains = [relevant.get(d, 0) for d in ranking[:10]]
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal)) or 1.0
    positive = {d for d, g in relevant.items() if g > 0} or {"-"}
    first = next((i for i, d in enumerate(ranking[:10]) if d in positive), None)
    return {"ndcg@10": dcg / idcg, "recall@5": len(positive & set(ranking[:5])) / len(positive),
            "recall@10": len(positive & set(ranking[:10])) / len(positive),
            "mrr@10": 0.0 if first is None else 1.0 / (first + 1)}


def evaluate(base: KnowledgeBase, dataset: Dataset, options: SearchOptions,
             reranker: Reranker | None = None) -> dict[str, float]:
    """Mean metrics over the dataset's queries, plus query latency p50/p95 in ms."""
    options = SearchOptions(**{**options.__dict__, "top_k": 100, "candidates": max(options.candidates, 100)})
    totals: dict[str, float] = {}
    latencies = []
    for query_id, text in dataset.queries.items():
        started = time.perf_counter()
        ranking = document_ranking(base, text, options, reranker)
        latencies.append((time.perf_counter() - started) * 1000)
        for metric, value in scores(ranking, dataset.qrels[query_id]).items():
            totals[metric] = totals.get(metric, 0.0) + value
    count = max(1, len(dataset.queries))
    latencies.sort()
    result = {metric: value / count for metric, value in totals.items()}
    result["p50_ms"] = latencies[len(latencies) // 2] if latencies else 0.0
    result["p95_ms"] = latencies[int(len(latencies) * 0.95)] if latencies else 0.0
    return result
