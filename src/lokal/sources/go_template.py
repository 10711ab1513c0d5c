"""Translate Ollama's Go chat templates into Jinja, for the common forms; give up clearly otherwise.

Used only when a pulled GGUF has no `tokenizer.chat_template` of its own. Translated forms:
  - legacy templates over `.System`, `.Prompt`, `.Response` (rendered once per user turn, with
    the assistant's answer as `.Response`; the text after `.Response` closes answered turns only);
  - `{{ range .Messages }}` loops over `.Role` and `.Content`;
  - conditions `{{ if .X }}`, `{{ if eq .Role "user" }}`, `{{ if ne … }}`, `{{ else }}`,
    `{{ else if … }}`, `{{ end }}`, and the `{{-`/`-}}` whitespace trims.
Anything else (`.Tools`, variables, `json`, `slice`, `len`…) returns None: the caller then says
that the model needs a Modelfile `TEMPLATE`.
"""

from __future__ import annotations

import re

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
_FIELDS = {".System": "system", "$.System": "system", ".Prompt": "prompt", ".Role": "message.role",
           ".Content": "message.content"}


class _Unsupported(Exception):
    pass


def _value(token: str) -> str:
    if token in _FIELDS:
        return _FIELDS[token]
    if re.fullmatch(r'"[^"]*"', token):
        return token
    raise _Unsupported(token)


def _condition(expr: str) -> str:
    words = re.findall(r'"[^"]*"|\S+', expr)
    if len(words) == 1:
        return _value(words[0])
    if len(words) == 3 and words[0] in ("eq", "ne"):
        op = "==" if words[0] == "eq" else "!="
        return f"{_value(words[1])} {op} {_value(words[2])}"
    raise _Unsupported(expr)


def _translate(source: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for match in _ACTION.finditer(source):
        out.append(source[pos:match.start()])
        pos = match.end()
        left, expr, right = match.group(1), match.group(2), match.group(3)
        if expr.startswith("if "):
            stack.append("if")
            out.append(f"{{%{left} if {_condition(expr[3:])} {right}%}}")
        elif expr.startswith("else if "):
            out.append(f"{{%{left} elif {_condition(expr[8:])} {right}%}}")
        elif expr == "else":
            out.append(f"{{%{left} else {right}%}}")
        elif expr in ("range .Messages", "range $.Messages"):
            stack.append("for")
            out.append(f"{{%{left} for message in messages {right}%}}")
        elif expr == "end":
            if not stack:
                raise _Unsupported("end")
            out.append(f"{{%{left} end{stack.pop()} {right}%}}")
        elif expr == ".Response":
            out.append("\x00RESPONSE\x00")
        else:
            out.append(f"{{{{{left} {_value(expr)} {right}}}}}")
    out.append(source[pos:])
    if stack:
        raise _Unsupported("unclosed block")
    return "".join(out)


def go_to_jinja(source: str) -> str | None:
    """A Jinja template equivalent to an Ollama Go template, or None when the form is not handled."""
    try:
        body = _translate(source)
    except _Unsupported:
        return None
    if "message." in body and ".Prompt" not in source:  # a loop over messages renders them all
        return body.replace("\x00RESPONSE\x00", "")
    before, marker, after = body.partition("\x00RESPONSE\x00")
    turn = before + (("{% if response is not none %}{{ response }}" + after + "{% endif %}") if marker else "")
    return (
        "{% set system_text = messages | selectattr('role', 'equalto', 'system') | map(attribute='content')"
        " | join('\\n') %}"
        "{% for message in messages if message.role != 'system' %}{% if message.role == 'user' %}"
        "{% set system = system_text if loop.first else '' %}{% set prompt = message.content %}"
        "{% set response = loop.nextitem.content if loop.nextitem and loop.nextitem.role == 'assistant' else none %}"
        + turn + "{% endif %}{% endfor %}"
    )
