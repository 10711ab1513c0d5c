"""Safe by default: keys, Host check, loopback-only binding, body limit, no silent truncation."""

import subprocess
import sys

import httpx
import openai
import pytest

from ..helpers import LiveServer, free_port, link_store


@pytest.fixture(scope="module")
def keyed(starter_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("keyed")
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_API_KEYS="s3cret,other") as live:
        yield live


def test_keys_guard_every_route_but_root_and_health(keyed):
    assert httpx.get(f"{keyed.url}/").status_code == 200
    assert httpx.get(f"{keyed.url}/health").status_code == 200
    for method, path in (("GET", "/api/tags"), ("POST", "/api/chat"), ("GET", "/v1/models"), ("GET", "/metrics")):
        response = httpx.request(method, f"{keyed.url}{path}", json={})
        assert response.status_code == 401, path
    assert httpx.get(f"{keyed.url}/api/tags", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(f"{keyed.url}/api/tags", headers={"Authorization": "Bearer other"}).status_code == 200


def test_the_openai_client_works_with_a_key(keyed):
    assert openai.OpenAI(base_url=f"{keyed.url}/v1", api_key="s3cret").models.list().data
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{keyed.url}/v1", api_key="nope").models.list()


def test_a_foreign_host_header_is_refused(server):
    response = httpx.get(f"{server.url}/api/tags", headers={"Host": "evil.example.com"})
    assert response.status_code == 403 and "not allowed" in response.json()["error"]
    assert httpx.get(f"{server.url}/api/tags", headers={"Host": f"localhost:{server.port}"}).status_code == 200


def test_cors_allows_localhost_origins_only(server):
    ok = httpx.options(f"{server.url}/api/tags", headers={"Origin": "http://localhost:3000",
                                                          "Access-Control-Request-Method": "GET"})
    assert ok.headers.get("access-control-allow-origin") == "http://localhost:3000"
    bad = httpx.options(f"{server.url}/api/tags", headers={"Origin": "https://evil.example.com",
                                                           "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in bad.headers


def test_a_non_loopback_bind_without_keys_refuses_to_start(tmp_path):
    env = {"LOKAL_HOME": str(tmp_path), "LOKAL_HOST": f"0.0.0.0:{free_port()}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "lokal", "serve"], env=env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0" in result.stderr and "LOKAL_API_KEYS" in result.stderr


def test_a_taken_port_gets_a_clear_message(server, tmp_path):
    env = {"LOKAL_HOME": str(tmp_path), "LOKAL_HOST": f"127.0.0.1:{server.port}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "lokal", "serve"], env=env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and "is Ollama (or another lokal) running?" in result.stderr


def test_an_overlong_prompt_is_a_400_with_counts(server):
    body = {"model": "starter/smollm2", "messages": [{"role": "user", "content": "word " * 3000}], "stream": True}
    response = httpx.post(f"{server.url}/api/chat", json=body, timeout=60)
    assert response.status_code == 400
    assert "tokens but the context holds 2048" in response.json()["error"]


def test_truncation_when_asked_is_reported(server):
    history = [{"role": "user", "content": f"Note {i}: " + "blah " * 200} for i in range(10)]
    body = {"model": "starter/smollm2", "stream": False, "truncate": True, "options": {"num_predict": 5},
            "messages": history + [{"role": "user", "content": "Hi"}]}
    response = httpx.post(f"{server.url}/api/chat", json=body, timeout=60)
    assert response.status_code == 200 and response.json()["truncated"] is True


def test_an_oversized_body_is_a_413(starter_home, tmp_path):
    link_store(starter_home, tmp_path)
    with LiveServer(tmp_path, LOKAL_MAX_BODY="1000") as live:
        response = httpx.post(f"{live.url}/api/chat", json={"model": "x", "messages": [{"role": "user", "content": "a" * 5000}]})
        assert response.status_code == 413


def test_bad_json_is_a_clear_400(server):
    response = httpx.post(f"{server.url}/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "invalid request" in response.json()["error"]
    response = httpx.post(f"{server.url}/api/chat", json={"model": "starter/smollm2", "messages": [{"content": "x"}]})
    assert response.status_code == 400 and "role" in response.json()["error"]


def test_json_bodies_are_read_whatever_their_content_type(server):
    """`curl -d '{…}'` sends form-encoded; Ollama reads the body as JSON anyway, and so does lokal."""
    body = b'{"model": "starter/smollm2", "prompt": "Hi", "stream": false, "options": {"num_predict": 3}}'
    for content_type in ("application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = httpx.post(f"{server.url}/api/generate", content=body, headers=headers, timeout=60)
        assert response.status_code == 200 and response.json()["done"], response.text


def test_a_suffix_for_a_model_without_fim_tokens_is_refused_not_ignored(server):
    body = {"model": "starter/smollm2", "prompt": "def add(a, b):", "suffix": "return c", "stream": False}
    response = httpx.post(f"{server.url}/api/generate", json=body, timeout=60)
    assert response.status_code == 400 and "does not support insert" in response.json()["error"]
    response = httpx.post(f"{server.url}/v1/completions", json={**body, "stream": False}, timeout=60)
    assert response.status_code == 400 and "does not support insert" in response.json()["error"]["message"]


def _app_routes():
    """Every (method, path) the app serves, from the app itself: a route added later is covered too."""
    from lokal.api.app import create_app
    from lokal.config import Settings

    app = create_app(Settings.from_env({"LOKAL_HOME": "/nonexistent-lokal-home"}))

    def walk(routes, prefix=""):  # newer FastAPI keeps included routers as one entry each
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            else:
                yield prefix, route

    routes = set()
    for prefix, route in walk(app.routes):
        for method in getattr(route, "methods", None) or ():
            path = (prefix + route.path).replace("{name:path}", "x").replace("{digest}", "sha256:" + "0" * 64)
            while "{" in path:
                path = path[:path.index("{")] + "x" + path[path.index("}") + 1:]
            routes.add((method, path))
    return sorted(routes)


def test_with_keys_every_route_needs_one(keyed):
    routes = _app_routes()
    assert len(routes) > 50
    public = {("GET", "/"), ("HEAD", "/"), ("GET", "/health"), ("HEAD", "/health"),
              ("GET", "/ui/static/x"), ("HEAD", "/ui/static/x")}  # the UI's own files hold no data
    for method, path in routes:
        response = httpx.request(method, keyed.url + path, json={})
        if (method, path) in public:
            assert response.status_code != 401, (method, path)
        else:
            assert response.status_code == 401, (method, path, response.status_code)
            wrong = httpx.request(method, keyed.url + path, json={}, headers={"Authorization": "Bearer s3cre"})
            assert wrong.status_code == 401, (method, path)


def test_a_cors_preflight_from_a_foreign_origin_is_refused(server):
    response = httpx.options(f"{server.url}/api/chat", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 400 and "access-control-allow-origin" not in response.headers
    # and a simple cross-origin request gets no CORS grant, so the page cannot read the answer
    response = httpx.get(f"{server.url}/api/tags", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in response.headers


def test_a_foreign_host_is_refused_on_every_route(server):
    for method, path in _app_routes():
        response = httpx.request(method, server.url + path, headers={"Host": "attacker.example:11434"})
        assert response.status_code == 403, (method, path)
