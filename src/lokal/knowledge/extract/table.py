"""CSV and TSV: every row is a block that carries the header line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from . import Block, read_text


def extract(path: Path) -> list[Block]:
    text = read_text(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else None
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    if not rows:
        return []
    header = " | ".join(c.strip() for c in rows[0])
    return [Block(" | ".join(c.strip() for c in row), "row", header=header) for row in rows[1:]]
