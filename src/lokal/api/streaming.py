"""Streaming answers in each surface's dialect: NDJSON (Ollama), server-sent events (OpenAI chat
and completions), named events (OpenAI Responses, Anthropic Messages); errors handled by timing.

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
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from .errors import anthropic_body, message_of, native_body, openai_body, status_of

_END = object()
_QUIET = object()  # nothing arrived in time: a keep-alive ping is due


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

    async def next(self, timeout: float | None = None) -> Any:
        """The next item; `_QUIET` if none came within `timeout` seconds."""
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return _QUIET
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


@dataclass(frozen=True)
class Dialect:
    """How one wire surface streams: its framing, its end marker, its keep-alive and its error body."""

    media_type: str
    frame: Callable[[dict[str, Any]], bytes]
    error: Callable[[str, int], dict[str, Any]]
    end: bytes = b""
    ping: bytes = b""  # sent while nothing else is (a long prompt, a load); empty: never


def _json(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False)


def _named(item: dict[str, Any]) -> bytes:
    return f"event: {item.get('type', 'error')}\ndata: {_json(item)}\n\n".encode()


NDJSON = Dialect("application/x-ndjson", lambda item: (_json(item) + "\n").encode(), lambda m, s: native_body(m))
SSE = Dialect("text/event-stream", lambda item: f"data: {_json(item)}\n\n".encode(), openai_body,
              end=b"data: [DONE]\n\n", ping=b": ping\n\n")
NAMED_SSE = Dialect("text/event-stream", _named, openai_body, ping=b": ping\n\n")  # OpenAI Responses
ANTHROPIC_SSE = Dialect("text/event-stream", _named, anthropic_body, ping=_named({"type": "ping"}))


async def respond(dialect: Dialect, gen: Iterator[dict[str, Any]], *, stream: bool,
                  merge: Callable[[list[dict[str, Any]]], dict[str, Any]], ping: float = 0.0) -> Response:
    """Answer with one JSON object (merged) or a stream of chunks in `dialect`.

    The first chunk is awaited before the response starts, so an early error keeps its status;
    with `ping` seconds and a dialect that can ping, a first chunk slower than that (a load, a
    long prompt) starts the stream anyway, and pings keep it alive while nothing else is sent."""
    if not stream:
        return JSONResponse(merge(await collect(gen)))
    wait = ping if ping > 0 and dialect.ping else None
    threaded = ThreadedStream(gen)
    try:
        first = await threaded.next(wait)
    except BaseException:
        await threaded.close()
        raise

    async def body() -> AsyncIterator[bytes]:
        item = first
        try:
            while item is not _END:
                if item is _QUIET:
                    yield dialect.ping
                else:  # under load several chunks queue up: send them in one write instead of one each
                    yield b"".join(dialect.frame(i) for i in (item, *threaded.ready()))
                item = await threaded.next(wait)
            if dialect.end:
                yield dialect.end
        except Exception as exc:  # streaming has begun: the error travels in the stream
            yield dialect.frame(dialect.error(message_of(exc), status_of(exc)))
        finally:
            await threaded.close()

    return StreamingResponse(body(), media_type=dialect.media_type, headers={"Cache-Control": "no-cache"})
