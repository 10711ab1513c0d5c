"""Malformed GGUF files give clear errors, never a crash or a hang."""

import struct

import pytest

from lokal.errors import GGUFError
from lokal.store.gguf import read_gguf


def test_reads_the_starter(smollm2):
    info = read_gguf(smollm2.model_path)
    assert info.architecture == "llama"
    assert info.parameter_size == "135M"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.embedding_length == 576
    assert info.tokenizer == "gpt2"
    assert "<|im_start|>" in info.chat_template
    assert info.token("eos") == "<|im_end|>"


def test_truncated_file_is_refused(smollm2, tmp_path):
    data = smollm2.model_path.read_bytes()
    for cut in (10, 2000, len(data) // 2, len(data) - 1):
        bad = tmp_path / f"cut{cut}.gguf"
        bad.write_bytes(data[:cut])
        with pytest.raises(GGUFError, match="not a usable GGUF|truncated"):
            read_gguf(bad)


def test_wrong_magic_is_refused(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGML" + b"\0" * 100)
    with pytest.raises(GGUFError, match="wrong magic"):
        read_gguf(bad)


def test_absurd_tensor_count_is_refused(tmp_path):
    bad = tmp_path / "absurd.gguf"
    bad.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 2**62, 0) + b"\0" * 64)
    with pytest.raises(GGUFError, match="absurd tensor count"):
        read_gguf(bad)


def test_absurd_array_count_is_refused(tmp_path):
    key = b"tokenizer.ggml.tokens"
    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
    bad = tmp_path / "array.gguf"
    bad.write_bytes(header + struct.pack("<IIQ", 9, 8, 2**40) + b"\0" * 64)
    with pytest.raises(GGUFError, match="claims"):
        read_gguf(bad)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(GGUFError, match="cannot open"):
        read_gguf(tmp_path / "nope.gguf")
