"""Downloads that do not lose work: resume from the partial file, retry with backoff, verify sha256.

A download goes to `<dest>.partial`; a restart sends a Range request for the missing bytes; the
file is renamed into place only when its sha256 matches. Partials are never pruned silently.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ..errors import DownloadError, IntegrityError

Progress = Callable[[int, int], None]  # (completed bytes, total bytes)
CHUNK = 1024 * 1024


def _hash_prefix(path: Path) -> tuple["hashlib._Hash", int]:
    h = hashlib.sha256()
    size = 0
    if path.exists():
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
    return h, size


def download_file(client: httpx.Client, url: str, dest: Path, *, sha256: str | None = None,
                  progress: Progress | None = None, attempts: int = 5) -> Path:
    """Fetch `url` into `dest`, resuming a previous partial download."""
    if dest.exists() and sha256 is None:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    h, have = _hash_prefix(partial)
    delay = 1.0
    for attempt in range(1, attempts + 1):
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
                if response.status_code == 416:  # nothing left to fetch
                    break
                if response.status_code >= 400:
                    raise DownloadError(f"{url} answered {response.status_code}")
                if have and response.status_code != 206:  # server ignored Range: start over
                    h, have = hashlib.sha256(), 0
                    partial.unlink(missing_ok=True)
                length = int(response.headers.get("content-length", 0))
                total = have + length if length else 0
                with open(partial, "ab") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        out.write(chunk)
                        h.update(chunk)
                        have += len(chunk)
                        if progress:
                            progress(have, max(total, have))
                    out.flush()
                    os.fsync(out.fileno())
            break
        except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
            if attempt == attempts:
                raise DownloadError(f"download of {url} failed after {attempts} attempts: {exc}") from None
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
    if sha256 is not None and h.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise IntegrityError(f"{dest.name}: sha256 mismatch (expected {sha256}, got {h.hexdigest()})")
    os.replace(partial, dest)
    return dest


def http_client() -> httpx.Client:
    """An httpx client that honours proxies and CA bundles from the environment."""
    return httpx.Client(timeout=httpx.Timeout(60.0, connect=20.0), trust_env=True)
