"""The OpenAI Files + Batches flow through the official client, against a real `lokal serve`."""

import io
import json
import sqlite3
import time

import openai

from tests.helpers import LiveServer, link_store

MODEL = "starter/smollm2"


def tasks_file(count: int) -> bytes:
    return "".join(json.dumps({"custom_id": f"task-{i}", "method": "POST", "url": "/v1/chat/completions",
                               "body": {"model": MODEL, "max_tokens": 12, "temperature": 0,
                                        "messages": [{"role": "user", "content": f"Say the number {i}."}]}}) + "\n"
                   for i in range(count)).encode()


def wait_for(client: openai.OpenAI, batch_id: str, statuses: tuple[str, ...], timeout: float = 240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        batch = client.batches.retrieve(batch_id)
        if batch.status in statuses:
            return batch
        time.sleep(0.3)
    raise AssertionError(f"batch stayed {batch.status}")


def test_upload_create_poll_download(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused")
    uploaded = client.files.create(file=("tasks.jsonl", io.BytesIO(tasks_file(4))), purpose="batch")
    assert uploaded.bytes > 0 and uploaded.purpose == "batch"
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata={"team": "qa"})
    assert batch.status in ("validating", "in_progress")
    done = wait_for(client, batch.id, ("completed", "failed"))
    assert done.status == "completed", done.errors
    assert done.request_counts.total == 4 and done.request_counts.completed == 4
    lines = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert sorted(line["custom_id"] for line in lines) == [f"task-{i}" for i in range(4)]
    assert all(line["response"]["body"]["choices"][0]["message"]["content"] for line in lines)
    assert any(b.id == batch.id for b in client.batches.list())


def test_a_bad_task_file_is_refused_and_errors_land_in_the_error_file(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused")
    try:
        client.files.create(file=("bad.jsonl", io.BytesIO(b'{"custom_id": "a"}\n')), purpose="batch")
        raise AssertionError("accepted")
    except openai.BadRequestError as exc:
        assert "url" in str(exc)
    mixed = tasks_file(1) + json.dumps({"custom_id": "nope", "method": "POST", "url": "/v1/chat/completions",
                                        "body": {"model": "no-such-model", "messages": []}}).encode() + b"\n"
    uploaded = client.files.create(file=("mixed.jsonl", io.BytesIO(mixed)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    done = wait_for(client, batch.id, ("completed", "failed"))
    assert done.request_counts.completed == 1 and done.request_counts.failed == 1
    error = json.loads(client.files.content(done.error_file_id).text)
    assert error["custom_id"] == "nope" and error["response"]["status_code"] in (400, 404)


def test_a_batch_survives_a_server_restart(starter_home, tmp_path):
    home = tmp_path / "home"
    link_store(starter_home, home)
    with LiveServer(home) as live:
        client = openai.OpenAI(base_url=live.url + "/v1", api_key="unused")
        uploaded = client.files.create(file=("tasks.jsonl", io.BytesIO(tasks_file(12))), purpose="batch")
        batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")
        deadline = time.time() + 120
        while client.batches.retrieve(batch.id).request_counts.completed < 2 and time.time() < deadline:
            time.sleep(0.1)
        live.proc.kill()  # no goodbye: as a crash or power cut would
        live.proc.wait()
    with sqlite3.connect(home / "batches.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with LiveServer(home) as live:
        client = openai.OpenAI(base_url=live.url + "/v1", api_key="unused")
        done = wait_for(client, batch.id, ("completed", "failed"))
        assert done.status == "completed" and done.request_counts.completed == 12
        ids = [json.loads(line)["custom_id"] for line in client.files.content(done.output_file_id).text.splitlines()]
        assert sorted(ids) == sorted(f"task-{i}" for i in range(12)), "each task exactly once"


def test_a_cancelled_batch_stops_and_keeps_what_finished(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused")
    uploaded = client.files.create(file=("many.jsonl", io.BytesIO(tasks_file(30))), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    wait_for(client, batch.id, ("in_progress",))
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status in ("cancelling", "cancelled")
    done = wait_for(client, batch.id, ("cancelled",))
    assert done.request_counts.completed < 30 and done.cancelled_at
    if done.output_file_id:
        kept = client.files.content(done.output_file_id).text.splitlines()
        assert len(kept) == done.request_counts.completed
