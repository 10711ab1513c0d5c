"""The `lokal` command: a click group; one module per command family."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..errors import LokalError
from .batch import cmd_batch
from .knowledge import cmd_ask, cmd_kb
from .mcp import cmd_mcp
from .models import cmd_cp, cmd_create, cmd_export, cmd_import, cmd_list, cmd_pull, cmd_rm, cmd_show
from .run import cmd_run
from .serve import cmd_ps, cmd_serve, cmd_stop


class LokalGroup(click.Group):
    """Known lokal errors print as one clear line (exit 1); others re-raise under LOKAL_RAISE_ERRORS."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LokalError as exc:
            if os.environ.get("LOKAL_RAISE_ERRORS"):
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("", err=True)
            sys.exit(130)


@click.group(cls=LokalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lokal")
def main() -> None:
    """lokal: run language models on your own machine, behind the Ollama and OpenAI APIs."""


for command in (cmd_serve, cmd_run, cmd_pull, cmd_create, cmd_show, cmd_list, cmd_cp, cmd_rm, cmd_ps, cmd_stop,
                cmd_export, cmd_import, cmd_kb, cmd_ask, cmd_batch, cmd_mcp):
    main.add_command(command)
main.add_command(cmd_list, name="ls")
