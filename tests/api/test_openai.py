"""The OpenAI API through the official `openai` Python client."""

import json

import openai
import pytest

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused")


def test_chat_not_streamed(client):
    response = client.chat.completions.create(model="starter/smollm2", messages=FRANCE, temperature=0)
    assert "Paris" in response.choices[0].message.content
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0


def test_chat_streamed_with_usage(client):
    stream = client.chat.completions.create(model="starter/smollm2", messages=FRANCE, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in text
    assert chunks[-1].usage.completion_tokens > 0 and not chunks[-1].choices


def test_completions(client):
    response = client.completions.create(model="starter/smollm2", prompt="The capital of France is",
                                         max_tokens=5, temperature=0)
    assert "Paris" in response.choices[0].text


def test_embeddings_float_and_base64(client):
    response = client.embeddings.create(model="starter/smollm2", input=["Hello", "Hei"])  # base64 on the wire
    assert len(response.data) == 2 and len(response.data[0].embedding) == 576
    plain = client.embeddings.create(model="starter/smollm2", input="Hello", encoding_format="float")
    assert plain.data[0].embedding == pytest.approx(response.data[0].embedding, abs=1e-5)


def test_models(client):
    ids = [m.id for m in client.models.list().data]
    assert "starter/smollm2:latest" in ids
    assert client.models.retrieve("starter/smollm2").id == "starter/smollm2:latest"


def test_json_schema_response_format(client):
    schema = {"type": "object", "properties": {"capital": {"type": "string"}, "country": {"type": "string"}},
              "required": ["capital", "country"], "additionalProperties": False}
    response = client.chat.completions.create(
        model="starter/smollm2", messages=FRANCE, temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}})
    answer = json.loads(response.choices[0].message.content)
    assert set(answer) == {"capital", "country"} and all(isinstance(v, str) for v in answer.values())


def test_a_tool_call_comes_back_as_tool_calls(client):
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                               "parameters": {"type": "object", "required": ["city"],
                                                              "properties": {"city": {"type": "string"}}}}}]
    response = client.chat.completions.create(model="starter/smollm2", tools=tools, tool_choice="required",
                                              messages=[{"role": "user", "content": "Weather in Oslo?"}])
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    stream = client.chat.completions.create(model="starter/smollm2", tools=tools, stream=True,
                                            tool_choice={"type": "function", "function": {"name": "get_weather"}},
                                            messages=[{"role": "user", "content": "Weather in Oslo?"}])
    calls = [tc for c in stream if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].function.name == "get_weather"


def test_ollama_options_as_extras(client):
    response = client.chat.completions.create(model="starter/smollm2", messages=FRANCE,
                                              extra_body={"num_ctx": 1024, "top_k": 1, "num_predict": 3})
    assert response.usage.completion_tokens <= 3


def test_errors_are_openai_shaped(client):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="no-such-model", messages=FRANCE)
    assert err.value.body["type"] == "invalid_request_error" and "lokal pull" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="starter/smollm2", messages=[{"role": "user", "content": "word " * 3000}])
    assert "2048" in err.value.body["message"]
