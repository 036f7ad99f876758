"""A PDF's text layer as positioned runs: every character with its box, font size and colour (pdfium).

Runs of characters on one baseline, in one size and colour, with no gap wider than half a
character between them, become the ``layout.Box`` es that ``paragraphs.laid_out`` reads. The
characters pdfium makes up itself (spaces and line breaks it infers from gaps) are left out: the
layout measures the gaps. A glyph mapped to the soft hyphen U+00AD is drawn, so it is a hyphen
(Word writes its non-breaking hyphen so: "2014‐2020年").
"""

from __future__ import annotations

import ctypes

import pypdfium2.raw as pdfium

from indexer.ingest.layout import Box, red_ink
from indexer.ingest.pdfium_access import opened

_RUN_GAP = 0.5  # characters further apart than this share of their size start a new run
_SAME_LINE = 0.3  # baselines within this share of the size are one line
_DRAWN_HYPHEN = {"\u00ad": "-"}


def page_boxes(data: bytes) -> list[list[Box]]:
    """The runs of every page, in page coordinates with y downwards (points)."""
    with opened(data) as document:
        return [_runs(document[index]) for index in range(len(document))]


def _runs(page) -> list[Box]:
    height = page.get_height()
    textpage = page.get_textpage()
    try:
        chars = [_char(textpage, i, height) for i in range(textpage.count_chars())]
    finally:
        textpage.close()
        page.close()
    runs: list[list[tuple]] = []
    for char in chars:
        if char == ():  # a space drawn with no width: no gap, no break
            continue
        if char is None:
            if runs and runs[-1]:
                runs.append([])
            continue
        if runs and runs[-1] and _continues(runs[-1][-1], char):
            runs[-1].append(char)
        else:
            runs.append([char])
    return [_box(run) for run in runs if run and "".join(c[0] for c in run).strip()]


def _char(textpage, index: int, height: float):
    """(text, left, top, right, bottom, size, red) of one character; None for one pdfium inferred
    (a break between runs), () for a space drawn with no width (no break)."""
    if pdfium.FPDFText_IsGenerated(textpage, index) == 1:
        return None
    code = pdfium.FPDFText_GetUnicode(textpage, index)
    text = chr(code) if code else ""
    if not text or text in "\r\n" or (ord(text) < 32 and text != "\t"):
        return None
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    if text.isspace() and right - left < 0.1:
        return ()
    size = pdfium.FPDFText_GetFontSize(textpage, index)
    if not 0.6 * (top - bottom) <= size <= 1.6 * (top - bottom):  # set by the text matrix instead (1, or 20 times too large)
        size = top - bottom
    red = ctypes.c_uint()
    green = ctypes.c_uint()
    blue = ctypes.c_uint()
    alpha = ctypes.c_uint()
    is_red = False
    if pdfium.FPDFText_GetFillColor(textpage, index, red, green, blue, alpha):
        is_red = red_ink(red.value, green.value, blue.value)
    return (_DRAWN_HYPHEN.get(text, text), left, height - top, right, height - bottom, size, is_red)


def _continues(previous: tuple, char: tuple) -> bool:
    size = max(previous[5], char[5])
    same_line = abs(previous[4] - char[4]) <= _SAME_LINE * size
    close = -_RUN_GAP * size <= char[1] - previous[3] <= _RUN_GAP * size
    same_print = abs(previous[5] - char[5]) <= 0.15 * size and previous[6] == char[6]
    return same_line and close and same_print


def _box(run: list[tuple]) -> Box:
    """The run's box spans its printed characters: spaces at its ends are no part of it."""
    text = "".join(c[0] for c in run)
    inked = [c for c in run if not c[0].isspace()]
    sizes = sorted(c[5] for c in inked)
    return Box(
        min(c[1] for c in inked), min(c[2] for c in inked), max(c[3] for c in inked), max(c[4] for c in inked),
        text.strip(), size=sizes[len(sizes) // 2], red=inked[0][6],
    )


def background_pages(data: bytes, share: float) -> list[int]:
    """Indexes of the pages with a visible text layer and a picture covering at least ``share`` of
    the page: a form printed over its blank's picture, a letterhead or masthead set as an image. A
    page whose text is mostly invisible (render mode 3) is a scanner's OCR over its scan: that text
    is the picture's already."""
    with opened(data) as document:
        found = []
        for index in range(len(document)):
            page = document[index]
            try:
                width, height = page.get_size()
                pictures = [obj.get_bounds() for obj in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=3)]
                largest = max(((right - left) * (top - bottom) for left, bottom, right, top in pictures), default=0.0)
                modes = [pdfium.FPDFTextObj_GetTextRenderMode(obj.raw)
                         for obj in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_TEXT], max_depth=3)]
                invisible = sum(mode == pdfium.FPDF_TEXTRENDERMODE_INVISIBLE for mode in modes)
                if modes and invisible * 2 < len(modes) and largest >= share * width * height:
                    found.append(index)
            finally:
                page.close()
        return found
