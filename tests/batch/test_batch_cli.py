"""`lokal batch run` and `lokal batch compare`, as a user types them."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

LOKAL = [sys.executable, "-m", "lokal"]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 40},
                                           "sunny": {"type": "boolean"}},
          "required": ["city", "sunny"], "additionalProperties": False}
CITIES = ["Oslo", "Bergen", "Trondheim", "Stockholm", "Berlin", "Warsaw", "Rome", "Copenhagen", "Helsinki", "Paris"]


def lokal(*args, timeout=600):
    return subprocess.run([*LOKAL, *args], input="", capture_output=True, text=True, timeout=timeout)


def write_rows(path: Path, count: int) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, ["id", "city", "answer"])
        writer.writeheader()
        for i in range(count):
            city = CITIES[i % len(CITIES)]
            writer.writerow({"id": f"row-{i}", "city": city, "answer": city})
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_fifty_tasks_with_a_schema_all_validate(starter_store, tmp_path: Path):
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    out = tmp_path / "out.jsonl"
    result = lokal("batch", "run", str(write_rows(tmp_path / "rows.csv", 50)), "-o", str(out), "-m", "starter/smollm2",
                   "--prompt-template", "Describe the weather in {city} today.", "--system", "Answer in JSON.",
                   "--schema", str(tmp_path / "schema.json"))
    assert result.returncode == 0, result.stderr
    assert "50 completed, 0 failed" in result.stdout
    lines = read_jsonl(out)
    assert sorted(line["custom_id"] for line in lines) == sorted(f"row-{i}" for i in range(50))
    for line in lines:
        assert line["response"]["status_code"] == 200 and line["error"] is None
        jsonschema.validate(json.loads(line["response"]["body"]["choices"][0]["message"]["content"]), SCHEMA)


def test_a_killed_batch_resumes_without_redoing_tasks_and_output_stays_valid(starter_store, tmp_path: Path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"custom_id": f"t{i}", "method": "POST", "url": "/v1/chat/completions",
                                         "body": {"model": "starter/smollm2", "max_tokens": 24,
                                                  "messages": [{"role": "user", "content": f"Count to {i}."}]}}) + "\n"
                             for i in range(40)))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([*LOKAL, "batch", "run", str(tasks), "-o", str(out)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = 0
    deadline = time.time() + 300
    while seen < 8 and time.time() < deadline:
        if out.exists():
            seen = len(read_jsonl(out))  # parses every line: the file is valid JSONL whenever it is read
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = read_jsonl(out)
    assert 8 <= len(before) < 40
    result = lokal("batch", "run", str(tasks), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{40 - len(before)} completed, 0 failed, {len(before)} already done" in result.stdout
    after = read_jsonl(out)
    assert sorted(line["custom_id"] for line in after) == sorted(f"t{i}" for i in range(40))
    assert after[:len(before)] == before, "finished lines are never rewritten"


def test_bad_input_gets_a_clear_error(tmp_path: Path):
    (tmp_path / "bad.jsonl").write_text('{"custom_id": "a", "url": "/v1/other", "body": {}}\n')
    result = lokal("batch", "run", str(tmp_path / "bad.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 1 and "line 1" in result.stderr and "url" in result.stderr
    rows = write_rows(tmp_path / "rows.csv", 2)
    result = lokal("batch", "run", str(rows), "-o", str(tmp_path / "o.jsonl"), "-m", "x", "--prompt-template", "{town}")
    assert result.returncode == 1 and "no field 'town'" in result.stderr


def test_compare_writes_a_report_a_browser_shows(starter_store, tmp_path: Path, browser_page, artifacts: Path):
    (tmp_path / "Modelfile").write_text("FROM starter/smollm2\nSYSTEM Answer with one word only.\nPARAMETER num_predict 24\n")
    assert lokal("create", "terse", "-f", str(tmp_path / "Modelfile")).returncode == 0
    rows = write_rows(tmp_path / "rows.csv", 6)
    report = tmp_path / "report"
    result = lokal("batch", "compare", str(rows), "--models", "starter/smollm2,terse", "--expected", "answer",
                   "--prompt-template", "Repeat this city name: {city}", "-o", str(report), "--judge", "starter/smollm2")
    assert result.returncode == 0, result.stderr
    data = json.loads((report / "report.json").read_text())
    for model in ("starter/smollm2", "terse:latest", "terse"):
        if model in data["summary"]:
            stats = data["summary"][model]
            assert stats["completed"] == 6 and stats["tokens_per_second"] > 0 and 0 <= stats["contains"] <= 1
    assert len(data["tasks"]) == 6 and "starter/smollm2 ~ terse" in data["agreement"]
    browser_page.goto((report / "report.html").as_uri())
    assert browser_page.locator("h1").inner_text() == "Model comparison"
    assert browser_page.locator("svg.chart").count() >= 2
    assert browser_page.locator("table").nth(2).locator("tr").count() == 7
    browser_page.screenshot(path=str(artifacts / "compare-report.png"), full_page=True)


@pytest.fixture
def artifacts() -> Path:
    folder = Path(__file__).resolve().parents[2] / ".cache" / "tests" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
