"""Scanned PDFs and images, read by Tesseract: the text is found, and its page is cited."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from lokal.knowledge.extract import extract
from lokal.knowledge.extract.ocr import languages

from ..conftest import STARTER

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None or languages() is None,
    reason="Tesseract is not installed (apt install tesseract-ocr tesseract-ocr-nor …; .ci/run installs it)")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PAGES = ["Reiseregler for ansatte.\nAlle reiser skal godkjennes av lederen.",
         "Dagpenger.\nDagpengene for reiser i Norge er 150 kroner per døgn."]


def scan(text: str) -> object:
    """A page as a scanner makes it: an image of printed text, no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1240, 400), 255)
    ImageDraw.Draw(page).multiline_text((60, 60), text, fill=0, font=ImageFont.truetype(FONT, 40), spacing=20)
    return page


def scanned_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    for text in PAGES:
        pdf.add_page()
        pdf.image(scan(text), x=10, y=10, w=190)
    pdf.output(str(path))
    return path


def test_a_scanned_pdf_is_read_page_by_page(tmp_path):
    blocks = extract(scanned_pdf(tmp_path / "scan.pdf"))
    assert {b.page for b in blocks} == {1, 2}
    page2 = " ".join(b.text for b in blocks if b.page == 2)
    assert "150 kroner" in page2 and "Dagpengene" in page2


def test_images_are_read(tmp_path):
    scan(PAGES[1]).save(tmp_path / "lapp.png")
    scan(PAGES[0]).convert("RGB").save(tmp_path / "notat.jpg")
    assert "150 kroner" in " ".join(b.text for b in extract(tmp_path / "lapp.png"))
    assert "godkjennes" in " ".join(b.text for b in extract(tmp_path / "notat.jpg"))
    frames = [scan(text) for text in PAGES]
    frames[0].save(tmp_path / "both.tiff", save_all=True, append_images=frames[1:])
    pages = {b.page for b in extract(tmp_path / "both.tiff")}
    assert pages == {1, 2}, "a multi-page TIFF keeps its page numbers"


def test_the_answer_from_a_scanned_pdf_cites_page_2(server, tmp_path):
    api = httpx.Client(base_url=server.url, timeout=300)
    assert api.post("/api/knowledge", json={"name": "scans"}).status_code == 201
    data = scanned_pdf(tmp_path / "reise.pdf").read_bytes()
    assert api.put("/api/knowledge/scans/files/reise.pdf", content=data).status_code == 201
    assert api.post("/api/knowledge/scans/sync", json={"stream": False}).json()["added"]
    reply = api.post("/api/chat", json={"model": STARTER, "stream": False, "options": {"num_predict": 24},
                                        "messages": [{"role": "user", "content": "Hvor store er dagpengene i Norge?"}],
                                        "knowledge": {"bases": ["scans"], "top_k": 1}}).json()
    assert reply["citations"][0]["page"] == 2 and reply["citations"][0]["file"].endswith("reise.pdf")
