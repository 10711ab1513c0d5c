"""Memory: what a model will need before it is loaded, and what the machine has.

Estimate = weights (the GGUF's tensor bytes) + KV cache (context × slots × layers × 2 × KV heads ×
head size × 2 bytes, f16) + compute buffers (the engine's graph scratch: logits for a batch plus
a per-layer working set, approximated as 256 MiB + 8 % of the weights).
"""

from __future__ import annotations

import os

from ..store.gguf import GGUFInfo

MiB = 1024 * 1024


def estimate_bytes(info: GGUFInfo, n_ctx: int, parallel: int) -> int:
    layers = info.block_count or 1
    heads = info.head_count or 1
    head_dim = int(info.arch_value("attention.key_length", 0) or (info.embedding_length // heads if heads else 0))
    kv = n_ctx * parallel * layers * 2 * max(info.head_count_kv, 1) * max(head_dim, 1) * 2
    compute = 256 * MiB + info.tensor_bytes * 8 // 100
    return info.tensor_bytes + kv + compute


def available_bytes() -> int:
    """Memory available to new allocations (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 8 * 1024 * MiB
