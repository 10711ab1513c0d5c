"""Bounded field types and the tool shape the wire schemas share, so a number a client sends is checked where it enters.

A plain `int` field takes 10^30 and fails later, deep in SQLite (OverflowError) or the engine;
these refuse it with a 400 that names the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

INT32 = 2**31 - 1
INT64 = 2**63 - 1

Count = Annotated[int, Field(ge=0, le=INT32)]  # a number of things: tokens, results, dimensions
Token = Annotated[int, Field(ge=0, le=INT32)]  # one token id
TopLogprobs = Annotated[int, Field(ge=0, le=20)]  # alternatives per token (OpenAI's limit)
Seed = Annotated[int, Field(ge=-(2**63), le=2**64 - 1)]
Penalty = Annotated[float, Field(ge=-100, le=100, allow_inf_nan=False)]
Temperature = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
RowId = Annotated[int, Path(ge=0, le=INT64)]  # a SQLite row id in a URL path


class ToolFunction(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str  # the function's name
    description: str | None = None  # what it does, for the model
    parameters: dict[str, Any] | None = None  # its arguments, as a JSON schema


class Tool(BaseModel):
    """A function the model may call (the same shape in Ollama's and OpenAI's chat APIs)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["function"] = "function"  # only functions
    function: ToolFunction


def tools_of(tools: list[Tool] | None) -> list[dict[str, Any]] | None:
    """Tools as the native request carries them (plain dicts), or None."""
    return [tool.model_dump(exclude_none=True) for tool in tools] if tools else None
