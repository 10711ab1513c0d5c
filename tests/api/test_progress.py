"""While a long prompt is processed: `prompt_progress` events when asked for (`return_progress`, as
llama-server), and keep-alive pings on event streams (LOKAL_SSE_PING, here half a second)."""

import json

import httpx
import pytest

from ..conftest import STARTER
from ..helpers import LiveServer, link_store

LONG = "Summarise this. " + "The quick brown fox jumps over the lazy dog. " * 140  # about 1,400 tokens
# each test's prompt differs from its first words: a shared prefix would come from the slot's cache


@pytest.fixture(scope="module")
def pinging(starter_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("pinging")
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_SSE_PING="0.5s") as live:
        yield live


def test_ollama_streams_prompt_progress_when_asked(pinging):
    body = {"model": STARTER, "messages": [{"role": "user", "content": LONG}], "return_progress": True,
            "options": {"num_predict": 2}}
    with httpx.stream("POST", f"{pinging.url}/api/chat", json=body, timeout=120) as response:
        chunks = [json.loads(line) for line in response.iter_lines() if line]
    progress = [c["prompt_progress"] for c in chunks if "prompt_progress" in c]
    assert len(progress) >= 3, "one event as the prompt starts, then one per 512-token step"
    done = [p["processed"] for p in progress]
    assert done == sorted(done) and done[0] == 0 and done[-1] == progress[-1]["total"] > 1000
    assert chunks[-1]["done"] and chunks[-1]["prompt_eval_count"] == progress[-1]["total"]
    plain = httpx.post(f"{pinging.url}/api/chat", json={**body, "messages": [{"role": "user", "content": "Hi"}],
                                                         "return_progress": False, "stream": True}, timeout=60)
    assert "prompt_progress" not in plain.text


def test_openai_streams_prompt_progress_in_chunks_without_choices(pinging):
    body = {"model": STARTER, "messages": [{"role": "user", "content": "Again. " + LONG}], "stream": True,
            "max_tokens": 2, "return_progress": True}
    with httpx.stream("POST", f"{pinging.url}/v1/chat/completions", json=body, timeout=120) as response:
        data = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]
    progress = [c for c in data if "prompt_progress" in c]
    assert progress and all(c["choices"] == [] for c in progress)


@pytest.mark.parametrize("path, body", [
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Once more. " + LONG}], "max_tokens": 2}),
    ("/v1/messages", {"messages": [{"role": "user", "content": "And again. " + LONG}], "max_tokens": 2}),
])
def test_event_streams_ping_while_the_prompt_is_read(pinging, path, body):
    with httpx.stream("POST", pinging.url + path, json={"model": STARTER, "stream": True, **body},
                      timeout=120) as response:
        assert response.status_code == 200
        lines = list(response.iter_lines())
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data: {") and "ping" not in line)
    pings = [line for line in lines[:first_data] if line == ": ping" or line == "event: ping"]
    assert pings, "a 1,400-token prompt takes seconds here: the stream pings meanwhile"
