"""PDF: one text per page, from the text layer (pypdf) or, for a page without one, from OCR.

Page numbers are kept for citations. Mixed files are common (a typed reply with a scanned
attachment), so the choice is made page by page; pages for OCR are rendered by pypdfium2. A page
with a text layer over a picture covering most of it (a form filled in over its blank) also has the
picture's words read, where the text layer has none.
"""

from __future__ import annotations

import io
import statistics
from pathlib import Path

import pypdf
import pypdfium2
from pypdf.errors import DependencyError

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.layout import Box
from indexer.ingest.limits import check_pages, current, render_scale
from indexer.ingest.ocr import RENDER_DPI, OcrMode, read_boxes, read_pages
from indexer.ingest.ofdpictures import BACKGROUND_SHARE, merge
from indexer.ingest.paragraphs import laid_out
from indexer.ingest.pdfium_access import opened, page_size
from indexer.ingest.pdfium_access import render as render_page
from indexer.ingest.pdftext import background_pages, page_boxes, page_pictures, page_rules
from indexer.models import OcrPage

# A page with fewer visible characters than this has no text layer (a page number at most).
MIN_CHARS_PER_PAGE = 10
TEXT_PICTURE_SHARE = 0.25  # a picture this large on a page of sparse text holds the page's text
SPARSE_TEXT = 150  # a page of 公文 holds some 600 characters; a quarter of that is a masthead, a caption
# pictures clear of the text layer in the upper half of the first page, together this share of the
# page, hold its 版头 or title: a red masthead or a title pasted in as pictures (a seal stands over
# the signature, lower down; a logo is a hundredth of the page)
HEAD_PICTURE_SHARE = 0.02
# or one of them is a line of print: a third of the page wide or more, five times wider than tall and
# as tall as 8 pt type at least (a title set as a picture; a rule is thinner, a logo squarer)
HEAD_LINE_WIDTH = 1 / 3
HEAD_LINE_ASPECT = 5.0
HEAD_LINE_HEIGHT = 8.0


def extract_pdf(path: Path, data: bytes, ocr: OcrMode = "auto") -> tuple[list[str], str | None, list[OcrPage]]:
    """(page texts, title, OCR facts of the pages read by OCR)."""
    pages, title, background_facts = _text_layer(path, data, ocr)
    if ocr == "force":
        scanned = list(range(len(pages)))
    else:
        scanned = [i for i, page in enumerate(pages) if _visible(page) < MIN_CHARS_PER_PAGE]
    if ocr != "off":
        check_pages(path, len(pages), len(scanned))  # before any page is rendered
    if ocr == "off" or not scanned:
        if sum(_visible(page) for page in pages) < MIN_CHARS_PER_PAGE * len(pages):
            raise UnreadableFile(path, f"no text layer: OCR needed, and OCR is off ({_summary(pages)})")
        return pages, nonblank(title), background_facts
    read = read_pages(path, [(i + 1, _renderer(path, data, i)) for i in scanned])
    facts = [fact for fact in background_facts if fact.page - 1 not in scanned]
    for i in scanned:
        text, page_facts = read[i + 1]
        pages[i] = text
        facts += [page_facts] if page_facts else []  # a blank page was not read by OCR
    if not any(_visible(page) for page in pages):
        errors = sorted({f.error for f in facts if f.error})
        detail = f"; {errors[0]}" if errors else ""
        raise UnreadableFile(path, f"no text layer: OCR needed but it read no text ({len(pages)} pages{detail})")
    return pages, nonblank(title), sorted(facts, key=lambda fact: fact.page)


