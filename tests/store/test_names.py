import pytest

from lokal.errors import InvalidNameError
from lokal.store.names import ModelName


@pytest.mark.parametrize("text, parts, display", [
    ("llama3.2", ("registry.ollama.ai", "library", "llama3.2", "latest"), "llama3.2:latest"),
    ("qwen2.5:0.5b", ("registry.ollama.ai", "library", "qwen2.5", "0.5b"), "qwen2.5:0.5b"),
    ("starter/smollm2", ("registry.ollama.ai", "starter", "smollm2", "latest"), "starter/smollm2:latest"),
    ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
     ("hf.co", "bartowski", "Llama-3.2-1B-Instruct-GGUF", "Q4_K_M"),
     "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"),
    ("localhost:5000/team/model:v1", ("localhost:5000", "team", "model", "v1"), "localhost:5000/team/model:v1"),
])
def test_names_follow_ollama_rules(text, parts, display):
    name = ModelName.parse(text)
    assert name.parts == parts
    assert name.display == display
    assert ModelName.parse(name.display) == name


@pytest.mark.parametrize("bad", ["", "a/b/c/d", "../etc:passwd", "-model", "model:", "mo del", "a/../b", "x:t@g"])
def test_bad_names_get_a_clear_error(bad):
    with pytest.raises(InvalidNameError, match="model name"):
        ModelName.parse(bad)
