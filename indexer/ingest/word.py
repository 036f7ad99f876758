"""DOCX: paragraphs separated by a blank line, table rows one per line with cells joined by `` | ``."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.limits import MAX_TABLE_COLUMNS


def extract_docx(path: Path, data: bytes) -> tuple[list[str], str | None]:
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_docx_block_text(block) for block in document.iter_inner_content()]
        title = document.core_properties.title
    except Exception as exc:  # not a ZIP, missing parts, malformed XML: all mean the same to the user
        raise UnreadableFile(path, f"not a readable DOCX: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(block for block in blocks if block.strip())
    if not text:
        raise UnreadableFile(path, "empty document: the DOCX has no text")
    return [text], nonblank(title)


def _docx_block_text(block: Paragraph | Table) -> str:
    if isinstance(block, Paragraph):
        return block.text
    rows = []
    for row in block.rows:
        if sum(tc.grid_span for tc in row._tr.tc_lst) > MAX_TABLE_COLUMNS:
            # python-docx lists a merged cell once per grid column: a declared span of 200,000,000
            # is a list that size; such a row is read cell by cell as stored
            stored = [_Cell(tc, block) for tc in row._tr.tc_lst]
            rows.append(" | ".join(" ".join(p.text for p in cell.paragraphs if p.text.strip()) for cell in stored))
            continue
        cells, previous = [], None
        for cell in row.cells:
            if cell._tc is not previous:  # a merged cell is listed once per grid column it spans
                cells.append(" ".join(p.text for p in cell.paragraphs if p.text.strip()))
            previous = cell._tc
        rows.append(" | ".join(cells))
    return "\n".join(rows)

