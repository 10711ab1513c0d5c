"""The generation path on the real SmolLM2 starter."""

import json

import pytest

from lokal.engine.generate import Delta, Done
from lokal.engine.prompt import Request, render_prompt
from lokal.errors import BadRequestError, ContextOverflowError

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]


def run(loaded, **kwargs):
    events = list(loaded.stream(Request(**kwargs)))
    assert isinstance(events[-1], Done)
    return events[:-1], events[-1]


def test_answers_paris(loaded):
    _, done = run(loaded, messages=FRANCE, options={"temperature": 0})
    assert "Paris" in done.content
    assert done.done_reason == "stop"


def test_the_starter_prompt_is_plain_chatml(loaded):
    text = render_prompt(loaded.model, loaded.info, Request(messages=FRANCE))
    assert text == "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"


def test_system_prompt_and_modelfile_messages_enter_the_prompt(loaded):
    text = render_prompt(loaded.model, loaded.info, Request(messages=FRANCE, system="Be brief."))
    assert text.startswith("<|im_start|>system\nBe brief.<|im_end|>\n")


def test_streams_token_by_token_with_timings(loaded):
    deltas, done = run(loaded, messages=[{"role": "user", "content": "Write three sentences about the sea."}],
                       options={"temperature": 0, "num_predict": 40})
    assert len(deltas) >= 10
    assert "".join(d.content for d in deltas) == done.content
    assert done.prompt_eval_count > 0 and done.eval_count > 0
    assert done.eval_duration > 0 and done.total_duration > 0


def test_num_predict_limits_the_answer(loaded):
    _, done = run(loaded, messages=[{"role": "user", "content": "Count from one to one hundred."}],
                  options={"num_predict": 5})
    assert done.eval_count <= 5
    assert done.done_reason == "length"


def test_stop_sequences_end_the_answer(loaded):
    _, done = run(loaded, messages=FRANCE, options={"temperature": 0, "stop": ["Paris"]})
    assert "Paris" not in done.content


def test_a_seed_makes_sampling_repeatable(loaded):
    options = {"temperature": 1.0, "seed": 42, "num_predict": 20}
    prompt = [{"role": "user", "content": "Tell me a story."}]
    assert run(loaded, messages=prompt, options=options)[1].content == run(loaded, messages=prompt, options=options)[1].content


def test_format_json_is_enforced(loaded):
    finished = []
    for seed in (1, 2, 3, 4):
        _, done = run(loaded, messages=[{"role": "user", "content": "Describe France as JSON."}], format="json",
                      options={"num_predict": 300, "seed": seed})
        assert done.content.startswith("{")  # the grammar allows nothing else
        if done.done_reason == "stop":
            finished.append(json.loads(done.content))
    assert finished and all(isinstance(answer, dict) for answer in finished)


def test_format_schema_is_enforced(loaded):
    schema = {"type": "object", "properties": {"capital": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["capital", "population"], "additionalProperties": False}
    _, done = run(loaded, messages=FRANCE, format=schema, options={"temperature": 0, "num_predict": 200})
    answer = json.loads(done.content)
    assert isinstance(answer["capital"], str) and isinstance(answer["population"], int)


def test_logprobs(loaded):
    deltas, _ = run(loaded, messages=FRANCE, logprobs=True, top_logprobs=3, options={"num_predict": 3})
    entry = deltas[0].logprobs[0]
    assert entry["logprob"] <= 0 and len(entry["top_logprobs"]) == 3


def test_raw_generate_sends_the_prompt_unchanged(loaded):
    _, done = run(loaded, prompt="The capital of France is", raw=True, options={"temperature": 0, "num_predict": 5})
    assert "Paris" in done.content


def test_closing_the_stream_cancels_and_frees_the_slot(loaded):
    stream = loaded.stream(Request(messages=[{"role": "user", "content": "Write a long essay."}],
                                   options={"num_predict": 2000}))
    first = next(stream)
    assert isinstance(first, Delta)
    stream.close()
    assert loaded.active == 0
    assert "Paris" in run(loaded, messages=FRANCE, options={"temperature": 0})[1].content


def test_an_overlong_prompt_names_its_count_and_the_limit(loaded):
    long = [{"role": "user", "content": "word " * 3000}]
    with pytest.raises(ContextOverflowError, match=r"the prompt is \d+ tokens but the context holds 2048") as err:
        run(loaded, messages=long)
    assert err.value.context["prompt_tokens"] > 2048


def test_truncation_on_request_drops_old_turns_and_says_so(loaded):
    history = []
    for i in range(12):
        history += [{"role": "user", "content": f"Fact {i}: " + "blah " * 150},
                    {"role": "assistant", "content": "Noted."}]
    _, done = run(loaded, messages=history + FRANCE, truncate=True, options={"num_predict": 8})
    assert done.truncated


def test_images_on_a_text_model_are_a_clear_error(loaded):
    with pytest.raises(BadRequestError, match="does not support images"):
        run(loaded, messages=[{"role": "user", "content": "what is this", "images": ["aGk="]}])


def test_a_required_tool_call_is_forced_by_grammar(loaded):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    _, done = run(loaded, messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
                  tools=tools, tool_choice="required", options={"num_predict": 60})
    assert done.tool_calls and done.tool_calls[0]["function"]["name"] == "get_weather"
    assert isinstance(done.tool_calls[0]["function"]["arguments"]["city"], str)
