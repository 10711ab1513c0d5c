"""Fuzzing every route from lokal's own OpenAPI schema (schemathesis + hypothesis): no 5xx, ever.

Bodies that fit the schema and bodies that break it are generated per operation; half of those that
name a model name the real starter, so generation, embedding and the engine's own checks are fuzzed
too (a small context keeps each generation short). Bounded in examples, so it runs in CI.
"""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from ..conftest import STARTER
from ..helpers import LiveServer, link_store
from .test_hostile import BINDS, NETWORK

EXAMPLES = 25
KEEP = {"/api/delete"}  # never handed the starter's name: the rest of the run needs it


@pytest.fixture(scope="module")
def fuzzed(starter_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzzed")
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_CONTEXT="256", LOKAL_MAX_LOADED_MODELS="1") as live:
        yield live


def operations(live):
    schema = schemathesis.openapi.from_dict(httpx.get(live.url + "/openapi.json").json())
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if op.path not in NETWORK and (op.method.upper(), op.path) not in BINDS]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_route_answers_5xx_to_generated_requests(fuzzed, mode):
    failures: list[str] = []
    ops = operations(fuzzed)
    assert len(ops) > 40
    for op in ops:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode), real_model=st.booleans())
        def check(case, real_model):
            if real_model and isinstance(case.body, dict) and "model" in case.body and op.path not in KEEP:
                case.body["model"] = STARTER
            try:
                response = case.call(base_url=fuzzed.url, timeout=60)
            except Exception as exc:  # a dropped connection or a hang is a failure too
                failures.append(f"{op.method.upper()} {op.path}: {exc!r}")
                return
            if response.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path} {str(case.body)[:300]}: "
                                f"{response.status_code} {response.text[:300]}")

        try:
            check()
        except Unsatisfiable:  # nothing to break: no parameters and no body
            assert mode is GenerationMode.NEGATIVE
    assert fuzzed.proc.poll() is None, "the server died"
    assert not failures, "\n".join(failures[:20])
