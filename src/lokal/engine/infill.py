"""Code infill (fill-in-the-middle): a prefix and a suffix become the prompt of a FIM-trained model.

Which models can: those whose vocabulary holds one of the FIM token families below, found by text
as llama.cpp finds them (GGUFs rarely name them in metadata). The prompt is the model's own FIM
layout, with no chat template, as Ollama renders `.Suffix` for Qwen2.5-Coder and llama-server's
`/infill` does; the model then writes the middle and ends with its end-of-text token.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadRequestError
from ..store.gguf import GGUFInfo


@dataclass(frozen=True)
class FIM:
    prefix: str
    suffix: str
    middle: str
    suffix_first: bool = False  # SPM order: [SUFFIX]…[PREFIX]…[MIDDLE]

    def prompt(self, before: str, after: str) -> str:
        if self.suffix_first:
            return f"{self.suffix}{after}{self.prefix}{before}{self.middle}"
        return f"{self.prefix}{before}{self.suffix}{after}{self.middle}"


FAMILIES = (
    FIM("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),  # Qwen2.5-Coder, Qwen3-Coder, Granite
    FIM("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),  # StarCoder, StarCoder2, Refact
    FIM("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),  # DeepSeek-Coder
    FIM("[PREFIX]", "[SUFFIX]", "[MIDDLE]", suffix_first=True),  # Codestral
)


def fim_of(info: GGUFInfo | None) -> FIM | None:
    """The model's FIM layout, or None when it was not trained to fill in the middle."""
    if info is None:
        return None
    return next((f for f in FAMILIES if info.vocabulary_has(f.prefix, f.suffix, f.middle)), None)


def infill_prompt(name: str, info: GGUFInfo | None, prefix: str, suffix: str) -> str:
    fim = fim_of(info)
    if fim is None:
        raise BadRequestError(f"model '{name}' does not support insert: it has no fill-in-the-middle tokens "
                              "(use a code model such as Qwen2.5-Coder)")
    return fim.prompt(prefix, suffix)
