"""The Ollama API: paths, fields and NDJSON streaming as in Ollama's docs/api.md."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from .. import __version__
from ..engine.generate import Delta, Done, Event, Progress
from ..engine.infill import fim_of
from ..engine.plan import RANK_POOLING
from ..engine.thinking import thinks
from ..engine.prompt import Request
from ..errors import BadRequestError
from ..store.gguf import read_gguf
from ..store.models import Model
from .fields import tools_of
from .ollama_schemas import ChatRequest, EmbeddingsRequest, EmbedRequest, GenerateRequest, ModelRequest
from .state import Lokal, keep_alive_of, lokal, options_of
from .streaming import NDJSON, respond

router = APIRouter()


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def ns(seconds: float) -> int:
    return int(seconds * 1e9)


def done_fields(done: Done) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "done": True, "done_reason": done.done_reason,
        "total_duration": ns(done.total_duration), "load_duration": ns(done.load_duration),
        "prompt_eval_count": done.prompt_eval_count, "prompt_eval_duration": ns(done.prompt_eval_duration),
        "eval_count": done.eval_count, "eval_duration": ns(done.eval_duration),
    }
    if done.truncated:
        fields["truncated"] = True
    if done.citations is not None:
        fields["citations"] = done.citations
    return fields


def _logprobs(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not entries:
        return None
    return [{"token": e.get("token", ""), "logprob": e.get("logprob", 0.0), "bytes": e.get("bytes"),
             "top_logprobs": [{"token": t.get("token", ""), "logprob": t.get("logprob", 0.0), "bytes": t.get("bytes")}
                              for t in e.get("top_logprobs") or []]} for e in entries]


def ollama_tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"function": {"index": i, "name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
            for i, c in enumerate(calls)]


def progress_chunk(name: str, event: Progress, shape: dict[str, Any]) -> dict[str, Any]:
    return {"model": name, "created_at": now(), **shape, "prompt_progress": event.as_dict(), "done": False}


def chat_chunks(name: str, events: Iterator[Event]) -> Iterator[dict[str, Any]]:
    for event in events:
        if isinstance(event, Progress):
            yield progress_chunk(name, event, {"message": {"role": "assistant", "content": ""}})
        elif isinstance(event, Delta):
            said: dict[str, Any] = {"role": "assistant", "content": event.content}
            if event.thinking:
                said["thinking"] = event.thinking
            chunk: dict[str, Any] = {"model": name, "created_at": now(), "message": said, "done": False}
            if event.logprobs:
                chunk["logprobs"] = _logprobs(event.logprobs)
            yield chunk
        else:
            message: dict[str, Any] = {"role": "assistant", "content": ""}
            if event.tool_calls:
                message["tool_calls"] = ollama_tool_calls(event.tool_calls)
            yield {"model": name, "created_at": now(), "message": message, **done_fields(event)}


def merge_chat(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(chunks[-1])
    final["message"] = dict(final["message"])
    final["message"]["content"] = "".join(c["message"]["content"] for c in chunks[:-1])
    thinking = "".join(c["message"].get("thinking", "") for c in chunks[:-1])
    if thinking:
        final["message"]["thinking"] = thinking
    logprobs = [lp for c in chunks[:-1] for lp in c.get("logprobs") or []]
    if logprobs:
        final["logprobs"] = logprobs
    return final


def generate_chunks(name: str, events: Iterator[Event]) -> Iterator[dict[str, Any]]:
    for event in events:
        if isinstance(event, Progress):
            yield progress_chunk(name, event, {"response": ""})
        elif isinstance(event, Delta):
            chunk: dict[str, Any] = {"model": name, "created_at": now(), "response": event.content, "done": False}
            if event.thinking:
                chunk["thinking"] = event.thinking
            if event.logprobs:
                chunk["logprobs"] = _logprobs(event.logprobs)
            yield chunk
        else:
            final: dict[str, Any] = {"model": name, "created_at": now(), "response": "", **done_fields(event)}
            if event.context is not None:
                final["context"] = event.context
            yield final


def merge_generate(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(chunks[-1])
    final["response"] = "".join(c["response"] for c in chunks[:-1])
    thinking = "".join(c.get("thinking", "") for c in chunks[:-1])
    if thinking:
        final["thinking"] = thinking
    logprobs = [lp for c in chunks[:-1] for lp in c.get("logprobs") or []]
    if logprobs:
        final["logprobs"] = logprobs
    return final


async def load_or_unload(state: Lokal, name: str, keep_alive: float | None, shape: dict[str, Any]) -> JSONResponse:
    """Ollama's idiom: an empty prompt loads the model, and with keep_alive 0 unloads it."""
    if keep_alive == 0:
        state.store.get(name)
        state.runtime.unload(name)
        return JSONResponse({"model": name, "created_at": now(), **shape, "done": True, "done_reason": "unload"})
    await to_thread.run_sync(lambda: state.runtime.load(name, keep_alive=keep_alive))
    return JSONResponse({"model": name, "created_at": now(), **shape, "done": True, "done_reason": "load"})


@router.post("/api/chat")
async def chat(body: ChatRequest, state: Lokal = Depends(lokal)) -> Response:
    keep_alive = keep_alive_of(body.keep_alive)
    if not body.messages:
        return await load_or_unload(state, body.model, keep_alive, {"message": {"role": "assistant", "content": ""}})
    request = Request(messages=[m.model_dump(exclude_none=True) for m in body.messages], tools=tools_of(body.tools),
                      format=body.format or None, options=options_of(body.options), logprobs=body.logprobs,
                      top_logprobs=body.top_logprobs, truncate=body.truncate, think=body.think,
                      progress=body.return_progress and body.stream)
    events = state.runtime.generate(body.model, request, keep_alive=keep_alive, knowledge=body.knowledge)
    return await respond(NDJSON, chat_chunks(body.model, events), stream=body.stream,
                         merge=merge_chat)


