"""Hostile requests against a real `lokal serve`: each gets a clear 4xx fast, and the server lives on.

First the single requests that used to 500 or hang; then a table of hand-made hostile bodies and
path values sent to every route the server's OpenAPI schema lists (plus the raw-body ones).
"""

import json
import time

import httpx
import pytest

from ..conftest import STARTER

CHAT = [{"role": "user", "content": "hi"}]

# each of these once made the server 500 or hang; now a 400 within a second
REPORTED = [
    ("POST", "/v1/chat/completions", {"model": STARTER, "messages": [{"role": "user", "content": 5}]}),
    ("POST", "/v1/chat/completions", {"model": STARTER, "messages": CHAT, "top_k": "many", "num_ctx": -5,
                                      "options": {"num_ctx": 10**30}}),
    ("POST", "/v1/chat/completions", {"model": STARTER, "messages": CHAT, "max_tokens": 10**30, "seed": 10**30}),
    ("DELETE", "/api/conversations/x/messages/99999999999999999999999", None),
    ("GET", "/api/knowledge/x/chunks/99999999999999999999999", None),
    ("POST", "/api/generate", {"model": STARTER, "prompt": "hi", "template": "{{ 'A' * 100000000 }}", "stream": False}),
    ("POST", "/api/embed", {"model": STARTER, "input": "word " * 2_000_000}),
]


@pytest.mark.parametrize("method,path,body", REPORTED, ids=[f"{m} {p[:40]}" for m, p, _ in REPORTED])
def test_reported_requests_get_a_400_within_a_second(server, method, path, body):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.post("/api/generate", json={"model": STARTER, "prompt": ""})  # the model is loaded beforehand
        started = time.perf_counter()
        response = client.request(method, path, json=body)
        elapsed = time.perf_counter() - started
        assert response.status_code == 400, response.text
        assert elapsed < 1.0, f"{elapsed:.2f} s"
        error = response.json()["error"]
        message = error["message"] if path.startswith("/v1/") else error
        assert "internal error" not in message and len(message) < 2000
        # the same connection keeps working
        assert client.get("/api/version").status_code == 200


def test_the_reported_messages_name_what_is_wrong(server):
    def error(path, body):
        return httpx.post(server.url + path, json=body, timeout=30).json()["error"]

    assert "messages.0.content" in error("/v1/chat/completions", REPORTED[0][2])["message"]
    assert "max_tokens" in error("/v1/chat/completions", REPORTED[2][2])["message"]
    assert "num_ctx" in error("/v1/chat/completions", {"model": STARTER, "messages": CHAT, "num_ctx": 10**30})["message"]
    assert "template" in error("/api/generate", REPORTED[5][2])
    assert "10,000,000 characters" in error("/api/embed", REPORTED[6][2])


