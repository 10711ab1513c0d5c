"""The Ollama API through the official `ollama` Python client."""

import hashlib

import ollama
import pytest

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def client(server):
    return ollama.Client(host=server.url)


def test_list_and_show(client):
    names = [m.model for m in client.list().models]
    assert "starter/smollm2:latest" in names
    shown = client.show("starter/smollm2")
    assert shown.details.family == "llama" and shown.details.quantization_level == "Q4_1"
    assert shown.modelinfo["general.architecture"] == "llama"
    assert "<|im_start|>" in shown.template
    assert "temperature" in shown.parameters
    assert "completion" in shown.capabilities


def test_chat_not_streamed(client):
    response = client.chat(model="starter/smollm2", messages=FRANCE, options={"temperature": 0})
    assert "Paris" in response.message.content
    assert response.done and response.done_reason == "stop"
    assert response.prompt_eval_count > 0 and response.eval_count > 0 and response.eval_duration > 0


def test_chat_streamed(client):
    chunks = list(client.chat(model="starter/smollm2", messages=FRANCE, stream=True, options={"temperature": 0}))
    assert len(chunks) > 3 and chunks[-1].done and not chunks[0].done
    assert "Paris" in "".join(c.message.content for c in chunks)


def test_generate_streamed_and_not(client):
    response = client.generate(model="starter/smollm2", prompt="What is the capital of France?",
                               options={"temperature": 0})
    assert "Paris" in response.response and response.context
    chunks = list(client.generate(model="starter/smollm2", prompt="Name a colour.", stream=True,
                                  options={"num_predict": 8}))
    assert chunks[-1].done and chunks[-1].eval_count <= 8


def test_generate_raw_and_format_schema(client):
    raw = client.generate(model="starter/smollm2", prompt="The capital of France is", raw=True,
                          options={"temperature": 0, "num_predict": 5})
    assert "Paris" in raw.response
    schema = {"type": "object", "properties": {"capital": {"type": "string"}}, "required": ["capital"],
              "additionalProperties": False}
    answer = client.chat(model="starter/smollm2", messages=FRANCE, format=schema, options={"temperature": 0})
    import json

    assert isinstance(json.loads(answer.message.content)["capital"], str)


def test_tool_calls_come_back_typed(client):
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                               "parameters": {"type": "object", "required": ["city"],
                                                              "properties": {"city": {"type": "string"}}}}}]
    # Ollama's API has no tool_choice; lokal's grammar path is reachable through OpenAI's. Here the
    # template path must at least parse a tool call the model writes itself, streamed or not.
    response = client.chat(model="starter/smollm2", messages=[{"role": "user", "content": "Weather in Oslo?"}],
                           tools=tools, options={"num_predict": 40})
    assert response.done
    assert response.message.tool_calls is None or response.message.tool_calls[0].function.name == "get_weather"


def test_embed(client):
    response = client.embed(model="starter/smollm2", input=["Hello", "Hei"])
    assert len(response.embeddings) == 2 and len(response.embeddings[0]) == 576
    assert abs(sum(x * x for x in response.embeddings[0]) - 1.0) < 1e-3
    legacy = client.embeddings(model="starter/smollm2", prompt="Hello")
    assert legacy.embedding == pytest.approx(response.embeddings[0], abs=1e-5)


def test_create_copy_delete(client, smollm2):
    progress = list(client.create(model="terse", from_="starter/smollm2", system="Answer in one word.",
                                  parameters={"temperature": 0.1}, stream=True))
    assert progress[-1].status == "success"
    shown = client.show("terse")
    assert "Answer in one word." in shown.modelfile
    client.copy("terse", "terse-copy")
    assert {"terse:latest", "terse-copy:latest"} <= {m.model for m in client.list().models}
    client.delete("terse")
    client.delete("terse-copy")
    assert not {"terse:latest", "terse-copy:latest"} & {m.model for m in client.list().models}
    with pytest.raises(ollama.ResponseError) as err:
        client.delete("terse")
    assert err.value.status_code == 404


def test_create_from_an_uploaded_gguf(client, smollm2):
    digest = client.create_blob(smollm2.model_path)
    assert digest == "sha256:" + hashlib.sha256(smollm2.model_path.read_bytes()).hexdigest()
    client.create(model="uploaded", files={"model.gguf": digest}, template=None,
                  parameters={"stop": ["<|im_end|>"]})
    response = client.chat(model="uploaded", messages=FRANCE, options={"temperature": 0, "num_predict": 20})
    assert response.done
    client.delete("uploaded")


def test_a_blob_with_the_wrong_digest_is_refused(server):
    import httpx

    response = httpx.post(f"{server.url}/api/blobs/sha256:{'0' * 64}", content=b"not the bytes")
    assert response.status_code == 422 and "digest mismatch" in response.json()["error"]


def test_pull_a_starter(client, server):
    client.delete("starter/smollm2")
    events = list(client.pull("starter/smollm2", stream=True))
    assert events[-1].status == "success"
    assert any(e.total and e.completed == e.total for e in events)
    assert "starter/smollm2:latest" in [m.model for m in client.list().models]


def test_ps_load_and_unload(client):
    client.generate(model="starter/smollm2", prompt="Hi", options={"num_predict": 2}, keep_alive="10m")
    client.embed(model="starter/smollm2", input="Hi", keep_alive="10m")  # a second engine instance, to embed
    loaded = client.ps().models
    assert [m.model for m in loaded].count("starter/smollm2:latest") == 1  # one row per model, as in Ollama
    assert all(m.context_length for m in loaded)
    client.generate(model="starter/smollm2", keep_alive=0)
    assert "starter/smollm2:latest" not in [m.model for m in client.ps().models]


def test_images_on_a_text_model_are_a_clear_error(client):
    with pytest.raises(ollama.ResponseError) as err:
        client.chat(model="starter/smollm2", messages=[{"role": "user", "content": "What is this?", "images": [b"\x89PNG"]}])
    assert err.value.status_code == 400 and "images" in err.value.error


def test_unknown_model_names_the_fix(client):
    with pytest.raises(ollama.ResponseError) as err:
        client.chat(model="no-such-model", messages=FRANCE)
    assert err.value.status_code == 404 and "lokal pull" in err.value.error


def test_pull_from_a_registry_streams_blob_progress(client, smollm2):
    from ..sources.hosts import ModelHost

    with ModelHost(smollm2.model_path) as host:
        name = f"{host.address}/library/smollm2:latest"
        events = list(client.pull(name, insecure=True, stream=True))
    blob = [e for e in events if e.digest == host.gguf_digest]
    assert blob and blob[-1].completed == blob[-1].total == len(host.gguf)
    assert events[-1].status == "success"
    assert name in [m.model for m in client.list().models]
    client.delete(name)
