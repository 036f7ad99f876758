"""A PDF's text layer as positioned runs: every character with its box, font size and colour (pdfium).

Runs of characters on one baseline, in one size and colour, with no gap wider than half a
character between them, become the ``layout.Box`` es that ``paragraphs.laid_out`` reads. The
characters pdfium makes up itself (spaces and line breaks it infers from gaps) are left out: the
layout measures the gaps. A glyph mapped to the soft hyphen U+00AD is drawn, so it is a hyphen
(Word writes its non-breaking hyphen so: "2014‐2020年"), and so is one drawn at a line's end, which
pdfium reports as a control character.
"""

from __future__ import annotations

import ctypes
import math

import pypdfium2.raw as pdfium

from indexer.ingest.layout import Box, red_ink
from indexer.ingest.pdfium_access import opened
from indexer.ingest.tables import RULE_WIDTH, Rule

_RUN_GAP = 0.5  # characters further apart than this share of their size start a new run
_SAME_LINE = 0.3  # baselines within this share of the size are one line
_DRAWN_HYPHEN = {"\u00ad": "-"}
_SEE_THROUGH = 128  # fill opacity (of 255) below which a character is a watermark over the page
_PALE = 180  # a character this light in every channel, set at a slant, is a watermark too
_SLANT = 10  # degrees off the page's axes: a slanted line, not an italic one turned by the font


def page_boxes(data: bytes) -> list[list[Box]]:
    """The runs of every page, in page coordinates with y downwards (points)."""
    with opened(data) as document:
        return [_runs(document[index]) for index in range(len(document))]


def page_rules(data: bytes) -> list[list[Rule]]:
    """The straight lines drawn on every page (a table's borders), in page coordinates with y
    downwards: thin paths, and the straight strokes of a stroked path (a grid drawn in one path).
    Paths in white or fully transparent ink draw nothing."""
    with opened(data) as document:
        found = []
        for index in range(len(document)):
            page = document[index]
            try:
                height = page.get_height()
                found.append([rule for obj in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_PATH], max_depth=1)
                              for rule in _rules(obj, height)])
            finally:
                page.close()
        return found


def _rules(obj, height: float) -> list[Rule]:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium.FPDFPath_GetDrawMode(obj.raw, fill, stroke):
        return []
    stroked = bool(stroke.value) and _inked(pdfium.FPDFPageObj_GetStrokeColor, obj)
    filled = fill.value != 0 and _inked(pdfium.FPDFPageObj_GetFillColor, obj)
    if not (stroked or filled):
        return []
    left, bottom, right, top = obj.get_bounds()
    if min(right - left, top - bottom) <= RULE_WIDTH:
        return [Rule(left, height - top, right, height - bottom)]
    return _strokes(obj, height) if stroked else []


def _strokes(obj, height: float) -> list[Rule]:
    """The horizontal and vertical straight segments of a stroked path, placed by its matrix."""
    matrix = obj.get_matrix()
    rules = []
    start = previous = None
    for k in range(pdfium.FPDFPath_CountSegments(obj.raw)):
        segment = pdfium.FPDFPath_GetPathSegment(obj.raw, k)
        x, y = ctypes.c_float(), ctypes.c_float()
        pdfium.FPDFPathSegment_GetPoint(segment, x, y)
        point = matrix.on_point(x.value, y.value)
        kind = pdfium.FPDFPathSegment_GetType(segment)
        if kind == pdfium.FPDF_SEGMENT_LINETO and previous is not None:
            rules += _straight(previous, point, height)
        if kind == pdfium.FPDF_SEGMENT_MOVETO:
            start = point
        if pdfium.FPDFPathSegment_GetClose(segment) and start is not None:
            rules += _straight(point, start, height)
        previous = point
    return rules


def _straight(a: tuple[float, float], b: tuple[float, float], height: float) -> list[Rule]:
    (x0, y0), (x1, y1) = sorted([a, b])
    if abs(y1 - y0) <= 0.5 or abs(x1 - x0) <= 0.5:
        return [Rule(x0, height - max(y0, y1), x1, height - min(y0, y1))]
    return []


