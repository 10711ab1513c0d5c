"""lokal: run language models on your own machine, behind the Ollama and OpenAI APIs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lokal")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = ["__version__"]
