"""The MCP server, through the official `mcp` client: over stdio (`lokal mcp`) and over Streamable
HTTP at /mcp (where the server's keys apply)."""

import os
import sys

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from ..conftest import STARTER
from ..helpers import LiveServer, knowledge_base, link_store

FILES = {"reise.md": "# Reiseregler\n\n## Diett\n\nDagpengene for reiser i Norge er 150 kroner per dag.\n",
         "ferie.txt": "Ferie må søkes om senest fire uker før den starter."}
TOOLS = {"kb_list", "kb_search", "kb_ask"}


@pytest.fixture(scope="module")
def based(server):
    knowledge_base(server.url, "mcp-docs", FILES)
    return server


async def exercise(session: ClientSession) -> None:
    await session.initialize()
    assert {tool.name for tool in (await session.list_tools()).tools} == TOOLS
    listed = await session.call_tool("kb_list", {})
    rows = listed.structuredContent["result"]
    assert {"name": "mcp-docs", "documents": 2} in [{k: row[k] for k in ("name", "documents")} for row in rows]
    found = await session.call_tool("kb_search", {"base": "mcp-docs", "query": "dagpenger reise", "top_k": 2})
    assert not found.isError
    hits = found.structuredContent["result"]
    assert hits[0]["file"].endswith("reise.md") and hits[0]["heading"] and "150 kroner" in hits[0]["snippet"]
    asked = await session.call_tool("kb_ask", {"base": "mcp-docs", "question": "Hvor mye er dagpengene?",
                                               "model": STARTER, "top_k": 1})
    assert not asked.isError
    answer = asked.structuredContent
    assert answer["answer"].strip() and answer["citations"][0]["file"].endswith("reise.md")
    missing = await session.call_tool("kb_search", {"base": "nope", "query": "x"})
    assert missing.isError and "not found" in missing.content[0].text


def test_over_streamable_http(based):
    async def run() -> None:
        async with streamable_http_client(based.url + "/mcp/") as (read, write, _), \
                ClientSession(read, write) as session:
            await exercise(session)

    anyio.run(run)


def test_over_stdio(based):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOKAL_")}, "LOKAL_HOME": str(based.home),
           "LOKAL_THREADS": "2", "LOKAL_CONTEXT": "2048", "LOKAL_HOST": "127.0.0.1:9"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "lokal", "mcp"], env=env)

    async def run() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await exercise(session)

    anyio.run(run)


def test_keys_apply_to_mcp(starter_home, tmp_path):
    home = tmp_path / "keyed"
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_API_KEYS="mcp-key") as live:
        refused = httpx.post(live.url + "/mcp/", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                             headers={"Accept": "application/json, text/event-stream"})
        assert refused.status_code == 401

        async def run() -> None:
            keyed = httpx.AsyncClient(headers={"Authorization": "Bearer mcp-key"}, timeout=60)
            async with keyed, streamable_http_client(live.url + "/mcp/", http_client=keyed) as (read, write, _), \
                    ClientSession(read, write) as session:
                await session.initialize()
                assert {tool.name for tool in (await session.list_tools()).tools} == TOOLS

        anyio.run(run)
