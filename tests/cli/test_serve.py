"""Server commands as a user types them."""

import json
import subprocess
import sys

from click.testing import CliRunner

from lokal.cli import main
from lokal.config import SETTINGS


def test_help_settings_lists_every_setting():
    output = CliRunner().invoke(main, ["serve", "--help-settings"]).output
    for setting in SETTINGS:
        assert setting.env in output


def test_serve_get_answers_one_request_in_process(starter_store):
    result = CliRunner().invoke(main, ["serve", "--get", "/api/tags"])
    assert result.exit_code == 0, result.output
    assert [m["name"] for m in json.loads(result.output)["models"]] == ["starter/smollm2:latest"]


def test_ps_and_stop_talk_to_a_running_server(server, monkeypatch):
    monkeypatch.setenv("LOKAL_HOST", f"127.0.0.1:{server.port}")
    run = lambda *args: subprocess.run([sys.executable, "-m", "lokal", *args], capture_output=True, text=True,  # noqa: E731
                                       timeout=120, stdin=subprocess.DEVNULL)
    assert run("run", "starter/smollm2", "Hi").returncode == 0  # in-process; the server is untouched
    import ollama

    ollama.Client(host=server.url).generate(model="starter/smollm2", prompt="Hi", options={"num_predict": 2})
    listed = run("ps")
    assert "starter/smollm2:latest" in listed.stdout
    assert run("stop", "starter/smollm2").returncode == 0
    assert "starter/smollm2" not in run("ps").stdout


def test_ps_without_a_server_says_how_to_start_one(monkeypatch):
    monkeypatch.setenv("LOKAL_HOST", "127.0.0.1:9")
    result = CliRunner().invoke(main, ["ps"])
    assert result.exit_code == 1 and "start one with `lokal serve`" in result.output


def test_the_server_log_carries_no_library_chatter(starter_home, package_index, tmp_path):
    """A pull on start and an MCP session print lokal's lines only (no INFO from httpx or the MCP SDK)."""
    import httpx

    from tests.helpers import LiveServer

    with LiveServer(tmp_path / "home", "--model", "starter/smollm2", LOKAL_PACKAGE_INDEX=package_index.url) as live:
        headers = {"Accept": "application/json, text/event-stream"}
        started = httpx.post(live.url + "/mcp/", headers=headers, timeout=30, json={
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        assert started.status_code == 200
    log = live.log.read_text()
    assert "lokal listening on" in log and "success" in log
    assert "INFO" not in log and "HTTP Request" not in log, log
