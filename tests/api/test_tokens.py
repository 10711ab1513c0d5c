"""/api/tokenize and /api/detokenize on the starter."""

import httpx
import pytest

from ..conftest import STARTER


def test_tokenize_and_back(server):
    tokens = httpx.post(f"{server.url}/api/tokenize", json={"model": STARTER, "content": "Hei, verden!"}).json()
    assert tokens["count"] == len(tokens["tokens"]) > 0
    text = httpx.post(f"{server.url}/api/detokenize", json={"model": STARTER, "tokens": tokens["tokens"]}).json()
    assert text["content"] == "Hei, verden!"


@pytest.mark.parametrize("path, body", [
    ("/api/tokenize", {"model": STARTER, "content": 5}),
    ("/api/tokenize", {"model": STARTER, "content": "x" * 3_000_000}),
    ("/api/detokenize", {"model": STARTER, "tokens": [-1]}),
    ("/api/detokenize", {"model": STARTER, "tokens": [2**31 - 1]}),
    ("/api/detokenize", {"model": STARTER, "tokens": [49152]}),
    ("/api/generate", {"model": STARTER, "prompt": "hi", "context": [2**31 - 1], "stream": False}),
])
def test_bad_input_is_a_4xx(server, path, body):
    response = httpx.post(server.url + path, json=body, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    assert httpx.post(f"{server.url}/api/tokenize", json={"model": STARTER, "content": "ok"}).status_code == 200
