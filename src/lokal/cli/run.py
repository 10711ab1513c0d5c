"""`lokal run`: chat in the terminal, like `ollama run`: through the server when one is running
at LOKAL_HOST (the model loads once, there), otherwise with the engine in this process (the
runtime decides which: `runtime_for`).

With a PROMPT argument or piped stdin it answers once and exits, so it scripts well.
Interactively: streamed answers, history (readline), multi-line input between triple quotes,
and the slash commands in HELP. Ctrl-C stops an answer; Ctrl-D or /bye leaves.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..engine.generate import Delta, Done
from ..engine.prompt import Request
from ..errors import LokalError, OptionsError
from ..options import coerce_options
from ..runtime import RemoteRuntime, Runtime, runtime_for
from ..store.gguf import GGUFInfo, read_gguf
from ..store.models import Model
from ..store.names import ModelName
from .common import ensure_model, model_store, settings

HELP = """Available commands:
  /set system <text>            Set the system prompt
  /set parameter <name> <value> Set a parameter (temperature, num_predict, seed, stop, ...)
  /set verbose | /set quiet     Show or hide timings after each answer
  /set format json | /set noformat
  /show info|system|template|parameters|license|modelfile
  /clear                        Forget the conversation
  /bye                          Exit
  /?, /help                     This help
Use \"\"\" to begin and end a multi-line message."""


def print_stats(done: Done) -> None:
    def rate(count: int, seconds: float) -> str:
        return f"{count / seconds:.2f} tokens/s" if seconds > 0 else "n/a"

    lines = [
        ("total duration", f"{done.total_duration:.3f}s"),
        ("load duration", f"{done.load_duration * 1000:.2f}ms"),
        ("prompt eval count", f"{done.prompt_eval_count} token(s)"),
        ("prompt eval duration", f"{done.prompt_eval_duration * 1000:.2f}ms"),
        ("prompt eval rate", rate(done.prompt_eval_count, done.prompt_eval_duration)),
        ("eval count", f"{done.eval_count} token(s)"),
        ("eval duration", f"{done.eval_duration * 1000:.2f}ms"),
        ("eval rate", rate(done.eval_count, done.eval_duration)),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<22}{value}", err=True)


class ChatSession:
    """A conversation with one model, through a runtime (in this process or a server's)."""

    def __init__(self, runtime: Runtime | RemoteRuntime, model: Model, *, system: str | None, format_: str | None,
                 verbose: bool) -> None:
        self.runtime = runtime
        self.model = model
        self.info: GGUFInfo | None = read_gguf(model.model_path) if model.model_path else None
        self.system = system
        self.format = format_
        self.verbose = verbose
        self.options: dict[str, Any] = {}
        self.messages: list[dict[str, Any]] = []

    def ask(self, text: str) -> str:
        self.messages.append({"role": "user", "content": text})
        request = Request(messages=list(self.messages), system=self.system, options=dict(self.options),
                          format=self.format)
        parts: list[str] = []
        done: Done | None = None
        stream = self.runtime.generate(str(self.model.name), request)
        try:
            for event in stream:
                if isinstance(event, Done):
                    done = event
                elif isinstance(event, Delta):
                    parts.append(event.content)
                    sys.stdout.write(event.content)
                    sys.stdout.flush()
        except KeyboardInterrupt:
            stream.close()
            sys.stdout.write("\n")
        answer = "".join(parts)
        sys.stdout.write("\n" if not answer.endswith("\n") else "")
        sys.stdout.flush()
        self.messages.append({"role": "assistant", "content": answer})
        if done is not None and self.verbose:
            print_stats(done)
        return answer

    def command(self, line: str) -> bool:
        """Handle a slash command; returns False when the session should end."""
        words = line.split(maxsplit=3)
        head = words[0].lower()
        if head in ("/bye", "/exit"):
            return False
        if head in ("/?", "/help"):
            click.echo(HELP)
        elif head == "/clear":
            self.messages.clear()
            click.echo("Cleared session context")
        elif head == "/set" and len(words) >= 2:
            self._set(words[1].lower(), line.split(maxsplit=2)[2] if len(words) > 2 else "")
        elif head == "/show" and len(words) >= 2:
            self._show(words[1].lower())
        else:
            click.echo(f"Unknown command '{line.strip()}'. Type /? for help")
        return True

    def _set(self, what: str, rest: str) -> None:
        if what == "system":
            self.system = rest.strip().strip('"')
            click.echo("Set system message.")
        elif what == "parameter":
            name, _, value = rest.strip().partition(" ")
            try:
                parsed: Any = json.loads(value)
            except ValueError:
                parsed = value
            try:
                cast, unknown = coerce_options({name: parsed})
            except OptionsError as exc:
                click.echo(str(exc))
                return
            if unknown:
                click.echo(f"Unknown parameter '{name}'")
                return
            self.options.update(cast)
            click.echo(f"Set parameter '{name}' to '{value}'")
        elif what in ("verbose", "quiet"):
            self.verbose = what == "verbose"
            click.echo(f"Set '{what}' mode.")
        elif what == "format":
            self.format = rest.strip() or "json"
            click.echo(f"Set format to '{self.format}' mode.")
        elif what == "noformat":
            self.format = None
            click.echo("Disabled format.")
        else:
            click.echo(f"Unknown /set option '{what}'. Type /? for help")

    def _show(self, what: str) -> None:
        model, info = self.model, self.info
        if info is None and what in ("info", "template"):
            click.echo(f"'{model.name}' is served by a remote engine: its GGUF details are not known here.")
        elif what == "info":
            for key, value in info.summary().items():
                click.echo(f"  {key:<20}{value}")
        elif what == "system":
            click.echo(self.system or model.system or "No system message was specified for this model.")
        elif what == "template":
            from ..engine.prompt import choose_template

            click.echo(choose_template(model, info).source)
        elif what == "parameters":
            click.echo(json.dumps({**model.parameters, **self.options}, indent=2))
        elif what == "license":
            click.echo("\n\n".join(model.licenses) or "No license was specified for this model.")
        elif what == "modelfile":
            click.echo(model.modelfile())
        else:
            click.echo(f"Unknown /show option '{what}'. Type /? for help")


