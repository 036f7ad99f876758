"""Positioned text (OCR boxes, OFD text runs) -> the lines of a page in reading order.

The cleaner (``indexer.gongwen.clean``) rebuilds paragraphs from lines and their leading spaces:
a first-line indent opens a paragraph, a far-indented short line is a signature or a date. So
each line is written with as many leading spaces as character widths separate it from its
column's left edge, and wide gaps inside a line (table cells) as four spaces.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

_SPANNING = 0.6  # a box wider than this share of the text area spans all columns (title, table row)
_CELL_GAP = 2.0  # a gap of more than this many character widths separates two cells of a line
_MIN_COLUMN_OVERLAP = 0.5  # columns side by side share at least this share of their heights


@dataclass(frozen=True)
class Box:
    """A piece of text and its rectangle on the page; y grows downwards."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def y_mid(self) -> float:
        return (self.y0 + self.y1) / 2


def page_lines(boxes: list[Box]) -> list[str]:
    """The page's lines, top to bottom, columns left to right, each with its indent as spaces."""
    boxes = [box for box in boxes if box.text.strip()]
    if not boxes:
        return []
    char_width = _char_width(boxes)
    area_left = min(box.x0 for box in boxes)
    lines: list[str] = []
    for left, column in _columns(_segments(boxes, char_width), area_left):
        for line in _group_lines(column):
            indent = max(0, round((line[0].x0 - left) / char_width))
            lines.append(" " * indent + _join(line, char_width))
    return lines


def _segments(boxes: list[Box], char_width: float) -> list[list[Box]]:
    """Runs of boxes on one line with no cell-wide gap between them: a detector often splits a line."""
    segments: list[list[Box]] = []
    for line in _group_lines(boxes):
        segments.append([line[0]])
        for previous, box in zip(line, line[1:]):
            if box.x0 - previous.x1 > _CELL_GAP * char_width:
                segments.append([box])
            else:
                segments[-1].append(box)
    return segments


def _char_width(boxes: list[Box]) -> float:
    """Typical width of one full-width character: from boxes of CJK text, else from box heights."""
    widths = [
        (box.x1 - box.x0) / len(box.text) for box in boxes
        if len(box.text) >= 4 and sum("\u3400" <= c <= "\u9fff" for c in box.text) >= 0.8 * len(box.text)
    ]
    estimate = statistics.median(widths) if widths else statistics.median(box.height for box in boxes)
    return max(estimate, 1e-6)


def _columns(segments: list[list[Box]], area_left: float) -> list[tuple[float, list[Box]]]:
    """(left edge, boxes) of each column: bands between segments that span the text area, each
    split at vertical gutters. A band of one column is indented from the text area's left edge."""
    area_width = max(box.x1 for segment in segments for box in segment) - area_left
    ordered = sorted(segments, key=lambda segment: (segment[0].y0, segment[0].x0))
    columns: list[tuple[float, list[Box]]] = []
    band: list[list[Box]] = []
    for segment in ordered:
        if segment[-1].x1 - segment[0].x0 > _SPANNING * area_width:
            columns += _split_band(band, area_left)
            columns.append((area_left, segment))
            band = []
        else:
            band.append(segment)
    columns += _split_band(band, area_left)
    return [(left, boxes) for left, boxes in columns if boxes]


def _split_band(band: list[list[Box]], area_left: float) -> list[tuple[float, list[Box]]]:
    flat = [box for segment in band for box in segment]
    if len(band) < 2:
        return [(area_left, flat)]
    gap = _char_width(flat)
    covered = sorted((segment[0].x0, segment[-1].x1) for segment in band)
    cuts, reach = [], covered[0][1]
    for x0, x1 in covered[1:]:
        if x0 - reach > gap:
            cuts.append((reach + x0) / 2)
        reach = max(reach, x1)
    columns = [[box for segment in band if _column_of(segment, cuts) == k for box in segment] for k in range(len(cuts) + 1)]
    merged = [columns[0]]
    for column in columns[1:]:
        if _side_by_side(merged[-1], column):
            merged.append(column)
        else:  # a short line left and another right, one above the other: one column, not two
            merged[-1] = merged[-1] + column
    if len(merged) == 1:
        return [(area_left, merged[0])]
    return [(min(box.x0 for box in column), column) for column in merged]


def _column_of(segment: list[Box], cuts: list[float]) -> int:
    centre = (segment[0].x0 + segment[-1].x1) / 2
    return sum(centre > cut for cut in cuts)


def _side_by_side(left: list[Box], right: list[Box]) -> bool:
    top = max(min(b.y0 for b in left), min(b.y0 for b in right))
    bottom = min(max(b.y1 for b in left), max(b.y1 for b in right))
    shorter = min(max(b.y1 for b in c) - min(b.y0 for b in c) for c in (left, right))
    return bottom - top >= _MIN_COLUMN_OVERLAP * shorter


def _group_lines(column: list[Box]) -> list[list[Box]]:
    """Boxes whose vertical middles fall inside one another's height are one line."""
    lines: list[list[Box]] = []
    for box in sorted(column, key=lambda box: box.y_mid):
        if lines:
            last = lines[-1]
            top, bottom = min(b.y0 for b in last), max(b.y1 for b in last)
            if top <= box.y_mid <= bottom or last[-1].y0 <= box.y_mid <= last[-1].y1:
                last.append(box)
                continue
        lines.append([box])
    return [sorted(line, key=lambda box: box.x0) for line in lines]


def _join(line: list[Box], char_width: float) -> str:
    parts = [line[0].text.strip()]
    for previous, box in zip(line, line[1:]):
        gap = box.x0 - previous.x1
        if gap > _CELL_GAP * char_width:
            parts.append("    ")
        elif gap > 0.5 * char_width and previous.text.strip()[-1:].isascii() and box.text.strip()[:1].isascii():
            parts.append(" ")
        parts.append(box.text.strip())
    return "".join(parts)