def _inked(colour_of, obj) -> bool:
    """Whether the object's stroke (or fill) colour shows on white paper."""
    red, green, blue, alpha = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    if not colour_of(obj.raw, red, green, blue, alpha):
        return True
    return alpha.value > 0 and min(red.value, green.value, blue.value) < 230


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
    # a hyphen drawn at a line's end, which pdfium reports as U+0002 ("ZR-KF-C-" over "003")
    text = "-" if pdfium.FPDFText_IsHyphen(textpage, index) == 1 else chr(code) if code else ""
    if not text or text in "\r\n" or (ord(text) < 32 and text != "\t"):
        return None
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    if text.isspace() and right - left < 0.1:
        return ()
    size = font_size(pdfium.FPDFText_GetFontSize(textpage, index), top - bottom)
    red = ctypes.c_uint()
    green = ctypes.c_uint()
    blue = ctypes.c_uint()
    alpha = ctypes.c_uint()
    is_red = False
    if pdfium.FPDFText_GetFillColor(textpage, index, red, green, blue, alpha):
        if _watermark(alpha.value, min(red.value, green.value, blue.value), textpage, index):
            return None
        is_red = red_ink(red.value, green.value, blue.value)
    return (_DRAWN_HYPHEN.get(text, text), left, height - top, right, height - bottom, size, is_red)


def _watermark(alpha: int, darkest: int, textpage, index: int) -> bool:
    """Whether a character is a watermark's ("电力市场交易平台 2025年12月1日 10:35:45" tiled across every
    page at 10% opacity): drawn see-through, or pale and slanted. A slant alone is italic type, and
    fully transparent text (alpha 0) is a scan's hidden OCR layer, which is the page's text. The
    angle is asked for pale characters only: most print is dark."""
    if 0 < alpha < _SEE_THROUGH:
        return True
    if darkest < _PALE:
        return False
    degrees = math.degrees(pdfium.FPDFText_GetCharAngle(textpage, index)) % 90
    return min(degrees, 90 - degrees) > _SLANT


def _covered(bounds: tuple[float, float, float, float], pictures: list[tuple[float, float, float, float]]) -> bool:
    """Whether a picture covers the middle of ``bounds`` (left, bottom, right, top)."""
    x, y = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    return any(left <= x <= right and bottom <= y <= top for left, bottom, right, top in pictures)


def font_size(reported: float, box_height: float) -> float:
    """The size a character is printed in: pdfium's, unless the text matrix set it instead (1, or
    20 times too large), then the character's box height. A font whose ascent and descent make its
    box nearly twice its size (1.86 em) still reports its size right."""
    return reported if 0.4 * box_height <= reported <= 2.5 * box_height else box_height


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


def page_pictures(data: bytes, index: int) -> tuple[tuple[float, float], list[tuple[float, float, float, float]]]:
    """The size of page ``index`` and the pictures on it, each as (left, top, right, bottom) with y
    growing downwards, as text boxes are placed."""
    with opened(data) as document:
        page = document[index]
        try:
            width, height = page.get_size()
            bounds = [obj.get_bounds() for obj in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=3)]
        finally:
            page.close()
    return (width, height), [(left, height - top, right, height - bottom) for left, bottom, right, top in bounds]


def background_pages(data: bytes, share: float) -> dict[int, float]:
    """The pages with a visible text layer and a picture covering at least ``share`` of the page (a
    form printed over its blank's picture, a letterhead or masthead set as an image, a title and body
    pasted in as a scan), each with the share its largest picture covers. A page whose text is mostly
    unseen is a scanner's OCR over its scan, that text the picture's already: invisible (render mode
    3), or drawn first and covered by the scan drawn over it."""
    with opened(data) as document:
        found = {}
        for index in range(len(document)):
            page = document[index]
            try:
                width, height = page.get_size()
                objects = list(page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_TEXT, pdfium.FPDF_PAGEOBJ_IMAGE], max_depth=3))
                largest = max(((right - left) * (top - bottom) for left, bottom, right, top in
                               (obj.get_bounds() for obj in objects if obj.type == pdfium.FPDF_PAGEOBJ_IMAGE)), default=0.0)
                if largest < share * width * height:
                    continue  # no picture large enough: the text is not weighed
                texts, unseen, drawn_over = 0, 0, []  # drawn_over: the pictures drawn after the object read next
                for obj in reversed(objects):
                    if obj.type == pdfium.FPDF_PAGEOBJ_IMAGE:
                        drawn_over.append(obj.get_bounds())
                        continue
                    texts += 1
                    unseen += (pdfium.FPDFTextObj_GetTextRenderMode(obj.raw) == pdfium.FPDF_TEXTRENDERMODE_INVISIBLE
                               or _covered(obj.get_bounds(), drawn_over))
                if texts and unseen * 2 < texts:
                    found[index] = largest / (width * height)
            finally:
                page.close()
        return found
