"""`lokal kb …` (knowledge bases) and `lokal ask`: in-process, like `lokal run`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..engine.generate import Delta, Done, Event
from ..engine.prompt import Request
from ..engine.scheduler import Scheduler
from ..knowledge.answer import source_label
from ..knowledge.background import Syncer
from ..knowledge.base import Knowledge, KnowledgeBase
from ..knowledge.evaluate import Dataset, eval_base, evaluate, ingest_corpus, load_dataset
from ..knowledge.ingest import Progress as SyncProgress, reindex, sync
from ..knowledge.search import MODES, SearchOptions, search
from ..runtime import Runtime, runtime_for
from .common import ensure_model, model_store, settings, with_options

DEFAULT_MODEL = "starter/smollm2"
err = Console(stderr=True)


def knowledge() -> Knowledge:
    """The bases, with a scheduler for those whose embedder is a GGUF model (it loads nothing until used)."""
    config = settings()
    return Knowledge(config.knowledge_dir, Scheduler(model_store(config), config))


def bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                    TimeRemainingColumn(), console=err, transient=True)


def run_sync(registry: Knowledge, name: str) -> SyncProgress:
    base = registry.open(name)
    with bar() as progress:
        task = progress.add_task(f"sync {name}", total=None, note="")

        def show(state: SyncProgress) -> None:
            progress.update(task, total=state.files_total or None, completed=state.files_done,
                            note=f"{state.chunks_embedded} chunks embedded  {Path(state.current).name}")

        result = sync(base, show)
    click.echo(f"{name}: {len(result.added)} added, {len(result.updated)} updated, {len(result.removed)} removed, "
               f"{result.unchanged} unchanged, {result.chunks_embedded} chunks embedded "
               f"({result.as_dict()['seconds']} s)")
    for path, reason in result.problems.items():
        click.echo(f"  skipped {path}: {reason}", err=True)
    return result


def options_from(top_k: int, mode: str, keyword_weight: float, dense_weight: float, rerank: str | None) -> SearchOptions:
    return SearchOptions(top_k=top_k, mode=mode, keyword_weight=keyword_weight, dense_weight=dense_weight,
                         rerank=rerank or "")


retrieval = [
    click.option("--top-k", "-k", default=5, show_default=True, help="Chunks to retrieve."),
    click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True),
    click.option("--keyword-weight", default=SearchOptions.keyword_weight, show_default=True, help="RRF weight of BM25."),
    click.option("--dense-weight", default=SearchOptions.dense_weight, show_default=True, help="RRF weight of the vectors."),
    click.option("--rerank", metavar="MODEL", help="Reorder the top 20 with this model (a reranker or a chat model)."),
]


with_retrieval = with_options(retrieval)


@click.group("kb")
def cmd_kb() -> None:
    """Knowledge bases: answer from your own folders, with citations."""


@cmd_kb.command("create")
@click.argument("name")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--embedder", help="A GGUF embedding model from the store (default: multilingual-e5-small).")
@click.option("--no-sync", is_flag=True, help="Create only; ingest later with `lokal kb sync`.")
def cmd_create(name: str, paths: tuple[Path, ...], embedder: str | None, no_sync: bool) -> None:
    """Create a base bound to folders or files, and ingest them."""
    registry = knowledge()
    registry.create(name, embedder=embedder, folders=list(paths))
    click.echo(f"created knowledge base {name}")
    if paths and not no_sync:
        run_sync(registry, name)


@cmd_kb.command("add")
@click.argument("name")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--no-sync", is_flag=True)
def cmd_add(name: str, paths: tuple[Path, ...], no_sync: bool) -> None:
    """Bind more folders or files to a base, and ingest them."""
    registry = knowledge()
    base = registry.open(name)
    for path in paths:
        base.add_folder(path)
    if not no_sync:
        run_sync(registry, name)


@cmd_kb.command("remove")
@click.argument("name")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def cmd_remove(name: str, paths: tuple[Path, ...]) -> None:
    """Unbind folders or files from a base; their documents leave it (the files stay on disk)."""
    registry = knowledge()
    base = registry.open(name)
    for path in paths:
        base.remove_folder(path)
    run_sync(registry, name)


@cmd_kb.command("sync")
@click.argument("name")
def cmd_sync(name: str) -> None:
    """Embed new and changed files, drop deleted ones."""
    run_sync(knowledge(), name)


@cmd_kb.command("watch")
@click.argument("name")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between folder scans.")
def cmd_watch(name: str, interval: float) -> None:
    """Follow a base's folders and sync whenever they change (Ctrl-C stops)."""
    registry = knowledge()
    run_sync(registry, name)
    click.echo(f"watching {name} (Ctrl-C stops)", err=True)
    syncer = Syncer(registry)
    syncer.watch([name], interval).join()


