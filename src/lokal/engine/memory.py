"""Memory: what a model will need before it is loaded, and what the machine has.

Estimate = weights (the GGUF's tensor bytes) + KV cache (context × slots × layers × 2 × KV heads ×
head size × 2 bytes, f16) + compute: 128 MiB of graph scratch, the logits buffer (vocabulary ×
512-token micro-batch × 4 bytes), and for Q4_0/K-quant models half the weights again, because
llama.cpp repacks those into an interleaved copy on AVX2/AVX-512 CPUs.

Models that generate also keep up to `LOKAL_PROMPT_CACHE` MiB of prompt caches in memory; it is
counted in full.

Calibrated against RSS measured here after a short request (KV pages not yet touched count in
full in the estimate): SmolLM2-135M Q4_1 4096×4 → 676 MiB estimated / 487 MiB seen;
Qwen2.5-Coder-1.5B Q4_K_M 2048×1 → 2.0 GiB / 1.7 GiB, 4096×4 → 2.4 GiB / 2.1 GiB.
"""

from __future__ import annotations

import os

from ..store.gguf import GGUFInfo

MiB = 1024 * 1024


def estimate_bytes(info: GGUFInfo, n_ctx: int, parallel: int, prompt_cache: int = 0) -> int:
    layers = info.block_count or 1
    heads = info.head_count or 1
    head_dim = int(info.arch_value("attention.key_length", 0) or (info.embedding_length // heads if heads else 0))
    kv = n_ctx * parallel * layers * 2 * max(info.head_count_kv, 1) * max(head_dim, 1) * 2
    vocab = int(info.arch_value("vocab_size", 0) or getattr(info.metadata.get("tokenizer.ggml.tokens"), "count", 0)
                or 32000)
    repacked = info.tensor_bytes // 2 if info.quantization.startswith(("Q4_0", "Q4_K", "Q5_K", "Q6_K", "IQ4")) else 0
    compute = 128 * MiB + vocab * 512 * 4 + repacked
    return info.tensor_bytes + kv + compute + prompt_cache


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
