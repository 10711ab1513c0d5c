import pytest

from lokal.errors import BadRequestError, IntegrityError
from lokal.store.blobs import BlobStore


def test_blobs_are_content_addressed(tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    digest, size = blobs.write_bytes(b"hello")
    assert digest == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert size == 5
    assert blobs.path(digest).name == "sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert blobs.read_bytes(digest) == b"hello"


def test_a_wrong_expected_digest_writes_nothing(tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    with pytest.raises(IntegrityError, match="mismatch"):
        blobs.write_stream([b"hello"], expected="sha256:" + "0" * 64)
    assert list((tmp_path / "blobs").iterdir()) == []


def test_a_bad_digest_string_is_a_clear_error(tmp_path):
    with pytest.raises(BadRequestError, match="invalid digest"):
        BlobStore(tmp_path).path("md5:abc")
