"""Code infill: `suffix` on /api/generate and /v1/completions, through the official clients, on
Qwen2.5-Coder-0.5B (a fill-in-the-middle model); a model without FIM tokens refuses it."""

import ollama
import openai
import pytest

from ..conftest import QWEN, STARTER

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\n\nprint(add(2, 3))\n"


def test_ollama_client_fills_the_middle(qwen_server):
    client = ollama.Client(host=qwen_server.url)
    reply = client.generate(model=QWEN, prompt=PREFIX, suffix=SUFFIX, options={"temperature": 0, "num_predict": 20})
    assert reply.response.startswith("return a + b")  # the middle, not a chat answer about the code
    assert "<|fim" not in reply.response


def test_openai_client_fills_the_middle_streamed(qwen_server):
    client = openai.OpenAI(base_url=qwen_server.url + "/v1", api_key="unused")
    stream = client.completions.create(model=QWEN, prompt=PREFIX, suffix=SUFFIX, max_tokens=20, temperature=0,
                                       stream=True)
    assert "return a + b" in "".join(chunk.choices[0].text for chunk in stream if chunk.choices)


def test_show_says_which_models_can_insert(qwen_server):
    client = ollama.Client(host=qwen_server.url)
    assert "insert" in client.show(QWEN).capabilities
    assert "insert" not in client.show(STARTER).capabilities


def test_a_model_without_fim_tokens_refuses_insert(qwen_server):
    client = ollama.Client(host=qwen_server.url)
    with pytest.raises(ollama.ResponseError) as refused:
        client.generate(model=STARTER, prompt=PREFIX, suffix=SUFFIX)
    assert refused.value.status_code == 400 and "does not support insert" in refused.value.error
