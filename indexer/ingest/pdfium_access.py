"""The one way into pdfium: a PDF opened while holding the process-wide pdfium lock.

pdfium keeps one library state per process and is not thread-safe, not even for different documents
(pypdfium2's documentation says so). The server reads PDFs from several threads at once (an upload
being indexed, 原文 page images, outlines), and two threads inside pdfium crash the whole process with
no traceback. Every pdfium call, including closing pages and freeing bitmaps, therefore happens
inside ``opened``; nothing pdfium owns outlives it (rendered pages leave as PIL copies).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2

_LOCK = threading.RLock()


@contextmanager
def opened(data: bytes) -> Iterator[pypdfium2.PdfDocument]:
    """The document, closed (with its pages) before the lock is released."""
    with _LOCK:
        document = pypdfium2.PdfDocument(data)
        try:
            yield document
        finally:
            document.close()


def render(document: pypdfium2.PdfDocument, index: int, scale: float):
    """Page ``index`` (0-based) as a PIL image that owns its pixels; call inside ``opened``."""
    page = document[index]
    try:
        bitmap = page.render(scale=scale)
        try:
            return bitmap.to_pil().copy()
        finally:
            bitmap.close()
    finally:
        page.close()


def page_size(data: bytes, index: int) -> tuple[float, float]:
    """(width, height) in points of page ``index`` (0-based)."""
    with opened(data) as document:
        page = document[index]
        try:
            return page.get_size()
        finally:
            page.close()


def page_count(data: bytes) -> int:
    with opened(data) as document:
        return len(document)
