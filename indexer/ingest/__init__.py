"""Turn a file on disk into raw text, faithfully: decoding, extraction and OCR only, no cleaning.

One module per format (``pdf``, ``ofd``, ``image``, ``word``, ``office``, ``webpage``, ``text``);
``files`` decides what is read at all, ``ocr`` reads page images, ``layout`` and ``paragraphs``
turn positioned text into lines. Readers that see the page (PDF, OFD, OCR) or the file's own
paragraphs (DOCX) end each line with a mark saying whether its paragraph ends there or wraps on
(``paragraphs.PARAGRAPH_END``, ``paragraphs.LINE_WRAP``); the lines themselves stay as the file
holds them. Cleaning (CJK spacing, joining lines, running headers) belongs to
``indexer.gongwen.clean``. What this package guarantees is that every failure is an
``UnreadableFile`` that names the file and says why, so a folder ingest can report it and carry
on with the next file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import UnreadableFile
from indexer.ingest.files import FORMATS, SUPPORTED_SUFFIXES, check_file, iter_files, read_bytes
from indexer.ingest.image import extract_image
from indexer.ingest.limits import check_text_size, check_zip
from indexer.ingest.ocr import OcrMode
from indexer.ingest.ofd import extract_ofd
from indexer.ingest.office import extract_via_docx, needs_conversion
from indexer.ingest.pdf import extract_pdf
from indexer.ingest.text import decode_text
from indexer.ingest.webpage import extract_html
from indexer.ingest.word import extract_docx
from indexer.models import OcrPage

PAGED_FORMATS = frozenset({"pdf", "ofd", "image"})

__all__ = ["PAGED_FORMATS", "SUPPORTED_SUFFIXES", "Extracted", "OcrMode", "check_file", "extract", "iter_files"]


@dataclass
class Extracted:
    """Raw text of one file: one string per page (PDF, OFD, image), a single string for other formats."""

    pages: list[str]
    format: str  # pdf | ofd | image | txt | docx | doc | wps | html
    content_hash: str  # sha256 hex of the raw bytes
    title_hint: str | None = None  # title the file declares (PDF/OFD/DOCX properties, HTML <title>)
    ocr_pages: list[OcrPage] = field(default_factory=list)  # the pages whose text came from OCR


def extract(path: Path, ocr: OcrMode = "auto") -> Extracted:
    """Read one file and return its text; raises UnreadableFile for anything unusable.

    ``ocr``: ``auto`` reads pages without a text layer by OCR, ``off`` never runs OCR (such pages
    are refused), ``force`` OCRs every PDF page even when it has a text layer. The caps of
    ``limits.current()`` hold for every format: zip expansion before parsing, pages before reading.
    """
    path = Path(path)
    data = read_bytes(path)
    content_hash = hashlib.sha256(data).hexdigest()
    fmt = FORMATS[path.suffix.lower()]
    if fmt in ("docx", "ofd"):
        check_zip(path, data)
    facts: list[OcrPage] = []
    if fmt == "pdf":
        pages, title, facts = extract_pdf(path, data, ocr)
    elif fmt == "ofd":
        pages, title, facts = extract_ofd(path, data, ocr)
    elif fmt == "image":
        pages, title, facts = extract_image(path, data, ocr)
    elif fmt in ("doc", "wps"):
        pages, title = extract_via_docx(path, data)
    elif fmt == "docx":
        pages, title = _docx(path, data)
    elif fmt == "html":
        pages, title = extract_html(path, data)
    else:
        pages, title = [decode_text(path, data)], None
    check_text_size(path, "".join(pages))
    return Extracted(pages=pages, format=fmt, content_hash=content_hash, title_hint=title, ocr_pages=facts)


def _docx(path: Path, data: bytes) -> tuple[list[str], str | None]:
    """python-docx first; a Word 97 or WPS file under a .docx name goes through LibreOffice."""
    try:
        return extract_docx(path, data)
    except UnreadableFile as refused:
        if not needs_conversion(data):
            raise
        try:
            return extract_via_docx(path, data)
        except UnreadableFile as unconverted:
            raise UnreadableFile(path, f"{refused.reason}; read as a Word 97/WPS file: {unconverted.reason}") from None
