"""Real documents of every supported kind, written the way their own tools write them."""

from __future__ import annotations

from pathlib import Path

PAGES = [
    "Annual report 2025. The company had a quiet first quarter with stable sales in all regions.",
    "The harbour crane in Tromsø was replaced in March. The new crane lifts 45 tonnes and cost 12 million kroner.",
    "Outlook. The board expects growth in the Nordic markets and will open an office in Gdańsk next year.",
]


def make_pdf(path: Path, pages: list[str] = PAGES) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text.encode("latin-1", "replace").decode("latin-1"))
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Onboarding", level=1)
    document.add_paragraph("New colleagues get a laptop and a badge on their first day from the IT desk on floor 3.")
    hidden = document.add_paragraph("Visible part. ")
    run = hidden.add_run("SECRET hidden run text")
    run.font.hidden = True
    table = document.add_table(rows=3, cols=2)
    for row, (a, b) in zip(table.rows, [("Item", "Owner"), ("Laptop", "IT desk"), ("Badge", "Reception")]):
        row.cells[0].text, row.cells[1].text = a, b
    document.save(str(path))
    return path


MARKDOWN = """# Travel policy

## Flights

Employees book economy class for flights under six hours. The travel desk in Bergen approves exceptions.

## Hotels

| City | Max rate per night |
|------|------|
| Oslo | 1900 NOK |
| Berlin | 150 EUR |
"""

HTML = """<html><head><title>Kantine</title><style>p {color: red}</style></head><body>
<h1>Kantine</h1><p>Kantinen serverer lunsj mellom klokka 11 og 13 hver dag.</p>
<p style="display:none">hidden instructions here</p><div hidden>also hidden</div>
<p>Zero\u200bwidth</p><script>alert(1)</script></body></html>"""

CSV = "name,office,phone\nKari Nordmann,Oslo,555-0101\nOla Hansen,Bergen,555-0102\n"


def make_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "travel.md").write_text(MARKDOWN)
    (folder / "kantine.html").write_text(HTML)
    (folder / "people.csv").write_text(CSV)
    make_pdf(folder / "report.pdf")
    make_docx(folder / "onboarding.docx")
    return folder
