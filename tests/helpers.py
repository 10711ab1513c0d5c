"""Small real servers for tests: a PEP 503 package index on 127.0.0.1, and `lokal serve` itself."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx


class PackageIndex:
    """Serves `/simple/<project>/` pages and wheel files with Range support; counts bytes served."""

    def __init__(self, projects: dict[str, list[Path]], *, corrupt: bool = False) -> None:
        self.projects = projects
        self.corrupt = corrupt
        self.bytes_served = 0
        self.ranges: list[str] = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                if parts[0] == "simple" and len(parts) == 2 and parts[1] in index.projects:
                    links = "".join(
                        f'<a href="/files/{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">{p.name}</a>\n'
                        for p in index.projects[parts[1]])
                    body = f"<html><body>{links}</body></html>".encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                files = {p.name: p for paths in index.projects.values() for p in paths}
                if parts[0] == "files" and len(parts) == 2 and parts[1] in files:
                    data = files[parts[1]].read_bytes()
                    if index.corrupt:
                        data = data[:-1] + bytes([data[-1] ^ 0xFF])
                    start = 0
                    if rng := self.headers.get("Range"):
                        index.ranges.append(rng)
                        start = int(rng.split("=")[1].split("-")[0])
                        self.send_response(206)
                        self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                    else:
                        self.send_response(200)
                    self.send_header("Content-Length", str(len(data) - start))
                    self.end_headers()
                    self.wfile.write(data[start:])
                    index.bytes_served += len(data) - start
                    return
                self.send_response(404)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PackageIndex:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def link_store(source_home: Path, home: Path) -> None:
    src = source_home / "models"
    for path in src.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            dest = home / "models" / path.relative_to(src)
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)


def knowledge_base(url: str, name: str, files: dict[str, str]) -> httpx.Client:
    """A knowledge base on a live server, made through its API from `files` (name → text), synced."""
    api = httpx.Client(base_url=url, timeout=300)
    assert api.post("/api/knowledge", json={"name": name}).status_code == 201
    for filename, text in files.items():
        assert api.put(f"/api/knowledge/{name}/files/{filename}", content=text.encode()).status_code == 201
    assert len(api.post(f"/api/knowledge/{name}/sync", json={"stream": False}).json()["added"]) == len(files)
    return api


class LiveServer:
    """`python -m lokal serve` in a subprocess; stopped on exit."""

    def __init__(self, home: Path, *args: str, **env: str) -> None:
        self.args = args
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
        self.proc = subprocess.Popen([sys.executable, "-m", "lokal", "serve", *self.args], env=self.env,
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
