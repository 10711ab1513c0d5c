"""`lokal mcp`: the knowledge-base tools over MCP's stdio transport, for clients that start their
servers as subprocesses (Claude Desktop, opencode): `{"command": "lokal", "args": ["mcp"]}`."""

from __future__ import annotations

import click

from ..runtime import Runtime
from .common import settings


@click.command("mcp")
def cmd_mcp() -> None:
    """Serve kb_list, kb_search and kb_ask to an MCP client over stdin/stdout."""
    from ..api.mcp import mcp_server

    with Runtime(settings()) as runtime:
        mcp_server(runtime).run("stdio")
