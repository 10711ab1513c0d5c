"""create → list → show → cp → rm round-trips; shared blobs survive; corrupt blobs are refused."""

import json

import pytest

from lokal.config import Settings
from lokal.engine.loader import load_model
from lokal.errors import IntegrityError, ModelNotFoundError, TemplateError
from lokal.sources.create import create_model
from lokal.store.modelfile import parse_modelfile


def test_create_list_show_copy_remove(starter_store, tmp_path):
    store = starter_store
    spec = parse_modelfile('FROM starter/smollm2\nSYSTEM "Answer like a pirate."\nPARAMETER temperature 0.5\n')
    created = create_model(store, "pirate", spec)
    assert str(created.name) == "pirate:latest"
    assert created.system == "Answer like a pirate."
    assert created.parameters["temperature"] == 0.5
    assert created.parameters["stop"] == ["<|im_end|>"]  # inherited from the starter
    names = {str(m.name) for m in store.list()}
    assert names == {"starter/smollm2:latest", "pirate:latest"}
    # the manifest sits in Ollama's layout and names its layers by media type
    manifest = json.loads((store.root / "manifests/registry.ollama.ai/library/pirate/latest").read_text())
    kinds = {layer["mediaType"] for layer in manifest["layers"]}
    assert "application/vnd.ollama.image.model" in kinds and "application/vnd.ollama.image.system" in kinds

    copy = store.copy("pirate", "team/pirate:v2")
    assert copy.manifest == created.manifest
    weights = created.model_path
    store.remove("pirate")
    assert weights.exists(), "the starter and the copy still use the weights"
    store.remove("team/pirate:v2")
    assert weights.exists()
    assert {str(m.name) for m in store.list()} == {"starter/smollm2:latest"}
    store.remove("starter/smollm2")
    assert not weights.exists(), "the last name using the weights took them along"
    assert store.blobs.digests() == []


def test_create_from_a_local_gguf_file(store, smollm2, tmp_path):
    (tmp_path / "Modelfile").write_text(f"FROM {smollm2.model_path}\nPARAMETER num_ctx 512\n")
    spec = parse_modelfile((tmp_path / "Modelfile").read_text())
    model = create_model(store, "local", spec, base_dir=tmp_path)
    assert model.config["model_family"] == "llama"
    assert model.config["file_type"] == "Q4_1"
    assert model.model_path.read_bytes()[:4] == b"GGUF"


def test_removing_a_missing_model_is_a_clear_error(store):
    with pytest.raises(ModelNotFoundError, match="not found"):
        store.remove("nothing-here")


def test_a_corrupted_blob_is_detected_and_refused(starter_store):
    model = starter_store.get("starter/smollm2")
    starter_store.verify(model)  # a good blob passes
    path = model.model_path
    data = bytearray(path.read_bytes())
    path.unlink()  # the blob is hard-linked from the session cache: corrupt a private copy
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="corrupt"):
        starter_store.verify(model)
    with pytest.raises(IntegrityError, match="corrupt"):
        load_model(starter_store, model, Settings.from_env())


def test_an_unsafe_template_is_refused_at_create(starter_store):
    spec = parse_modelfile("FROM starter/smollm2\nTEMPLATE \"{{ ''.__class__.__mro__ }}\"\n")
    with pytest.raises(TemplateError, match="unsafe"):
        create_model(starter_store, "evil", spec)
    assert not starter_store.exists("evil")
