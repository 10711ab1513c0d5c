"""The template sandbox: Jinja's immutable sandbox, bounded in time and in the size of what it builds.

A chat template can come with a request (`/api/generate`'s `template`), so it is untrusted code.
Jinja's sandbox stops it reaching Python internals but not from asking for unbounded work:
`{{ 'A' * 10**10 }}` allocates 10 GB, nested loops over `range(100000)` run for hours, a string
doubled forty times with `~` fills memory. Here every value a template builds — repetition, `+`,
`~`, `%` and `.format`, method calls, filters, loop iterations, the output itself — is checked
against one budget per render (characters and a deadline), before large allocations where the
size is known in advance (repetition, widths, powers) and after the others. Over budget, the
render stops with a `TemplateError` (a 400).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any

from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from ..errors import ContextOverflowError, TemplateError

MAX_CHARS = 4_000_000  # the most characters one render may build, whatever the context
SECONDS = 2.0  # the longest one render may take
MAX_WIDTH = 100_000  # the largest count, width or padding a template may pass to a string builder


class Budget:
    """What one render may still spend."""

    def __init__(self, max_chars: int, seconds: float) -> None:
        self.max_chars = max_chars
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateError(f"the chat template took longer than {self.seconds:g} s to render")

    def check_size(self, size: int, what: str = "a value") -> None:
        if size > self.max_chars:
            raise TemplateError(f"the chat template built {what} of over {self.max_chars:,} characters")


_local = threading.local()


def _budget() -> Budget:
    budget: Budget | None = getattr(_local, "budget", None)
    return budget if budget is not None else Budget(MAX_CHARS, SECONDS)


def _charge(value: Any) -> Any:
    """Check a value a template built against the budget; returns it."""
    budget = _budget()
    budget.check_time()
    if isinstance(value, (str, list, tuple, dict)):
        budget.check_size(len(value))
    return value


def _check_counts(args: Iterable[Any]) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_WIDTH:
            raise TemplateError(f"the chat template passed {arg} where at most {MAX_WIDTH:,} is allowed")


_PERCENT_SPEC = re.compile(r"%[#0\- +]*(\d+|\*)?(?:\.(\d+|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*:([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def _check_format(fmt: str, args: Iterable[Any], *, percent: bool) -> None:
    """Widths and precisions in a format string (literal or taken from the arguments) stay small."""
    specs = [g for m in _PERCENT_SPEC.finditer(fmt) for g in m.groups() if g] if percent \
        else [n for m in _BRACE_SPEC.finditer(fmt) for n in re.findall(r"\d+|\{", m.group(1))]
    if any(s in ("*", "{") for s in specs):
        _check_counts(args)
    _check_counts(int(s) for s in specs if s.isdigit())


class _TimedIterable:
    """A loop's iterable: the deadline is checked as the loop runs (length and indexing still work)."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        budget = _budget()
        for number, item in enumerate(self.items):
            if number % 256 == 0:
                budget.check_time()
            yield item

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: Any) -> Any:
        return self.items[key]


class _Bounds(NodeTransformer):
    """Rewrites a parsed template so `~` results are charged and loops check the deadline."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name("lokal_charge", "load", lineno=node.lineno), [node], [], None, None,
                          lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name("lokal_timed", "load", lineno=node.lineno), [node.iter], [], None, None,
                               lineno=node.lineno)
        return node


def _guard_filter(func: Callable[..., Any]) -> Callable[..., Any]:
    skip = 2 if getattr(func, "jinja_pass_arg", None) else 1  # (context,) the value filtered, then its arguments

    @wraps(func)  # keeps jinja_pass_arg, so context/environment filters still get theirs
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_counts([*args[skip:], *kwargs.values()])
        return _charge(func(*args, **kwargs))

    return guarded


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the budget above."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guard_filter(f) for name, f in self.filters.items()}
        self.globals.update(lokal_charge=_charge, lokal_timed=_TimedIterable)

    def add_filter(self, name: str, func: Callable[..., Any]) -> None:
        self.filters[name] = _guard_filter(func)

    def compile_bounded(self, source: str) -> Any:
        return self.from_string(_Bounds().visit(self.parse(source)))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.check_time()
        if operator == "*":
            sequence, count = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
                budget.check_size(len(sequence) * count, "a repeated value")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            budget.check_size(left.bit_length() * right // 3, "a number")  # ~ digits of the result
        elif operator == "%" and isinstance(left, str):
            _check_format(left, right if isinstance(right, tuple) else [right], percent=True)
        return _charge(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        bound_to = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(bound_to, str):  # str methods: ljust, center, zfill, format, …
            if getattr(__obj, "__name__", "") in ("format", "format_map"):
                _check_format(bound_to, [*args, *kwargs.values()], percent=False)
            else:
                _check_counts([*args, *kwargs.values()])
        return _charge(super().call(__context, __obj, *args, **kwargs))


def render_bounded(template: Any, variables: dict[str, Any], *, max_chars: int = MAX_CHARS,
                   seconds: float = SECONDS) -> str:
    """Render a template compiled by `BoundedSandbox.compile_bounded` within the budget."""
    budget = Budget(min(max_chars, MAX_CHARS), seconds)
    _local.budget = budget
    try:
        parts: list[str] = []
        size = 0
        for part in template.generate(**variables):
            size += len(part)
            if size > max_chars:
                raise ContextOverflowError(
                    f"the prompt is over {max_chars:,} characters, more than the model's context can hold: "
                    "shorten it, raise num_ctx, or ask for truncation", prompt_chars=size)
            budget.check_time()
            parts.append(part)
        return "".join(parts)
    finally:
        _local.budget = None
