"""A small client for a running lokal's native API; the CLI's server commands go through it."""

from __future__ import annotations

from typing import Any

import httpx

from .config import Settings
from .errors import LokalError


class Client:
    def __init__(self, settings: Settings) -> None:
        headers = {"Authorization": f"Bearer {settings.api_keys[0]}"} if settings.api_keys else {}
        self.base_url = settings.base_url
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0, trust_env=False)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.ConnectError:
            raise LokalError(f"no lokal server at {self.base_url}: start one with `lokal serve`") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("error", response.text)
            except ValueError:
                message = response.text
            error = LokalError(str(message))
            error.status = response.status_code
            raise error
        return response.json() if response.content else None
