"""Downloads that do not lose work: resume from the partial file, retry with backoff, verify sha256.

A download goes to `<dest>.partial`; a restart sends a Range request for the missing bytes; the
file is renamed into place only when its sha256 matches. Partials are never pruned silently.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ..errors import DownloadError, IntegrityError

Progress = Callable[[int, int], None]  # (completed bytes, total bytes)
CHUNK = 1024 * 1024


def _hash_prefix(path: Path) -> tuple[Any, int]:
    h = hashlib.sha256()
    size = 0
    if path.exists():
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
    return h, size


class _Retry:
    """Waits between attempts, doubling from 1 s to 30 s; the last failure becomes a DownloadError."""

    def __init__(self, url: str, attempts: int) -> None:
        self.url = url
        self.attempts = attempts
        self.delay = 1.0

    def failed(self, attempt: int, exc: Exception) -> None:
        if attempt == self.attempts:
            raise DownloadError(f"download of {self.url} failed after {self.attempts} attempts: {exc}") from None
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, 30.0)


def download_file(client: httpx.Client, url: str, dest: Path, *, sha256: str | None = None,
                  progress: Progress | None = None, attempts: int = 5) -> Path:
    """Fetch `url` into `dest`, resuming a previous partial download."""
    if dest.exists() and sha256 is None:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    h, have = _hash_prefix(partial)
    retry = _Retry(url, attempts)
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
            retry.failed(attempt, exc)
    if sha256 is not None and h.hexdigest() != sha256:
        partial.unlink(missing_ok=True)
        raise IntegrityError(f"{dest.name}: sha256 mismatch (expected {sha256}, got {h.hexdigest()})")
    os.replace(partial, dest)
    return dest


def http_client() -> httpx.Client:
    """An httpx client that honours proxies and CA bundles from the environment."""
    return httpx.Client(timeout=httpx.Timeout(60.0, connect=20.0), trust_env=True)


class _Bandwidth:
    """A token bucket shared by the parts of one download (bytes per second; 0 = unlimited)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.lock = threading.Lock()
        self.allowance = float(rate)
        self.last = time.monotonic()

    def take(self, n: int) -> None:
        if self.rate <= 0:
            return
        with self.lock:
            now = time.monotonic()
            self.allowance = min(self.rate, self.allowance + (now - self.last) * self.rate) - n
            self.last = now
            wait = -self.allowance / self.rate if self.allowance < 0 else 0.0
        if wait:
            time.sleep(wait)


def download_parts(client: httpx.Client, url: str, dest: Path, *, digest: str, size: int,
                   headers: dict[str, str] | None = None, parts: int = 4, progress: Progress | None = None,
                   max_bandwidth: int = 0, attempts: int = 8, part_size_min: int = 8 * 1024 * 1024) -> Path:
    """Fetch a blob of known size in parallel ranged parts, resumable across process restarts.

    Bytes go to `<dest>.partial` at their offsets; `<dest>.partial.json` records each part's
    progress, so a restarted pull asks only for what is missing. The file is renamed to `dest`
    only after its sha256 matches `digest`.
    """
    expected = digest.split(":", 1)[-1]
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    state_path = dest.with_name(dest.name + ".partial.json")
    plan = _load_plan(state_path, size)
    if plan is None:
        count = max(1, min(parts, size // part_size_min or 1))
        step = -(-size // count)
        plan = [{"offset": o, "size": min(step, size - o), "done": 0} for o in range(0, size, step)] or \
            [{"offset": 0, "size": 0, "done": 0}]
    remaining = sum(p["size"] - p["done"] for p in plan)
    free = shutil.disk_usage(dest.parent).free
    if remaining > free:
        raise DownloadError(f"not enough disk space: {remaining / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free "
                            f"in {dest.parent}")
    fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
    lock = threading.Lock()
    bucket = _Bandwidth(max_bandwidth)
    failures: list[BaseException] = []

    def save() -> None:
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"size": size, "parts": plan}))
        os.replace(tmp, state_path)

    def report() -> None:
        if progress:
            progress(sum(p["done"] for p in plan), size)

    def fetch(part: dict[str, int]) -> None:
        retry = _Retry(url, attempts)
        for attempt in range(1, attempts + 1):
            start = part["offset"] + part["done"]
            end = part["offset"] + part["size"] - 1
            if start > end:
                return
            try:
                request_headers = {**(headers or {}), "Range": f"bytes={start}-{end}"}
                with client.stream("GET", url, headers=request_headers, follow_redirects=True) as response:
                    if response.status_code != 206:
                        raise DownloadError(f"{url} does not serve byte ranges (answered {response.status_code})")
                    for chunk in response.iter_bytes(CHUNK):
                        chunk = chunk[: end + 1 - (part["offset"] + part["done"])]
                        bucket.take(len(chunk))
                        os.pwrite(fd, chunk, part["offset"] + part["done"])
                        with lock:
                            part["done"] += len(chunk)
                            save()
                        report()
                        retry.delay = 1.0  # progress resets the backoff
                if part["done"] >= part["size"]:
                    return
            except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
                retry.failed(attempt, exc)
            else:  # the server closed the connection before the part's last byte
                retry.failed(attempt, DownloadError(f"the part at byte {part['offset']} stopped short"))

    def run(part: dict[str, int]) -> None:
        try:
            fetch(part)
        except OSError as exc:
            failures.append(_disk_error(exc, dest.parent))
        except BaseException as exc:
            failures.append(exc)

    try:
        with lock:
            save()
        workers = [threading.Thread(target=run, args=(p,), daemon=True) for p in plan if p["done"] < p["size"]]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        os.fsync(fd)
    finally:
        os.close(fd)
    if failures:
        raise failures[0]
    h = hashlib.sha256()
    with open(partial, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    if h.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        state_path.unlink(missing_ok=True)
        raise IntegrityError(f"digest mismatch for {dest.name}: expected sha256:{expected}, got sha256:{h.hexdigest()}")
    os.replace(partial, dest)
    state_path.unlink(missing_ok=True)
    return dest


def _disk_error(exc: OSError, folder: Path) -> Exception:
    """A full disk (or quota) mid-download, said so; what was written stays for the next pull to resume."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return exc
    return DownloadError(f"the disk is full: {shutil.disk_usage(folder).free / 1e6:.0f} MB free in {folder}; "
                         "free some space and pull again (it resumes where it stopped)")


def _load_plan(path: Path, size: int) -> list[dict[str, int]] | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if state.get("size") != size or not isinstance(state.get("parts"), list):
        return None
    return [dict(p) for p in state["parts"]]
