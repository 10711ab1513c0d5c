"""Every error lokal raises on purpose, with its HTTP status as data.

    LokalError                 500  base: safe to show the user
    ├── BadRequestError        400  the request or its input is malformed
    │   ├── InvalidNameError        a model name breaks the naming rules
    │   ├── ModelfileError          a Modelfile line is wrong (names the line)
    │   ├── TemplateError           a chat template fails to compile, render or is unsafe
    │   ├── OptionsError            an option has the wrong type or value
    │   └── ContextOverflowError    the prompt does not fit the model's context
    ├── UnauthorizedError      401  missing or wrong API key
    ├── NotFoundError          404  something named does not exist
    │   └── ModelNotFoundError      a model name is not in the store
    ├── ConflictError          409  the target exists or is in use
    ├── GGUFError              422  a file is not a usable GGUF model
    ├── IntegrityError         422  bytes do not match their sha256 digest
    ├── DownloadError          502  a pull failed on the network side
    ├── EngineError            500  the inference engine failed
    │   └── InsufficientMemoryError 507  a model cannot fit in the memory budget
    └── BusyError              503  the request queue is full
"""

from __future__ import annotations


class LokalError(Exception):
    """Base of all lokal errors; the message is written for the user."""

    status = 500

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class BadRequestError(LokalError):
    """The request or its input is malformed."""

    status = 400


class InvalidNameError(BadRequestError):
    """A model name breaks the naming rules."""


class ModelfileError(BadRequestError):
    """A Modelfile line is wrong; the message names the line."""


class TemplateError(BadRequestError):
    """A chat template fails to compile, fails to render, or reaches for unsafe internals."""


class OptionsError(BadRequestError):
    """A generation option has the wrong type or value."""


class ContextOverflowError(BadRequestError):
    """The prompt does not fit the model's context window."""


class UnauthorizedError(LokalError):
    """A missing or wrong API key."""

    status = 401


class NotFoundError(LokalError):
    """Something named does not exist."""

    status = 404


class ModelNotFoundError(NotFoundError):
    """A model name is not in the store."""


class ConflictError(LokalError):
    """The target exists already or is in use."""

    status = 409


class GGUFError(LokalError):
    """A file is not a usable GGUF model (truncated, wrong magic, absurd counts)."""

    status = 422


class IntegrityError(LokalError):
    """Bytes do not match their sha256 digest."""

    status = 422


class DownloadError(LokalError):
    """A pull failed on the network side."""

    status = 502


class EngineError(LokalError):
    """The inference engine failed."""

    status = 500


class InsufficientMemoryError(EngineError):
    """A model cannot fit in the memory budget even alone."""

    status = 507


class BusyError(LokalError):
    """The request queue is full; try again later."""

    status = 503
