"""Content-addressed blobs: `blobs/sha256-<hex>`, written to a temp file, hashed, then renamed.

A blob is only ever visible under its name once its bytes hash to that name, so a crash mid-write
leaves at most a `.partial` file behind and never a wrong blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from ..errors import BadRequestError, IntegrityError, NotFoundError

_DIGEST = re.compile(r"^sha256[:-]([0-9a-f]{64})$")
CHUNK = 1024 * 1024


def normalize_digest(digest: str) -> str:
    """`sha256:<hex>` from either `sha256:<hex>` or `sha256-<hex>`; anything else is an error."""
    match = _DIGEST.match(digest.strip())
    if not match:
        raise BadRequestError(f"invalid digest {digest!r}: expected sha256:<64 hex digits>")
    return f"sha256:{match.group(1)}"


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return f"sha256:{h.hexdigest()}"


class BlobStore:
    """The `blobs/` directory of a model store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / normalize_digest(digest).replace(":", "-")

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def digests(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name.replace("-", ":", 1) for p in self.root.glob("sha256-*") if _DIGEST.match(p.name)]

    def writer(self) -> BlobWriter:
        """An incremental writer: feed chunks, then commit (verifying a digest) or abort."""
        self.root.mkdir(parents=True, exist_ok=True)
        return BlobWriter(self)

    def write_stream(self, chunks: Iterable[bytes], expected: str | None = None) -> tuple[str, int]:
        """Store bytes from an iterable; returns (digest, size). Verifies `expected` when given."""
        writer = self.writer()
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.commit(expected)

    def write_bytes(self, data: bytes) -> tuple[str, int]:
        return self.write_stream([data])

    def write_file(self, source: Path, progress: Callable[[int], None] | None = None) -> tuple[str, int]:
        """Copy a file in (hashing as it copies)."""
        def read() -> Iterable[bytes]:
            with open(source, "rb") as f:
                while chunk := f.read(CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk
        return self.write_stream(read())

    def write_from(self, reader: BinaryIO, expected: str | None = None) -> tuple[str, int]:
        return self.write_stream(iter(lambda: reader.read(CHUNK), b""), expected)

    def read_bytes(self, digest: str) -> bytes:
        path = self.path(digest)
        if not path.is_file():
            raise NotFoundError(f"blob {normalize_digest(digest)} is missing from the store")
        return path.read_bytes()

    def verify(self, digest: str) -> None:
        """Re-hash a blob; a blob whose bytes changed is an IntegrityError."""
        path = self.path(digest)
        if not path.is_file():
            raise NotFoundError(f"blob {normalize_digest(digest)} is missing from the store")
        actual = sha256_file(path)
        if actual != normalize_digest(digest):
            raise IntegrityError(
                f"blob {normalize_digest(digest)} is corrupt (its bytes hash to {actual}); "
                "remove the model and pull or create it again"
            )

    def remove(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)


class BlobWriter:
    """Writes one blob: a temp file hashed as it grows, renamed to its digest on commit."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.hash = hashlib.sha256()
        self.size = 0
        fd, self.tmp = tempfile.mkstemp(dir=store.root, prefix=".incoming-", suffix=".partial")
        self.file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.hash.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def commit(self, expected: str | None = None) -> tuple[str, int]:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            digest = f"sha256:{self.hash.hexdigest()}"
            if expected is not None and normalize_digest(expected) != digest:
                raise IntegrityError(f"digest mismatch: expected {normalize_digest(expected)}, got {digest}")
            os.replace(self.tmp, self.store.path(digest))
            return digest, self.size
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()
        Path(self.tmp).unlink(missing_ok=True)