def _text_layer(path: Path, data: bytes, ocr: OcrMode) -> tuple[list[str], str | None, list[OcrPage]]:
    pages: list[str] = []
    facts: list[OcrPage] = []
    title = None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        # Many official PDFs are encrypted only to restrict printing: they open with an empty password.
        locked = reader.is_encrypted and not reader.decrypt("")
        if not locked:
            check_pages(path, len(reader.pages))
            positioned = _positioned_text(path, data, ocr)
            pages, facts = positioned or ([page.extract_text() or "" for page in reader.pages], [])
            title = reader.metadata.title if reader.metadata else None
    except DependencyError as exc:
        raise UnreadableFile(path, f"encrypted PDF: cannot decrypt ({exc})") from exc
    except UnreadableFile:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on damaged files, not just PdfReadError
        raise UnreadableFile(path, f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    if locked:
        raise UnreadableFile(path, "encrypted PDF: password required")
    if not pages:
        raise UnreadableFile(path, "not a readable PDF: it has no pages")
    return pages, title, facts


def _positioned_text(path: Path, data: bytes, ocr: OcrMode) -> tuple[list[str], list[OcrPage]] | None:
    """The pages laid out from pdfium's character boxes, with the words of background pictures; None
    when pdfium cannot read the file (pypdf's plain extraction stands in)."""
    try:
        boxes = page_boxes(data)
        rules = page_rules(data)
        # a page OCR reads whole anyway (too little text layer, or --ocr force) is not read twice;
        # a smaller picture is read where the page's text layer is too sparse to be its text (a
        # masthead and 文号 as text over the title and body pasted in as a scan)
        backgrounds = [] if ocr == "force" else [
            i for i, share in background_pages(data, TEXT_PICTURE_SHARE).items()
            if (chars := _characters(boxes[i])) >= MIN_CHARS_PER_PAGE and (share >= BACKGROUND_SHARE or chars < SPARSE_TEXT)
        ]
        if ocr != "force" and 0 not in backgrounds and boxes and _head_set_as_pictures(data, boxes[0]):
            backgrounds.insert(0, 0)
    except pypdfium2.PdfiumError:
        return None
    cap = current().max_ocr_pages
    if ocr == "off" or len(backgrounds) > cap:  # the text layer is read either way: the pictures are extra
        why = "OCR is off" if ocr == "off" else f"more than {cap} such pages (ZHENGCE_MAX_OCR_PAGES)"
        facts = [OcrPage(page=i + 1, confidence=None, error=f"background picture not read: {why}") for i in backgrounds]
    else:
        facts = _read_backgrounds(path, data, boxes, backgrounds)
    return laid_out(boxes, rules), facts


def _head_set_as_pictures(data: bytes, boxes: list[Box]) -> bool:
    """Whether the first page, which has a text layer, holds its 版头 or title in pictures: pictures
    in its upper half and over most of its text, which no text box overlaps, cover
    ``HEAD_PICTURE_SHARE`` of it (a college's "河池学院 / 校长办公室文件" and its title pasted in as
    pictures over a text layer that begins at the 文号; a figure under a page of text is left to it), or
    one of them is a line of print (a university's title over its "(2012)厦大教10号")."""
    if _characters(boxes) < MIN_CHARS_PER_PAGE:
        return False  # a scan: read whole anyway
    (width, height), pictures = page_pictures(data, 0)
    text_middle = statistics.median((box.y0 + box.y1) / 2 for box in boxes)
    clear = [
        (right - left, bottom - top) for left, top, right, bottom in pictures
        if top < height / 2 and bottom <= text_middle  # over most of the text, as a 版头 and title stand
        and not any(box.x0 < right and left < box.x1 and box.y0 < bottom and top < box.y1 for box in boxes)
    ]
    lines = [w for w, h in clear if w >= HEAD_LINE_WIDTH * width and h >= HEAD_LINE_HEIGHT and w >= HEAD_LINE_ASPECT * h]
    return bool(lines) or sum(w * h for w, h in clear) >= HEAD_PICTURE_SHARE * width * height


def _characters(boxes: list[Box]) -> int:
    return sum(len("".join(box.text.split())) for box in boxes)


def _read_backgrounds(path: Path, data: bytes, boxes: list[list[Box]], backgrounds: list[int]) -> list[OcrPage]:
    """OCR each page in ``backgrounds`` as rendered; the words no text-layer box covers join its boxes."""
    read = read_boxes(path, [(i + 1, _renderer(path, data, i)) for i in backgrounds])
    facts = []
    for i in backgrounds:
        words, page_facts = read[i + 1]
        scale = _scale(data, i)
        on_page = [Box(w.x0 / scale, w.y0 / scale, w.x1 / scale, w.y1 / scale, w.text, red=w.red) for w in words]
        boxes[i] = merge(boxes[i], on_page)
        facts += [page_facts] if page_facts else []
    return facts


def _scale(data: bytes, index: int) -> float:
    """Pixels per point of the page as ``_renderer`` renders it."""
    return render_scale(*page_size(data, index), RENDER_DPI)


def _renderer(path: Path, data: bytes, index: int):
    """Renders page ``index`` when called, so only one page image is in memory at a time, and never
    larger than ``limits.MAX_RENDER_PIXELS`` whatever size the page declares."""

    def render():
        with opened(data) as document:
            page = document[index]
            try:
                width, height = page.get_size()
            finally:
                page.close()
            return render_page(document, index, render_scale(width, height, RENDER_DPI))

    return render


def _visible(page: str) -> int:
    return len("".join(page.split()))


def _summary(pages: list[str]) -> str:
    return f"{len(pages)} pages, {sum(_visible(page) for page in pages)} characters of text"