def test_an_unexpected_error_keeps_the_connection(server):
    """Even a 500 (none is known) answers in the surface's shape without dropping the connection:
    an unreadable JSON nesting depth is the closest a client gets."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/api/chat", content=b"[" * 100_000 + b"]" * 100_000)
        assert response.status_code < 500
        assert client.get("/api/version").status_code == 200


# hostile bodies for every route that reads one
BODIES: list[bytes | None] = [
    None, b"", b"not json", b"[]", b"5", b"null", b'"text"', b"{", b"[" * 50_000,
    b'{"model": NaN, "messages": Infinity}', b'{"model": 1e999}',
    json.dumps({"model": STARTER, "messages": [{"role": 5}], "prompt": 5, "input": [5], "name": 5,
                "query": 5, "options": 5, "keep_alive": [5], "format": 5, "tools": 5, "stream": "yes"}).encode(),
    json.dumps({"model": "\x00" * 10, "name": "../../../etc/passwd", "source": "\ud800",
                "destination": "a" * 10_000, "path": "\x00", "title": "t" * 100_000}).encode(),
    json.dumps({"model": STARTER, "prompt": "hi", "messages": CHAT, "input": "hi", "options": {
        "num_predict": -10**20, "temperature": "hot", "stop": [5], "num_ctx": 10**20, "seed": "x"}}).encode(),
    json.dumps({"model": STARTER, "messages": CHAT, "prompt": "hi", "input": "hi", "keep_alive": "1e400h",
                "top_logprobs": 10**9, "logprobs": True, "context": [-1, 10**20], "dimensions": -1}).encode(),
    json.dumps({"model": STARTER, "messages": CHAT, "prompt": "hi", "knowledge": {"bases": ["../x"], "top_k": 10**9},
                "query": "x" * 100_000, "top_k": -1, "mode": "psychic"}).encode(),
]
# hostile values for every path parameter
PATH_VALUES = ["..", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "a%00b", "A" * 5000, "-1", "99999999999999999999999",
               "sha256:" + "0" * 64, "%F0%9F%92%A9"]
NETWORK = {"/api/pull"}  # a pull reaches out to a registry: its hostile names are tested in tests/sources
BINDS = {("POST", "/api/knowledge"), ("POST", "/api/knowledge/{name}/folders")}  # would read server folders
# routes that would change the shared server's starter: their bodies name a model that is not there
DESTRUCTIVE = {("DELETE", "/api/delete"), ("POST", "/api/create"), ("POST", "/api/copy")}


def _routes(url):
    spec = httpx.get(url + "/openapi.json").json()
    routes = [(method.upper(), path) for path, methods in spec["paths"].items() for method in methods]
    return [(m, p) for m, p in routes if p not in NETWORK and (m, p) not in BINDS]


def _fill(path, value):
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + value + path[end + 1:]
    return path


def test_every_route_survives_hostile_bodies_and_paths(server):
    routes = _routes(server.url)
    assert len(routes) > 40
    failures = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method, template in routes:
            paths = [_fill(template, v) for v in PATH_VALUES] if "{" in template else [template]
            bodies = BODIES if method in ("POST", "PUT", "PATCH", "DELETE") else [None]
            if (method, template) in DESTRUCTIVE:
                bodies = [b and b.replace(STARTER.encode(), b"hostile/absent") for b in bodies]
            for path in paths:
                for body in bodies:
                    try:
                        response = client.request(method, path, content=body)
                    except httpx.HTTPError as exc:
                        failures.append(f"{method} {path[:60]} {body and body[:60]!r}: {exc!r}")
                        continue
                    if response.status_code >= 500:
                        failures.append(f"{method} {path[:60]} {body and body[:60]!r}: "
                                        f"{response.status_code} {response.text[:200]}")
                    elif response.status_code >= 400 and method != "HEAD":
                        error = response.json()["error"]
                        if path.startswith("/v1/"):
                            error = error.get("message") if isinstance(error, dict) else None
                        if not isinstance(error, str):
                            failures.append(f"{method} {path[:60]}: error shape {response.text[:200]}")
    assert server.proc.poll() is None
    assert not failures, "\n".join(failures[:20])


def test_a_knowledge_upload_with_a_hostile_name_is_refused(server):
    assert httpx.post(server.url + "/api/knowledge", json={"name": "hostile-names"}).status_code in (201, 409)
    for name in ("a%00b.txt", "A" * 300 + ".txt", ".hidden", "%0A.txt"):
        response = httpx.put(f"{server.url}/api/knowledge/hostile-names/files/{name}", content=b"hi")
        assert response.status_code == 400, (name, response.text)
        response = httpx.delete(f"{server.url}/api/knowledge/hostile-names/files/{name}")
        assert response.status_code == 400, (name, response.text)
    for path in ("/tmp/\x00", "x" * 5000):
        response = httpx.post(server.url + "/api/knowledge/hostile-names/folders", json={"path": path})
        assert response.status_code in (400, 404), response.text
    response = httpx.post(server.url + "/api/knowledge", json={"name": "hostile-bind", "folders": ["\x00"]})
    assert response.status_code == 400


def _tree(root):
    return {str(p.relative_to(root)): (p.stat().st_size if p.is_file() else -1)
            for p in root.rglob("*") if "home" not in p.relative_to(root).parts[:1]}


def test_nothing_is_read_or_written_outside_lokal_home(starter_home, tmp_path):
    """Names, digests, ids and file names that try to climb out of LOKAL_HOME change nothing outside it."""
    from ..helpers import LiveServer, link_store

    home = tmp_path / "home"
    link_store(starter_home, home)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    weights = next(p for p in (home / "models" / "blobs").iterdir() if p.stat().st_size > 50_000_000)
    (outside / "weights.gguf").write_bytes(weights.read_bytes()[:4096])  # starts like a real GGUF
    before = _tree(tmp_path)
    up = "..%2F" * 6 + "outside%2F"
    with LiveServer(home) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.post("/api/knowledge", json={"name": "kb"}).status_code == 201
        answers = [
            client.put(f"/api/knowledge/kb/files/{up}evil.txt", content=b"x"),
            client.put("/api/knowledge/kb/files/..", content=b"x"),
            client.delete(f"/api/knowledge/kb/files/{up}secret.txt"),
            client.post("/api/knowledge", json={"name": "../outside/evil"}),
            client.post("/api/knowledge", json={"name": "/" + str(outside / "evil")}),
            client.get(f"/api/knowledge/{up}secret"),
            client.post("/api/copy", json={"source": STARTER, "destination": "../../outside/evil"}),
            client.post("/api/copy", json={"source": STARTER, "destination": str(outside / "evil")}),
            client.post("/api/create", json={"model": "../../outside/evil", "from": STARTER}),
            client.post("/api/create", json={"model": "stolen", "from": str(outside / "weights.gguf"), "stream": False}),
            client.post("/api/create", json={"model": "stolen2", "modelfile": f"FROM {outside}/weights.gguf",
                                             "stream": False}),
            client.post("/api/create", json={"model": "stolen3", "modelfile": "FROM ../../outside/weights.gguf",
                                             "stream": False}),
            client.post(f"/api/blobs/sha256:{up}evil", content=b"x"),
            client.post("/api/blobs/sha256-../../outside/evil", content=b"x"),
            client.get(f"/v1/files/{up}secret.txt/content"),
            client.get("/v1/files/..%2F..%2Fchats.db/content"),
            client.delete(f"/v1/files/{up}secret.txt"),
            client.post("/v1/batches", json={"input_file_id": "../../outside/secret.txt", "endpoint": "/v1/embeddings"}),
            client.post("/api/show", json={"model": "../../../outside/secret.txt"}),
            client.request("DELETE", "/api/delete", json={"model": "../../outside/secret.txt"}),
            client.post("/api/chat", json={"model": "/" + str(outside / "weights.gguf"), "messages": CHAT}),
        ]
        for response in answers:
            assert 400 <= response.status_code < 500, (response.request.url, response.text)
        models = {m["name"] for m in client.get("/api/tags").json()["models"]}
        assert not any(name.startswith("stolen") for name in models)
    assert _tree(tmp_path) == before
    assert (outside / "secret.txt").read_text() == "secret"


def test_a_schema_the_engine_would_silently_ignore_is_refused(server):
    """The engine samples free text for a schema nested ~70 deep or a pattern repeated millions of times;
    lokal refuses those, so `format` and forced tool calls always get the shape they ask for."""
    deep = {"type": "string"}
    for _ in range(40):
        deep = {"type": "object", "properties": {"a": deep}, "required": ["a"]}
    base = {"model": STARTER, "messages": CHAT, "stream": False, "options": {"num_predict": 4}}
    response = httpx.post(server.url + "/api/chat", json={**base, "format": deep}, timeout=30)
    assert response.status_code == 400 and "nests deeper" in response.json()["error"]
    pattern = {"type": "string", "pattern": "^a{100000000}$"}
    response = httpx.post(server.url + "/v1/chat/completions", timeout=30, json={
        **base, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": pattern}}})
    assert response.status_code == 400 and "repeats" in response.json()["error"]["message"]
    tool = {"type": "function", "function": {"name": "f", "parameters": deep}}
    response = httpx.post(server.url + "/api/chat", json={**base, "tools": [tool]}, timeout=30)
    assert response.status_code in (200, 400)  # a tool the model may ignore needs no grammar
    response = httpx.post(server.url + "/v1/chat/completions", timeout=30,
                          json={**base, "tools": [tool], "tool_choice": "required"})
    assert response.status_code == 400 and "tools" in response.json()["error"]["message"]
    shallow = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    response = httpx.post(server.url + "/api/chat", json={**base, "format": shallow, "options": {"num_predict": 30}},
                          timeout=60)
    assert response.status_code == 200 and response.json()["message"]["content"].lstrip().startswith("{")


@pytest.mark.parametrize("body", [{"model": "../../x"}, {"model": "a\x00b"}, {"model": "A" * 5000}, {"model": 5},
                                  {}, {"model": "hf.co/../x"}, {"name": "/etc/passwd"}, {"model": "x", "insecure": [1]}])
def test_a_pull_of_a_hostile_name_is_refused_before_any_network(server, body):
    response = httpx.post(server.url + "/api/pull", json={**body, "stream": False}, timeout=10)
    assert response.status_code == 400, response.text
