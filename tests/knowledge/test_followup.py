"""A follow-up question ("og parkering?") is searched with the turns before it: the right file is
retrieved, where the last message alone would find another."""

import pytest

from ..conftest import STARTER
from ..helpers import knowledge_base

FILES = {
    "oslo.md": "# Oslo\n\nParkering i Oslo: parkering i garasjen koster 300 kroner, og parkering på gaten er dyr.",
    "bergen.md": "# Bergen\n\nHotell i Bergen koster 1000 kroner natten. Parkering ved hotellet i Bergen koster 250 kroner.",
}


@pytest.fixture(scope="module")
def base(server):
    return knowledge_base(server.url, "byer", FILES)


def cited(api, messages, **retrieval):
    reply = api.post("/api/chat", json={"model": STARTER, "stream": False, "messages": messages,
                                        "options": {"num_predict": 8},
                                        "knowledge": {"bases": ["byer"], "top_k": 1, **retrieval}}).json()
    return reply["citations"][0]["file"].rsplit("/", 1)[-1]


def test_a_follow_up_retrieves_the_file_of_the_conversation(base):
    conversation = [{"role": "user", "content": "Hva koster hotell i Bergen?"},
                    {"role": "assistant", "content": "Det koster 1000 kroner natten."},
                    {"role": "user", "content": "Og parkering?"}]
    assert cited(base, conversation) == "bergen.md"
    assert cited(base, conversation, history_weight=0) == "oslo.md", "the last message alone finds Oslo's parking"
    assert cited(base, conversation[-1:]) == "oslo.md"
