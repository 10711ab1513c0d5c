"""A small client for a running lokal's native API; the CLI's server commands go through it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from .config import Settings
from .errors import LokalError


class Client:
    def __init__(self, settings: Settings) -> None:
        headers = {"Authorization": f"Bearer {settings.api_keys[0]}"} if settings.api_keys else {}
        self.base_url = settings.base_url
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0, trust_env=False)

    def running(self) -> bool:
        """Whether a lokal server answers here (its /health, which is public and which Ollama lacks)."""
        try:
            response = self.http.get("/health", timeout=0.5)
            return response.status_code == 200 and response.json().get("status") == "ok"
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.ConnectError:
            raise LokalError(f"no lokal server at {self.base_url}: start one with `lokal serve`") from None
        if response.status_code >= 400:
            raise _error(response)
        return response.json() if response.content else None

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST and yield the NDJSON chunks; closing the iterator drops the connection (the server
        then stops generating)."""
        try:
            with self.http.stream("POST", path, json=body, timeout=httpx.Timeout(30.0, read=None)) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                for line in response.iter_lines():
                    if line.strip():
                        chunk = json.loads(line)
                        if "error" in chunk:
                            raise LokalError(str(chunk["error"]))
                        yield chunk
        except httpx.TransportError as exc:
            raise LokalError(f"lost the lokal server at {self.base_url}: {exc}") from None

    def close(self) -> None:
        self.http.close()


def _error(response: httpx.Response) -> LokalError:
    try:
        message = response.json().get("error", response.text)
    except ValueError:
        message = response.text
    error = LokalError(str(message))
    error.status = response.status_code
    return error
