"""The web UI in Debian's chromium, driven by Playwright, against a real `lokal serve`."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.helpers import LiveServer, link_store
from tests.knowledge.files import make_pdf

SHOTS = Path(__file__).resolve().parents[2] / ".cache" / "tests" / "screenshots"
MODEL = "starter/smollm2"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture(scope="module")
def ui(starter_home: Path, package_index, tmp_path_factory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("ui-home")
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_PACKAGE_INDEX=package_index.url) as live:
        yield live


def until(check: Any, timeout: float = 120) -> None:
    """Poll from Python: the UI's Content-Security-Policy forbids the string eval wait_for_function uses."""
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def open_ui(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector("#model option", state="attached")


def send(page: Any, text: str) -> None:
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")


def test_a_chat_streams_and_stop_halts_it(ui, browser_page):
    page = browser_page
    open_ui(page, ui.url)
    page.select_option("#model", MODEL + ":latest")
    send(page, "Write a very long story about a dragon who learns to cook.")
    page.wait_for_selector(".message.assistant .body")
    until(lambda: len(page.inner_text(".message.assistant .body")) > 40)
    assert page.is_visible("#stop")
    shot(page, "chat-streaming")
    page.click("#stop")
    page.wait_for_selector(".message.assistant .stat:text('stopped')")
    halted = page.inner_text(".message.assistant .body")
    page.wait_for_timeout(800)
    assert page.inner_text(".message.assistant .body") == halted, "nothing arrives after stop"
    assert page.is_visible("#send") and not page.is_visible("#stop")
    conversations = httpx.get(ui.url + "/api/conversations").json()["conversations"]
    saved = httpx.get(f"{ui.url}/api/conversations/{conversations[0]['id']}").json()["messages"]
    assert [m["role"] for m in saved] == ["user", "assistant"] and saved[1]["stats"]["stopped"]


def test_a_dropped_file_answers_with_a_citation_that_opens_its_passage(ui, browser_page, tmp_path):
    page = browser_page
    open_ui(page, ui.url)
    page.click(".tab[data-view=knowledge]")
    page.fill("#kb-name", "ui-handbook")
    page.click("#kb-create button")
    page.wait_for_selector("#kb-detail:not([hidden])")
    data = base64.b64encode(make_pdf(tmp_path / "report.pdf").read_bytes()).decode()
    page.evaluate("""data => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "report.pdf", {type: "application/pdf"}));
        document.querySelector("#dropzone").dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
    }""", data)
    page.wait_for_selector("#kb-status:text('synced')", timeout=120_000)
    assert "report.pdf" in page.inner_text("#kb-docs") and page.evaluate("document.querySelector('#kb-progress').value") == 1
    shot(page, "knowledge")
    page.click(".tab[data-view=chat]")
    page.click("#new-chat")
    page.select_option("#model", MODEL + ":latest")
    page.click("#settings summary")
    page.check("#chat-bases input[value=ui-handbook]")
    page.fill("#num-predict", "60")
    send(page, "How many tonnes does the new harbour crane lift?")
    page.wait_for_selector(".citations .citation", timeout=120_000)
    first = page.locator(".citation").first
    assert "report.pdf, page 2" in first.inner_text()
    first.click()
    page.wait_for_selector("#dialog[open]")
    assert "45 tonnes" in page.inner_text("#dialog-text") and "page 2" in page.inner_text("#dialog-meta")
    shot(page, "citation")


def test_a_starter_pull_shows_progress_and_the_model_appears_in_the_picker(package_index, browser_page, tmp_path):
    with LiveServer(tmp_path / "empty-home", LOKAL_PACKAGE_INDEX=package_index.url) as live:
        page = browser_page
        page.goto(live.url + "/")
        page.wait_for_selector("#app:not([hidden])")
        assert page.locator("#model option").count() == 0
        page.click(".tab[data-view=models]")
        page.fill("#pull-name", MODEL)
        page.click("#pull button")
        page.wait_for_selector("#pull-status:text('done')", timeout=120_000)
        assert page.evaluate("document.querySelector('#pull-progress').value") == 100
        page.wait_for_selector("#models td:text('starter/smollm2:latest')")
        assert "starter/smollm2:latest" in page.locator("#model option").all_inner_texts()
        shot(page, "models")


def test_a_conversation_is_renamed_and_deleted(ui, browser_page):
    created = httpx.post(ui.url + "/api/conversations", json={"title": "Old title", "model": MODEL}).json()
    page = browser_page
    open_ui(page, ui.url)
    page.click(f"#conversations li[data-id='{created['id']}']")
    page.once("dialog", lambda dialog: dialog.accept("Quarterly planning"))
    page.click("#rename")
    page.wait_for_selector("#conversations li:text('Quarterly planning')")
    assert httpx.get(f"{ui.url}/api/conversations/{created['id']}").json()["title"] == "Quarterly planning"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-chat")
    page.wait_for_selector(f"#conversations li[data-id='{created['id']}']", state="detached")
    assert httpx.get(f"{ui.url}/api/conversations/{created['id']}").status_code == 404


HOSTILE = 'Here: <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> **bold**'


class HostileEngine:
    """A stand-in for a third-party OpenAI-compatible server whose model answers with markup."""

    def __enter__(self) -> HostileEngine:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for piece in (HOSTILE[:20], HOSTILE[20:]):
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                done = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def test_model_markup_renders_as_text(ui, browser_page):
    with HostileEngine() as engine:
        created = httpx.post(ui.url + "/api/create", json={"model": "hostile", "modelfile": f"FROM openai+{engine.url} m",
                                                            "stream": False}, timeout=30)
        assert created.status_code == 200, created.text
        page = browser_page
        open_ui(page, ui.url)
        page.click("#new-chat")
        page.select_option("#model", "hostile:latest")
        send(page, "Say something")
        page.wait_for_selector(".message.assistant button:text('Regenerate')")
        body = page.locator(".message.assistant .body")
        assert "<script>window.pwned = 1</script>" in body.inner_text()
        assert body.locator("script, img").count() == 0 and body.locator("strong").inner_text() == "bold"
        assert page.evaluate("window.pwned") is None
        shot(page, "markup-as-text")


def test_a_thinking_model_s_reasoning_is_shown_folded(ui, browser_page):
    from tests.api.test_thinking import TEMPLATE

    created = httpx.post(ui.url + "/api/create", json={"model": "ui-thinker", "from": MODEL, "template": TEMPLATE,
                                                        "parameters": {"think_budget": 12, "num_predict": 48},
                                                        "stream": False}, timeout=30)
    assert created.status_code == 200, created.text
    page = browser_page
    open_ui(page, ui.url)
    page.click("#new-chat")
    page.select_option("#model", "ui-thinker:latest")
    send(page, "What is 2 + 3?")
    page.wait_for_selector(".message.assistant button:text('Regenerate')")
    folded = page.locator(".message.assistant details.thinking")
    assert folded.is_visible() and folded.get_attribute("open") is None
    assert not page.locator(".message.assistant .thought").is_visible()
    page.click(".message.assistant details.thinking summary")
    assert page.locator(".message.assistant .thought").inner_text().strip()
    assert "<think>" not in page.inner_text(".message.assistant .body")
    shot(page, "thinking-folded")
    conversations = httpx.get(ui.url + "/api/conversations").json()["conversations"]
    saved = httpx.get(f"{ui.url}/api/conversations/{conversations[0]['id']}").json()["messages"]
    assert saved[-1]["thinking"], "the reasoning is kept with the conversation"


def test_dark_and_narrow_screens(ui, browser_page):
    page = browser_page
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 420, "height": 800})
    open_ui(page, ui.url)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 26)"
    assert page.locator(".sidebar").first.bounding_box()["width"] > 380, "the sidebar stacks above the chat"
    shot(page, "dark-narrow")


def test_with_keys_the_ui_asks_for_one(starter_home, browser_page, tmp_path):
    home = tmp_path / "keyed"
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_API_KEYS="s3cret-key") as live:
        page = browser_page
        page.goto(live.url + "/")
        page.wait_for_selector("#signin:not([hidden])")
        page.fill("#signin-key", "wrong")
        page.click("#signin-form button")
        page.wait_for_selector("#signin-error:text('not accepted')")
        shot(page, "signin")
        page.fill("#signin-key", "s3cret-key")
        page.click("#signin-form button")
        page.wait_for_selector("#app:not([hidden])")
        page.wait_for_selector("#model option", state="attached")
        assert "starter/smollm2:latest" in page.locator("#model option").all_inner_texts()
