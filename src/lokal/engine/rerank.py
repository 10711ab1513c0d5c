"""Reranking: how relevant each document is to a query, as a score in [0, 1] (higher is better).

Two ways, chosen by the model:
- a cross-encoder GGUF (rank pooling: bge-reranker, jina-reranker) is loaded in `rerank` mode and
  scores every (query, document) pair with its classification head, as llama-server's /v1/rerank;
- any chat model judges each pair by the Qwen3-Reranker method: the prompt asks whether the
  document answers the question, and the score is P(yes) / (P(yes) + P(no)) over the first
  token's distribution (one prompt per document, no token generated beyond it). The documents run
  in the model's parallel slots. The wording is measured: Qwen3-Reranker's own (instruct, query,
  document) put Qwen2.5-Coder-0.5B's gold document first on 1 of 3 Norwegian questions, with
  scores 0.23–0.32; this one (document, then question) on 3 of 3, gold 0.63–0.73 against ≤ 0.59.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..errors import BadRequestError
from ..store.gguf import read_gguf
from .plan import RANK_POOLING
from .prompt import Request, check_chars, render_prompt

if TYPE_CHECKING:
    from .generate import LoadedModel
    from .scheduler import Scheduler

MAX_DOCUMENTS = 1000
MAX_CHARS = 1_000_000
JUDGE = "You judge search results. Answer only yes or no."
ASK = "Document: {document}\n\nQuestion: {query}\n\nDoes the document contain the answer to the question? Answer yes or no."
_FLOOR = -30.0  # the log-probability of an answer that is not among the top candidates


def check_documents(query: str, documents: list[str]) -> None:
    if not documents:
        raise BadRequestError("documents must hold at least one text")
    if len(documents) > MAX_DOCUMENTS:
        raise BadRequestError(f"documents holds {len(documents):,} texts; at most {MAX_DOCUMENTS:,} per request")
    total = len(query) + sum(len(d) for d in documents)
    if total > MAX_CHARS:
        raise BadRequestError(f"query and documents are {total:,} characters; at most {MAX_CHARS:,} per request")


def judge_prompt(loaded: LoadedModel, query: str, document: str) -> str:
    user = ASK.format(document=document, query=query)
    request = Request(messages=[{"role": "system", "content": JUDGE}, {"role": "user", "content": user}])
    return render_prompt(loaded.model, loaded.info, request, request.messages, context_length=loaded.context_length)


def yes_share(top: list[dict[str, Any]]) -> float:
    """P(yes) / (P(yes) + P(no)) from the first token's top candidates (any case, any spacing)."""
    mass = {"yes": 0.0, "no": 0.0}
    for candidate in top:
        word = str(candidate.get("token", "")).strip().lower()
        if word in mass:
            mass[word] += math.exp(float(candidate.get("logprob", _FLOOR)))
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total > 0 else 0.5


def judge_scores(loaded: LoadedModel, query: str, documents: list[str]) -> list[float]:
    def score(document: str) -> float:
        prompt = judge_prompt(loaded, query, document)
        result = loaded.runner.complete_once({"prompt": prompt, "n_predict": 1, "n_probs": 20, "temperature": 0})
        content = ((result["choices"][0].get("logprobs") or {}).get("content") or [{}])[0]
        return yes_share(content.get("top_logprobs") or [])

    with ThreadPoolExecutor(max_workers=max(1, loaded.runner.parallel)) as pool:
        return list(pool.map(score, documents))


def rerank_documents(scheduler: Scheduler, name: str, query: str, documents: list[str], *,
                     keep_alive: float | None = None) -> tuple[list[float], float]:
    """(one score per document, in their order; load seconds)."""
    check_documents(query, documents)
    model = scheduler.store.get(name)
    if model.remote:
        raise BadRequestError(f"model '{name}' is remote: reranking is served by local models only")
    info = read_gguf(model.model_path) if model.model_path else None
    ranker = info is not None and info.arch_value("pooling_type") == RANK_POOLING
    if info is not None and info.is_embedding_model and not ranker:
        raise BadRequestError(f"model '{name}' is an embedding model: rerank with a reranker or a chat model")
    started = time.perf_counter()
    with scheduler.use(name, keep_alive=keep_alive, mode="rerank" if ranker else "generate") as entry:
        load = time.perf_counter() - started
        for number, text in enumerate([query, *documents]):
            check_chars(text, entry.context_length, "the query" if number == 0 else f"document {number - 1}")
        assert entry.served is not None
        return entry.served.rerank(query, documents), load
