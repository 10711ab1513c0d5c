"""What every command shares: settings and the model store, and the pull progress display."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from ..config import Settings
from ..store.models import ModelStore


def with_options(options: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """A decorator applying a shared list of click options, in order."""

    def apply(f: Any) -> Any:
        for option in reversed(options):
            f = option(f)
        return f

    return apply


def settings() -> Settings:
    return Settings.from_env()


def model_store(config: Settings | None = None) -> ModelStore:
    return ModelStore((config or settings()).models_dir)


class PullProgress:
    """Renders Ollama-shaped progress events as rich progress bars on stderr."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), transient=False)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> PullProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        status = str(event.get("status", ""))
        if "total" in event:
            task = self.tasks.get(status)
            if task is None:
                task = self.tasks[status] = self.progress.add_task(status, total=event.get("total") or None)
            self.progress.update(task, completed=event.get("completed", 0), total=event.get("total") or None)
        else:
            self.progress.console.print(status)


def ensure_model(name: str, config: Settings | None = None) -> None:
    """Pull a starter model on first use (as `lokal run` does); other missing models are an error."""
    from ..errors import ModelNotFoundError
    from ..sources.pull import pull_model
    from ..sources.starters import is_starter
    from ..store.names import ModelName

    config = config or settings()
    store = model_store(config)
    parsed = ModelName.parse(name)
    if not store.exists(parsed):
        if not is_starter(parsed):
            raise ModelNotFoundError(f"model '{parsed}' not found, try `lokal pull {parsed}`")
        with PullProgress() as progress:
            pull_model(store, parsed, config, progress)
