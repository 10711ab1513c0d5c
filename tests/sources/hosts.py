"""Stand-ins for an Ollama registry and the Hugging Face Hub, on 127.0.0.1, following their protocols.

Registry: `GET /v2/<ns>/<model>/manifests/<tag>`, `GET /v2/<ns>/<model>/blobs/<digest>` → 307 to
blob storage. Hub: `GET /api/models/<org>/<repo>/revision/<rev>?blobs=true` (model info with
siblings and LFS sha256), `GET /<org>/<repo>/resolve/<rev>/<file>` → 302 to a CDN URL with ETag.
Blob storage serves Range requests. Faults on request: drop the connection every N bytes,
corrupt one byte, throttle; every byte sent is counted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GO_CHATML = ("{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}{{ if .Prompt }}<|im_start|>user\n"
             "{{ .Prompt }}<|im_end|>\n{{ end }}<|im_start|>assistant\n{{ .Response }}<|im_end|>\n")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ModelHost:
    def __init__(self, gguf: Path, *, drop_every: int = 0, corrupt: bool = False, throttle: float = 0.0,
                 token: str | None = None, projector: Path | None = None) -> None:
        self.gguf = gguf.read_bytes()
        self.projector = projector.read_bytes() if projector else None
        self.gguf_digest = digest_of(self.gguf)
        self.drop_every, self.corrupt, self.throttle, self.token = drop_every, corrupt, throttle, token
        self.bytes_served = 0
        self.gguf_served = 0  # bytes of the GGUF blob alone, for requests made since `reset()`
        self.epoch = 0
        self.requests: list[str] = []
        small = {"template": GO_CHATML.encode(), "params": json.dumps({"stop": ["<|im_end|>"]}).encode(),
                 "license": b"Apache-2.0", "system": b"You are a helpful assistant."}
        self.blobs: dict[str, bytes] = {self.gguf_digest: self.gguf}
        layers = [{"mediaType": "application/vnd.ollama.image.model", "digest": self.gguf_digest, "size": len(self.gguf)}]
        for kind, data in small.items():
            self.blobs[digest_of(data)] = data
            layers.append({"mediaType": f"application/vnd.ollama.image.{kind}", "digest": digest_of(data), "size": len(data)})
        if self.projector:
            self.blobs[digest_of(self.projector)] = self.projector
            layers.append({"mediaType": "application/vnd.ollama.image.projector", "digest": digest_of(self.projector),
                           "size": len(self.projector)})
        config = json.dumps({"model_format": "gguf"}).encode()
        self.blobs[digest_of(config)] = config
        self.manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                         "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                    "digest": digest_of(config), "size": len(config)}, "layers": layers}
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def send_json(self, value: Any, status: int = 200) -> None:
                body = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def redirect(self, location: str, status: int = 307, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Location", location)
                if etag:
                    self.send_header("ETag", f'"{etag}"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                host.requests.append(self.path)
                path = self.path.split("?")[0]
                parts = path.strip("/").split("/")
                if host.token and not path.startswith(("/storage/", "/cdn/")) and \
                        self.headers.get("Authorization") != f"Bearer {host.token}":
                    self.send_json({"error": "Access to model is restricted"}, 401)
                elif parts[0] == "v2" and len(parts) == 5 and parts[3] == "manifests":
                    if parts[2] == "smollm2":
                        self.send_json(host.manifest)
                    else:
                        self.send_json({"errors": [{"code": "MANIFEST_UNKNOWN"}]}, 404)
                elif parts[0] == "v2" and len(parts) == 5 and parts[3] == "blobs":
                    self.redirect(f"/storage/{parts[4]}")
                elif parts[:2] == ["api", "models"] and len(parts) == 6 and parts[4] == "revision":
                    if parts[3] != "SmolLM2-135M-Instruct-GGUF":
                        self.send_json({"error": "Repository not found"}, 404)
                        return
                    sha = host.gguf_digest[7:]
                    siblings = [
                        {"rfilename": "README.md", "size": 10},
                        {"rfilename": "SmolLM2-135M-Instruct.Q4_1.gguf", "size": len(host.gguf),
                         "lfs": {"sha256": sha, "size": len(host.gguf)}},
                        {"rfilename": "SmolLM2-135M-Instruct.Q8_0.gguf", "size": 1,
                         "lfs": {"sha256": "0" * 64, "size": 1}},
                    ]
                    if host.projector:
                        siblings += [{"rfilename": "mmproj-SmolLM2-135M-Q8_0.gguf", "size": 1,
                                      "lfs": {"sha256": "1" * 64, "size": 1}},
                                     {"rfilename": "mmproj-SmolLM2-135M-F16.gguf", "size": len(host.projector),
                                      "lfs": {"sha256": digest_of(host.projector)[7:], "size": len(host.projector)}}]
                    self.send_json({"id": f"{parts[2]}/{parts[3]}", "sha": "abc", "siblings": siblings})
                elif len(parts) >= 5 and parts[2] == "resolve":
                    filename = parts[-1]
                    if filename == "SmolLM2-135M-Instruct.Q4_1.gguf":
                        self.redirect(f"/cdn/{host.gguf_digest}", 302, etag=host.gguf_digest[7:])
                    elif filename == "mmproj-SmolLM2-135M-F16.gguf" and host.projector:
                        self.redirect(f"/cdn/{digest_of(host.projector)}", 302, etag=digest_of(host.projector)[7:])
                    else:
                        self.send_json({"error": "Entry not found"}, 404)
                elif parts[0] in ("storage", "cdn") and len(parts) == 2 and parts[1] in host.blobs:
                    self.send_blob(host.blobs[parts[1]])
                else:
                    self.send_json({"error": "not found"}, 404)

            def send_blob(self, data: bytes) -> None:
                epoch = host.epoch
                if host.corrupt and len(data) > 1000:
                    data = data[:500] + bytes([data[500] ^ 0xFF]) + data[501:]
                start, end = 0, len(data) - 1
                if rng := self.headers.get("Range"):
                    first, _, last = rng.split("=")[1].partition("-")
                    start, end = int(first), int(last) if last else len(data) - 1
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(end - start + 1))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                sent, pos = 0, start
                while pos <= end:
                    chunk = data[pos:min(pos + 256 * 1024, end + 1)]
                    if host.drop_every and sent + len(chunk) > host.drop_every:
                        chunk = chunk[: host.drop_every - sent]
                        self.wfile.write(chunk)
                        host.bytes_served += len(chunk)
                        host.gguf_served += len(chunk) if len(data) == len(host.gguf) and epoch == host.epoch else 0
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(chunk)
                    host.bytes_served += len(chunk)
                    host.gguf_served += len(chunk) if len(data) == len(host.gguf) and epoch == host.epoch else 0
                    sent += len(chunk)
                    pos += len(chunk)
                    if host.throttle:
                        time.sleep(host.throttle)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.address}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        """Count afresh; bytes that requests begun before still push into dead sockets are not counted."""
        self.epoch += 1
        self.gguf_served = self.bytes_served = 0

    def __enter__(self) -> ModelHost:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
