"""`lokal kb …` and `lokal ask`, as a user types them."""

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import LiveServer
from tests.knowledge.files import make_folder

LOKAL = [sys.executable, "-m", "lokal"]


def lokal(*args, timeout=300):
    return subprocess.run([*LOKAL, *args], input="", capture_output=True, text=True, timeout=timeout)


def test_create_search_show_and_remove(tmp_path: Path):
    folder = make_folder(tmp_path / "docs")
    (folder / "song.mp3").write_bytes(b"ID3")
    created = lokal("kb", "create", "handbook", str(folder))
    assert created.returncode == 0, created.stderr
    assert "5 added" in created.stdout and "song.mp3" in created.stderr and "not a supported type" in created.stderr
    found = lokal("kb", "search", "handbook", "harbour crane", "--json", "-k", "2")
    hits = json.loads(found.stdout)
    assert hits[0]["file"].endswith("report.pdf") and hits[0]["page"] == 2
    assert "report.pdf p.2" in lokal("kb", "search", "handbook", "harbour crane").stdout
    listed = lokal("kb", "list").stdout
    assert "handbook" in listed and "multilingual-e5-small" in listed
    assert "skipped: song.mp3" in lokal("kb", "show", "handbook").stdout
    (folder / "travel.md").unlink()
    assert "1 removed" in lokal("kb", "sync", "handbook").stdout
    assert "5 removed" in lokal("kb", "remove", "handbook", str(folder)).stdout  # 4 documents + the skipped song
    assert lokal("kb", "rm", "handbook").returncode == 0
    missing = lokal("kb", "search", "handbook", "crane")
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_ask_answers_with_sources(starter_store, lokal_env, tmp_path: Path, monkeypatch):
    assert lokal("kb", "create", "handbook", str(make_folder(tmp_path / "docs"))).returncode == 0
    question = ["ask", "handbook", "How many tonnes does the new harbour crane lift?", "-k", "2"]
    answer = lokal(*question)
    assert answer.returncode == 0, answer.stderr
    assert "Sources:" in answer.stdout and "[1] report.pdf, page 2" in answer.stdout
    with LiveServer(lokal_env) as server:  # with a server running, `ask` goes through it
        monkeypatch.setenv("LOKAL_HOST", f"127.0.0.1:{server.port}")
        answer = lokal(*question)
        assert answer.returncode == 0, answer.stderr
        assert "Sources:" in answer.stdout and "[1] report.pdf, page 2" in answer.stdout
        assert [m["name"] for m in httpx.get(server.url + "/api/ps").json()["models"]] == ["starter/smollm2:latest"]
        missing = lokal("ask", "no-such-base", "Anything?")
        assert missing.returncode == 1 and "no-such-base" in missing.stderr


def write_dataset(folder: Path) -> Path:
    folder.mkdir()
    docs = {"d1": "The harbour crane in Tromsø lifts 45 tonnes.", "d2": "Kantinen serverer lunsj mellom 11 og 13.",
            "d3": "Hotels in Berlin may cost at most 150 euro per night."}
    queries = {"q1": "How much does the crane lift?", "q2": "Når er det lunsj i kantina?", "q3": "Berlin hotel price"}
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n"
                                                 for k, v in docs.items()))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in queries.items()))
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n")
    return folder


def test_eval_prints_the_metrics_for_each_mode(tmp_path: Path):
    result = lokal("kb", "eval", "--dataset", str(write_dataset(tmp_path / "set")))
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()}
    for mode in ("bm25", "dense", "hybrid"):
        assert float(lines[mode][1]) == 1.0, result.stdout  # nDCG@10 on three easy questions
    assert "nDCG@10" in result.stdout and "MRR@10" in result.stdout


def test_testset_writes_a_dataset_that_eval_reads(starter_store, tmp_path: Path):
    assert lokal("kb", "create", "handbook", str(make_folder(tmp_path / "docs"))).returncode == 0
    out = tmp_path / "testset"
    made = lokal("kb", "testset", "handbook", "-n", "3", "-o", str(out))
    assert made.returncode == 0, made.stderr
    queries = [json.loads(line) for line in (out / "queries.jsonl").read_text().splitlines()]
    assert 1 <= len(queries) <= 3 and all(q["text"] for q in queries)
    assert lokal("kb", "eval", "--dataset", str(out)).returncode == 0


def test_eval_answers_scores_grounded_and_closed_book_answers(starter_store, tmp_path: Path):
    folder = write_dataset(tmp_path / "set")
    gold = {"q1": "45 tonnes", "q2": "mellom 11 og 13", "q3": "150 euro"}
    (folder / "answers.jsonl").write_text("".join(json.dumps({"_id": k, "answers": [v], "corpus_id": f"d{k[1]}"}) + "\n"
                                                  for k, v in gold.items()))
    result = lokal("kb", "eval", "--dataset", str(folder), "--answers", "--limit", "3")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()}
    assert rows["grounded"][1] == "3" and rows["closed-book"][1] == "3"
    assert rows["grounded"][6] == "100", "the gold document is retrieved for each of the three easy questions"
    missing = lokal("kb", "eval", "--dataset", str(write_dataset(tmp_path / "bare")), "--answers")
    assert missing.returncode == 1 and "answers.jsonl" in missing.stderr


def test_grading_normalises_like_squad():
    from lokal.knowledge.grading import contains, token_f1

    assert contains("Kranen løfter 45 tonn.", ["45 tonn"]) and not contains("145 tonn", ["45 tonn"])
    assert abs(token_f1("the crane lifts 45 tonnes", ["45 tonnes"]) - 4 / 7) < 1e-9  # P 2/5, R 1
    assert token_f1("nothing", ["45 tonnes"]) == 0.0
