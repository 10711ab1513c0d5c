"""The engine's own HTTP listener on 127.0.0.1 answers only to the secret lokal gave it."""

import httpx


def test_the_engine_listener_needs_its_secret(loaded):
    runner = loaded.runner
    address = runner._address  # the listener the engine opened for itself
    assert address.startswith("http://127.0.0.1:")
    for path, body in (("/tokenize", {"content": "hi"}), ("/completion", {"prompt": "hi", "n_predict": 1}),
                       ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]})):
        assert httpx.post(address + path, json=body, timeout=30).status_code == 401
        wrong = httpx.post(address + path, json=body, headers={"Authorization": "Bearer guess"}, timeout=30)
        assert wrong.status_code == 401
    assert runner.tokenize("hi")  # lokal itself still gets through
