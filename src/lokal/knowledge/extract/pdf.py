"""PDF with pypdf (BSD): text page by page, so every block knows its page number. A page with no
text layer (a scan) is read by OCR from its images, and keeps its page number."""

from __future__ import annotations

from pathlib import Path

from . import Block, Unsupported, ocr, paragraphs


def extract(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unsupported(f"{path.name}: the PDF is encrypted")
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if not text.strip() and page.images:
                text = "\n\n".join(scanned(page, f"{path.name} page {number}"))
            blocks.extend(paragraphs(text, page=number))
    except PdfReadError as exc:
        raise Unsupported(f"{path.name}: not a readable PDF ({exc})") from exc
    if not blocks:
        raise Unsupported(f"{path.name}: the PDF has no text, not even by OCR")
    return blocks


def scanned(page: object, name: str) -> list[str]:
    """OCR of a page's images, largest first (a scan is usually one image per page)."""
    import io

    texts = []
    for image in sorted(page.images, key=lambda i: -len(i.data))[:4]:  # type: ignore[attr-defined]
        data = image.data
        if not image.name.lower().endswith((".jpg", ".jpeg", ".png", ".tif", ".tiff")):
            buffer = io.BytesIO()
            image.image.save(buffer, format="PNG")  # raw or Flate pixels: pypdf decodes them with Pillow
            data = buffer.getvalue()
        texts.extend(t for t in ocr.read(data, name) if t.strip())
    return texts