@cmd_kb.command("list")
def cmd_list() -> None:
    """List knowledge bases."""
    registry = knowledge()
    table = Table("NAME", "DOCUMENTS", "CHUNKS", "PROBLEMS", "EMBEDDER", box=None)
    for name in registry.names():
        info = registry.open(name).info()
        table.add_row(name, str(info["documents"]), str(info["chunks"]), str(info["problems"]), info["embedder"])
    Console().print(table)


@cmd_kb.command("show")
@click.argument("name")
def cmd_show(name: str) -> None:
    """A base's folders and documents, with the reason for any file not ingested."""
    base = knowledge().open(name)
    info = base.info()
    click.echo(f"{name}: {info['documents']} documents, {info['chunks']} chunks, embedder {info['embedder']}")
    for folder in info["folders"]:
        click.echo(f"  folder {folder}")
    for doc in base.store.documents():
        note = f"{doc['chunks']} chunks, {doc['language']}" if doc["status"] == "ok" else f"{doc['status']}: {doc['error']}"
        click.echo(f"  {doc['path']}  ({note})")


@cmd_kb.command("rm")
@click.argument("names", nargs=-1, required=True)
def cmd_rm(names: tuple[str, ...]) -> None:
    """Delete knowledge bases (the files they were built from stay)."""
    registry = knowledge()
    for name in names:
        registry.delete(name)
        click.echo(f"deleted knowledge base {name}")


@cmd_kb.command("search")
@click.argument("name")
@click.argument("query")
@with_retrieval
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def cmd_search(name: str, query: str, top_k: int, mode: str, keyword_weight: float, dense_weight: float,
               rerank: str | None, as_json: bool) -> None:
    """Raw chunks for a query, best first, with scores and citations."""
    registry = knowledge()
    hits = search(registry.open(name), query, options_from(top_k, mode, keyword_weight, dense_weight, rerank),
                  registry.rerank)
    if as_json:
        click.echo(json.dumps([dict(h.citation(10_000), ranks=h.ranks) for h in hits], ensure_ascii=False, indent=2))
        return
    for number, hit in enumerate(hits, start=1):
        where = f"{hit.path}" + (f" p.{hit.page}" if hit.page else "") + (f" › {hit.heading}" if hit.heading else "")
        click.echo(f"[{number}] {hit.score:.4f}  {where}")
        click.echo("    " + hit.citation()["snippet"])


@cmd_kb.command("reindex")
@click.argument("name")
@click.option("--embedder", help="Switch to this embedder (a GGUF embedding model, or multilingual-e5-small).")
def cmd_reindex(name: str, embedder: str | None) -> None:
    """Re-embed every chunk (to switch embedders, or to finish an interrupted reindex)."""
    registry = knowledge()
    with bar() as progress:
        task = progress.add_task(f"reindex {name}", total=None, note="")
        total = reindex(registry, name, embedder, lambda done, all_: progress.update(task, completed=done, total=all_))
    click.echo(f"{name}: {total} chunks re-embedded with {registry.open(name).embedder.id}")


