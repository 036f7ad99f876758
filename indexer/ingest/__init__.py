"""Turn a file on disk into raw text, faithfully: decoding and extraction only, no cleaning.

One module per format (``pdf``, ``word``, ``webpage``, ``text``); ``files`` decides what is read
at all. Cleaning (CJK spacing, hard line breaks, running headers) belongs to
``indexer.gongwen.clean``, which needs to see the text as the file holds it. What this package
guarantees is that every failure is an ``UnreadableFile`` that names the file and says why, so a
folder ingest can report it and carry on with the next file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from indexer.ingest.files import FORMATS, SUPPORTED_SUFFIXES, check_file, iter_files, read_bytes
from indexer.ingest.pdf import extract_pdf
from indexer.ingest.text import decode_text
from indexer.ingest.webpage import extract_html
from indexer.ingest.word import extract_docx

__all__ = ["SUPPORTED_SUFFIXES", "Extracted", "check_file", "extract", "iter_files"]


@dataclass
class Extracted:
    """Raw text of one file: one string per PDF page, a single string for other formats."""

    pages: list[str]
    format: str  # pdf | txt | docx | html
    content_hash: str  # sha256 hex of the raw bytes
    title_hint: str | None = None  # title the file declares (PDF/DOCX properties, HTML <title>)


def extract(path: Path) -> Extracted:
    """Read one file and return its text; raises UnreadableFile for anything unusable."""
    path = Path(path)
    data = read_bytes(path)
    content_hash = hashlib.sha256(data).hexdigest()
    fmt = FORMATS[path.suffix.lower()]
    if fmt == "pdf":
        pages, title = extract_pdf(path, data)
    elif fmt == "docx":
        pages, title = extract_docx(path, data)
    elif fmt == "html":
        pages, title = extract_html(path, data)
    else:
        pages, title = [decode_text(path, data)], None
    return Extracted(pages=pages, format=fmt, content_hash=content_hash, title_hint=title)