def _read_message() -> str | None:
    """One user message from the terminal; None at end of input."""
    try:
        line = input(">>> ")
    except EOFError:
        return None
    if not line.lstrip().startswith('"""'):
        return line
    first = line.lstrip()[3:]
    if first.rstrip().endswith('"""'):
        return first.rstrip()[:-3]
    lines = [first]
    while True:
        try:
            more = input("... ")
        except EOFError:
            return "\n".join(lines)
        if more.rstrip().endswith('"""'):
            lines.append(more.rstrip()[:-3])
            return "\n".join(lines).strip("\n")
        lines.append(more)


def _enable_history(path: Path) -> None:
    try:
        import atexit
        import readline
    except ImportError:  # not every platform has readline
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    atexit.register(readline.write_history_file, str(path))


@click.command("run")
@click.argument("model")
@click.argument("prompt", nargs=-1)
@click.option("--format", "format_", type=click.Choice(["json"]), help="Answer in JSON (enforced by grammar).")
@click.option("--system", help="System prompt for this session.")
@click.option("--verbose", is_flag=True, help="Print load time, prompt and eval rates after each answer.")
def cmd_run(model: str, prompt: tuple[str, ...], format_: str | None, system: str | None, verbose: bool) -> None:
    """Chat with a model; with PROMPT or piped input, answer once and exit."""
    config = settings()
    store = model_store(config)
    name = ModelName.parse(model)
    ensure_model(model, config)
    stored = store.get(name)
    text = " ".join(prompt)
    if not sys.stdin.isatty():
        piped = sys.stdin.read()
        text = f"{text}\n\n{piped}".strip() if text else piped.strip()
    runtime = runtime_for(replace(config, num_parallel=config.num_parallel or 1))  # one user here: one slot
    if isinstance(runtime, Runtime) and stored.remote:
        runtime.close()
        raise LokalError(f"'{name}' is served by a remote engine: start `lokal serve`, then run it again")
    try:
        session = ChatSession(runtime, stored, system=system, format_=format_, verbose=verbose)
        if text:
            session.ask(text)
            return
        _enable_history(config.home / "history")
        click.echo("Type /? for help, /bye to leave.", err=True)
        while True:
            try:
                message = _read_message()
            except KeyboardInterrupt:
                click.echo("\nUse Ctrl + d or /bye to exit.")
                continue
            if message is None:
                break
            if not message.strip():
                continue
            if message.startswith("/") and not message.startswith("//"):
                if not session.command(message):
                    break
                continue
            session.ask(message)
    finally:
        runtime.close()
