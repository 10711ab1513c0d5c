"""Extraction: a file becomes a list of blocks (heading, text, table row, code) with page numbers.

One module per format; `extract()` picks by suffix. A file lokal cannot read raises `Unsupported`
with a reason the user sees. Invisible text is dropped here, once, for every format: zero-width and
other format characters always, and text the format itself marks hidden (HTML `hidden`,
`display:none`, `aria-hidden`; DOCX hidden runs).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import BadRequestError


class Unsupported(BadRequestError):
    """A file lokal does not extract; the message says why."""


@dataclass
class Block:
    text: str
    kind: str = "text"  # heading | text | row | code
    level: int = 0  # heading level, 1 = top
    page: int | None = None
    header: str = ""  # a table row's header line, repeated in every chunk holding its rows


_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u00ad]")


def visible(text: str) -> str:
    """Text without zero-width, bidi-control and other invisible format characters."""
    text = _INVISIBLE.sub("", text)
    if any(unicodedata.category(c) == "Cf" for c in text):
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text


def paragraphs(text: str, *, page: int | None = None, kind: str = "text") -> list[Block]:
    """Blank-line separated paragraphs; text with no blank lines splits at line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    return [Block(" ".join(p.split()) if kind == "text" else p.strip("\n"), kind, page=page)
            for p in parts if p.strip()]


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise Unsupported(f"{path.name}: binary content, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _load() -> dict[str, Callable[[Path], list[Block]]]:
    from . import docx, html, markdown, ocr, pdf, table

    readers: dict[str, Callable[[Path], list[Block]]] = {
        ".txt": lambda p: paragraphs(read_text(p)), ".text": lambda p: paragraphs(read_text(p)),
        ".md": markdown.extract, ".markdown": markdown.extract,
        ".html": html.extract, ".htm": html.extract, ".pdf": pdf.extract, ".docx": docx.extract,
        ".csv": table.extract, ".tsv": table.extract,
    }
    for suffix in CODE:
        readers[suffix] = lambda p: paragraphs(read_text(p), kind="code")
    for suffix in IMAGES:
        readers[suffix] = ocr.extract
    return readers


IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")  # read by OCR
CODE = (".py", ".js", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp",
        ".cs", ".rb", ".php", ".swift", ".scala", ".sh", ".sql", ".r", ".lua", ".pl", ".json", ".yaml", ".yml",
        ".toml", ".ini", ".cfg", ".xml", ".css", ".rst", ".tex")


def supported(path: Path) -> bool:
    return path.suffix.lower() in (".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx",
                                   ".csv", ".tsv", *CODE, *IMAGES)


def extract(path: Path) -> list[Block]:
    """The file's visible blocks; `Unsupported` when its type or content cannot be read."""
    reader = _load().get(path.suffix.lower())
    if reader is None:
        raise Unsupported(f"{path.name}: {path.suffix or 'files without a suffix'} is not a supported type "
                          "(txt, md, html, pdf, docx, csv, tsv, source code, images)")
    try:
        blocks = reader(path)
    except Unsupported:
        raise
    except Exception as exc:  # a broken file must not stop a sync; the reason is recorded per document
        raise Unsupported(f"{path.name}: could not be read ({type(exc).__name__}: {exc})") from exc
    cleaned = []
    for block in blocks:
        block.text = visible(block.text)
        block.header = visible(block.header)
        if block.text.strip():
            cleaned.append(block)
    return cleaned
