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

from indexer.ingest.layout import Box, red_ink

_WIDE_ADVANCE = 1.4  # an advance this many times the usual one steps over a space


def code_boxes(
    text: str, start: tuple[float, float], steps: tuple[list[float], list[float]], size: float, ctm: list[float],
    origin: tuple[float, float], red: bool,
) -> list[Box]:
    """Boxes of ``text`` drawn from ``start`` (x, y in object space) by DeltaX/DeltaY ``steps``: cut
    at wide advances; lines the TextCode itself wraps onto (by DeltaY) stay one box, one paragraph."""
    if not text.strip():
        return []
    advances, rises = steps
    moves = [
        (advances[k] if k < len(advances) else size, rises[k] if k < len(rises) else 0.0) for k in range(len(text) - 1)
    ]
    usual = _usual_advances(text, moves, size)
    pieces: list[list] = []  # [text, start x, end x, baseline, wrapped onto a new line]
    x, y = start
    piece_start, current, wrapped = x, text[0], False
    for (dx, dy), before, char in zip(moves, text, text[1:]):
        wide = not dy and dx > _WIDE_ADVANCE * usual[before.isascii()] and dx > 0.4 * size
        if dy or dx < 0 or wide:
            if wide and before.isascii() and char.isascii():
                current += " " + char
                x += dx
                continue
            pieces.append([current, piece_start, x + _glyph_width(current[-1], size), y, wrapped])
            x, y = x + dx, y + dy
            piece_start, current, wrapped = x, char, bool(dy)
        else:
            x += dx
            current += char
    pieces.append([current, piece_start, x + _glyph_width(current[-1], size), y, wrapped])
    return [_box(group, size, ctm, origin, red) for group in _paragraphs(pieces) if "".join(p[0] for p in group).strip()]


def _usual_advances(text: str, moves: list[tuple[float, float]], size: float) -> dict[bool, float]:
    """The usual advance after a Latin character (True) and after a CJK one (False)."""
    usual = {}
    for latin in (True, False):
        found = [dx for (dx, dy), before in zip(moves, text) if before.isascii() == latin and dx > 0 and not dy]
        usual[latin] = statistics.median(found) if found else (0.5 * size if latin else size)
    return usual


def _paragraphs(pieces: list[list]) -> list[list[list]]:
    """Pieces joined where the TextCode wraps onto its next line."""
    groups: list[list[list]] = []
    for piece in pieces:
        if groups and piece[4]:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


def _box(group: list[list], size: float, ctm: list[float], origin: tuple[float, float], red: bool) -> Box:
    left, top = origin
    corners = [_apply(ctm, x, baseline) for _, x0, x1, baseline, _ in group for x in (x0, x1)]
    corners += [_apply(ctm, x, baseline - size) for _, x0, x1, baseline, _ in group for x in (x0, x1)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    text = "".join(piece[0] for piece in group)
    return Box(left + min(xs), top + min(ys), left + max(xs), top + max(ys), text, size=size * font_scale(ctm), red=red)


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
    return len(values) >= 3 and red_ink(*values[:3])


def _glyph_width(char: str, size: float) -> float:
    return 0.5 * size if char.isascii() else size


def _apply(ctm: list[float], x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = (ctm + [0.0] * 6)[:6]
    return a * x + c * y + e, b * x + d * y + f
