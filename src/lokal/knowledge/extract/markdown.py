"""Markdown: ATX headings, paragraphs, fenced code and pipe tables (header kept with every row)."""

from __future__ import annotations

import re
from pathlib import Path

from . import Block, read_text

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^(```|~~~)")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def extract(path: Path) -> list[Block]:
    text = re.sub(r"<!--.*?-->", "", read_text(path), flags=re.S)  # comments are invisible when rendered
    blocks: list[Block] = []
    paragraph: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")

    def flush() -> None:
        if paragraph:
            blocks.append(Block(" ".join(" ".join(paragraph).split())))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            flush()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(line[:3])), len(lines))
            blocks.append(Block("\n".join(lines[i + 1:end]), "code"))
            i = end + 1
            continue
        heading = HEADING.match(line)
        if heading:
            flush()
            blocks.append(Block(heading.group(2), "heading", level=len(heading.group(1))))
        elif "|" in line and i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]):
            flush()
            header = line.strip()
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                blocks.append(Block(lines[i].strip(), "row", header=header))
                i += 1
            continue
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
        i += 1
    flush()
    return blocks
