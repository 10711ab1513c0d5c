import pytest

from lokal.errors import ModelfileError
from lokal.store.modelfile import parse_modelfile, render_modelfile

FULL = '''# a comment
FROM starter/smollm2
PARAMETER temperature 0.7
PARAMETER stop "<|im_end|>"
PARAMETER stop "User:"
PARAMETER num_ctx 1024
TEMPLATE """{% for m in messages %}{{ m.content }}
{% endfor %}"""
SYSTEM """You are terse.
Answer in one line."""
MESSAGE user Hi
MESSAGE assistant Hello!
LICENSE """MIT"""
'''


def test_parses_every_command():
    spec = parse_modelfile(FULL)
    assert spec.from_ == "starter/smollm2"
    assert spec.parameters == {"temperature": 0.7, "stop": ["<|im_end|>", "User:"], "num_ctx": 1024}
    assert spec.template == "{% for m in messages %}{{ m.content }}\n{% endfor %}"
    assert spec.system == "You are terse.\nAnswer in one line."
    assert spec.messages == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    assert spec.licenses == ["MIT"]


def test_render_round_trips():
    spec = parse_modelfile(FULL)
    assert parse_modelfile(render_modelfile("x", spec)) == spec


@pytest.mark.parametrize("text, line, message", [
    ("FROM x\nPARAMETER temperature hot\n", 2, "temperature"),
    ("FROM x\nPARAMETER colour 1\n", 2, "unknown parameter"),
    ("FROM x\nFOO bar\n", 2, "unknown command"),
    ("FROM x\n\nMESSAGE robot hi\n", 3, "role"),
    ('FROM x\nSYSTEM """never closed\n', 2, "unterminated"),
    ("FROM x\nSYSTEM\n", 2, "needs a value"),
])
def test_errors_name_the_line(text, line, message):
    with pytest.raises(ModelfileError, match=f"line {line}: .*{message}"):
        parse_modelfile(text)


def test_from_is_required():
    with pytest.raises(ModelfileError, match="FROM"):
        parse_modelfile("SYSTEM hi\n")


def test_a_second_from_is_the_vision_projector(starter_store, tmp_path):
    from lokal.sources.create import create_model
    from tests.vision import make_projector

    make_projector(tmp_path / "mmproj.gguf")
    spec = parse_modelfile("FROM starter/smollm2\nFROM ./mmproj.gguf\n")
    assert spec.from_ == "starter/smollm2" and spec.projector == "./mmproj.gguf"
    model = create_model(starter_store, "seer", spec, base_dir=tmp_path)
    assert model.projector_path.read_bytes() == (tmp_path / "mmproj.gguf").read_bytes()
    again = parse_modelfile(model.modelfile())
    assert again.projector == str(model.projector_path)
    with pytest.raises(ModelfileError, match="line 3: a third FROM"):
        parse_modelfile("FROM a\nFROM b.gguf\nFROM c.gguf\n")
    with pytest.raises(Exception, match="not a projector"):
        create_model(starter_store, "wrong", parse_modelfile(f"FROM starter/smollm2\nFROM {model.model_path}\n"),
                     base_dir=tmp_path)
