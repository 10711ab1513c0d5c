"""A vision projector for the SmolLM2 starter, built here, and small images to show it.

No vision weights install offline, so the projector is untrained: a one-block SigLIP-style
encoder (Gemma 3's projector type: patch embedding, one transformer block, 2×2 average pooling,
a linear map into SmolLM2's 576-dimensional embeddings) with seeded random weights. It is a real
GGUF that the engine loads as it loads any mmproj: every image is decoded, encoded and fed to the
model as 4 embeddings. What the model makes of them means nothing, but it differs per image.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import gguf
import numpy as np


def make_projector(path: Path) -> Path:
    n_embd, ffn, image, patch, out = 64, 128, 64, 16, 576
    rng = np.random.default_rng(0)
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_name("lokal test projector for SmolLM2-135M (untrained)")
    writer.add_clip_has_vision_encoder(True)
    writer.add_clip_projector_type(gguf.VisionProjectorType.GEMMA3)
    writer.add_vision_image_size(image)
    writer.add_vision_patch_size(patch)
    writer.add_vision_embedding_length(n_embd)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_projection_dim(out)
    writer.add_vision_block_count(1)
    writer.add_vision_head_count(2)
    writer.add_vision_attention_layernorm_eps(1e-6)
    writer.add_vision_image_mean([0.5, 0.5, 0.5])
    writer.add_vision_image_std([0.5, 0.5, 0.5])
    writer.add_vision_use_gelu(True)
    writer.add_vision_projector_scale_factor(2)

    def random(name: str, *shape: int, scale: float = 0.05) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * scale).astype(np.float32))

    def constant(name: str, value: float, size: int) -> None:
        writer.add_tensor(name, np.full(size, value, np.float32))

    random("v.patch_embd.weight", n_embd, 3, patch, patch)
    random("v.patch_embd.bias", n_embd)
    random("v.position_embd.weight", (image // patch) ** 2, n_embd)
    for part in ("attn_q", "attn_k", "attn_v", "attn_out"):
        random(f"v.blk.0.{part}.weight", n_embd, n_embd)
        random(f"v.blk.0.{part}.bias", n_embd)
    for norm in ("v.blk.0.ln1", "v.blk.0.ln2", "v.post_ln"):
        constant(f"{norm}.weight", 1.0, n_embd)
        constant(f"{norm}.bias", 0.0, n_embd)
    random("v.blk.0.ffn_up.weight", ffn, n_embd)
    random("v.blk.0.ffn_up.bias", ffn)
    random("v.blk.0.ffn_down.weight", n_embd, ffn)
    random("v.blk.0.ffn_down.bias", n_embd)
    random("mm.input_projection.weight", n_embd, out, scale=0.5)
    constant("mm.soft_emb_norm.weight", 1.0, n_embd)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def png(rgb: tuple[int, int, int], size: int = 64) -> bytes:
    """A plain-coloured PNG."""
    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
