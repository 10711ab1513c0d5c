"""A real `lokal serve` on a free loopback port, with the SmolLM2 starter in its store."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def link_store(source_home: Path, home: Path) -> None:
    src = source_home / "models"
    for path in src.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            dest = home / "models" / path.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)


class LiveServer:
    """`python -m lokal serve` in a subprocess; stopped on exit."""

    def __init__(self, home: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = home
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOKAL_")},
                    "LOKAL_HOME": str(home), "LOKAL_HOST": f"127.0.0.1:{self.port}", "LOKAL_THREADS": "2",
                    "LOKAL_CONTEXT": "2048", **env}
        self.log = home / "serve.log"

    def __enter__(self) -> LiveServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "lokal", "serve"], env=self.env,
                                     stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log_file.close()
                raise AssertionError("server exited:\n" + self.log.read_text())
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("server did not start:\n" + self.log.read_text())

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


@pytest.fixture(scope="session")
def server(starter_home: Path, package_index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One shared server for the API tests (state changes stay under names the tests own)."""
    home = tmp_path_factory.mktemp("server-home")
    link_store(starter_home, home)
    with LiveServer(home, LOKAL_PACKAGE_INDEX=package_index.url) as live:
        yield live
