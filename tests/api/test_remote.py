"""A model that is an alias of a remote OpenAI-compatible engine (here: a second lokal, keyed)."""

import json
import subprocess
import sys

import httpx
import ollama
import openai

from ..helpers import LiveServer, link_store

FRANCE = [{"role": "user", "content": "What is the capital of France?"}]


def test_a_remote_alias_answers_through_both_apis(starter_home, tmp_path):
    link_store(starter_home, tmp_path / "remote")
    with LiveServer(tmp_path / "remote", LOKAL_API_KEYS="remote-key") as remote, \
            LiveServer(tmp_path / "front", REMOTE_KEY="remote-key") as front:
        # the key's *name* is stored; its value is read from the serving lokal's environment per request
        modelfile = f"FROM openai+{remote.url}/v1 starter/smollm2 REMOTE_KEY\nPARAMETER temperature 0\n"
        created = httpx.post(f"{front.url}/api/create", json={"model": "far", "modelfile": modelfile, "stream": False},
                             timeout=60)
        assert created.status_code == 200, created.text
        client = ollama.Client(host=front.url)
        answer = client.chat(model="far", messages=FRANCE)
        assert "Paris" in answer.message.content and answer.eval_count > 0
        chunks = list(client.chat(model="far", messages=FRANCE, stream=True))
        assert "Paris" in "".join(c.message.content for c in chunks)
        oa = openai.OpenAI(base_url=f"{front.url}/v1", api_key="x")
        assert "Paris" in oa.chat.completions.create(model="far", messages=FRANCE).choices[0].message.content
        schema = {"type": "object", "properties": {"capital": {"type": "string"}}, "required": ["capital"],
                  "additionalProperties": False}
        structured = oa.chat.completions.create(
            model="far", messages=FRANCE,
            response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}})
        assert "capital" in json.loads(structured.choices[0].message.content)
        assert "Modelfile" in client.show("far").modelfile and "openai+http" in client.show("far").modelfile
        # `lokal run` goes through the front server, so the alias works in the terminal too
        run = subprocess.run([sys.executable, "-m", "lokal", "run", "far", "What is the capital of France?"],
                             env=front.env, input="", capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "Paris" in run.stdout
