"""HTML with the standard library's parser: visible text only, headings, and tables with their header."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from . import Block, read_text

SKIP = {"script", "style", "template", "noscript", "head", "svg", "iframe", "object"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK = {"p", "div", "li", "section", "article", "blockquote", "pre", "dd", "dt", "figcaption", "main", "header",
         "footer", "nav", "aside", "ul", "ol", "dl", "form", "br", "hr", "table", "title"}
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])", re.I)


def _hidden(tag: str, attrs: dict[str, str | None]) -> bool:
    return (tag in SKIP or "hidden" in attrs or attrs.get("aria-hidden") == "true"
            or bool(HIDDEN_STYLE.search(attrs.get("style") or "")))


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.text: list[str] = []
        self.hidden_depth = 0  # > 0 while inside an invisible element
        self.stack: list[tuple[str, bool]] = []
        self.row: list[str] | None = None
        self.header = ""
        self.row_is_header = False

    def flush(self, kind: str = "text", level: int = 0) -> None:
        text = " ".join("".join(self.text).split())
        self.text = []
        if text:
            self.blocks.append(Block(text, kind, level=level))

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        hidden = _hidden(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, hidden))
        if hidden and tag not in VOID:
            self.hidden_depth += 1
        if self.hidden_depth:
            return
        if tag == "tr":
            self.flush()
            self.row, self.row_is_header = [], False
        elif tag in ("td", "th"):
            self.text = []
            self.row_is_header |= tag == "th"
        elif tag in BLOCK or re.fullmatch(r"h[1-6]", tag):
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:
            open_tag, hidden = self.stack.pop()
            if hidden:
                self.hidden_depth -= 1
                if not self.hidden_depth:
                    self.text = []
            if open_tag == tag:
                break
        if self.hidden_depth:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self.flush("heading", int(tag[1]))
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(" ".join("".join(self.text).split()))
            self.text = []
        elif tag == "tr" and self.row is not None:
            line = " | ".join(self.row)
            if self.row_is_header or not self.header:
                self.header = line
            else:
                self.blocks.append(Block(line, "row", header=self.header))
            self.row = None
        elif tag == "table":
            self.header = ""
        elif tag in BLOCK:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.text.append(data)


def extract(path: Path) -> list[Block]:
    parser = _Parser()
    parser.feed(read_text(path))
    parser.close()
    parser.flush()
    return parser.blocks
