"""Pulls from a stand-in Ollama registry and Hugging Face Hub serving the real SmolLM2 GGUF."""

import base64
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time

import pytest

from lokal.config import Settings
from lokal.engine.loader import load_model
from lokal.engine.plan import LoadPlan
from lokal.engine.prompt import Request
from lokal.errors import DownloadError, IntegrityError, ModelNotFoundError, UnauthorizedError
from lokal.sources.archive import export_model, import_model
from lokal.sources.go_template import go_to_jinja
from lokal.sources.huggingface import HubFile, choose, quant_of
from lokal.sources.pull import pull_model
from lokal.store import manifests as mt
from lokal.store.models import ModelStore

from .hosts import GO_CHATML, ModelHost

HF_REPO = "hf.co/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"


def answers(store, name):
    loaded = load_model(store, store.get(name), Settings.from_env())
    try:
        done = loaded.complete(Request(messages=[{"role": "user", "content": "What is the capital of France?"}],
                                       options={"num_predict": 24, "temperature": 0}))
    finally:
        loaded.close()
    return done.content.strip() != "" and done.eval_count > 0


def test_a_registry_pull_produces_a_model_that_answers(store, smollm2):
    with ModelHost(smollm2.model_path) as host:
        events = []
        model = pull_model(store, f"{host.address}/library/smollm2:latest", Settings.from_env(), events.append,
                           insecure=True)
        assert any(path.startswith("/storage/") for path in host.requests), "blobs follow the registry's redirect"
    kinds = {layer.media_type for layer in model.manifest.layers}
    assert {mt.MODEL, mt.SYSTEM, mt.PARAMS, mt.LICENSE} <= kinds
    assert mt.TEMPLATE not in kinds, "the GGUF's own Jinja template wins over Ollama's Go template"
    assert model.parameters == {"stop": ["<|im_end|>"]} and model.system == "You are a helpful assistant."
    assert events[-1] == {"status": "success"}
    assert answers(store, model.name)


def test_an_unknown_registry_model_is_a_clear_404(store, smollm2):
    with ModelHost(smollm2.model_path) as host, pytest.raises(ModelNotFoundError, match="not found in the registry"):
        pull_model(store, f"{host.address}/library/nothing:latest", Settings.from_env(), insecure=True)


def test_a_hugging_face_pull_picks_the_quantization(store, smollm2, monkeypatch):
    with ModelHost(smollm2.model_path) as host:
        monkeypatch.setenv("HF_ENDPOINT", host.url)
        model = pull_model(store, f"{HF_REPO}:Q4_1", Settings.from_env())
        assert model.config["file_type"] == "Q4_1"
        nearest = pull_model(store, HF_REPO, Settings.from_env())  # Q4_K_M is absent: the nearest is Q4_1
        assert nearest.manifest.layer(mt.MODEL).digest == model.manifest.layer(mt.MODEL).digest
        assert any("/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf" in p for p in host.requests)
    assert answers(store, model.name)


def test_a_gated_repo_needs_hf_token(store, smollm2, monkeypatch):
    with ModelHost(smollm2.model_path, token="hf_secret") as host:
        monkeypatch.setenv("HF_ENDPOINT", host.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        with pytest.raises(UnauthorizedError, match="HF_TOKEN"):
            pull_model(store, f"{HF_REPO}:Q4_1", Settings.from_env())
        monkeypatch.setenv("HF_TOKEN", "hf_secret")
        assert pull_model(store, f"{HF_REPO}:Q4_1", Settings.from_env()).config["file_type"] == "Q4_1"


def test_a_killed_pull_resumes_with_only_the_missing_bytes(store, smollm2, lokal_env):
    size = smollm2.model_path.stat().st_size
    with ModelHost(smollm2.model_path, throttle=0.02) as host:
        name = f"{host.address}/library/smollm2:latest"
        proc = subprocess.Popen([sys.executable, "-m", "lokal", "pull", "--insecure", name], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while host.gguf_served < size // 3 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = next(store.blobs.root.glob("*.partial.json"))
        done = sum(part["done"] for part in json.loads(state.read_text())["parts"])
        assert 0 < done < size
        assert not store.exists(name), "nothing is registered before every byte is verified"
        host.reset()
        host.throttle = 0.0
        pull_model(store, name, Settings.from_env(), insecure=True)
        assert host.gguf_served == size - done
    assert store.exists(name) and not list(store.blobs.root.glob("*.partial*"))


def test_a_server_that_drops_the_connection_every_few_mb_still_completes(store, smollm2):
    with ModelHost(smollm2.model_path, drop_every=3 * 1024 * 1024) as host:
        model = pull_model(store, f"{host.address}/library/smollm2:latest", Settings.from_env(), insecure=True)
    store.verify(model)


def test_wrong_bytes_fail_with_a_digest_error_and_register_nothing(store, smollm2):
    with ModelHost(smollm2.model_path, corrupt=True) as host, pytest.raises(IntegrityError, match="digest"):
        pull_model(store, f"{host.address}/library/smollm2:latest", Settings.from_env(), insecure=True)
    assert store.list() == []
    assert not store.blobs.has(f"sha256:{smollm2.manifest.layer(mt.MODEL).digest[7:]}")


def test_export_remove_import_round_trips(starter_store, tmp_path):
    archive = export_model(starter_store, "starter/smollm2", tmp_path / "smollm2.tar")
    starter_store.remove("starter/smollm2")
    assert starter_store.blobs.digests() == []
    model = import_model(starter_store, archive)
    assert str(model.name) == "starter/smollm2:latest"
    starter_store.verify(model)
    assert answers(starter_store, model.name)


def test_a_tampered_archive_is_refused(starter_store, tmp_path):
    archive = export_model(starter_store, "starter/smollm2", tmp_path / "smollm2.tar")
    starter_store.remove("starter/smollm2")
    with tarfile.open(archive) as tar:
        member = max(tar.getmembers(), key=lambda m: m.size)
        offset = member.offset_data + member.size // 2
    with open(archive, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(IntegrityError, match="digest mismatch"):
        import_model(starter_store, archive)
    assert starter_store.list() == [] and starter_store.blobs.digests() == []


def test_go_templates_translate_or_are_refused_clearly():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}]
    from lokal.engine.template import ChatTemplate

    rendered = ChatTemplate(go_to_jinja(GO_CHATML)).render(messages)
    assert rendered == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                        "<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
                        "<|im_start|>assistant\n")
    ranged = "{{- range .Messages }}<|{{ .Role }}|>{{ .Content }}{{ end }}<|assistant|>"
    assert ChatTemplate(go_to_jinja(ranged)).render(messages[:2]) == "<|system|>Be brief.<|user|>Hi<|assistant|>"
    assert go_to_jinja("{{ range .Tools }}{{ json . }}{{ end }}") is None


