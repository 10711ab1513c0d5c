"""PDF with pypdf (BSD): text page by page, so every block knows its page number."""

from __future__ import annotations

from pathlib import Path

from . import Block, Unsupported, paragraphs


def extract(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unsupported(f"{path.name}: the PDF is encrypted")
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            blocks.extend(paragraphs(page.extract_text() or "", page=number))
    except PdfReadError as exc:
        raise Unsupported(f"{path.name}: not a readable PDF ({exc})") from exc
    if not blocks:
        raise Unsupported(f"{path.name}: the PDF has no text layer (scanned pages need OCR, which lokal does not do)")
    return blocks
