"""Reranking on /v1/rerank and /api/rerank: Qwen2.5-Coder-0.5B judges a small Norwegian test by yes/no."""

import httpx
import pytest

from ..conftest import QWEN
from ..helpers import knowledge_base

QUERY = "Hvor høyt er Galdhøpiggen?"
DOCUMENTS = [
    "Bergen er kjent for regn, Bryggen og Fløibanen.",
    "Oslo er hovedstaden i Norge og har rundt 700 000 innbyggere.",
    "Galdhøpiggen er Norges høyeste fjell og rager 2469 meter over havet.",
    "Norsk laks eksporteres til mange land i Europa og Asia.",
]


@pytest.mark.parametrize("path", ["/v1/rerank", "/api/rerank"])
def test_the_relevant_document_comes_first(qwen_server, path):
    response = httpx.post(qwen_server.url + path, json={"model": QWEN, "query": QUERY, "documents": DOCUMENTS},
                          timeout=120)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results][0] == 2
    assert sorted(r["index"] for r in results) == [0, 1, 2, 3]
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_top_n_and_documents_in_cohere_form(qwen_server):
    body = {"model": QWEN, "query": QUERY, "documents": [{"text": d} for d in DOCUMENTS], "top_n": 1,
            "return_documents": True}
    results = httpx.post(qwen_server.url + "/v1/rerank", json=body, timeout=120).json()["results"]
    assert results == [{"index": 2, "relevance_score": results[0]["relevance_score"],
                        "document": {"text": DOCUMENTS[2]}}]


@pytest.mark.parametrize("body, message", [
    ({"query": "q", "documents": []}, "at least one"),
    ({"query": "q", "documents": ["x"] * 1001}, "at most 1,000"),
    ({"query": "q" * 2_000_000, "documents": ["x"]}, "characters"),
    ({"query": "q", "documents": [5]}, "documents"),
])
def test_bad_requests_are_clear_400s(qwen_server, body, message):
    response = httpx.post(qwen_server.url + "/v1/rerank", json={"model": QWEN, **body}, timeout=60)
    assert response.status_code == 400 and message in response.text


def test_show_lists_rerank(qwen_server):
    shown = httpx.post(qwen_server.url + "/api/show", json={"model": QWEN}).json()
    assert "rerank" in shown["capabilities"] and "completion" in shown["capabilities"]


def test_an_unknown_model_is_a_404(qwen_server):
    response = httpx.post(qwen_server.url + "/api/rerank", json={"model": "nope", "query": "q", "documents": ["x"]})
    assert response.status_code == 404 and "error" in response.json()


def test_knowledge_search_reranks_when_asked(qwen_server):
    api = knowledge_base(qwen_server.url, "fjell", {f"doc{n}.txt": text for n, text in enumerate(DOCUMENTS)})
    plain = api.post("/api/knowledge/fjell/search", json={"query": QUERY, "top_k": 4}).json()["results"]
    assert all("rerank" not in hit["ranks"] for hit in plain)
    judged = api.post("/api/knowledge/fjell/search", json={"query": QUERY, "top_k": 2, "rerank": QWEN}).json()["results"]
    assert len(judged) == 2 and judged[0]["file"].endswith("doc2.txt") and judged[0]["ranks"]["rerank"] == 1
    assert 0 <= judged[1]["score"] <= judged[0]["score"] <= 1
    refused = api.post("/api/knowledge/fjell/search", json={"query": QUERY, "rerank": QWEN, "rerank_depth": 0})
    assert refused.status_code == 400
