"""The Anthropic Messages API through the official `anthropic` client: plain, streamed, tools,
token counting, and errors in Anthropic's shape."""

import anthropic
import httpx
import pytest

from ..conftest import STARTER
from ..helpers import LiveServer, link_store

WEATHER = {"name": "get_weather", "description": "The current weather in a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture(scope="module")
def client(server):
    return anthropic.Anthropic(base_url=server.url, api_key="unused", max_retries=0)


def test_a_plain_message(client):
    message = client.messages.create(model=STARTER, max_tokens=16, temperature=0,
                                     messages=[{"role": "user", "content": "What is the capital of France?"}])
    assert message.role == "assistant" and message.type == "message" and message.id.startswith("msg_")
    assert message.content[0].type == "text" and message.content[0].text.strip()
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.input_tokens > 0 and 0 < message.usage.output_tokens <= 16


def test_a_streamed_message_matches_the_plain_one(client):
    body = {"model": STARTER, "max_tokens": 12, "temperature": 0, "system": "Answer briefly.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Name a colour."}]}]}
    plain = client.messages.create(**body)
    with client.messages.stream(**body) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == plain.content[0].text == final.content[0].text
    assert final.stop_reason == plain.stop_reason and final.usage.output_tokens == plain.usage.output_tokens


def test_the_event_stream_is_anthropic_s(server):
    body = {"model": STARTER, "max_tokens": 4, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    with httpx.stream("POST", f"{server.url}/v1/messages", json=body, timeout=60) as response:
        names = [line[7:] for line in response.iter_lines() if line.startswith("event: ")]
    assert names[0] == "message_start" and names[1] == "content_block_start"
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names) <= {"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                          "message_delta", "message_stop", "ping"}


def test_a_forced_tool_call_and_its_result(client):
    asked = {"role": "user", "content": "What is the weather in Oslo?"}
    message = client.messages.create(model=STARTER, max_tokens=64, temperature=0, tools=[WEATHER],
                                     tool_choice={"type": "tool", "name": "get_weather"}, messages=[asked])
    assert message.stop_reason == "tool_use"
    call = next(block for block in message.content if block.type == "tool_use")
    assert call.name == "get_weather" and isinstance(call.input.get("city"), str) and call.id
    answer = client.messages.create(model=STARTER, max_tokens=16, temperature=0, tools=[WEATHER], messages=[
        asked, {"role": "assistant", "content": message.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "12 °C and sunny"}]}])
    assert answer.content and answer.content[0].type == "text"


def test_a_streamed_tool_call(client):
    with client.messages.stream(model=STARTER, max_tokens=64, temperature=0, tools=[WEATHER],
                                tool_choice={"type": "any"},
                                messages=[{"role": "user", "content": "Weather in Bergen?"}]) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use" and final.content[-1].type == "tool_use"
    assert final.content[-1].input.get("city")


def test_count_tokens(client):
    short = client.messages.count_tokens(model=STARTER, messages=[{"role": "user", "content": "Hi"}])
    long = client.messages.count_tokens(model=STARTER, system="Be brief.", tools=[WEATHER],
                                        messages=[{"role": "user", "content": "Hi there, how are you today?"}])
    assert 0 < short.input_tokens < long.input_tokens


def test_errors_have_anthropic_s_shape(client, server):
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.messages.create(model="no-such-model", max_tokens=4, messages=[{"role": "user", "content": "Hi"}])
    assert missing.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(model=STARTER, max_tokens=4, messages=[{"role": "user", "content": 5}])
    assert bad.value.body["type"] == "error" and "messages.0.content" in bad.value.body["error"]["message"]
    response = httpx.post(f"{server.url}/v1/messages", json={"model": STARTER, "messages": []})
    assert response.status_code == 400 and "max_tokens" in response.json()["error"]["message"]
    with pytest.raises(anthropic.BadRequestError) as image:
        client.messages.create(model=STARTER, max_tokens=4, messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "text", "text": "What is this?"}]}])
    assert "does not support images" in image.value.body["error"]["message"]


def test_keys_are_taken_as_x_api_key(starter_home, tmp_path):
    home = tmp_path / "keyed"
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_API_KEYS="secret-key") as live:
        with pytest.raises(anthropic.AuthenticationError):
            anthropic.Anthropic(base_url=live.url, api_key="wrong", max_retries=0).messages.count_tokens(
                model=STARTER, messages=[{"role": "user", "content": "Hi"}])
        good = anthropic.Anthropic(base_url=live.url, api_key="secret-key", max_retries=0)
        assert good.messages.count_tokens(model=STARTER, messages=[{"role": "user", "content": "Hi"}]).input_tokens > 0
