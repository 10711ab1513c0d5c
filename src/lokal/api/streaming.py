"""Streaming answers: NDJSON (Ollama) and server-sent events (OpenAI), errors handled by timing.

Generation runs in a worker thread; each chunk hops to the event loop. The first chunk is
fetched before the response starts, so an error before any output (unknown model, prompt too
long, busy) gets its real status code. Once streaming has begun, an error becomes one final
error event in the stream. A client that disconnects closes the generator, which cancels
generation and frees the engine slot.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fastapi.responses import JSONResponse, StreamingResponse

from .errors import error_body, message_of, status_of

_END = object()


class ThreadedStream:
    """A sync generator run by its own producer thread, consumed from async code.

    Items reach the event loop through `call_soon_threadsafe` (no worker-pool hop per token).
    `close()` asks the producer to stop; it closes the generator in its own thread — the only
    thread allowed to — at the next item, which cancels generation and frees the engine slot.
    """

    def __init__(self, gen: Iterator[Any]) -> None:
        self.gen = gen
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="lokal-stream", daemon=True)
        self.thread.start()

    def _put(self, item: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shutting down)
            self.stopping.set()

    def _produce(self) -> None:
        try:
            for item in self.gen:
                self._put(item)
                if self.stopping.is_set():
                    break
        except BaseException as exc:
            self._put(_Failure(exc))
        finally:
            self.gen.close()  # type: ignore[attr-defined]
            self._put(_END)

    async def next(self) -> Any:
        item = await self.queue.get()
        if isinstance(item, _Failure):
            raise item.exc
        return item

    def ready(self) -> list[Any]:
        """Items already queued, taken without waiting (stops before a failure or the end)."""
        items = []
        while not self.queue.empty():
            head = self.queue._queue[0]  # type: ignore[attr-defined]
            if head is _END or isinstance(head, _Failure):
                break
            items.append(self.queue.get_nowait())
        return items

    async def close(self) -> None:
        self.stopping.set()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


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
                  named: bool = False) -> StreamingResponse | JSONResponse:
    """Answer with one JSON object (merged) or a stream of chunks.

    `named` server-sent events carry their chunk's `type` as the event name and end without
    `[DONE]`, as OpenAI's Responses API streams."""
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
        if named:
            return f"event: {item.get('type', 'error')}\ndata: {text}\n\n".encode()
        return f"data: {text}\n\n".encode() if sse else (text + "\n").encode()

    async def body() -> AsyncIterator[bytes]:
        item = first
        try:
            while item is not _END:
                # under load several chunks queue up: send them in one write instead of one each
                yield b"".join(encode(i) for i in (item, *threaded.ready()))
                item = await threaded.next()
            if sse and not named:
                yield b"data: [DONE]\n\n"
        except Exception as exc:  # streaming has begun: the error travels in the stream
            yield encode(error_body(path, message_of(exc), status_of(exc)))
        finally:
            await threaded.close()

    media = "text/event-stream" if sse else "application/x-ndjson"
    return StreamingResponse(body(), media_type=media, headers={"Cache-Control": "no-cache"})
