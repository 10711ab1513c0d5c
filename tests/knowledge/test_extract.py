from pathlib import Path

import pytest

from lokal.knowledge.chunk import LIMIT, chunk
from lokal.knowledge.extract import Block, Unsupported, extract

from .files import CSV, HTML, MARKDOWN, make_docx, make_pdf


def texts(blocks: list[Block]) -> str:
    return "\n".join(b.text for b in blocks)


def test_pdf_blocks_keep_their_page(tmp_path: Path):
    blocks = extract(make_pdf(tmp_path / "r.pdf"))
    pages = {b.page for b in blocks if "crane" in b.text}
    assert pages == {2}
    assert {b.page for b in blocks} == {1, 2, 3}


def test_docx_headings_tables_and_hidden_runs(tmp_path: Path):
    blocks = extract(make_docx(tmp_path / "o.docx"))
    assert blocks[0].kind == "heading" and blocks[0].text == "Onboarding"
    assert "SECRET" not in texts(blocks) and "Visible part." in texts(blocks)
    rows = [b for b in blocks if b.kind == "row"]
    assert [r.text for r in rows] == ["Laptop | IT desk", "Badge | Reception"]
    assert all(r.header == "Item | Owner" for r in rows)


def test_html_drops_what_a_browser_would_not_show(tmp_path: Path):
    (tmp_path / "k.html").write_text(HTML)
    text = texts(extract(tmp_path / "k.html"))
    assert "Kantinen serverer lunsj" in text and "Zerowidth" in text
    for invisible in ("hidden instructions", "also hidden", "alert", "color: red", "\u200b"):
        assert invisible not in text


def test_markdown_headings_and_table_rows(tmp_path: Path):
    (tmp_path / "t.md").write_text(MARKDOWN)
    blocks = extract(tmp_path / "t.md")
    assert [b.text for b in blocks if b.kind == "heading"] == ["Travel policy", "Flights", "Hotels"]
    rows = [b for b in blocks if b.kind == "row"]
    assert len(rows) == 2 and rows[0].header == "| City | Max rate per night |"


def test_csv_rows_carry_the_header(tmp_path: Path):
    (tmp_path / "p.csv").write_text(CSV)
    rows = extract(tmp_path / "p.csv")
    assert rows[0].text == "Kari Nordmann | Oslo | 555-0101" and rows[0].header == "name | office | phone"


def test_unsupported_and_broken_files_say_why(tmp_path: Path):
    (tmp_path / "x.mp3").write_bytes(b"ID3")
    with pytest.raises(Unsupported, match="not a supported type"):
        extract(tmp_path / "x.mp3")
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n")  # an image goes to OCR, which says what failed
    with pytest.raises(Unsupported, match="x.png: (OCR failed|has no text layer and needs OCR)"):
        extract(tmp_path / "x.png")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(Unsupported, match="bad.pdf"):
        extract(tmp_path / "bad.pdf")
    (tmp_path / "bin.txt").write_bytes(b"abc\x00def")
    with pytest.raises(Unsupported, match="binary"):
        extract(tmp_path / "bin.txt")


def test_chunks_keep_headings_pages_and_table_headers():
    rows = [Block(f"row {i} | " + "x" * 80, "row", header="col A | col B") for i in range(40)]
    long = Block(" ".join(f"Sentence number {i} is here." for i in range(200)), page=1)
    blocks = [Block("Guide", "heading", level=1), Block("Intro text.", page=1), long,
              Block("Prices", "heading", level=2), *rows, Block("Next page text.", page=2)]
    chunks = chunk(blocks)
    assert all(len(c.text) <= LIMIT + 200 for c in chunks)
    table = [c for c in chunks if c.text.startswith("col A | col B")]
    assert len(table) > 1, "a long table spans several chunks"
    assert sum(c.text.count("row ") for c in table) == 40, "every row exactly once, never split"
    assert all(c.headings == ["Guide", "Prices"] for c in table)
    intro = [c for c in chunks if c.headings == ["Guide"]]
    assert len(intro) > 2 and intro[0].text.startswith("Intro text.")
    assert intro[0].text.endswith(intro[1].text.split("\n\n")[0]), "consecutive chunks overlap by a sentence"
    assert chunks[-1].page == 2 and chunks[-1].text == "Next page text."
