"""GGUF inspection: a bounded, fast reader of the header, metadata and tensor table.

Why not `gguf.GGUFReader`: it decodes every vocabulary and merge string in Python, 3.9 s for a
98 MB model here, and a hostile count can make it allocate or loop for a long time. This reader
walks the same format over an mmap with the `gguf` package's own constants (value types, file
types, quant block sizes), checks every count against the bytes that remain, skips large arrays
without decoding them, and checks that every tensor's data lies inside the file. A truncated or
malformed file is a `GGUFError` that says what is wrong, never a crash or a hang.
"""

from __future__ import annotations

import math
import mmap
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import gguf

from ..errors import GGUFError

MAX_TENSORS = 1 << 20
MAX_KV = 1 << 16
MAX_DIMS = 4
SMALL_ARRAY = 64  # arrays longer than this are skipped, not decoded

_SCALARS: dict[int, str] = {
    gguf.GGUFValueType.UINT8: "<B", gguf.GGUFValueType.INT8: "<b",
    gguf.GGUFValueType.UINT16: "<H", gguf.GGUFValueType.INT16: "<h",
    gguf.GGUFValueType.UINT32: "<I", gguf.GGUFValueType.INT32: "<i",
    gguf.GGUFValueType.FLOAT32: "<f", gguf.GGUFValueType.BOOL: "<?",
    gguf.GGUFValueType.UINT64: "<Q", gguf.GGUFValueType.INT64: "<q",
    gguf.GGUFValueType.FLOAT64: "<d",
}


@dataclass(frozen=True)
class LargeArray:
    """A long metadata array left undecoded: where it starts, its element type and count."""

    offset: int
    type: int
    count: int
    end: int = 0


