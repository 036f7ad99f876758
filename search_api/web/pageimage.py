"""A page of a document's original as a picture for the 原文 viewer, and its printed lines.

PDF pages are rendered by pypdfium2, page images shown as they are, OFD pages drawn from their
text codes at their positions (a scanned OFD page shows its picture). Every picture is held under
``MAX_PIXELS``; the lines come from the readers (``indexer.ingest.pagelines``), kept by content hash.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from indexer.errors import NotFound
from indexer.gongwen.pagemap import store
from indexer.ingest import pagelines
from indexer.ingest.pagelines import PageLines
from indexer.ingest.pdfium_access import page_size

MAX_PIXELS = 2_000_000  # about 1190 x 1680: an A4 page at 144 dpi
MAX_WIDTH = 1400
PAGED = ("pdf", "image", "ofd")
FONTS = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
         Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"))


def page_count(document: Any) -> int:
    return len(document.page_starts) if document.format in PAGED else 0


def _check_page(document: Any, page: int) -> None:
    if not 1 <= page <= page_count(document):
        raise NotFound(f"document {document.doc_id} has no page {page} (it has {page_count(document)})")


def _ocr(document: Any, page: int) -> bool:
    return any(facts.page == page and facts.error is None for facts in document.ocr_pages)


def lines_of_page(document: Any, original: Path | None, page: int) -> PageLines:
    """The printed lines of ``page``: kept ones (OCR at indexing, or an earlier view), else read now."""
    _check_page(document, page)
    kept = store()
    found = kept.get(document.content_hash, page)
    if found is not None:
        return found
    if original is None:
        raise NotFound(f"the original file of {document.doc_id} is no longer on the server: its pages cannot be shown")
    data = original.read_bytes()
    if document.format == "pdf":
        found = pagelines.ocr_pdf_page(data, page) if _ocr(document, page) else pagelines.pdf_page(data, page)
    elif document.format == "image":
        found = pagelines.ocr_image_page(data, page)
    else:
        lines, picture = pagelines.ofd_pages(data)[page - 1]
        found = pagelines.ocr_image_page(picture, 1) if picture is not None else lines
    kept.put(document.content_hash, {page: found})
    return found


def page_png(document: Any, original: Path | None, page: int) -> bytes:
    """The page as a PNG of at most MAX_PIXELS, in the proportions of its lines' page."""
    _check_page(document, page)
    if original is None:
        raise NotFound(f"the original file of {document.doc_id} is no longer on the server: its pages cannot be shown")
    data = original.read_bytes()
    if document.format == "pdf":
        width, height = _pdf_size(data, page)
        image = pagelines.render_pdf_page(data, page, _scale(width, height))
    elif document.format == "image":
        image = pagelines.image_frame(data, page)
    else:
        lines, picture = pagelines.ofd_pages(data)[page - 1]
        image = pagelines.image_frame(picture, 1) if picture is not None else drawn(lines)
    return _png(_capped(image.convert("RGB")))


def _pdf_size(data: bytes, page: int) -> tuple[float, float]:
    return page_size(data, page - 1)


def _scale(width: float, height: float) -> float:
    return min(MAX_WIDTH / width, math.sqrt(MAX_PIXELS / (width * height)))


def _capped(image: Image.Image) -> Image.Image:
    scale = _scale(image.width, image.height)
    if scale < 1:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))), Image.Resampling.LANCZOS)
    return image


def drawn(lines: PageLines) -> Image.Image:
    """An OFD page drawn from its text codes: each line's text in its box, on white."""
    scale = _scale(lines.width, lines.height)
    image = Image.new("RGB", (int(lines.width * scale), int(lines.height * scale)), "white")
    pen = ImageDraw.Draw(image)
    for text, x0, y0, _x1, y1 in lines.lines:
        size = max(8, int((y1 - y0) * scale * 0.9))
        pen.text((x0 * scale, y0 * scale), text, fill="black", font=_font(size))
    return image


def _font(size: int) -> Any:
    for path in FONTS:
        if path.is_file():
            return ImageFont.truetype(str(path), size, index=2)  # the collection's Simplified Chinese face
    return ImageFont.load_default()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
