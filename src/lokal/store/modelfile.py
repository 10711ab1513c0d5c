r'''Modelfile: Ollama's recipe format, parsed into a `ModelSpec` and rendered back.

    FROM <model name | ./file.gguf | openai+http(s)://host/v1 MODEL>
    FROM <./mmproj.gguf>              (optional: a vision projector for the model)
    PARAMETER <name> <value>          (repeatable; `stop` accumulates)
    TEMPLATE """<Jinja chat template>"""
    SYSTEM """<system prompt>"""
    MESSAGE <system|user|assistant|tool> <text>
    LICENSE """<text>"""              (repeatable)

Values are a bare rest-of-line, a "quoted" string, or a """triple-quoted""" block over several
lines. Commands are case-insensitive; `#` starts a comment line. Errors name the line.
'''

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModelfileError, OptionsError
from ..options import coerce_options

ROLES = ("system", "user", "assistant", "tool")
COMMANDS = ("from", "parameter", "template", "system", "message", "license", "adapter")


@dataclass
class ModelSpec:
    """What a model is made of, before it is stored."""

    from_: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    system: str | None = None
    messages: list[dict[str, str]] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    projector: str | None = None  # a vision projector GGUF: the second FROM, as in Ollama


def _read_value(lines: list[str], index: int, rest: str) -> tuple[str, int]:
    """The value starting at `rest` on line `index`; returns (value, index of its last line)."""
    text = rest.strip()
    if text.startswith('"""'):
        body = text[3:]
        if '"""' in body:
            return body[: body.index('"""')], index
        parts = [body]
        for j in range(index + 1, len(lines)):
            if '"""' in lines[j]:
                parts.append(lines[j][: lines[j].index('"""')])
                return "\n".join(parts), j
            parts.append(lines[j])
        raise ModelfileError(f'line {index + 1}: unterminated """ block')
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        try:
            return json.loads(text), index
        except json.JSONDecodeError:
            return text[1:-1], index
    return text, index


def parse_modelfile(text: str) -> ModelSpec:
    spec = ModelSpec()
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        number = i + 1
        if not line or line.startswith("#"):
            i += 1
            continue
        command, _, rest = line.partition(" ")
        command = command.lower()
        if command not in COMMANDS:
            raise ModelfileError(f"line {number}: unknown command {command.upper()!r} (expected one of "
                                 f"{', '.join(c.upper() for c in COMMANDS)})")
        if not rest.strip():
            raise ModelfileError(f"line {number}: {command.upper()} needs a value")
        if command == "parameter":
            name, _, raw = rest.strip().partition(" ")
            value, i = _read_value(lines, i, raw)
            try:
                (cast, unknown) = coerce_options({name: value})
            except OptionsError as exc:
                raise ModelfileError(f"line {number}: {exc}") from None
            if unknown:
                raise ModelfileError(f"line {number}: unknown parameter {name!r}")
            if name == "stop":
                spec.parameters.setdefault("stop", []).extend(cast["stop"])
            else:
                spec.parameters.update(cast)
        elif command == "message":
            role, _, raw = rest.strip().partition(" ")
            if role.lower() not in ROLES:
                raise ModelfileError(f"line {number}: MESSAGE role must be one of {', '.join(ROLES)}, got {role!r}")
            value, i = _read_value(lines, i, raw)
            spec.messages.append({"role": role.lower(), "content": value})
        elif command == "adapter":
            raise ModelfileError(f"line {number}: ADAPTER (LoRA) is not supported yet")
        else:
            value, i = _read_value(lines, i, rest)
            if command == "from" and spec.from_:
                if spec.projector:
                    raise ModelfileError(f"line {number}: a third FROM: give the model, then at most its projector")
                spec.projector = value.strip()
            elif command == "from":
                spec.from_ = value.strip()
            elif command == "template":
                spec.template = value
            elif command == "system":
                spec.system = value
            else:
                spec.licenses.append(value)
        i += 1
    if not spec.from_:
        raise ModelfileError("no FROM line: a Modelfile must say which model it builds on")
    return spec


def _quote(value: str) -> str:
    return f'"""{value}"""' if ("\n" in value or '"' in value) else value


def render_modelfile(name: str, spec: ModelSpec) -> str:
    out = [f"# Modelfile generated by lokal for {name}", f"FROM {spec.from_}"]
    if spec.projector:
        out.append(f"FROM {spec.projector}")
    if spec.template is not None:
        out.append(f'TEMPLATE """{spec.template}"""')
    if spec.system is not None:
        out.append(f"SYSTEM {_quote(spec.system)}")
    for key, value in spec.parameters.items():
        for item in value if isinstance(value, list) else [value]:
            shown = json.dumps(item) if isinstance(item, str) else str(item).lower() if isinstance(item, bool) else item
            out.append(f"PARAMETER {key} {shown}")
    for message in spec.messages:
        out.append(f"MESSAGE {message['role']} {_quote(message['content'])}")
    for text in spec.licenses:
        out.append(f'LICENSE """{text}"""')
    return "\n".join(out) + "\n"
