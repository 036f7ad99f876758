"""Column gutters: the narrow strips of a page no line crosses, between columns of text.

A 公报 or a two-column report sets its columns a character or two apart, closer than the gap
that separates table cells; a line of the left column and the line level with it in the right
one would otherwise read as one line. A gutter is found from where the page's boxes are: a
strip in the middle of the text that (almost) no box covers while both sides are full of text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.ingest.layout import Box

_MIN_ROWS = 12  # a page needs this many boxes beside a strip for it to be a gutter
_CROSSING = 0.04  # a gutter is crossed by at most this share of the boxes beside it (a title spanning both columns)
_MIN_WIDTH = 0.5  # of a character: a gutter is at least this wide
_CENTRE = (0.25, 0.75)  # gutters lie in this part of the text's width


def gutters(boxes: list[Box], char_width: float) -> list[float]:
    """The middle of each column gutter on the page (x); none on a page of one column."""
    if len(boxes) < _MIN_ROWS:
        return []
    left, right = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    step = max(0.25 * char_width, (right - left) / 2000)
    bins = int((right - left) / step) + 1
    cover = [0] * bins
    for box in boxes:
        for k in range(int((box.x0 - left) / step), min(bins, int((box.x1 - left) / step) + 1)):
            cover[k] += 1
    found, start = [], None
    low, high = int(_CENTRE[0] * bins), int(_CENTRE[1] * bins)
    for k in range(low, high + 1):
        crossing = cover[k] if k < bins else 0
        if start is None and crossing <= _CROSSING * len(boxes):
            start = k
        elif start is not None and crossing > _CROSSING * len(boxes):
            found.append((start, k))
            start = None
    result = []
    for first, end in found:
        middle = left + (first + end) / 2 * step
        beside_left = sum(1 for b in boxes if b.x1 <= middle)
        beside_right = sum(1 for b in boxes if b.x0 >= middle)
        if (end - first) * step >= _MIN_WIDTH * char_width and min(beside_left, beside_right) >= _MIN_ROWS:
            result.append(middle)
    return result
