"""`import lokal`: the runtime as Python programs use it (the README's example), and its HTTP twin,
which answers the same calls through a running server."""

import pytest

import lokal
from lokal.client import Client
from lokal.config import Settings
from lokal.errors import NotFoundError
from lokal.runtime import RemoteRuntime

from .conftest import STARTER

GREEDY = {"temperature": 0, "num_predict": 12, "seed": 1}


@pytest.fixture
def runtime(starter_store):
    with lokal.Runtime() as rt:
        yield rt


def test_chat_stream_and_embed_as_the_readme_shows(runtime):
    reply = runtime.chat(STARTER, "What is the capital of France?", **GREEDY)
    assert reply.content.strip() and reply.tokens > 0 and reply.done_reason in ("stop", "length")
    streamed = runtime.chat(STARTER, "What is the capital of France?", stream=True, **GREEDY)
    assert "".join(streamed) == reply.content and streamed.reply.content == reply.content
    vectors = runtime.embed(STARTER, ["hei", "hallo"]).vectors
    assert len(vectors) == 2 and len(vectors[0]) == 576


def test_a_grounded_answer_cites_its_file(runtime, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "travel.md").write_text("# Travel policy\n\nThe daily meal allowance is 150 EUR.\n")
    progress = runtime.index("handbook", tmp_path / "docs")
    assert progress.as_dict()["chunks_embedded"] >= 1
    assert runtime.index("handbook", tmp_path / "docs").as_dict()["chunks_embedded"] == 0  # nothing changed
    reply = runtime.ask("handbook", "What is the daily meal allowance?", model=STARTER, top_k=1)
    assert reply.citations and reply.citations[0]["file"].endswith("travel.md")


def test_tokens_round_trip_and_count(runtime):
    tokens = runtime.tokenize(STARTER, "Hello, world")
    assert tokens and runtime.detokenize(STARTER, tokens) == "Hello, world"
    from lokal.engine.prompt import Request

    assert runtime.count_tokens(STARTER, Request(messages=[{"role": "user", "content": "Hello, world"}])) > len(tokens)


def test_errors_are_lokal_errors(runtime):
    with pytest.raises(NotFoundError):
        runtime.chat("no-such-model", "hi")


def test_the_remote_twin_answers_the_same(runtime, server):
    local = runtime.chat(STARTER, "Name a colour.", **GREEDY)
    with RemoteRuntime(Client(Settings.from_env({"LOKAL_HOST": server.url.removeprefix("http://")}))) as remote:
        assert remote.chat(STARTER, "Name a colour.", **GREEDY).content == local.content
        assert remote.tokenize(STARTER, "Hello, world") == runtime.tokenize(STARTER, "Hello, world")
        assert remote.embed(STARTER, ["hei"]).vectors[0] == pytest.approx(runtime.embed(STARTER, ["hei"]).vectors[0],
                                                                           abs=1e-4)
        assert any(row["name"] == STARTER + ":latest" or row["model"].startswith(STARTER) for row in remote.loaded())
