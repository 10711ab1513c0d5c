"""OCR with Tesseract, for scanned PDF pages and images (`IMAGES`: .png, .jpg, .tif, .bmp, .webp).

Tesseract runs as the `tesseract` program (Debian: `apt install tesseract-ocr` with the
`tesseract-ocr-nor`, `-swe`, `-dan`, `-deu`, `-pol`, `-ita`, `-eng` packs), reading the image on
stdin, with every one of those languages it has installed. Without it, such files are listed as
skipped with the command that installs it. A multi-page TIFF keeps its page numbers.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from . import Block, Unsupported, paragraphs

LANGUAGES = ("nor", "swe", "dan", "deu", "pol", "ita", "eng")
PAGE_SECONDS = 120
INSTALL = ("apt install tesseract-ocr " + " ".join(f"tesseract-ocr-{code}" for code in LANGUAGES))


@lru_cache(maxsize=1)
def languages() -> str | None:
    """The `-l` argument: the wanted languages Tesseract has, or None when it is not installed."""
    program = shutil.which("tesseract")
    if program is None:
        return None
    listed = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=30)
    have = set(listed.stdout.split())
    chosen = [code for code in LANGUAGES if code in have]
    return "+".join(chosen) if chosen else None


def read(image: bytes, name: str) -> list[str]:
    """The text of each page of an image (a TIFF may hold several)."""
    langs = languages()
    if langs is None:
        raise Unsupported(f"{name}: has no text layer and needs OCR: {INSTALL}")
    try:
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", langs], input=image, capture_output=True,
                              timeout=PAGE_SECONDS)
    except subprocess.TimeoutExpired:
        raise Unsupported(f"{name}: OCR took longer than {PAGE_SECONDS} s") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise Unsupported(f"{name}: OCR failed ({detail[0]})")
    return done.stdout.decode(errors="replace").split("\f")


def extract(path: Path) -> list[Block]:
    """An image file's text; pages of a multi-page TIFF are numbered."""
    pages = read(path.read_bytes(), path.name)
    numbered = len([p for p in pages if p.strip()]) > 1
    blocks = [b for number, text in enumerate(pages, start=1)
              for b in paragraphs(text, page=number if numbered else None)]
    if not blocks:
        raise Unsupported(f"{path.name}: OCR found no text in the image")
    return blocks
