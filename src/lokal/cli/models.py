"""Model commands: pull, create, show, list, cp, rm."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from ..errors import ModelfileError
from ..sources.archive import export_model, import_model
from ..sources.create import create_model
from ..sources.pull import pull_model
from ..store.modelfile import parse_modelfile
from ..store.names import ModelName
from .common import PullProgress, model_store, settings


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


@click.command("pull")
@click.argument("name")
@click.option("--insecure", is_flag=True, help="Allow a plain-http registry.")
@click.option("--revision", default="main", show_default=True, help="Hugging Face revision (branch, tag or commit).")
@click.option("--max-bandwidth", type=int, help="Bytes per second at most (default LOKAL_MAX_BANDWIDTH).")
def cmd_pull(name: str, insecure: bool, revision: str, max_bandwidth: int | None) -> None:
    """Download a model: starter/…, Ollama library names, host/ns/model:tag, hf.co/ORG/REPO[:QUANT]."""
    config = settings()
    if max_bandwidth is not None:
        config = replace(config, max_bandwidth=max_bandwidth)
    with PullProgress() as progress:
        pull_model(model_store(config), name, config, progress, insecure=insecure, revision=revision)


@click.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The archive to write.")
def cmd_export(name: str, output: Path) -> None:
    """Write a model and its blobs to one archive, for a machine with no network."""
    export_model(model_store(), name, output)
    click.echo(f"exported {ModelName.parse(name)} to {output}")


@click.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Register under this name instead of the archived one.")
def cmd_import(archive: Path, name: str | None) -> None:
    """Register a model from an archive made by `lokal export`, after verifying every blob."""
    model = import_model(model_store(), archive, name)
    click.echo(f"imported {model.name}")


@click.command("create")
@click.argument("name")
@click.option("-f", "--file", "modelfile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("Modelfile"), show_default=True, help="The Modelfile to build from.")
def cmd_create(name: str, modelfile: Path) -> None:
    """Create a model from a Modelfile."""
    try:
        spec = parse_modelfile(modelfile.read_text())
    except ModelfileError as exc:
        raise ModelfileError(f"{modelfile}: {exc}") from None
    model = create_model(model_store(), name, spec, base_dir=modelfile.parent.resolve())
    click.echo(f"created {model.name}")


@click.command("show")
@click.argument("name")
@click.option("--modelfile", "what", flag_value="modelfile", help="Show the Modelfile.")
@click.option("--template", "what", flag_value="template", help="Show the chat template.")
@click.option("--parameters", "what", flag_value="parameters", help="Show the parameters.")
@click.option("--license", "what", flag_value="license", help="Show the license.")
@click.option("--system", "what", flag_value="system", help="Show the system prompt.")
@click.option("--json", "as_json", is_flag=True, help="Everything, as JSON.")
def cmd_show(name: str, what: str | None, as_json: bool) -> None:
    """Show a model's details, Modelfile, template, parameters or license."""
    from ..engine.prompt import choose_template
    from ..store.gguf import read_gguf

    model = model_store().get(name)
    info = read_gguf(model.model_path) if model.model_path else None
    template = model.template or (choose_template(model, info).source if info else "")
    if as_json:
        click.echo(json.dumps({"name": str(model.name), "details": model.details(),
                               "model_info": info.summary() if info else {}, "parameters": model.parameters,
                               "template": template, "system": model.system, "license": model.licenses,
                               "modelfile": model.modelfile()}, indent=2))
        return
    if what == "modelfile":
        click.echo(model.modelfile(), nl=False)
    elif what == "template":
        click.echo(template)
    elif what == "parameters":
        for key, value in model.parameters.items():
            for item in value if isinstance(value, list) else [value]:
                click.echo(f"{key:<20} {json.dumps(item) if isinstance(item, str) else item}")
    elif what == "license":
        click.echo("\n\n".join(model.licenses))
    elif what == "system":
        click.echo(model.system or "")
    else:
        click.echo("  Model")
        rows = [("architecture", model.config.get("model_family", "")),
                ("parameters", model.config.get("parameter_size", "")),
                ("context length", (info.context_length if info else "")),
                ("embedding length", (info.embedding_length if info else "")),
                ("quantization", model.config.get("file_type", ""))]
        if model.remote:
            rows = [("remote", f"{model.remote['url']} {model.remote['model']}")]
        for label, value in rows:
            click.echo(f"    {label:<20}{value}")
        if model.parameters:
            click.echo("\n  Parameters")
            for key, value in model.parameters.items():
                click.echo(f"    {key:<20}{json.dumps(value) if not isinstance(value, (int, float)) else value}")
        if model.system:
            click.echo(f"\n  System\n    {model.system}")
        if model.licenses:
            click.echo(f"\n  License\n    {model.licenses[0].splitlines()[0]}")


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def cmd_list(as_json: bool) -> None:
    """List stored models."""
    models = model_store().list()
    if as_json:
        click.echo(json.dumps([{"name": str(m.name), "digest": m.digest, "size": m.size,
                                "modified_at": m.modified_at.isoformat(), "details": m.details()}
                               for m in models], indent=2))
        return
    click.echo(f"{'NAME':<40}{'ID':<14}{'SIZE':<10}MODIFIED")
    for m in models:
        click.echo(f"{str(m.name):<40}{m.digest[:12]:<14}{_size(m.size):<10}{m.modified_at:%Y-%m-%d %H:%M}")


@click.command("cp")
@click.argument("source")
@click.argument("destination")
def cmd_cp(source: str, destination: str) -> None:
    """Copy a model to a new name (the blobs are shared)."""
    model = model_store().copy(source, destination)
    click.echo(f"copied '{ModelName.parse(source)}' to '{model.name}'")


@click.command("rm")
@click.argument("names", nargs=-1, required=True)
def cmd_rm(names: tuple[str, ...]) -> None:
    """Remove models; blobs other models still use are kept."""
    store = model_store()
    for name in names:
        store.remove(name)
        click.echo(f"deleted '{ModelName.parse(name)}'")