@cmd_kb.command("eval")
@click.option("--dataset", "folder", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels.tsv.")
@click.option("--keyword-weight", default=SearchOptions.keyword_weight, show_default=True, help="RRF weight of BM25 in hybrid.")
@click.option("--dense-weight", default=SearchOptions.dense_weight, show_default=True, help="RRF weight of the vectors in hybrid.")
@click.option("--answers", "with_answers", is_flag=True,
              help="Also score a model's grounded and closed-book answers against answers.jsonl.")
@click.option("--model", "-m", default=DEFAULT_MODEL, show_default=True, help="The model that answers (with --answers).")
@click.option("--limit", default=50, show_default=True, help="Questions to answer (with --answers).")
def cmd_eval(folder: Path, keyword_weight: float, dense_weight: float, with_answers: bool, model: str,
             limit: int) -> None:
    """nDCG@10, Recall@5/10 and MRR@10 of bm25, dense and hybrid retrieval on a dataset; with
    --answers, how often a model's answer holds the gold span, grounded and closed-book."""
    dataset = load_dataset(folder)
    registry = Knowledge(settings().knowledge_dir / "eval")
    base = eval_base(registry, dataset)
    with bar() as progress:
        task = progress.add_task(f"ingest {dataset.name}", total=len(dataset.corpus), note="")
        ingest_corpus(base, dataset.corpus, lambda done, total: progress.update(task, completed=done))
    table = Table("mode", "nDCG@10", "R@5", "R@10", "MRR@10", "p50 ms", box=None)
    for each in MODES:
        m = evaluate(base, dataset, options_from(10, each, keyword_weight, dense_weight, None))
        table.add_row(each, *(f"{m[k]:.4f}" for k in ("ndcg@10", "recall@5", "recall@10", "mrr@10")), f"{m['p50_ms']:.1f}")
    click.echo(f"{dataset.name}: {len(dataset.corpus)} documents, {len(dataset.queries)} queries")
    Console().print(table)
    if with_answers:
        print_grades(registry, base, dataset, folder, model, limit)


def print_grades(registry: Knowledge, base: KnowledgeBase, dataset: Dataset, folder: Path, model: str,
                 limit: int) -> None:
    from ..knowledge.grading import grade, load_answers

    gold = load_answers(folder)
    ensure_model(model)
    with Runtime(settings()) as runtime, bar() as progress:
        task = progress.add_task(f"answering with {model}", total=min(limit, len(gold)), note="")
        rows = grade(registry, base, dataset, gold, runtime.generate, model, limit=limit,
                     progress=lambda done, total: progress.update(task, completed=done))
    table = Table("answers", "n", "contains", "F1", "retrieved", "cited", "s/answer", box=None)
    for mode, m in rows.items():
        percent = [f"{100 * m[k]:.0f} %" if k in m else "" for k in ("contains", "f1", "retrieved", "cited")]
        table.add_row(mode, str(int(m["questions"])), *percent, f"{m['seconds']:.1f}")
    click.echo(f"{model} on {dataset.name}:")
    Console().print(table)


@cmd_kb.command("testset")
@click.argument("name")
@click.option("--model", "-m", default=DEFAULT_MODEL, show_default=True, help="The model that writes the questions.")
@click.option("--count", "-n", default=20, show_default=True)
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: NAME-testset).")
def cmd_testset(name: str, model: str, count: int, output: Path | None) -> None:
    """Have a local model write question/answer pairs from the base's chunks (a dataset for `kb eval`)."""
    from ..knowledge.testset import make_testset

    ensure_model(model)
    out = output or Path(f"{name}-testset")
    with Runtime(settings()) as runtime, bar() as progress:
        task = progress.add_task("writing questions", total=count, note="")
        written = make_testset(runtime.knowledge.open(name), runtime.generate, model, out, count=count,
                               progress=lambda done, total: progress.update(task, completed=done))
    click.echo(f"wrote {written} questions to {out} (lokal kb eval --dataset {out})")


@click.command("ask")
@click.argument("name")
@click.argument("question", required=False)
@click.option("--model", "-m", default=DEFAULT_MODEL, show_default=True)
@with_retrieval
def cmd_ask(name: str, question: str | None, model: str, top_k: int, mode: str, keyword_weight: float,
            dense_weight: float, rerank: str | None) -> None:
    """Answer a question from a knowledge base, with its sources."""
    question = question or (sys.stdin.read().strip() if not sys.stdin.isatty() else "")
    if not question:
        raise click.UsageError("give a QUESTION (or pipe one in)")
    ensure_model(model)
    options = options_from(top_k, mode, keyword_weight, dense_weight, rerank)
    asked = Request(messages=[{"role": "user", "content": question}])
    runtime = runtime_for(settings())  # a running server has the model (and the embedder) loaded already
    try:
        print_answer(runtime.generate(model, asked, knowledge={"bases": [name], **asdict(options)}))
    finally:
        runtime.close()


def print_answer(events: Iterator[Event]) -> None:
    """Stream the answer, then its numbered sources."""
    for event in events:
        if isinstance(event, Delta):
            sys.stdout.write(event.content)
            sys.stdout.flush()
        elif isinstance(event, Done):
            sys.stdout.write("\n")
            click.echo("\nSources:")
            for number, cited in enumerate(event.citations or [], start=1):
                click.echo(f"  [{number}] {source_label(cited['file'], cited.get('page'), cited.get('heading'))}")
