"""What a rendered PDF page shows, measured from its text boxes (pypdfium2): the page size, the lines of
text (characters grouped by their baseline) and how many characters each line holds."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

PT_PER_MM = 72 / 25.4


@dataclass
class Line:
    top: float  # the baseline, PDF points from the page's bottom edge
    left: float
    right: float
    text: str

    @property
    def chars(self) -> int:
        """Characters on the line, a pair of half-width digits or Latin letters counted as one."""
        full = sum(1 for ch in self.text if not ch.isascii() and not ch.isspace())
        half = sum(1 for ch in self.text if ch.isascii() and not ch.isspace())
        return full + (half + 1) // 2


@dataclass
class Page:
    width_mm: float
    height_mm: float
    lines: list[Line]


def read_pages(pdf: Path) -> list[Page]:
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    try:
        for page in document:
            width, height = page.get_size()
            text_page = page.get_textpage()
            boxes = []
            for i in range(text_page.count_chars()):
                ch = text_page.get_text_range(i, 1)
                if not ch or ch in "\r\n" or ch.isspace():
                    continue
                left, _, right, _ = text_page.get_charbox(i, loose=True)
                boxes.append((_baseline(text_page, i), left, right, ch))
            pages.append(Page(width / PT_PER_MM, height / PT_PER_MM, _lines(boxes)))
            text_page.close()
            page.close()
    finally:
        document.close()
    return pages


def _baseline(text_page: pdfium.PdfTextPage, index: int) -> float:
    """Where the character stands: its origin's height. A box's bottom is its font's descent below
    that, which differs between the CJK font and the one the digits fall back to."""
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(text_page, index, ctypes.byref(x), ctypes.byref(y))
    return round(y.value, 1)


def _lines(boxes: list[tuple[float, float, float, str]]) -> list[Line]:
    """Characters whose baselines lie within 3 pt of each other form a line, read left to right."""
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in sorted(boxes, key=lambda b: (-b[0], b[1])):
        if lines and abs(lines[-1][0][0] - box[0]) <= 3:
            lines[-1].append(box)
        else:
            lines.append([box])
    result = []
    for line in lines:
        line.sort(key=lambda b: b[1])
        result.append(Line(line[0][0], line[0][1], max(b[2] for b in line), "".join(b[3] for b in line)))
    return result