def test_split_ggufs_are_taken_whole_and_quantizations_recognised():
    files = [HubFile(f"m-Q4_K_M-0000{i}-of-00003.gguf", 1, str(i) * 64) for i in (2, 1, 3)]
    files += [HubFile("m-Q8_0.gguf", 1, "8" * 64), HubFile("mmproj-m-F16.gguf", 1, "f" * 64)]
    assert [f.path for f in choose(files, "Q4_K_M")] == [f"m-Q4_K_M-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    assert [f.path for f in choose(files, "Q8_0")] == ["m-Q8_0.gguf"]
    assert quant_of("Llama-3.2-1B-Instruct-IQ4_XS.gguf") == "IQ4_XS"


def test_pull_prints_progress_in_the_cli(store, smollm2, lokal_env):
    with ModelHost(smollm2.model_path) as host:
        result = subprocess.run([sys.executable, "-m", "lokal", "pull", "--insecure", "--max-bandwidth", "200000000",
                                 f"{host.address}/library/smollm2"], capture_output=True, text=True, timeout=120,
                                env={**os.environ}, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert "success" in result.stdout + result.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 110 MB tmpfs: room for SmolLM2 (98 MB), but not for it and much else."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=110m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_pull_onto_a_disk_too_small_fails_first_and_registers_nothing(small_disk, smollm2):
    (small_disk / "ballast").write_bytes(b"\0" * 40_000_000)
    store = ModelStore(small_disk / "models")
    with ModelHost(smollm2.model_path) as host, pytest.raises(DownloadError, match="not enough disk space"):
        pull_model(store, f"{host.address}/library/smollm2:latest", Settings.from_env(), insecure=True)
    assert host.gguf_served == 0 and store.list() == []


def test_a_disk_that_fills_mid_pull_fails_clearly_and_resumes_once_freed(small_disk, smollm2):
    store = ModelStore(small_disk / "models")
    size = smollm2.model_path.stat().st_size
    failure: list[BaseException] = []
    with ModelHost(smollm2.model_path, throttle=0.02) as host:
        name = f"{host.address}/library/smollm2:latest"

        def pull() -> None:
            try:
                pull_model(store, name, Settings.from_env(), insecure=True)
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=pull)
        worker.start()
        deadline = time.time() + 60
        while host.gguf_served < 20_000_000 and time.time() < deadline:
            time.sleep(0.05)
        ballast = small_disk / "ballast"
        with open(ballast, "wb") as f:  # another program fills the disk
            try:
                while True:
                    f.write(b"\0" * 1_000_000)
            except OSError:
                pass
        host.throttle = 0.0
        worker.join(120)
        assert failure and isinstance(failure[0], DownloadError) and "disk is full" in str(failure[0])
        assert store.list() == [], "nothing registered"
        ballast.unlink()
        host.reset()
        model = pull_model(store, name, Settings.from_env(), insecure=True)
        assert host.gguf_served < size, "the second pull fetched only what was missing"
    store.verify(model)
    assert not list(store.blobs.root.glob("*.partial*"))


def sees(store, name):
    """Whether the pulled model takes an image (through its projector) and answers."""
    from tests.vision import png

    plan = LoadPlan(name, "", 1024, 1, projector=str(store.get(name).projector_path))
    loaded = load_model(store, store.get(name), Settings.from_env(), plan)
    try:
        done = loaded.complete(Request(messages=[{"role": "user", "content": "What is this?", "images": [
            base64.b64encode(png((0, 128, 0))).decode()]}], options={"num_predict": 4, "temperature": 0}))
    finally:
        loaded.close()
    return done.eval_count > 0 and done.prompt_eval_count > 10


def test_pulls_bring_the_vision_projector(store, smollm2, monkeypatch, tmp_path):
    from tests.vision import make_projector

    projector = make_projector(tmp_path / "mmproj.gguf")
    with ModelHost(smollm2.model_path, projector=projector) as host:
        monkeypatch.setenv("HF_ENDPOINT", host.url)
        hub = pull_model(store, f"{HF_REPO}:Q4_1", Settings.from_env())
        assert any("/resolve/main/mmproj-SmolLM2-135M-F16.gguf" in p for p in host.requests), "F16 is preferred"
        registry = pull_model(store, f"{host.address}/library/smollm2:latest", Settings.from_env(), insecure=True)
    for model in (hub, registry):
        layer = model.manifest.layer(mt.PROJECTOR)
        assert layer is not None and model.projector_path.read_bytes() == projector.read_bytes()
    assert sees(store, hub.name)
