"""The printed lines of one page with their boxes, from the same readers that made the page's text:
a PDF's text layer (pdfium character boxes), OCR of a page image, an OFD page's text codes.

The 原文 viewer draws a box around the lines a citation quotes; ``indexer.gongwen.pagemap`` finds
which lines those are. Coordinates are the page's own (PDF points, OFD millimetres, image pixels),
y downwards, with the page's width and height in the same unit. ``recording`` keeps the words OCR
read while a file is indexed, so a scanned page is never read twice for its boxes.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from indexer.ingest.layout import Box, page_rows

_RECORDED: contextvars.ContextVar[dict[int, tuple[list[Box], tuple[int, int]]] | None] = contextvars.ContextVar(
    "zhengce_ocr_boxes", default=None)


@dataclass
class PageLines:
    """One page: its size and its printed lines (text and box) in reading order."""

    width: float
    height: float
    unit: str  # pt | mm | px
    lines: list[tuple[str, float, float, float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "unit": self.unit, "lines": [list(line) for line in self.lines]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageLines:
        return cls(float(data["width"]), float(data["height"]), str(data["unit"]),
                   [(str(t), float(a), float(b), float(c), float(d)) for t, a, b, c, d in data["lines"]])


def lines_of(boxes: list[Box], width: float, height: float, unit: str, scale: float = 1.0) -> PageLines:
    """The rows ``layout.page_rows`` reads from ``boxes``, as lines in page units (``scale`` times the boxes')."""
    lines = [(row.text.strip(), row.x0 * scale, row.y0 * scale, row.x1 * scale, row.y1 * scale)
             for column in page_rows(boxes) for row in column if row.text.strip()]
    return PageLines(width * scale, height * scale, unit, lines)


@contextlib.contextmanager
def recording() -> Iterator[dict[int, tuple[list[Box], tuple[int, int]]]]:
    """While active, every page OCR reads leaves its words and image size here, by page number."""
    seen: dict[int, tuple[list[Box], tuple[int, int]]] = {}
    token = _RECORDED.set(seen)
    try:
        yield seen
    finally:
        _RECORDED.reset(token)


def record(page: int, boxes: list[Box], size: tuple[int, int]) -> None:
    """Called by OCR for each page it read (``ocr.recognise``)."""
    seen = _RECORDED.get()
    if seen is not None:
        seen[page] = (boxes, size)


def pdf_page(data: bytes, page: int) -> PageLines:
    """A PDF page's text layer as lines, in points."""
    from indexer.ingest.pdfium_access import page_size
    from indexer.ingest.pdftext import page_boxes

    width, height = page_size(data, page - 1)
    return lines_of(page_boxes(data)[page - 1], width, height, "pt")


def ocr_pdf_page(data: bytes, page: int) -> PageLines:
    """A scanned PDF page read again by OCR (when no lines were kept while it was indexed), in points."""
    from indexer.ingest.ocr import RENDER_DPI, recognise_boxes

    image = render_pdf_page(data, page, RENDER_DPI / 72)
    boxes, _ = recognise_boxes(image, page)
    return lines_of(boxes, image.width, image.height, "pt", scale=72 / RENDER_DPI)


def ocr_image_page(data: bytes, page: int) -> PageLines:
    """A frame of a page image read again by OCR, in its pixels."""
    from indexer.ingest.ocr import recognise_boxes

    image = image_frame(data, page)
    boxes, _ = recognise_boxes(image, page)
    return lines_of(boxes, image.width, image.height, "px")


def render_pdf_page(data: bytes, page: int, scale: float):
    """Page ``page`` (1-based) of a PDF as a PIL image at ``scale`` pixels per point."""
    from indexer.ingest.pdfium_access import opened, render

    with opened(data) as document:
        if not 1 <= page <= len(document):
            raise IndexError(page)
        return render(document, page - 1, scale)


def pdf_page_count(data: bytes) -> int:
    from indexer.ingest.pdfium_access import page_count

    return page_count(data)


def image_frame(data: bytes, page: int):
    """Frame ``page`` (1-based) of a page image, upright (as OCR read it)."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(data))
    if not 1 <= page <= getattr(image, "n_frames", 1):
        raise IndexError(page)
    image.seek(page - 1)
    return ImageOps.exif_transpose(image).convert("RGB")


def image_frame_count(data: bytes) -> int:
    from PIL import Image

    return int(getattr(Image.open(io.BytesIO(data)), "n_frames", 1))


def ofd_pages(data: bytes) -> list[tuple[PageLines, bytes | None]]:
    """Each OFD page's text codes as lines (millimetres) and, for a page drawn as a picture, the
    picture's bytes (a scan: its words come from OCR)."""
    import posixpath
    import zipfile
    from pathlib import Path

    from indexer.ingest import ofd

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        reader = ofd._Package(Path("file.ofd"), package, set(package.namelist()))
        body = reader.xml("OFD.xml").find("{*}DocBody")
        document_path = ofd._resolve("", body.findtext("{*}DocRoot") or "") if body is not None else ""
        parts = reader.pages(document_path)
        document = reader.xml(document_path)
        default = ofd._numbers(document.findtext("{*}CommonData/{*}PageArea/{*}PhysicalBox"))
        base = posixpath.dirname(document_path)
        areas = [ofd._numbers(reader.xml(ofd._resolve(base, node.get("BaseLoc", ""))).findtext("{*}Area/{*}PhysicalBox"))
                 or default for node in document.iterfind("{*}Pages/{*}Page")]
    pages = []
    for part, area in zip(parts, areas):
        width, height = (area[2], area[3]) if len(area) == 4 else (210.0, 297.0)
        pages.append((lines_of(part.boxes, width, height, "mm"), None if part.boxes or not part.picture else part.picture[0]))
    return pages
