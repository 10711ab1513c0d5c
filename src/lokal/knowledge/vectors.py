"""Vector search over a base's vectors, held in memory as one float32 matrix.

The vectors stay durable in the SQLite file; this index loads them once and reloads when the base's
generation counter moves. Small bases are searched exactly (one matrix-vector product). Above
`EXACT_UP_TO` rows the product is memory-bound (16 ms at 100k × 384 on this machine), so the index
also keeps one sign bit per dimension (48 bytes a row): the Hamming distance picks `OVERSAMPLE` ×
the wanted rows and only those are scored exactly (5 ms at 100k). An HNSW index (usearch) answers
in 0.3 ms but took 53–130 s to build 100k rows here, and it would need persisting and keeping in
step with every sync; bench/retrieval.py measures both.
"""

from __future__ import annotations

import threading

import numpy as np

from ..store.knowledge import KnowledgeStore

EXACT_UP_TO = 20_000
OVERSAMPLE = 10


class VectorIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, dim), dtype=np.float32)
        self.bits = np.zeros((0, 0), dtype=np.uint8)
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
            bits = np.packbits(matrix > 0, axis=1) if len(ids) > EXACT_UP_TO else np.zeros((0, 0), dtype=np.uint8)
            self.ids, self.matrix, self.bits, self.generation = np.asarray(ids, dtype=np.int64), matrix, bits, generation

    def search(self, query: np.ndarray, limit: int) -> list[tuple[int, float]]:
        ids, matrix, bits = self.ids, self.matrix, self.bits
        if not len(ids) or limit <= 0:
            return []
        query = query.astype(np.float32)
        limit = min(limit, len(ids))
        if len(bits) and limit * OVERSAMPLE < len(ids):
            distance = np.bitwise_count(bits ^ np.packbits(query > 0)).sum(axis=1, dtype=np.uint32)
            rows = np.argpartition(distance, limit * OVERSAMPLE)[:limit * OVERSAMPLE]
            scores = matrix[rows] @ query
        else:
            rows = np.arange(len(ids))
            scores = matrix @ query
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(int(ids[rows[i]]), float(scores[i])) for i in top]
