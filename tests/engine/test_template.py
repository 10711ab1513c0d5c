import pytest

from lokal.engine.template import BUILTIN, ChatTemplate, check_template
from lokal.errors import TemplateError


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ messages.append(1) }}",
])
def test_templates_reaching_for_python_internals_are_refused(source):
    with pytest.raises(TemplateError, match="unsafe"):
        check_template(source)


def test_broken_templates_are_refused():
    with pytest.raises(TemplateError, match="compile"):
        check_template("{% for m in messages %}")


def test_raise_exception_is_a_template_error():
    with pytest.raises(TemplateError, match="only user turns"):
        ChatTemplate("{{ raise_exception('only user turns') }}").render([])


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_templates_render_a_conversation(name):
    text = check_template(BUILTIN[name]).render([{"role": "user", "content": "Hi there"}])
    assert "Hi there" in text


def test_tool_calls_are_read_in_the_shapes_models_write():
    from lokal.engine.tools import parse_tool_calls

    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    shapes = [
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>',
        '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Oslo"}}]',
        '{"name": "get_weather", "parameters": {"city": "Oslo"}}',
        '```json\n{\n  "name": "get_weather",\n  "arguments": {"city": "Oslo"}\n}\n```',
    ]
    for text in shapes:
        content, calls = parse_tool_calls(text, tools)
        assert calls == [{"name": "get_weather", "arguments": {"city": "Oslo"}}], text
        assert content == ""
    assert parse_tool_calls('{"name": "rm_rf", "arguments": {}}', tools)[1] == []  # only offered tools
    assert parse_tool_calls("```python\nprint(1)\n```", tools) == ("```python\nprint(1)\n```", [])
