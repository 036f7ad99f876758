"""DOCX paragraphs that a converter or a paste broke mid-sentence, and that go on in the next one.

A PDF turned into Word, or text pasted into Word, often ends a Word paragraph where a printed line or a
page ended: "…并签署审" / "核意见，…", the page's end a section break between them. Word shows such a
paragraph as a reader sees a wrapped line: it fills its line (it ran to the right margin, or wrapped),
it stops with no closing punctuation, and the next paragraph, in the same style and type and set
flush where the first one's wrapped lines start (or at the text's left edge), carries the sentence on. What is set apart in any
way (centred or set right, indented, numbered, another style or size, opening with an item's
number, a blank paragraph between) is left to the other rules: a title, a list item, a signature, a
date, a label are never carried on here.
"""

from __future__ import annotations

import unicodedata

from docx.section import Section
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from indexer.ingest.paragraphs import ITEM_MARKER, SET_RIGHT

DEFAULT_MEASURE = 28  # characters a line holds where the section does not say (GB/T 9704's)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# a paragraph ending in one of these ends a sentence, a clause list or a label: it is whole
CLOSING = tuple("。！？；：!?;:…") + ("。”", "。’", "！”", "？”", "。）", "。)")
_FLUSH = ("left", "start", "both", None)  # aligned to the left edge: left, or justified (a full line's look)
_MARGIN_SLACK = 1.5  # a paragraph within this many characters of a full line ran to the margin
# a next paragraph starting within this many characters of the wrapped lines' edge, or of the text
# column's, is flush (a converter may set a one-line paragraph's left edge where its line started)
_FLUSH_SLACK = 0.5


def aligned(paragraph: Paragraph) -> str | None:
    """The paragraph's own alignment as Word stores it ("right", "end", "center", ...), else its style's;
    read from the XML, as LibreOffice writes values ("start", "end") python-docx has no name for."""
    for element in (paragraph._p, paragraph.style.element if paragraph.style is not None else None):
        found = element.find(f"{W}pPr/{W}jc") if element is not None else None
        if found is not None:
            return found.get(f"{W}val")
    return None


def goes_on(document, content: list[Paragraph | Table], numbered: list[bool], sizes: list[float | None],
            body: float) -> list[bool]:
    """For each block, whether it is a paragraph whose sentence goes on in the next paragraph (see the
    module's note); ``numbered``: whether Word numbers the block, ``sizes``: each paragraph's type
    size (None where not stated), ``body``: the body's size in points."""
    sections = _sections(document, content)
    found = [False] * len(content)
    for k, block in enumerate(content):
        following = _next_paragraph(content, k)
        if following is None or not isinstance(block, Paragraph):
            continue
        below = content[following]
        assert isinstance(below, Paragraph)
        text, rest = "".join(block.text.split()), below.text  # "…好吗？ ”" closes as "…好吗？”" does
        if not text or text.endswith(CLOSING) or numbered[following] or not rest.strip() or rest[:1].isspace():
            continue
        if ITEM_MARKER.match(rest) or sizes[k] != sizes[following] or _style(block) != _style(below):
            continue
        if aligned(block) not in _FLUSH or aligned(below) not in _FLUSH:
            continue
        size = Pt(sizes[k] or body)
        left, first, right = _indents(block)
        below_left, below_first, _ = _indents(below)
        below_start = below_left + below_first
        flush = abs(below_start - left) <= _FLUSH_SLACK * size or below_start <= _FLUSH_SLACK * size
        if left + max(first, 0) >= SET_RIGHT * size or not flush:
            continue
        measure = _measure(sections[k], size) - (left + right) / size
        found[k] = _width(text) + first / size >= measure - _MARGIN_SLACK
    return found


def _style(paragraph: Paragraph) -> str | None:
    return paragraph.style.style_id if paragraph.style is not None else None


def _next_paragraph(content: list[Paragraph | Table], k: int) -> int | None:
    """The index of the next block when it is a paragraph with text, past empty paragraphs that only
    end a page or a section; None at a table, a blank paragraph or the end."""
    for j in range(k + 1, len(content)):
        block = content[j]
        if not isinstance(block, Paragraph):
            return None
        if block.text.strip():
            return j
        if not _breaks_page(block):
            return None
    return None


def _breaks_page(paragraph: Paragraph) -> bool:
    """An empty paragraph that holds a section break or a page break: the page ends, nothing is set apart."""
    p = paragraph._p
    return p.find(f"{W}pPr/{W}sectPr") is not None or any(
        br.get(f"{W}type") == "page" for br in p.iter(f"{W}br")
    )


def _sections(document, content: list[Paragraph | Table]) -> list[Section | None]:
    """The section each block is in: a paragraph holding a section break ends its section."""
    body_sect = document.element.body.find(f"{W}sectPr")
    current = Section(body_sect, document.part) if body_sect is not None else None
    found: list[Section | None] = [None] * len(content)
    for k in range(len(content) - 1, -1, -1):
        block = content[k]
        if isinstance(block, Paragraph):
            sect = block._p.find(f"{W}pPr/{W}sectPr")
            if sect is not None:
                current = Section(sect, document.part)
        found[k] = current
    return found


def _measure(section: Section | None, size: int) -> float:
    """Characters of ``size`` (EMU) a line of the section's text column holds."""
    if section is None or not section.page_width or section.left_margin is None or section.right_margin is None:
        return DEFAULT_MEASURE
    return (section.page_width - section.left_margin - section.right_margin) / size


def _indents(paragraph: Paragraph) -> tuple[int, int, int]:
    """(left, first line, right) indents in EMU, the paragraph's own else its style's; a hanging
    indent is a negative first line."""
    values = []
    for name in ("left_indent", "first_line_indent", "right_indent"):
        value = getattr(paragraph.paragraph_format, name)
        if value is None and paragraph.style is not None:
            value = getattr(paragraph.style.paragraph_format, name)
        values.append(int(value or 0))
    return values[0], values[1], values[2]


def _width(text: str) -> float:
    """The text's width in characters of its size: a CJK character is one, Latin letters and digits half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)
