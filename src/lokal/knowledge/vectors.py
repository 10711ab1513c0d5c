"""Exact vector search over a base's vectors, held in memory as one float32 matrix.

The vectors stay durable in the SQLite file; this index loads them once and reloads when the base's
generation counter moves. A search is one matrix-vector product and a partial sort: exact recall,
nothing to build or keep in step across processes. Measured here (bench/retrieval.py) it is
memory-bound: 16 ms at 100k × 384. Two faster paths were measured and rejected: sign-bit
prefiltering kept only 54 % of the exact top 10 within its best 5 % on e5 vectors (93 % when
centred); an HNSW index (usearch) took 53–130 s to build 100k rows on 2 vCPU and would need
persisting and updating by every process that syncs.
"""

from __future__ import annotations

import threading

import numpy as np

from ..store.knowledge import KnowledgeStore


class VectorIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, dim), dtype=np.float32)
        self.generation = -1
        self.lock = threading.Lock()

    def refresh(self, store: KnowledgeStore) -> None:
        generation = store.generation()
        if generation == self.generation:
            return
        with self.lock:
            ids, blobs = store.all_vectors()
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), self.dim) if ids else \
                np.zeros((0, self.dim), dtype=np.float32)
            self.ids, self.matrix, self.generation = np.asarray(ids, dtype=np.int64), matrix, generation

    def search(self, query: np.ndarray, limit: int) -> list[tuple[int, float]]:
        ids, matrix = self.ids, self.matrix
        if not len(ids) or limit <= 0:
            return []
        scores = matrix @ query.astype(np.float32)
        limit = min(limit, len(ids))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(int(ids[i]), float(scores[i])) for i in top]
