"""Server commands: serve, ps, stop."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timezone

import click

from ..client import Client
from ..config import SETTINGS
from ..sources.pull import pull_model
from ..sources.starters import is_starter
from ..store.names import ModelName
from .common import PullProgress, model_store, settings


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _print_settings() -> None:
    for setting in SETTINGS:
        click.echo(f"{setting.env:<26} default {setting.default or '(none)':<18} {setting.help}")


@click.command("serve")
@click.option("-m", "--model", "preload", help="Load this model at start (a missing starter is pulled first).")
@click.option("--help-settings", is_flag=True, help="List every setting (environment variables) and exit.")
@click.option("--get", "get_path", metavar="PATH", help="Answer one GET request in-process, print it and exit.")
@click.option("--watch", is_flag=True, help="Keep every knowledge base in step with its folders while serving.")
def cmd_serve(preload: str | None, help_settings: bool, get_path: str | None, watch: bool) -> None:
    """Serve the Ollama and OpenAI APIs on LOKAL_HOST (default 127.0.0.1:11434)."""
    if help_settings:
        _print_settings()
        return
    import uvicorn

    from ..api.app import create_app
    from ..api.security import is_loopback

    config = settings()
    host, port = config.host
    if get_path:
        from fastapi.testclient import TestClient

        with TestClient(create_app(config), base_url=config.base_url) as client:
            headers = {"Authorization": f"Bearer {config.api_keys[0]}"} if config.api_keys else {}
            response = client.get(get_path, headers=headers)
            click.echo(response.text)
        return
    if not is_loopback(host) and not config.api_keys:
        raise click.ClickException(
            f"refusing to listen on {host}, which other machines can reach, without API keys: "
            "set LOKAL_API_KEYS=<key>[,<key>…] (clients send Authorization: Bearer <key>)")
    if not _port_free(host, port):
        raise click.ClickException(
            f"{host}:{port} is already in use — is Ollama (or another lokal) running? Stop it, or choose "
            f"another address with LOKAL_HOST=127.0.0.1:11435")
    app = create_app(config)
    if preload:
        store = model_store(config)
        name = ModelName.parse(preload)
        if not store.exists(name) and is_starter(name):
            with PullProgress() as progress:
                pull_model(store, name, config, progress)
        app.state.lokal.runtime.load(str(name))
    if watch:
        app.state.lokal.syncer.watch()
    shown = {s.env: _display(getattr(config, s.name)) for s in SETTINGS if s.name != "api_keys"}
    click.echo(f"lokal listening on {config.base_url} (web UI at /, Ollama API at /api, OpenAI API at /v1)", err=True)
    click.echo("settings: " + json.dumps(shown), err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


def _display(value: object) -> str:
    """A parsed setting as a user would write it: 127.0.0.1:11434, a,b."""
    if isinstance(value, tuple):
        is_address = len(value) == 2 and isinstance(value[1], int)
        return ":".join(map(str, value)) if is_address else ",".join(map(str, value))
    return str(value)


@click.command("ps")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def cmd_ps(as_json: bool) -> None:
    """List the models a running server has loaded."""
    models = Client(settings()).request("GET", "/api/ps")["models"]
    if as_json:
        click.echo(json.dumps(models, indent=2))
        return
    click.echo(f"{'NAME':<36}{'SIZE':<12}{'CONTEXT':<10}UNTIL")
    now = datetime.now(timezone.utc)
    for m in models:
        until = datetime.fromisoformat(m["expires_at"].replace("Z", "+00:00"))
        left = until - now
        shown = "Forever" if left.days > 3650 else f"{int(left.total_seconds() // 60)} minutes from now"
        click.echo(f"{m['name']:<36}{m['size'] / 1e6:>7.0f} MB  {m['context_length']:<10}{shown}")


@click.command("stop")
@click.argument("model")
def cmd_stop(model: str) -> None:
    """Unload a model from a running server."""
    Client(settings()).request("POST", "/api/generate", json={"model": model, "keep_alive": 0})
    click.echo(f"stopped {ModelName.parse(model)}")


