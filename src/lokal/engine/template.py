"""Chat templates: Jinja (the language of GGUF `tokenizer.chat_template`), rendered in a sandbox.

Which template a model uses: its Modelfile `TEMPLATE` if it set one, else the GGUF's own, else a
built-in one for its architecture. lokal renders the prompt itself and hands the engine plain text,
so the prompt a model sees can be inspected (`lokal show --template`, tests) and token-counted
before generation. The environment is Jinja's immutable sandbox: attribute access to Python
internals (`''.__class__.__mro__`) raises, and lokal refuses such a template; `sandbox.py` also
bounds what a render may build and how long it may take.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError, TemplateError as JinjaTemplateError

from ..errors import TemplateError
from .sandbox import MAX_CHARS, BoundedSandbox, render_bounded

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + (message['content'] or '') + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LLAMA3 = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + (message['content'] or '') | trim + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
GEMMA = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else 'user' %}"
    "{{ '<start_of_turn>' + role + '\n' + (message['content'] or '') | trim + '<end_of_turn>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)
PHI3 = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + (message['content'] or '') + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)
BUILTIN: dict[str, str] = {"chatml": CHATML, "llama3": LLAMA3, "gemma": GEMMA, "phi3": PHI3}
_BY_ARCH = {"llama": "llama3", "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "phi3": "phi3"}


def builtin_for(architecture: str) -> str:
    """The built-in template for an architecture (ChatML when nothing more specific is known)."""
    return BUILTIN[_BY_ARCH.get(architecture, "chatml")]


def _raise(message: str) -> None:
    raise TemplateError(f"the chat template refused the conversation: {message}")


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class _Undefined(jinja2.Undefined):
    """Lenient for missing keys (templates test `message.tool_calls`), but an unsafe lookup fails when used."""

    def _check(self) -> None:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()

    def __str__(self) -> str:
        self._check()
        return ""

    def __bool__(self) -> bool:
        self._check()
        return False

    def __iter__(self):  # type: ignore[no-untyped-def]
        self._check()
        return iter(())


_ENV = BoundedSandbox(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"],
                      undefined=_Undefined)
_ENV.globals.update(raise_exception=_raise, strftime_now=_strftime_now)
_ENV.add_filter("tojson", _tojson)

_SAMPLE = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi there"},
    {"role": "user", "content": "How are you?"},
]


class ChatTemplate:
    """A compiled chat template."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._template = _compile(source)

    def render(self, messages: list[dict[str, Any]], *, tools: list[dict[str, Any]] | None = None,
               add_generation_prompt: bool = True, bos_token: str = "", eos_token: str = "",
               max_chars: int | None = None, **extra: Any) -> str:
        """The prompt; one longer than `max_chars` raises ContextOverflowError before it is finished."""
        variables = dict(messages=messages, tools=tools or None, add_generation_prompt=add_generation_prompt,
                         bos_token=bos_token, eos_token=eos_token, **extra)
        try:
            return render_bounded(self._template, variables, max_chars=max_chars or MAX_CHARS)
        except TemplateError:
            raise
        except SecurityError as exc:
            raise TemplateError(f"unsafe chat template refused: {exc}") from None
        except RecursionError:
            raise TemplateError("the chat template recursed too deeply") from None
        except MemoryError:
            raise TemplateError("the chat template ran out of memory") from None
        except (JinjaTemplateError, TypeError, ValueError, KeyError, IndexError, AttributeError,
                ArithmeticError) as exc:
            raise TemplateError(f"the chat template failed to render: {exc}") from None


@lru_cache(maxsize=64)
def _compile(source: str) -> jinja2.Template:
    try:
        return _ENV.compile_bounded(source)
    except RecursionError:
        raise TemplateError("the chat template nests too deeply to compile") from None
    except JinjaTemplateError as exc:
        raise TemplateError(f"the chat template does not compile: {exc}") from None


def check_template(source: str) -> ChatTemplate:
    """Compile a template and render a sample conversation with it; unsafe or broken ones raise."""
    template = ChatTemplate(source)
    template.render(_SAMPLE, bos_token="<s>", eos_token="</s>")
    return template
