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
