"""The README documents every setting and keeps exactly two fresh-machine commands, one of them CI's."""

import re
from pathlib import Path

from lokal.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    for setting in SETTINGS:
        assert f"`{setting.env}`" in README, f"{setting.env} is missing from README.md"


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```sh\n(python3 -m venv .*?)\n```", README)
    assert len(commands) == 2, "the README keeps exactly two fresh-machine commands"
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
