"""Ollama options are cast and range-checked where they enter, with messages that name them."""

import pytest

from lokal.errors import OptionsError
from lokal.options import coerce_options


@pytest.mark.parametrize("options,message", [
    ({"num_ctx": 10**30}, "'num_ctx' must be between 1 and"),
    ({"num_ctx": -5}, "'num_ctx' must be between"),
    ({"temperature": float("nan")}, "'temperature' must be between 0 and 100, got nan"),
    ({"temperature": "1e400"}, "got inf"),
    ({"top_p": 1.5}, "'top_p' must be between 0 and 1"),
    ({"seed": 10**30}, "'seed' must be between"),
    ({"top_k": "many"}, "'top_k' must be an integer"),
    ({"top_k": 1.5}, "'top_k' must be an integer"),
    ({"num_predict": "9" * 5000}, "'num_predict' must be an integer"),
    ({"stop": 5}, "'stop' must be a string or a list of strings"),
    ({"stop": ["x"] * 100}, "at most 16 strings"),
    ({"mirostat": [1]}, "'mirostat' must be an integer"),
])
def test_bad_option_values_are_refused_by_name(options, message):
    with pytest.raises(OptionsError, match=message.replace("(", r"\(")):
        coerce_options(options)


def test_good_values_are_cast():
    assert coerce_options({"num_ctx": 2048.0, "temperature": "0.5", "stop": "END", "seed": -1, "x": 1}) == \
        ({"num_ctx": 2048, "temperature": 0.5, "stop": ["END"], "seed": -1}, ["x"])
