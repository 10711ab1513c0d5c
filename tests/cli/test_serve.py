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
