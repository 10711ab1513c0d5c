import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lokal.config import Settings
from lokal.engine.scheduler import Scheduler
from lokal.errors import BadRequestError, ConflictError
from lokal.knowledge.base import Knowledge
from lokal.knowledge.ingest import reindex, sync
from lokal.knowledge.search import SearchOptions, search

from .files import make_folder


@pytest.fixture
def knowledge(lokal_env: Path) -> Knowledge:
    registry = Knowledge(Settings.from_env().knowledge_dir)
    yield registry
    registry.close()


def test_a_folder_of_every_kind_is_searchable_with_citations(knowledge: Knowledge, tmp_path: Path):
    base = knowledge.create("docs", folders=[make_folder(tmp_path / "docs")])
    result = sync(base)
    assert sorted(Path(p).name for p in result.added) == \
        ["kantine.html", "onboarding.docx", "people.csv", "report.pdf", "travel.md"]
    assert not result.problems
    hit = search(base, "How much can the new harbour crane lift?")[0]
    assert (Path(hit.path).name, hit.page) == ("report.pdf", 2)
    assert "45 tonnes" in hit.citation()["snippet"]
    hotel = search(base, "hotel rate Berlin", SearchOptions(top_k=1))[0]
    assert hotel.heading == "Travel policy › Hotels" and "| City | Max rate per night |" in hotel.text
    norsk = search(base, "Når serverer kantina lunsj?", SearchOptions(top_k=1))[0]
    assert Path(norsk.path).name == "kantine.html"


def test_sync_embeds_only_what_changed_and_forgets_deleted_files(knowledge: Knowledge, tmp_path: Path):
    folder = make_folder(tmp_path / "docs")
    base = knowledge.create("docs", folders=[folder])
    first = sync(base)
    (folder / "travel.md").write_text((folder / "travel.md").read_text() + "\n## Trains\n\nTrains are always fine.\n")
    (folder / "people.csv").unlink()
    (folder / "report.pdf").touch()  # new mtime, same bytes
    second = sync(base)
    assert [Path(p).name for p in second.updated] == ["travel.md"] and not second.added
    assert [Path(p).name for p in second.removed] == ["people.csv"]
    assert second.chunks_embedded == 1 < first.chunks_embedded, "unchanged chunks reuse their vectors"
    assert all(Path(h.path).name != "people.csv" for h in search(base, "Kari Nordmann phone", SearchOptions(top_k=20)))
    assert sync(base).chunks_embedded == 0


def test_a_missing_folder_keeps_its_documents(knowledge: Knowledge, tmp_path: Path):
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "a.txt").write_text("Quarterly numbers for the harbour.")
    base = knowledge.create("share", folders=[folder])
    sync(base)
    folder.rename(tmp_path / "unmounted")
    result = sync(base)
    assert not result.removed and "is missing" in result.problems[str(folder)]
    assert base.store.stats()["documents"] == 1
    (tmp_path / "unmounted").rename(folder)
    assert sync(base).unchanged == 1


def test_unsupported_files_are_listed_with_a_reason(knowledge: Knowledge, tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "song.mp3").write_bytes(b"ID3")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing")
    (folder / "ok.txt").write_text("Plain words.")
    base = knowledge.create("docs", folders=[folder])
    result = sync(base)
    assert set(map(lambda p: Path(p).name, result.problems)) == {"song.mp3", "broken.pdf"}
    statuses = {Path(d["path"]).name: (d["status"], d["error"]) for d in base.store.documents()}
    assert statuses["song.mp3"][0] == "skipped" and "not a supported type" in statuses["song.mp3"][1]
    assert statuses["broken.pdf"][0] == "error" and statuses["ok.txt"] == ("ok", None)


def test_an_ingest_killed_mid_way_leaves_a_base_that_finishes_on_the_next_sync(knowledge: Knowledge, tmp_path: Path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(50):
        (folder / f"note{i:02}.txt").write_text(f"Note {i}. " + " ".join(f"word{i}x{j}" for j in range(120)))
    base = knowledge.create("many", folders=[folder])
    db = base.store.path
    proc = subprocess.Popen([sys.executable, "-m", "lokal", "kb", "sync", "many"], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and done < 3:
        time.sleep(0.05)
        with sqlite3.connect(db) as conn:
            done = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= done < 50
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        half = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM documents d WHERE chunks != "
                            "(SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id)").fetchone()[0] == 0
    result = sync(base)
    assert len(result.added) == 50 - half and result.unchanged == half
    assert base.store.stats()["documents"] == 50
    assert Path(search(base, "word7x5", SearchOptions(mode="bm25", top_k=1))[0].path).name == "note07.txt"


def test_a_gguf_embedder_reindexes_and_a_different_one_is_refused(starter_store, tmp_path: Path):
    settings = Settings.from_env()
    scheduler = Scheduler(starter_store, settings)
    registry = Knowledge(settings.knowledge_dir, scheduler)
    try:
        base = registry.create("docs", folders=[make_folder(tmp_path / "docs")])
        sync(base)
        assert reindex(registry, "docs", "starter/smollm2") == base.store.stats()["chunks"]
        assert base.embedder.id.startswith("starter/smollm2:latest@") and base.embedder.dim == 576
        assert search(base, "harbour crane", SearchOptions(mode="dense", top_k=3))
        with pytest.raises(ConflictError, match="kb reindex docs"):
            registry.open("docs", embedder="multilingual-e5-small")
        registry.forget("docs")
        assert registry.open("docs").embedder.dim == 576, "the base remembers its embedder"
    finally:
        registry.close()
        scheduler.close()
    # a fresh process opens, lists and shows the base without loading its embedder, and the CLI
    # (which opens bases the same way) syncs and searches it
    fresh = Scheduler(starter_store, settings)
    try:
        opened = Knowledge(settings.knowledge_dir, fresh).open("docs")
        assert opened.info()["dimensions"] == 576 and fresh.loaded() == []
    finally:
        fresh.close()
    for command in (["list"], ["show", "docs"], ["sync", "docs"], ["search", "docs", "harbour crane", "--mode", "dense"]):
        result = subprocess.run([sys.executable, "-m", "lokal", "kb", *command], capture_output=True, text=True,
                                timeout=120, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, (command, result.stderr)
    assert "harbour" in result.stdout.lower()


def test_retrieval_options_are_checked():
    with pytest.raises(BadRequestError, match="unknown retrieval option"):
        SearchOptions.parse({"topk": 3})
    with pytest.raises(BadRequestError, match="mode"):
        SearchOptions.parse({"mode": "fuzzy"})
    assert SearchOptions.parse({"top_k": "3", "keyword_weight": 2}).top_k == 3


def test_several_bases_answer_one_query(knowledge: Knowledge, tmp_path: Path):
    from lokal.knowledge.search import search_many

    for name, city in (("north", "Tromsø"), ("south", "Gdańsk")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "hours.txt").write_text(f"The {city} office opens at eight and closes at four.")
        (tmp_path / name / "canteen.txt").write_text("The canteen serves soup on Fridays.")
        (tmp_path / name / "parking.txt").write_text("Parking is free for visitors with a badge.")
        sync(knowledge.create(name, folders=[tmp_path / name]))
    hits = search_many([knowledge.open("north"), knowledge.open("south")], "When does the Gdańsk office open?",
                       SearchOptions(top_k=3))
    assert (hits[0].base, Path(hits[0].path).name) == ("south", "hours.txt")
    assert {h.base for h in hits} == {"north", "south"}, "both bases compete for the places"
