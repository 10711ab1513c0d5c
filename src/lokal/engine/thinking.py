"""Thinking models: their reasoning is split from the answer, so it never lands in `content`
(where it would break JSON, tool calls and citations).

A model thinks when its template knows `<think>` tags (Qwen3, DeepSeek-R1, QwQ, SmolLM3): it
mentions the tag, `enable_thinking` or `reasoning_content`. The template is told what the request
wants (`enable_thinking`, and `reasoning_effort` for a level); a generation prompt that ends
inside an open `<think>` starts the answer in thinking mode. `Splitter` then routes the streamed
text between the tags to `thinking`, holding back a tag split across tokens.

Two things need the thinking to end at a known point, so generation runs in two phases there:
a thinking budget (after that many tokens the think block is closed for the model) and a grammar
(a JSON format or forced tool call constrains the answer, not the reasoning before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BadRequestError

OPEN, CLOSE = "<think>", "</think>"
_MARKERS = (OPEN, "enable_thinking", "reasoning_content")
LEVELS = ("low", "medium", "high")


def thinks(template_source: str) -> bool:
    """Whether a chat template is a thinking model's."""
    return any(marker in template_source for marker in _MARKERS)


def template_flags(name: str, template_source: str, think: bool | str | None) -> dict[str, Any]:
    """The variables a template gets for `think`; a model that cannot think refuses True or a level."""
    if think is None:
        return {}
    if isinstance(think, str) and think not in LEVELS:
        raise BadRequestError(f"think must be true, false or one of {', '.join(LEVELS)}, not {think!r}")
    if not thinks(template_source):
        if think is False:
            return {}
        raise BadRequestError(f"model '{name}' does not support thinking")
    flags: dict[str, Any] = {"enable_thinking": think is not False}
    if isinstance(think, str):
        flags["reasoning_effort"] = think
    return flags


def starts_thinking(prompt: str) -> bool:
    """Whether the prompt leaves the model inside an open think block (a prefilled `<think>`)."""
    tail = prompt.rstrip()
    return tail.endswith(OPEN) or (OPEN in tail and tail.rfind(OPEN) > tail.rfind(CLOSE))


@dataclass
class Splitter:
    """Streamed text in, (thinking, content) pieces out. Before any answer text, a `<think>` opens
    the think block (or `inside` starts in it, after a prefilled tag); `</think>` closes it, and
    the answer starts at its first non-blank character. Tags split across tokens are held back."""

    inside: bool = False
    done: bool = False  # the think block has closed (or the model answered without one)
    _held: str = ""
    _begun: bool = False  # answer text has started
    _thought: bool = False  # thinking text has started

    def feed(self, text: str) -> tuple[str, str]:
        thinking: list[str] = []
        content: list[str] = []
        text, self._held = self._held + text, ""
        while text:
            if self.done:
                if not self._begun:
                    text = text.lstrip()
                    self._begun = bool(text)
                content.append(text)
                break
            if self.inside:
                at = text.find(CLOSE)
                if at < 0:
                    keep = _partial(text, CLOSE)
                    thinking.append(self._think_text(text[:len(text) - keep]))
                    self._held = text[len(text) - keep:]
                    break
                thinking.append(self._think_text(text[:at]))
                text, self.inside, self.done = text[at + len(CLOSE):], False, True
                continue
            stripped = text.lstrip()
            if not stripped or (OPEN.startswith(stripped) and stripped != OPEN):
                self._held = text  # blank so far, or the start of a tag: wait for more
                break
            if stripped.startswith(OPEN):
                text, self.inside = stripped[len(OPEN):], True
            else:
                self.done = True  # the model answers without thinking
        return "".join(thinking), "".join(content)

    def _think_text(self, text: str) -> str:
        if not self._thought:
            text = text.lstrip()
            self._thought = bool(text)
        return text

    def flush(self) -> tuple[str, str]:
        held, self._held = self._held, ""
        if self.inside:
            return self._think_text(held), ""
        return "", held if self._begun or held.strip() else ""

    def close(self) -> str:
        """End an open think block (a spent budget): the text the prompt continues with."""
        self.inside, self.done = False, True
        return f"\n{CLOSE}\n\n"


def _partial(text: str, tag: str) -> int:
    """How many characters at the end of `text` could begin `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
