"""Many users at once: concurrent streams complete; a client that leaves frees its slot."""

import re
import threading
import time

import httpx
import ollama


def active_requests(url):
    text = httpx.get(f"{url}/metrics").text
    return int(re.search(r"^lokal_active_requests (\d+)", text, re.M).group(1))


def test_four_concurrent_streamed_chats_complete(server):
    results = {}

    def chat(i):
        client = ollama.Client(host=server.url)
        chunks = list(client.chat(model="starter/smollm2", stream=True, options={"num_predict": 40, "seed": i},
                                  messages=[{"role": "user", "content": f"Tell me fact number {i} about the sea."}]))
        results[i] = chunks[-1]

    threads = [threading.Thread(target=chat, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 4 and all(r.done and r.eval_count > 0 for r in results.values())


def test_a_disconnected_stream_frees_its_slot(server):
    body = {"model": "starter/smollm2", "messages": [{"role": "user", "content": "Write a very long story."}],
            "options": {"num_predict": 4000}}
    with httpx.stream("POST", f"{server.url}/api/chat", json=body, timeout=60) as response:
        lines = response.iter_lines()
        next(lines)
        next(lines)
        assert active_requests(server.url) == 1
    deadline = time.time() + 10
    while active_requests(server.url) and time.time() < deadline:
        time.sleep(0.1)
    assert active_requests(server.url) == 0
    answer = ollama.Client(host=server.url).chat(model="starter/smollm2", options={"temperature": 0},
                                                 messages=[{"role": "user", "content": "What is the capital of France?"}])
    assert "Paris" in answer.message.content


def test_metrics_count_tokens_and_requests(server):
    text = httpx.get(f"{server.url}/metrics").text
    assert "lokal_generated_tokens_total" in text and 'lokal_requests_total{path="/api/chat"' in text
