"""Images, on every surface, with the real engine and a real projector GGUF: the SmolLM2 starter
with an untrained projector built for it (tests/vision.py). The engine decodes, encodes and feeds
each image to the model; the answers mean nothing, so the tests check what is real: the image
reaches the model (its tokens count, and different images change the answer), and every client's
way of sending one works."""

import base64
import hashlib

import anthropic
import httpx
import ollama
import openai
import pytest

from ..conftest import STARTER
from ..vision import make_projector, png

SEER = "seer-test"
RED, BLUE = png((255, 0, 0)), png((0, 0, 255))
ASK = "What colour is this?"
GREEDY = {"temperature": 0, "num_predict": 8}


def data_url(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


@pytest.fixture(scope="module")
def seer(server, tmp_path_factory):
    path = make_projector(tmp_path_factory.mktemp("projector") / "mmproj.gguf")
    data = path.read_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert httpx.post(f"{server.url}/api/blobs/{digest}", content=data, timeout=60).status_code == 201
    created = httpx.post(f"{server.url}/api/create", json={"model": SEER, "from": STARTER, "stream": False,
                                                           "files": {"mmproj.gguf": digest}}, timeout=60)
    assert created.status_code == 200, created.text
    return server


def test_the_projector_makes_a_vision_model(seer):
    client = ollama.Client(host=seer.url)
    shown = client.show(SEER)
    assert "vision" in shown.capabilities and "vision" not in client.show(STARTER).capabilities
    assert shown.modelfile.count("\nFROM ") == 2  # the weights, then the projector


def test_ollama_images_reach_the_model(seer):
    client = ollama.Client(host=seer.url)
    plain = client.chat(model=SEER, messages=[{"role": "user", "content": ASK}], options=GREEDY)
    red = client.chat(model=SEER, messages=[{"role": "user", "content": ASK, "images": [RED]}], options=GREEDY)
    blue = client.chat(model=SEER, messages=[{"role": "user", "content": ASK, "images": [BLUE]}], options=GREEDY)
    assert red.prompt_eval_count > plain.prompt_eval_count, "the image's embeddings are part of the prompt"
    assert red.message.content != blue.message.content, "a different image changes the answer"
    again = client.chat(model=SEER, messages=[{"role": "user", "content": ASK, "images": [RED]}], options=GREEDY)
    assert again.message.content == red.message.content
    streamed = "".join(c.message.content for c in client.chat(
        model=SEER, messages=[{"role": "user", "content": ASK, "images": [RED]}], options=GREEDY, stream=True))
    assert streamed == red.message.content
    generated = client.generate(model=SEER, prompt=ASK, images=[RED], options=GREEDY)
    assert generated.response and generated.prompt_eval_count > 4


def test_openai_and_anthropic_image_parts(seer):
    ours = ollama.Client(host=seer.url).chat(model=SEER, messages=[{"role": "user", "content": ASK, "images": [BLUE]}],
                                               options=GREEDY).message.content
    client = openai.OpenAI(base_url=seer.url + "/v1", api_key="unused")
    reply = client.chat.completions.create(model=SEER, temperature=0, max_tokens=8, messages=[{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": data_url(BLUE)}}, {"type": "text", "text": ASK}]}])
    assert reply.choices[0].message.content == ours
    with pytest.raises(openai.BadRequestError) as remote:
        client.chat.completions.create(model=SEER, max_tokens=4, messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}])
    assert "fetches no URLs" in str(remote.value)
    response = client.responses.create(model=SEER, temperature=0, max_output_tokens=8, input=[{"role": "user", "content": [
        {"type": "input_image", "image_url": data_url(BLUE)}, {"type": "input_text", "text": ASK}]}])
    assert response.output_text == ours
    message = anthropic.Anthropic(base_url=seer.url, api_key="unused", max_retries=0).messages.create(
        model=SEER, max_tokens=8, temperature=0, messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": base64.b64encode(BLUE).decode()}},
            {"type": "text", "text": ASK}]}])
    assert message.content[0].text == ours


@pytest.mark.parametrize("image, message", [
    ("not base64!", "not valid base64"),
    (base64.b64encode(b"just some text").decode(), "not a PNG, JPEG"),
])
def test_bad_images_are_clear_400s(seer, image, message):
    response = httpx.post(f"{seer.url}/api/chat", json={"model": SEER, "stream": False, "messages": [
        {"role": "user", "content": ASK, "images": [image]}]})
    assert response.status_code == 400 and message in response.json()["error"]


def test_too_many_images_are_refused(seer):
    images = [base64.b64encode(RED).decode()] * 17
    response = httpx.post(f"{seer.url}/api/chat", json={"model": SEER, "stream": False, "messages": [
        {"role": "user", "content": ASK, "images": images}]})
    assert response.status_code == 400 and "at most 16" in response.json()["error"]


def test_a_text_only_model_refuses_images(seer):
    response = httpx.post(f"{seer.url}/api/chat", json={"model": STARTER, "stream": False, "messages": [
        {"role": "user", "content": ASK, "images": [base64.b64encode(RED).decode()]}]})
    assert response.status_code == 400 and "does not support images" in response.json()["error"]
