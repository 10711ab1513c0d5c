"""Streaming answers: NDJSON (Ollama) and server-sent events (OpenAI), errors handled by timing.

Generation runs in a worker thread; each chunk hops to the event loop. The first chunk is
fetched before the response starts, so an error before any output (unknown model, prompt too
long, busy) gets its real status code. Once streaming has begun, an error becomes one final
error event in the stream. A client that disconnects closes the generator, which cancels
generation and frees the engine slot.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from anyio import CancelScope, to_thread
from fastapi.responses import JSONResponse, StreamingResponse

from .errors import error_body, message_of, status_of

_END = object()


def _next(gen: Iterator[Any]) -> Any:
    return next(gen, _END)


class ThreadedStream:
    """A sync generator consumed from async code, one item per worker-thread hop."""

    def __init__(self, gen: Iterator[Any]) -> None:
        self.gen = gen

    async def next(self) -> Any:
        return await to_thread.run_sync(_next, self.gen)

    async def close(self) -> None:
        with CancelScope(shield=True):  # runs even when the client's disconnect cancelled us
            await to_thread.run_sync(self.gen.close)  # type: ignore[attr-defined]


async def collect(gen: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    stream = ThreadedStream(gen)
    items = []
    try:
        while (item := await stream.next()) is not _END:
            items.append(item)
    finally:
        await stream.close()
    return items


async def respond(path: str, gen: Iterator[dict[str, Any]], *, stream: bool, sse: bool,
                  merge: Callable[[list[dict[str, Any]]], dict[str, Any]],
                  sse_done: bool = True) -> StreamingResponse | JSONResponse:
    """Answer with one JSON object (merged) or a stream of chunks."""
    if not stream:
        return JSONResponse(merge(await collect(gen)))
    threaded = ThreadedStream(gen)
    try:
        first = await threaded.next()
    except BaseException:
        await threaded.close()
        raise

    def encode(item: dict[str, Any]) -> bytes:
        text = json.dumps(item, ensure_ascii=False)
        return f"data: {text}\n\n".encode() if sse else (text + "\n").encode()

    async def body() -> AsyncIterator[bytes]:
        item = first
        try:
            while item is not _END:
                yield encode(item)
                item = await threaded.next()
            if sse and sse_done:
                yield b"data: [DONE]\n\n"
        except Exception as exc:  # streaming has begun: the error travels in the stream
            yield encode(error_body(path, message_of(exc), status_of(exc)))
        finally:
            await threaded.close()

    media = "text/event-stream" if sse else "application/x-ndjson"
    return StreamingResponse(body(), media_type=media, headers={"Cache-Control": "no-cache"})