@dataclass
class GGUFInfo:
    """What lokal needs to know about a GGUF model."""

    path: Path
    version: int
    metadata: dict[str, Any]
    tensor_count: int
    parameter_count: int
    file_size: int
    tensor_bytes: int
    tokens: dict[int, str] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.metadata.get(key, default)
        return default if isinstance(value, LargeArray) else value

    @property
    def architecture(self) -> str:
        return str(self.get("general.architecture", "unknown"))

    def arch_value(self, suffix: str, default: Any = None) -> Any:
        return self.get(f"{self.architecture}.{suffix}", default)

    @property
    def context_length(self) -> int:
        return int(self.arch_value("context_length", 0) or 0)

    @property
    def embedding_length(self) -> int:
        return int(self.arch_value("embedding_length", 0) or 0)

    @property
    def block_count(self) -> int:
        return int(self.arch_value("block_count", 0) or 0)

    @property
    def head_count(self) -> int:
        value = self.arch_value("attention.head_count", 0)
        return int(value[0] if isinstance(value, list) else value or 0)

    @property
    def head_count_kv(self) -> int:
        value = self.arch_value("attention.head_count_kv", self.head_count)
        return int(max(value) if isinstance(value, list) else value or 0)

    @property
    def quantization(self) -> str:
        file_type = self.get("general.file_type")
        if file_type is None:
            return "unknown"
        try:
            return gguf.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
        except ValueError:
            return f"type {file_type}"

    @property
    def parameter_size(self) -> str:
        """`135M`, `1.5B`, as Ollama shows it."""
        n = self.parameter_count
        if n >= 1e9:
            return f"{n / 1e9:.1f}B".replace(".0B", "B")
        if n >= 1e6:
            return f"{round(n / 1e6)}M"
        return f"{round(n / 1e3)}K"

    @property
    def chat_template(self) -> str | None:
        value = self.get("tokenizer.chat_template")
        return str(value) if value else None

    @property
    def tokenizer(self) -> str:
        return str(self.get("tokenizer.ggml.model", "unknown"))

    def token(self, key: str) -> str:
        """The text of a special token (`bos`, `eos`), or '' when the model has none."""
        token_id = self.get(f"tokenizer.ggml.{key}_token_id")
        return self.tokens.get(int(token_id), "") if token_id is not None else ""

    @property
    def vocab_size(self) -> int:
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        return tokens.count if isinstance(tokens, LargeArray) else len(tokens or [])

    def vocabulary_has(self, *texts: str) -> bool:
        """Whether every one of `texts` is a token of the vocabulary (found by its length-prefixed
        bytes in the undecoded array: one C-speed scan, no decoding of 150k strings)."""
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, list):
            return all(t in tokens for t in texts)
        if not isinstance(tokens, LargeArray):
            return False
        with open(self.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            for text in texts:
                raw = text.encode()
                if buf.find(struct.pack("<Q", len(raw)) + raw, tokens.offset, tokens.end) < 0:
                    return False
        return True

    @property
    def is_embedding_model(self) -> bool:
        arch = self.architecture
        return arch in ("bert", "nomic-bert", "jina-bert-v2", "t5encoder") or self.arch_value("pooling_type") is not None

    def summary(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "parameters": self.parameter_size,
            "parameter_count": self.parameter_count,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "embedding_length": self.embedding_length,
            "tokenizer": self.tokenizer,
            "has_chat_template": self.chat_template is not None,
        }


class _Cursor:
    def __init__(self, buf: mmap.mmap | bytes, size: int, path: Path) -> None:
        self.buf, self.size, self.pos, self.path = buf, size, 0, path

    def fail(self, what: str) -> GGUFError:
        return GGUFError(f"{self.path.name} is not a usable GGUF file: {what}")

    def need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise self.fail(f"truncated while reading {what} (offset {self.pos}, file is {self.size} bytes)")

    def unpack(self, fmt: str, what: str) -> Any:
        n = struct.calcsize(fmt)
        self.need(n, what)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return value

    def string(self, what: str) -> str:
        length = self.unpack("<Q", what)
        self.need(length, what)
        raw = bytes(self.buf[self.pos:self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_string(self, what: str) -> None:
        length = self.unpack("<Q", what)
        self.need(length, what)
        self.pos += length

    def value(self, vtype: int, key: str) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype], key)
        if vtype == gguf.GGUFValueType.STRING:
            return self.string(key)
        if vtype == gguf.GGUFValueType.ARRAY:
            etype = self.unpack("<I", key)
            count = self.unpack("<Q", key)
            min_size = struct.calcsize(_SCALARS[etype]) if etype in _SCALARS else 8
            if etype not in _SCALARS and etype != gguf.GGUFValueType.STRING:
                raise self.fail(f"metadata {key!r} is an array of unsupported type {etype}")
            if count * min_size > self.size - self.pos:
                raise self.fail(f"metadata {key!r} claims {count} elements, more than the file holds")
            if count > SMALL_ARRAY:
                start = self.pos
                self.skip_array(etype, count, key)
                return LargeArray(start, etype, count, self.pos)
            return [self.value(etype, key) for _ in range(count)]
        raise self.fail(f"metadata {key!r} has unknown value type {vtype}")

    def skip_array(self, etype: int, count: int, key: str) -> None:
        if etype in _SCALARS:
            n = struct.calcsize(_SCALARS[etype]) * count
            self.need(n, key)
            self.pos += n
            return
        for _ in range(count):
            self.skip_string(key)


def _tensor_nbytes(ggml_type: int, n_elements: int, name: str, cur: _Cursor) -> int:
    try:
        block_size, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        raise cur.fail(f"tensor {name!r} has unknown type {ggml_type}") from None
    return n_elements * type_size // block_size


def read_gguf(path: str | Path) -> GGUFInfo:
    """Inspect a GGUF file; raises GGUFError for anything malformed.

    Results are kept per (path, size, mtime): the scheduler plans every request from the model's
    metadata, and parsing a 150k-token vocabulary took 0.35 s a request for Qwen2.5."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise GGUFError(f"cannot open {path}: {exc.strerror}") from None
    return _read(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _read(name: str, size: int, _mtime_ns: int) -> GGUFInfo:
    path = Path(name)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise GGUFError(f"cannot open {path}: {exc.strerror}") from None
    with f:
        if size < 24:
            raise GGUFError(f"{path.name} is not a usable GGUF file: only {size} bytes")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(_Cursor(buf, size, path))


def _parse(cur: _Cursor) -> GGUFInfo:
    magic = bytes(cur.buf[0:4])
    if magic != b"GGUF":
        raise cur.fail(f"wrong magic {magic!r} (expected b'GGUF')")
    cur.pos = 4
    version = cur.unpack("<I", "version")
    if version not in (2, 3):
        raise cur.fail(f"unsupported GGUF version {version} (2 and 3 are supported)")
    tensor_count = cur.unpack("<Q", "tensor count")
    kv_count = cur.unpack("<Q", "metadata count")
    if tensor_count > MAX_TENSORS or tensor_count * 24 > cur.size:
        raise cur.fail(f"absurd tensor count {tensor_count}")
    if kv_count > MAX_KV or kv_count * 12 > cur.size:
        raise cur.fail(f"absurd metadata count {kv_count}")

    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cur.string("metadata key")
        vtype = cur.unpack("<I", key)
        metadata[key] = cur.value(vtype, key)

    parameters = 0
    tensors: list[tuple[str, int, int, int]] = []
    for _ in range(tensor_count):
        name = cur.string("tensor name")
        n_dims = cur.unpack("<I", name)
        if n_dims > MAX_DIMS:
            raise cur.fail(f"tensor {name!r} has {n_dims} dimensions")
        dims = [cur.unpack("<Q", name) for _ in range(n_dims)]
        ggml_type = cur.unpack("<I", name)
        offset = cur.unpack("<Q", name)
        n_elements = math.prod(dims)
        parameters += n_elements
        tensors.append((name, ggml_type, offset, n_elements))

    alignment = metadata.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise cur.fail(f"invalid alignment {alignment!r}")
    data_start = (cur.pos + alignment - 1) // alignment * alignment
    tensor_bytes = 0
    for name, ggml_type, offset, n_elements in tensors:
        nbytes = _tensor_nbytes(ggml_type, n_elements, name, cur)
        tensor_bytes += nbytes
        if data_start + offset + nbytes > cur.size:
            raise cur.fail(
                f"truncated: tensor {name!r} ends at byte {data_start + offset + nbytes}, file has {cur.size}"
            )

    info = GGUFInfo(cur.path, version, metadata, tensor_count, parameters, cur.size, tensor_bytes)
    info.tokens = _special_tokens(cur, metadata)
    return info


def _special_tokens(cur: _Cursor, metadata: dict[str, Any]) -> dict[int, str]:
    """Decode only the vocabulary entries for bos/eos, walking the skipped array once."""
    tokens = metadata.get("tokenizer.ggml.tokens")
    wanted = {int(metadata[k]) for k in ("tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id")
              if isinstance(metadata.get(k), int)}
    if isinstance(tokens, list):
        return {i: str(tokens[i]) for i in wanted if i < len(tokens)}
    if not isinstance(tokens, LargeArray) or not wanted or tokens.type != gguf.GGUFValueType.STRING:
        return {}
    found: dict[int, str] = {}
    cur.pos = tokens.offset
    for index in range(min(tokens.count, max(wanted) + 1)):
        if index in wanted:
            found[index] = cur.string("token")
        else:
            cur.skip_string("token")
    return found
