"""DOCX: paragraphs separated by a blank line, table rows one per line with cells joined by `` | ``.

A Word paragraph is a paragraph: each line ends with ``PARAGRAPH_END`` so the cleaner never glues a
signature or a date to the line before (``LINE_WRAP`` where a title goes on). The lines of a title set over several centred paragraphs
in one size larger than the body are one paragraph, as in a PDF's title block.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.paragraphs import LINE_WRAP, PARAGRAPH_END


def extract_docx(path: Path, data: bytes) -> tuple[list[str], str | None]:
    try:
        document = docx.Document(io.BytesIO(data))
        content = list(document.iter_inner_content())
        blocks = [_docx_block_text(block) for block in content]
        title = document.core_properties.title
        titled = _title_block_lines(content)
    except Exception as exc:  # not a ZIP, missing parts, malformed XML: all mean the same to the user
        raise UnreadableFile(path, f"not a readable DOCX: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(_ends(block, k in titled) for k, block in enumerate(blocks) if block.strip())
    if not text:
        raise UnreadableFile(path, "empty document: the DOCX has no text")
    return [text], nonblank(title)


def _docx_block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Paragraph):
        return block.text
    rows = []
    for row in block.rows:
        cells, previous = [], None
        for cell in row.cells:
            if cell._tc is not previous:  # a merged cell is listed once per grid column it spans
                cells.append(" ".join(p.text for p in cell.paragraphs if p.text.strip()))
            previous = cell._tc
        rows.append(" | ".join(cells))
    return "\n".join(rows)


def _ends(block: str, wraps: bool) -> str:
    """Every line of a block ends its paragraph, except a title line the next one carries on."""
    lines = block.split("\n")
    return "\n".join(line + (LINE_WRAP if wraps and k == len(lines) - 1 else PARAGRAPH_END) for k, line in enumerate(lines))


def _title_block_lines(content: list[Paragraph | Table]) -> set[int]:
    """Indexes of paragraphs whose title goes on in the next one: both centred, one size, larger
    than the body's."""
    looks = [_look(block) if isinstance(block, Paragraph) and block.text.strip() else None for block in content]
    sizes = [look[1] for look in looks if look and look[1]]
    if not sizes:
        return set()
    body = max(set(sizes), key=sizes.count)
    wrapping = set()
    for k in range(len(looks) - 1):
        here, below = looks[k], looks[k + 1]
        if here and below and here == below and here[0] and here[1] and here[1] > body:
            wrapping.add(k)
    return wrapping


def _look(paragraph: Paragraph) -> tuple[bool, float | None]:
    """(centred, font size in points) of a paragraph, from its own formatting or its style's."""
    style = paragraph.style
    alignment = paragraph.alignment
    if alignment is None and style is not None:
        alignment = style.paragraph_format.alignment
    size = next((run.font.size for run in paragraph.runs if run.text.strip() and run.font.size), None)
    if size is None and style is not None:
        size = style.font.size
    return alignment == WD_ALIGN_PARAGRAPH.CENTER, size.pt if size else None
