"""The template sandbox refuses unbounded work at once, and leaves real chat templates alone."""

import time

import pytest

from lokal.engine.template import BUILTIN, ChatTemplate
from lokal.errors import ContextOverflowError, TemplateError

HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("source", [
    "{{ 'A' * 100000000 }}",
    "{{ 'A' * 10**10 }}",  # would allocate 10 GB
    "{{ (range(100000)|list) * 100000 }}",
    "{{ 'a'|center(10**10) }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ 'a'.ljust(10**10) }}",
    "{{ '%*d' % (10**10, 1) }}",
    "{{ '%9999999999d' % 1 }}",
    "{{ '{:>9999999999}'.format(1) }}",
    "{{ '{:>{}}'.format(1, 10**10) }}",
    "{{ 2 ** 100000000 }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{{ ('a' * 3000000) | replace('a', 'aaaaaaaaaa') }}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
])
def test_templates_that_build_too_much_are_refused_at_once(source):
    started = time.perf_counter()
    with pytest.raises(TemplateError):
        ChatTemplate(source).render(HI)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for c in 'a' * 90000 %}{% for d in 'b' * 90000 %}{% endfor %}{% endfor %}",
])
def test_templates_that_run_too_long_are_stopped(source):
    started = time.perf_counter()
    with pytest.raises(TemplateError, match="longer than"):
        ChatTemplate(source).render(HI)
    assert time.perf_counter() - started < 5.0


def test_a_prompt_past_the_limit_stops_rendering_with_the_counts():
    source = "{% for i in range(100000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}"
    with pytest.raises(ContextOverflowError, match="65,536 characters"):
        ChatTemplate(source).render(HI, max_chars=65_536)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_real_templates_render_as_before(name):
    messages = [{"role": "system", "content": "Be brief."}, *HI, {"role": "assistant", "content": "Hello!"}, *HI]
    text = ChatTemplate(BUILTIN[name]).render(messages, bos_token="<s>")
    assert text.count("hi") == 2 and "Be brief." in text and "Hello!" in text


def test_loops_keep_their_length_and_filters_their_arguments():
    source = ("{% for m in messages %}{{ loop.index }}/{{ loop.length }}{{ '|' if not loop.last }}{% endfor %} "
              "{{ 'ab'|center(6) }}{{ '%05d' % 42 }}{{ '{:>4}'.format(7) }}{{ messages|map(attribute='role')|join(',') }}")
    assert ChatTemplate(source).render(HI * 3) == "1/3|2/3|3/3   ab  00042   7user,user,user"


def test_large_numbers_as_values_are_fine():
    source = "{{ 10000000|filesizeformat }} {{ 12345678|string|truncate(20) }} {{ [10000000, 2]|join(',') }}"
    assert ChatTemplate(source).render(HI) == "10.0 MB 12345678 10000000,2"
