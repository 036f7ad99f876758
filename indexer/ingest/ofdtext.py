"""The boxes of one OFD TextCode: its characters placed by X, Y and DeltaX, in its object's size and colour.

A TextCode often holds a whole printed line, words and all: a writer that sets "张某  李某" or
"Hold with the Cords" moves the pen past the space instead of writing it. So a TextCode is cut
where an advance is well over the usual one; between Latin letters the cut is a space, between
CJK characters two boxes whose gap the layout reads (a word gap, or a table cell).
"""

from __future__ import annotations

import math
import statistics

from lxml import etree

from indexer.ingest.layout import Box

_WIDE_ADVANCE = 1.4  # an advance this many times the usual one steps over a space


def code_boxes(
    text: str, start: tuple[float, float], steps: tuple[list[float], list[float]], size: float, ctm: list[float],
    origin: tuple[float, float], red: bool,
) -> list[Box]:
    """Boxes of ``text`` drawn from ``start`` (x, y in object space) by DeltaX/DeltaY ``steps``, cut
    at wide advances and where the pen moves back or to another line."""
    if not text.strip():
        return []
    advances, rises = steps
    moves = [
        (advances[k] if k < len(advances) else size, rises[k] if k < len(rises) else 0.0) for k in range(len(text) - 1)
    ]
    forward = [dx for dx, dy in moves if dx > 0 and not dy]
    usual = statistics.median(forward) if forward else size
    pieces: list[tuple[str, float, float, float]] = []  # (text, start x, end x, baseline) in object space
    x, y = start
    piece_start, current = x, text[0]
    for (dx, dy), char in zip(moves, text[1:]):
        wide = dx > _WIDE_ADVANCE * usual and dx > 0.6 * size
        if dy or dx < 0 or wide:
            if wide and not dy and current[-1:].isascii() and char.isascii():
                current += " " + char
                x += dx
                continue
            pieces.append((current, piece_start, x + _glyph_width(current[-1], size), y))
            x, y = x + dx, y + dy
            piece_start, current = x, char
        else:
            x += dx
            current += char
    pieces.append((current, piece_start, x + _glyph_width(current[-1], size), y))
    scale = font_scale(ctm)
    left, top = origin
    boxes = []
    for piece, x0, x1, baseline in pieces:
        if not piece.strip():
            continue
        ax, ay = _apply(ctm, x0, baseline)
        bx, by = _apply(ctm, x1, baseline - size)
        boxes.append(Box(left + min(ax, bx), top + min(ay, by), left + max(ax, bx), top + max(ay, by), piece,
                         size=size * scale, red=red))
    return boxes


def font_scale(ctm: list[float]) -> float:
    """How much an object's CTM enlarges its text."""
    a, b, c, d = (ctm + [1.0, 0.0, 0.0, 1.0])[:4]
    return math.sqrt(abs(a * d - b * c)) or 1.0


def is_red(obj: etree._Element) -> bool:
    """Whether a TextObject is filled red (a masthead): its FillColor value, RGB 0-255."""
    colour = obj.find("{*}FillColor")
    if colour is None:
        return False
    try:
        values = [float(v) for v in (colour.get("Value") or "").split()]
    except ValueError:
        return False
    return len(values) >= 3 and values[0] >= 150 and values[1] < 110 and values[2] < 110


def _glyph_width(char: str, size: float) -> float:
    return 0.5 * size if char.isascii() else size


def _apply(ctm: list[float], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = (ctm + [0.0] * 6)[:6]
    return a * x + c * y + e, b * x + d * y + f
