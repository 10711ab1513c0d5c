"""lokal: run language models on your own machine, behind the Ollama and OpenAI APIs.

In Python, `lokal.Runtime()` runs the models of LOKAL_HOME in this process (see the README):

    import lokal
    with lokal.Runtime() as rt:
        print(rt.chat("starter/smollm2", "Why is the sky blue?").content)
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("lokal")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = ["Reply", "Runtime", "__version__"]


def __getattr__(name: str) -> Any:
    """`lokal.Runtime` and `lokal.Reply`, imported on first use (the CLI starts without the engine)."""
    if name in ("Runtime", "Reply", "Streamed", "Embeddings"):
        from . import runtime

        return getattr(runtime, name)
    raise AttributeError(f"module 'lokal' has no attribute {name!r}")
