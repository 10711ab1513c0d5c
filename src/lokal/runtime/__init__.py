"""The runtime layer: below the API surfaces and the CLI, above the engine and knowledge bases."""

from __future__ import annotations

from ..client import Client
from ..config import Settings
from .local import Observer, Runtime
from .remote import RemoteRuntime
from .reply import Embeddings, Reply, Streamed

__all__ = ["Embeddings", "Observer", "RemoteRuntime", "Reply", "Runtime", "Streamed", "runtime_for"]


def runtime_for(settings: Settings) -> Runtime | RemoteRuntime:
    """The server's runtime when one answers at LOKAL_HOST, else one in this process."""
    client = Client(settings)
    if client.running():
        return RemoteRuntime(client)
    client.close()
    return Runtime(settings)
