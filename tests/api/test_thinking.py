"""Thinking, on every surface, with the real engine: SmolLM2 under a thinking template (it prefills
`<think>` as Qwen3's and DeepSeek-R1's do), so its output takes the reasoning parser's shape. A
thinking budget (the `think_budget` option) closes the reasoning for the model; a JSON format then
constrains the answer only."""

import json

import anthropic
import httpx
import ollama
import openai
import pytest

from ..conftest import STARTER

THINKER = "thinker-test"
TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}"
    "{% else %}{{ '<think>\\n' }}{% endif %}{% endif %}")
QUESTION = [{"role": "user", "content": "What is 2 + 3?"}]
SHORT = {"temperature": 0, "num_predict": 48, "think_budget": 12}


@pytest.fixture(scope="module")
def thinker(server):
    response = httpx.post(f"{server.url}/api/create", json={"model": THINKER, "from": STARTER, "template": TEMPLATE,
                                                            "stream": False}, timeout=60)
    assert response.status_code == 200, response.text
    return server


def test_ollama_separates_thinking_from_the_answer(thinker):
    client = ollama.Client(host=thinker.url)
    reply = client.chat(model=THINKER, messages=QUESTION, think=True, options=SHORT)
    assert reply.message.thinking and reply.message.content.strip()
    assert "<think>" not in reply.message.content and "</think>" not in reply.message.content
    chunks = list(client.chat(model=THINKER, messages=QUESTION, think=True, options=SHORT, stream=True))
    kinds = ["thinking" if c.message.thinking else "content" for c in chunks if c.message.thinking or c.message.content]
    assert kinds[0] == "thinking" and "content" in kinds
    assert kinds.index("content") > max(i for i, k in enumerate(kinds) if k == "thinking")  # reasoning first
    assert "".join(c.message.thinking or "" for c in chunks).strip() == reply.message.thinking


def test_think_false_renders_the_template_without_thinking(thinker):
    client = ollama.Client(host=thinker.url)
    reply = client.chat(model=THINKER, messages=QUESTION, think=False, options={"temperature": 0, "num_predict": 24})
    assert not reply.message.thinking and reply.message.content.strip()
    generated = client.generate(model=THINKER, prompt="What is 2 + 3?", think=True, options=SHORT)
    assert generated.thinking and generated.response.strip()


def test_a_format_constrains_the_answer_not_the_reasoning(thinker):
    client = ollama.Client(host=thinker.url)
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    reply = client.chat(model=THINKER, messages=QUESTION, think=True, format=schema, options=SHORT)
    assert reply.message.thinking
    assert isinstance(json.loads(reply.message.content)["answer"], int)


def test_capability_and_refusal(thinker):
    client = ollama.Client(host=thinker.url)
    assert "thinking" in client.show(THINKER).capabilities
    assert "thinking" not in client.show(STARTER).capabilities
    with pytest.raises(ollama.ResponseError) as refused:
        client.chat(model=STARTER, messages=QUESTION, think=True)
    assert refused.value.status_code == 400 and "does not support thinking" in refused.value.error
    assert client.chat(model=STARTER, messages=QUESTION, think=False, options={"num_predict": 4}).message.content


def test_openai_reasoning_content(thinker):
    client = openai.OpenAI(base_url=thinker.url + "/v1", api_key="unused")
    reply = client.chat.completions.create(model=THINKER, messages=QUESTION, reasoning_effort="low", temperature=0,
                                           max_tokens=48, extra_body={"think_budget": 12})
    message = reply.choices[0].message
    assert message.reasoning_content and message.content.strip() and "<think>" not in message.content
    stream = client.chat.completions.create(model=THINKER, messages=QUESTION, temperature=0, max_tokens=48,
                                            extra_body={"think_budget": 12}, stream=True)
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in stream if c.choices)
    assert reasoning.strip() == message.reasoning_content
    off = client.chat.completions.create(model=THINKER, messages=QUESTION, reasoning_effort="none", max_tokens=16)
    assert not getattr(off.choices[0].message, "reasoning_content", None)


def test_responses_reasoning_item(thinker):
    client = openai.OpenAI(base_url=thinker.url + "/v1", api_key="unused")
    response = client.responses.create(model=THINKER, input="What is 2 + 3?", reasoning={"effort": "low"},
                                       max_output_tokens=48, temperature=0, extra_body={"think_budget": 12})
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert response.output[0].content[0].text and response.output_text.strip()


def test_anthropic_thinking_blocks(thinker):
    client = anthropic.Anthropic(base_url=thinker.url, api_key="unused", max_retries=0)
    body = {"model": THINKER, "max_tokens": 48, "temperature": 0, "messages": QUESTION,
            "thinking": {"type": "enabled", "budget_tokens": 12}}
    message = client.messages.create(**body)
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.content[0].thinking and message.content[1].text.strip()
    with client.messages.stream(**body) as stream:
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == message.content[0].thinking
