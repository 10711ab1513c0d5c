"""An MCP server over lokal's knowledge bases, so MCP clients (Claude Desktop, opencode, Open WebUI)
search and ask them: `kb_list`, `kb_search` (hits with file, page, heading) and `kb_ask` (a grounded
answer with its citations).

The same tools serve two transports: stdio (`lokal mcp`, a client starts it as a subprocess) and
Streamable HTTP at `/mcp` on `lokal serve`, behind the server's keys and Host check.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from mcp.server.fastmcp import FastMCP

from ..engine.generate import Done
from ..engine.prompt import Request
from ..errors import BadRequestError
from ..knowledge.search import SearchOptions, search
from ..runtime import Runtime
from ..store.gguf import read_gguf

INSTRUCTIONS = ("Search and ask the user's own knowledge bases (folders of documents indexed by lokal). "
                "Cite the file and page of what you use.")


def _hit(hit: Any) -> dict[str, Any]:
    cited = hit.citation(snippet=2000)
    return {key: cited[key] for key in ("knowledge", "file", "page", "heading", "chunk_id", "score", "snippet")}


def _default_model(runtime: Runtime) -> str:
    loaded = [row["entry"].model for row in runtime.loaded() if row["entry"].plan.mode == "generate"]
    chat = loaded or [m for m in runtime.store.list()
                      if m.remote or (m.model_path and not read_gguf(m.model_path).is_embedding_model)]
    if not chat:
        raise BadRequestError("no chat model is installed: `lokal pull starter/smollm2`")
    return str(chat[0].name)


def mcp_server(runtime: Runtime, *, http: bool = False) -> FastMCP:
    # the SDK configures the root logger at construction: at WARNING, as lokal's output was before it
    # (at its default, INFO, every HTTP request of a pull and every MCP session printed a line)
    server = FastMCP("lokal", instructions=INSTRUCTIONS, streamable_http_path="/", stateless_http=http,
                     json_response=http, log_level="WARNING")

    @server.tool()
    async def kb_list() -> list[dict[str, Any]]:
        """The knowledge bases: name, files, chunks and the embedder each uses."""
        def bases() -> list[dict[str, Any]]:
            rows = []
            for name in runtime.knowledge.names():
                info = runtime.knowledge.open(name).info()
                rows.append({key: info.get(key) for key in ("name", "documents", "chunks", "embedder", "folders")})
            return rows

        return await to_thread.run_sync(bases)

    @server.tool()
    async def kb_search(base: str, query: str, top_k: int = 5) -> list[dict[str, Any]]:
        """The passages of knowledge base `base` that best match `query` (hybrid keyword and vector
        search), best first, each with its file, page and heading."""
        options = SearchOptions.parse({"top_k": top_k})
        hits = await to_thread.run_sync(lambda: search(runtime.knowledge.open(base), query, options))
        return [_hit(hit) for hit in hits]

    @server.tool()
    async def kb_ask(base: str, question: str, model: str | None = None, top_k: int = 4) -> dict[str, Any]:
        """Answer `question` from knowledge base `base` with a local model (the one loaded, or the
        first installed, unless `model` names one); the answer cites its sources as [1], [2]…"""
        def answer() -> dict[str, Any]:
            chosen = model or _default_model(runtime)
            request = Request(messages=[{"role": "user", "content": question}])
            done = next(e for e in runtime.generate(chosen, request, knowledge={"bases": [base], "top_k": top_k})
                        if isinstance(e, Done))
            return {"answer": done.content, "model": chosen,
                    "citations": [{k: c.get(k) for k in ("index", "file", "page", "heading", "snippet")}
                                  for c in done.citations or []]}

        return await to_thread.run_sync(answer)

    return server
