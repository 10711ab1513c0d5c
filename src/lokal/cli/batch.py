"""`lokal batch run` and `lokal batch compare`: tasks in, answers out, against the API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..batch.jsonl import parse_tasks, rows_to_tasks, schema_format
from ..batch.runner import Tally, run_tasks
from ..errors import BadRequestError
from .common import settings, with_options


@asynccontextmanager
async def api_client(url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the server at `url`, or for lokal's own app in this process."""
    config = settings()
    headers = {"Authorization": f"Bearer {config.api_keys[0]}"} if config.api_keys else {}
    if url:
        async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=None, headers=headers) as client:
            yield client
        return
    from ..api.app import create_app

    app = create_app(config)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=config.base_url, timeout=None,
                                     headers=headers) as client:
            yield client
    finally:
        app.state.lokal.runtime.close()


def load_tasks(source: Path, *, template: str | None, model: str | None, system: str | None,
               schema_file: Path | None) -> list[dict[str, Any]]:
    schema = json.loads(schema_file.read_text()) if schema_file else None
    if template:
        if not model:
            raise click.UsageError("--prompt-template needs --model")
        return rows_to_tasks(source, template=template, model=model, system=system, schema=schema)
    if source.suffix.lower() in (".csv", ".tsv"):
        raise click.UsageError("a CSV input needs --prompt-template (and --model)")
    tasks = parse_tasks(source.read_text(encoding="utf-8"), source.name)
    for task in tasks:
        body = task["body"]
        if model:
            body["model"] = model
        if not body.get("model"):
            raise BadRequestError(f"task {task['custom_id']} names no model: add one to its body or use --model")
        if schema is not None and task["url"] != "/v1/embeddings":
            body["response_format"] = schema_format(schema)
        if system and "messages" in body:
            body["messages"] = [{"role": "system", "content": system}, *body["messages"]]
    return tasks


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]:.1f} tok/s  {task.fields[failed]} failed"), TimeRemainingColumn(),
                    console=Console(stderr=True))


def run_with_bar(label: str, tasks: list[dict[str, Any]], output: Path, url: str | None, workers: int,
                 timings: dict[str, float] | None = None) -> Tally:
    async def go() -> Tally:
        with progress_bar() as bar:
            task = bar.add_task(label, total=len(tasks), rate=0.0, failed=0)

            def show(tally: Tally) -> None:
                bar.update(task, completed=tally.done, rate=tally.tokens_per_second(), failed=tally.failed)

            async with api_client(url) as client:
                return await run_tasks(tasks, client, output, workers=workers, progress=show, timings=timings)

    return asyncio.run(go())


input_options = [
    click.option("--model", "-m", help="Model for every task (required with --prompt-template)."),
    click.option("--prompt-template", "template", help='Turn CSV/JSONL rows into tasks, e.g. "Summarise: {text}".'),
    click.option("--system", help="A system prompt for every chat task."),
    click.option("--schema", "schema_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="A JSON schema every answer must follow (enforced by grammar)."),
    click.option("--url", help="Send the tasks to this server (default: run lokal in this process)."),
    click.option("--workers", "-w", default=4, show_default=True, help="Requests in flight at once."),
]


with_input_options = with_options(input_options)


@click.group("batch")
def cmd_batch() -> None:
    """Run tasks in batch, and compare models on them."""


@cmd_batch.command("run")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_input_options
def cmd_run(source: Path, output: Path, model: str | None, template: str | None, system: str | None,
            schema_file: Path | None, url: str | None, workers: int) -> None:
    """Run SOURCE (OpenAI batch JSONL, or rows with --prompt-template) into OUTPUT (OpenAI batch output).

    Re-running skips the tasks already in OUTPUT, so an interrupted batch resumes."""
    tasks = load_tasks(source, template=template, model=model, system=system, schema_file=schema_file)
    tally = run_with_bar("batch", tasks, output, url, workers)
    click.echo(f"{tally.completed} completed, {tally.failed} failed, {tally.skipped} already done → {output}")


@cmd_batch.command("compare")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--models", required=True, help="Comma-separated models to compare.")
@click.option("--expected", help="The row (or task) field holding the expected answer.")
@click.option("--judge", help="A model that judges each answer against the expected one.")
@click.option("--output", "-o", default="compare", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report.html, report.json and each model's results.")
@with_input_options
def cmd_compare(source: Path, models: str, expected: str | None, judge: str | None, output: Path, model: str | None,
                template: str | None, system: str | None, schema_file: Path | None, url: str | None,
                workers: int) -> None:
    """Run the same tasks on several models and write an HTML report side by side."""
    from ..batch.compare import build_report, judge_answers, result_file

    names = [m.strip() for m in models.split(",") if m.strip()]
    if len(names) < 2:
        raise click.UsageError("--models needs at least two models")
    tasks = load_tasks(source, template=template, model=model or names[0], system=system, schema_file=schema_file)
    output.mkdir(parents=True, exist_ok=True)
    timings: dict[str, dict[str, float]] = {}
    for name in names:
        for task in tasks:
            task["body"]["model"] = name
        result_file(output, name).unlink(missing_ok=True)  # a comparison measures afresh
        timings[name] = {}
        run_with_bar(name, tasks, result_file(output, name), url, workers, timings[name])
    verdicts = None
    if judge and expected:
        async def go() -> dict[str, dict[str, bool]]:
            async with api_client(url) as client:
                return await judge_answers(client, judge, tasks, names, output, expected)
        verdicts = asyncio.run(go())
    html, data = build_report(tasks, names, output, expected, verdicts, timings)
    click.echo(f"report: {html}  data: {data}")