@router.post("/api/generate")
async def generate(body: GenerateRequest, state: Lokal = Depends(lokal)) -> Response:
    keep_alive = keep_alive_of(body.keep_alive)
    if not body.prompt and not body.context:
        return await load_or_unload(state, body.model, keep_alive, {"response": ""})
    request = Request(prompt=body.prompt, suffix=body.suffix or None, images=body.images or None, system=body.system, template=body.template,
                      raw=body.raw, format=body.format or None, options=options_of(body.options),
                      logprobs=body.logprobs, top_logprobs=body.top_logprobs, truncate=body.truncate,
                      context=body.context, want_context=not body.raw and not body.suffix, think=body.think,
                      progress=body.return_progress and body.stream)
    events = state.runtime.generate(body.model, request, keep_alive=keep_alive, knowledge=body.knowledge)
    return await respond(NDJSON, generate_chunks(body.model, events), stream=body.stream,
                         merge=merge_generate)


@router.post("/api/embed")
async def embed(body: EmbedRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    inputs = [body.input] if isinstance(body.input, str) else list(body.input)
    started = time.perf_counter()
    result = await to_thread.run_sync(
        lambda: state.runtime.embed(body.model, inputs, truncate=body.truncate, keep_alive=keep_alive_of(body.keep_alive),
                                    options=options_of(body.options), dimensions=body.dimensions))
    return JSONResponse({"model": body.model, "embeddings": result.vectors,
                         "total_duration": ns(time.perf_counter() - started), "load_duration": ns(result.load_seconds),
                         "prompt_eval_count": result.prompt_tokens})


@router.post("/api/embeddings")
async def embeddings(body: EmbeddingsRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    result = await to_thread.run_sync(
        lambda: state.runtime.embed(body.model, [body.prompt], keep_alive=keep_alive_of(body.keep_alive),
                                    options=options_of(body.options)))
    return JSONResponse({"embedding": result.vectors[0]})


def tag_entry(model: Model) -> dict[str, Any]:
    name = str(model.name)
    return {"name": name, "model": name, "modified_at": model.modified_at.isoformat(), "size": model.size,
            "digest": model.digest, "details": model.details()}


@router.get("/api/tags")
async def tags(state: Lokal = Depends(lokal)) -> JSONResponse:
    return JSONResponse({"models": [tag_entry(m) for m in state.store.list()]})


@router.get("/api/ps")
async def ps(state: Lokal = Depends(lokal)) -> JSONResponse:
    """One row per model, as Ollama shows it: a model loaded both to generate and to embed (two
    engine instances here) counts their memory together and expires with the later one."""
    models: dict[str, dict[str, Any]] = {}
    for row in state.runtime.loaded():  # most recently used first
        entry = row["entry"]
        shown = models.get(entry.model.name)
        if shown is None:
            models[entry.model.name] = {**tag_entry(entry.model), "expires_at": row["expires_at"], "size": entry.size,
                                        "size_vram": 0, "context_length": entry.context_length}
        else:
            shown["size"] += entry.size
            shown["expires_at"] = max(shown["expires_at"], row["expires_at"])
            shown["context_length"] = max(shown["context_length"], entry.context_length)
    return JSONResponse({"models": [{**m, "expires_at": m["expires_at"].isoformat()} for m in models.values()]})


def capabilities(model: Model) -> list[str]:
    if model.remote:
        return ["completion", "tools"]
    info = read_gguf(model.model_path) if model.model_path else None
    if info and info.arch_value("pooling_type") == RANK_POOLING:
        return ["rerank"]
    if info and info.is_embedding_model:
        return ["embedding"]
    caps = ["completion", "rerank"]  # a chat model reranks by judging yes/no
    template = model.template or (info.chat_template if info else "") or ""
    if "tools" in template or "tool_call" in template:
        caps.append("tools")
    if fim_of(info):
        caps.append("insert")
    if thinks(template):
        caps.append("thinking")
    if model.projector_path is not None:
        caps.append("vision")
    return caps


@router.post("/api/show")
async def show(body: ModelRequest, state: Lokal = Depends(lokal)) -> JSONResponse:
    from ..engine.prompt import choose_template

    model = state.store.get(body.model or body.name or "")
    info = read_gguf(model.model_path) if model.model_path else None
    model_info: dict[str, Any] = {}
    if info:
        for key, value in info.metadata.items():
            if isinstance(value, (str, int, float, bool)) or (isinstance(value, list) and body.verbose):
                model_info[key] = value
            elif not isinstance(value, list):
                model_info[key] = None
        model_info["general.parameter_count"] = info.parameter_count
    template = choose_template(model, info).source if info else (model.template or "")
    parameters = "\n".join(f"{k:<30} {json.dumps(v) if isinstance(v, str) else v}"
                           for k, values in model.parameters.items()
                           for v in (values if isinstance(values, list) else [values]))
    return JSONResponse({
        "license": "\n\n".join(model.licenses), "modelfile": model.modelfile(), "parameters": parameters,
        "template": template, "system": model.system or "", "details": model.details(), "model_info": model_info,
        "capabilities": capabilities(model), "modified_at": model.modified_at.isoformat(),
    })


@router.get("/api/version")
async def version() -> JSONResponse:
    return JSONResponse({"version": __version__})


@router.api_route("/health", methods=["GET", "HEAD"], include_in_schema=False)
async def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})
