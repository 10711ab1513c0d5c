"""DOCX with python-docx (MIT): headings from paragraph styles, tables row by row, hidden runs dropped."""

from __future__ import annotations

from pathlib import Path

from . import Block


def _visible_text(paragraph) -> str:  # type: ignore[no-untyped-def]
    return "".join(run.text for run in paragraph.runs if not run.font.hidden) if paragraph.runs else paragraph.text


def extract(path: Path) -> list[Block]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = " ".join(_visible_text(item).split())
            style = (item.style.name if item.style is not None else "") or ""
            if style.startswith("Heading") or style == "Title":
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                blocks.append(Block(text, "heading", level=level))
            elif text:
                blocks.append(Block(text))
        elif isinstance(item, Table):
            rows = [" | ".join(" ".join(cell.text.split()) for cell in row.cells) for row in item.rows]
            if rows:
                blocks.extend(Block(row, "row", header=rows[0]) for row in rows[1:])
    return blocks
