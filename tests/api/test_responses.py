"""OpenAI's Responses API (stateless, as in Ollama) through the official `openai` client."""

import json

import openai
import pytest

MODEL = "starter/smollm2"
FRANCE = "What is the capital of France?"
WEATHER = [{"type": "function", "name": "get_weather", "description": "Weather for a city",
            "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}]


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused")


def test_text_streamed_and_not(client):
    response = client.responses.create(model=MODEL, input=FRANCE, temperature=0)
    assert "Paris" in response.output_text and response.status == "completed"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    events = list(client.responses.create(model=MODEL, input=FRANCE, temperature=0, stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    streamed = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert "Paris" in streamed and streamed == events[-1].response.output_text


def test_a_function_call_and_its_output(client):
    response = client.responses.create(model=MODEL, input="Weather in Oslo?", tools=WEATHER, tool_choice="required")
    call = response.output[-1]
    assert call.type == "function_call" and call.name == "get_weather" and "city" in json.loads(call.arguments)
    follow_up = client.responses.create(model=MODEL, tools=WEATHER, temperature=0, input=[
        {"role": "user", "content": "Weather in Oslo?"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 21 degrees"}])
    assert follow_up.status in ("completed", "incomplete") and follow_up.output_text


def test_json_schema_format(client):
    schema = {"type": "object", "properties": {"capital": {"type": "string"}}, "required": ["capital"],
              "additionalProperties": False}
    response = client.responses.create(model=MODEL, input=FRANCE,
                                       text={"format": {"type": "json_schema", "name": "answer", "schema": schema}})
    assert isinstance(json.loads(response.output_text)["capital"], str)


def test_limits_and_refusals(client):
    cut = client.responses.create(model=MODEL, input="Tell me a long story.", instructions="You tell stories.",
                                  max_output_tokens=5)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    assert cut.instructions == "You tell stories." and cut.usage.output_tokens == 5
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model=MODEL, input=FRANCE, previous_response_id="resp_1")
    assert "whole conversation" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model=MODEL, input=FRANCE, tools=[{"type": "web_search"}])
    assert "function tools" in err.value.body["message"]
