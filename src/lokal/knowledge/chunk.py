"""Chunking by structure: headings, paragraphs and pages, near a target size, with modest overlap.

A chunk never crosses a page (its citation names one page) or a heading (it keeps its heading
path). Paragraphs are packed up to `TARGET` characters; a paragraph longer than `LIMIT` is cut at
sentence ends (code at line ends). The next chunk in a section starts with the last sentence of the
previous one when that is at most `OVERLAP` characters. Table rows are never split, and each chunk
holding rows starts with the table's header line.

Offsets are character positions in the document's text: its blocks joined by blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .extract import Block

TARGET, LIMIT, OVERLAP = 900, 1100, 200
SEP = "\n\n"
SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+(?=\S)")


@dataclass
class Chunk:
    text: str
    page: int | None = None
    headings: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0

    @property
    def heading(self) -> str:
        return " › ".join(self.headings)

    def indexed_text(self) -> str:
        """What keyword search and the embedder see: the heading path, then the text."""
        return f"{self.heading}\n{self.text}" if self.headings else self.text


def _pieces(block: Block) -> Iterator[str]:
    """The block as units no longer than LIMIT (text at sentence ends, code at line ends)."""
    if len(block.text) <= LIMIT or block.kind == "row":
        yield block.text
        return
    parts = block.text.split("\n") if block.kind == "code" else SENTENCE_END.split(block.text)
    joiner = "\n" if block.kind == "code" else " "
    current = ""
    for part in parts:
        while len(part) > LIMIT:  # one endless sentence: cut at a space near the target
            cut = part.rfind(" ", 0, TARGET)
            cut = cut if cut > TARGET // 2 else TARGET
            if current:
                yield current
                current = ""
            yield part[:cut]
            part = part[cut:].lstrip()
        if current and len(current) + len(part) + 1 > TARGET:
            yield current
            current = part
        else:
            current = f"{current}{joiner}{part}" if current else part
    if current:
        yield current


def _tail(text: str) -> str:
    """The last sentence of a chunk when it is short enough to repeat as overlap."""
    sentences = SENTENCE_END.split(text)
    last = sentences[-1] if len(sentences) > 1 else ""
    return last if 0 < len(last) <= OVERLAP else ""


def chunk(blocks: list[Block]) -> list[Chunk]:
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []
    parts: list[str] = []
    start = end = 0
    page: int | None = None
    header = ""  # the table header the current chunk holds rows of
    offset = 0

    def flush(overlap: bool = False) -> None:
        nonlocal parts, header, start
        if parts and any(p != header for p in parts):
            chunks.append(Chunk(SEP.join(parts) if not header else "\n".join(parts), page,
                                [h for _, h in headings], start, end))
        tail = _tail(parts[-1]) if overlap and parts and not header else ""
        parts, header = ([tail] if tail else []), ""
        start = end - len(tail) if tail else start

    for block in blocks:
        block_start = offset
        offset += len(block.text) + len(SEP)
        if block.kind == "heading":
            flush()
            headings = [(level, text) for level, text in headings if level < block.level] + [(block.level, block.text)]
            continue
        if block.page != page:
            flush()
            page = block.page
        if block.kind == "row":
            if header != block.header or (parts and sum(map(len, parts)) + len(block.text) > TARGET):
                flush()
                header, parts, start = block.header, [block.header] if block.header else [], block_start
            if not parts or parts == [header]:
                start = block_start
            parts.append(block.text)
            end = block_start + len(block.text)
            continue
        if header:
            flush()
        position = block_start
        for piece in _pieces(block):
            if parts and sum(map(len, parts)) + len(piece) > TARGET:
                flush(overlap=True)
            if not parts:
                start = position
            parts.append(piece)
            end = position + len(piece)
            position = end + 1
    flush()
    return chunks
