"""Positioned text (PDF characters, OFD text runs, OCR boxes) -> the rows of a page in reading order.

A row is one printed line of one column: its boxes left to right, its edges, font size and
colour. ``indexer.ingest.paragraphs`` then decides where paragraphs end, from where each row
stops against the right margin, its indent, size and colour.
"""

from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass, field

from indexer.ingest.gutters import gutters
from indexer.ingest.tables import Cell, Rule, Table, tables

_SPANNING = 0.6  # a box wider than this share of the text area spans all columns (title, table row)
_CELL_GAP = 2.0  # a gap of more than this many character widths separates two cells of a line
_WORD_GAP = 0.8  # a gap of more than this many character widths separates two words ("张某 李某")
_MIN_COLUMN_OVERLAP = 0.5  # columns side by side share at least this share of their heights
_DOUBLE_STRIKE = 0.3  # the same text this share of its size from itself is one text drawn twice
_BESIDE = 0.25  # a box overlapping two stacked rows by this share of its height each stands beside both
_STACKED = 0.5  # boxes sharing this share of the narrower one's width, at different heights, are on two lines
_NAME_CHARS = 20  # a signer's name, or a name's line, is no longer than this
_MARGIN_SLACK = 1.5  # a cell's line this many characters short of its margin fills it (a wrapped line)


@dataclass(frozen=True)
class Box:
    """A piece of text and its rectangle on the page; y grows downwards."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float = 0.0  # font size in page units; 0 when unknown (OCR): the box height stands in
    red: bool = False  # printed in red: a 红头 masthead, a red mark
    cells: bool = False  # a row of a ruled table, its cells' texts joined: it ends its paragraph

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def y_mid(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def font(self) -> float:
        return self.size if self.size > 0 else self.height


@dataclass
class Row:
    """One printed line of one column."""

    boxes: list[Box]
    column_left: float
    full_width: bool  # its column spans the text area (not one of several columns side by side)
    text: str = field(init=False)
    x0: float = field(init=False)
    x1: float = field(init=False)
    y0: float = field(init=False)
    y1: float = field(init=False)

    def __post_init__(self) -> None:
        self.x0 = min(box.x0 for box in self.boxes)
        self.x1 = max(box.x1 for box in self.boxes)
        self.y0 = min(box.y0 for box in self.boxes)
        self.y1 = max(box.y1 for box in self.boxes)
        self.text = ""

    @property
    def size(self) -> float:
        """The font size most of its characters are printed in."""
        weights: dict[float, int] = {}
        for box in self.boxes:
            key = round(box.font, 1)
            weights[key] = weights.get(key, 0) + len(box.text.strip())
        return max(weights, key=lambda key: weights[key])

    @property
    def red(self) -> bool:
        return sum(len(b.text) for b in self.boxes if b.red) > 0.5 * sum(len(b.text) for b in self.boxes)

    @property
    def has_cells(self) -> bool:
        return "    " in self.text or self.table

    @property
    def table(self) -> bool:
        """A row of a ruled table (its cells read whole)."""
        return any(box.cells for box in self.boxes)


def red_ink(red: float, green: float, blue: float) -> bool:
    """Whether a colour (RGB 0-255) prints as red: a 红头 masthead's, a seal's (``Box.red``)."""
    return red >= 150 and green < 110 and blue < 110


def char_width(boxes: list[Box]) -> float:
    """Typical width of one full-width character: from boxes of CJK text, else from box heights."""
    widths = [
        (box.x1 - box.x0) / len(box.text) for box in boxes
        if not box.cells and len(box.text) >= 4 and sum("\u3400" <= c <= "\u9fff" for c in box.text) >= 0.8 * len(box.text)
    ]
    estimate = statistics.median(widths) if widths else statistics.median(box.height for box in boxes)
    return max(estimate, 1e-6)


def page_rows(boxes: list[Box], rules: list[Rule] | None = None) -> list[list[Row]]:
    """The page's rows, one list per column, columns in reading order (top to bottom, left to right);
    ``rules``, the lines drawn on the page, rule its tables, whose rows are read cell by cell."""
    boxes = _filled_in(_drawn_once([box for box in boxes if box.text.strip()]))
    if not boxes:
        return []
    width = char_width(boxes)
    if rules:
        outside, found = tables(boxes, rules)
        boxes = outside + [row for table in found for row in _table_rows(table, width)]
    area_left = min(box.x0 for box in boxes)
    columns = []
    for left, full, column in _columns(_segments(boxes, width, gutters(boxes, width)), area_left):
        rows = [Row(line, left, full) for line in _group_lines(column)]
        for row in rows:
            row.text = _join(row.boxes, width)
        columns.append(rows)
    return columns


def _table_rows(table: Table, width: float) -> list[Box]:
    """One box per row of a ruled table that has text, spanning the table: the texts of its cells
    joined as a DOCX row's are (" | "), each cell's wrapped lines read as one text; an empty cell
    (a merged cell's text stands on the page before) adds nothing."""
    rows = []
    for top, bottom, cells in table.rows:
        texts = [text for text in (_cell_text(cell, width) for cell in cells) if text]
        inked = [box for cell in cells for box in cell.boxes]
        if not inked:
            continue
        sizes = sorted(box.font for box in inked)
        red = sum(len(box.text) for box in inked if box.red) > 0.5 * sum(len(box.text) for box in inked)
        inset = 0.1 * (bottom - top)  # rows that share a rule do not overlap
        rows.append(Box(table.x0, top + inset, table.x1, bottom - inset, " | ".join(texts),
                        size=sizes[len(sizes) // 2], red=red, cells=True))
    return rows


def _cell_text(cell: Cell, width: float) -> str:
    """A cell's lines as one text: a line that fills the cell's width wraps (joined as the cleaner
    joins wrapped lines), one that stops short ends a paragraph of the cell (a space, as DOCX joins
    a cell's paragraphs). The cell's inner margin is its widest line's."""
    lines = _group_lines(cell.boxes)
    if not lines:
        return ""
    margin = max(0.0, min(line[0].x0 for line in lines) - cell.x0)
    text = _join(lines[0], width)
    for line, below in zip(lines, lines[1:]):
        size = max(box.font for box in line)
        fills = cell.x1 - max(box.x1 for box in line) <= margin + _MARGIN_SLACK * size
        after = _join(below, width)
        text += (" " if _letter(text[-1:]) and _letter(after[:1]) else "") if fills else " "
        text += after
    return text


def _letter(char: str) -> bool:
    """A Latin letter: two words wrapped apart are joined by a space (a code or number broken at
    the cell's edge is not)."""
    return char.isascii() and char.isalpha()


def _drawn_once(boxes: list[Box]) -> list[Box]:
    """Text drawn twice at almost the same place (a writer's fake bold, a shadow) is read once."""
    kept: list[Box] = []
    seen: dict[str, list[Box]] = {}
    for box in boxes:
        shift = _DOUBLE_STRIKE * box.font
        twins = seen.setdefault(box.text, [])
        if any(abs(box.x0 - twin.x0) <= shift and abs(box.y0 - twin.y0) <= shift for twin in twins):
            continue
        twins.append(box)
        kept.append(box)
    return kept


def _filled_in(boxes: list[Box]) -> list[Box]:
    """A form's letter-spaced label with values printed into its blanks ("年    月    日" and 2022,
    11, 10 over it): the label's characters stand where it spaces them, so the values read between
    them. A box with another one inside its span on the same line is split into its characters,
    spread evenly over its width (spaces keep their places); nothing else overlaps so."""
    order = sorted(range(len(boxes)), key=lambda k: boxes[k].y0)
    tops = [boxes[k].y0 for k in order]
    split: set[int] = set()
    for k, holder in enumerate(boxes):
        if len(holder.text.replace(" ", "")) < 2:
            continue
        near = order[bisect.bisect_left(tops, holder.y0 - holder.height):bisect.bisect_right(tops, holder.y1)]
        for j in near:
            inner = boxes[j]
            overlap = min(holder.y1, inner.y1) - max(holder.y0, inner.y0)
            if j != k and overlap > 0.5 * min(holder.height, inner.height) and holder.x0 < inner.x0 and inner.x1 < holder.x1:
                split.add(k)
                break
    if not split:
        return boxes
    kept = [box for k, box in enumerate(boxes) if k not in split]
    for k in split:
        box = boxes[k]
        step = (box.x1 - box.x0 - box.font) / max(1, len(box.text) - 1)
        kept += [Box(box.x0 + i * step, box.y0, box.x0 + i * step + box.font, box.y1, char, size=box.size, red=box.red)
                 for i, char in enumerate(box.text) if not char.isspace()]
    return kept


def _segments(boxes: list[Box], char_width: float, gutters: list[float]) -> list[list[Box]]:
    """Runs of boxes on one line with no cell-wide gap and no column gutter between them: a
    detector often splits a line."""
    segments: list[list[Box]] = []
    for line in _group_lines(boxes):
        if _letter_spaced(line):
            segments.append(line)
            continue
        segments.append([line[0]])
        for previous, box in zip(line, line[1:]):
            apart = any(previous.x1 <= gutter <= box.x0 for gutter in gutters)
            if apart or box.x0 - previous.x1 > _CELL_GAP * _local_width(previous, box, char_width):
                segments.append([box])
            else:
                segments[-1].append(box)
    return segments


def _local_width(left: Box, right: Box, char_width: float) -> float:
    """The character width at two neighbouring boxes: their font's, where it is known."""
    size = max(left.size, right.size)
    return size if size > 0 else char_width


def _columns(segments: list[list[Box]], area_left: float) -> list[tuple[float, bool, list[Box]]]:
    """(left edge, spans the text area, boxes) of each column: bands between segments that span the
    text area, each split at vertical gutters. A band of one column is indented from the area's left."""
    area_width = max(box.x1 for segment in segments for box in segment) - area_left
    ordered = sorted(segments, key=lambda segment: (segment[0].y0, segment[0].x0))
    columns: list[tuple[float, bool, list[Box]]] = []
    band: list[list[Box]] = []
    for segment in ordered:
        if segment[-1].x1 - segment[0].x0 > _SPANNING * area_width:
            columns += _split_band(band, area_left)
            columns.append((area_left, True, segment))
            band = []
        else:
            band.append(segment)
    columns += _split_band(band, area_left)
    return _merge_full_width([(left, full, boxes) for left, full, boxes in columns if boxes])


def _merge_full_width(columns: list[tuple[float, bool, list[Box]]]) -> list[tuple[float, bool, list[Box]]]:
    """Consecutive stretches that span the text area are one column: its rows are read together."""
    merged: list[tuple[float, bool, list[Box]]] = []
    for left, full, boxes in columns:
        if merged and full and merged[-1][1]:
            merged[-1] = (left, True, merged[-1][2] + boxes)
        else:
            merged.append((left, full, boxes))
    return merged


def _split_band(band: list[list[Box]], area_left: float) -> list[tuple[float, bool, list[Box]]]:
    flat = [box for segment in band for box in segment]
    if len(band) < 2:
        return [(area_left, True, flat)]
    gap = char_width(flat)
    covered = sorted((segment[0].x0, segment[-1].x1) for segment in band)
    cuts, reach = [], covered[0][1]
    for x0, x1 in covered[1:]:
        if x0 - reach > gap:
            cuts.append((reach + x0) / 2)
        reach = max(reach, x1)
    columns = [[box for segment in band if _column_of(segment, cuts) == k for box in segment] for k in range(len(cuts) + 1)]
    grid = _names_in_rows(columns)
    if grid is not None:
        return [(area_left, True, grid)]
    if _cells_of_rows(columns):
        return [(area_left, True, flat)]
    merged = [columns[0]]
    for column in columns[1:]:
        if _side_by_side(merged[-1], column):
            merged.append(column)
        else:  # a short line left and another right, one above the other: one column, not two
            merged[-1] = merged[-1] + column
    if len(merged) == 1:
        return [(area_left, True, merged[0])]
    return [(min(box.x0 for box in column), False, column) for column in merged]


def _cells_of_rows(columns: list[list[Box]]) -> bool:
    """Whether "columns" are cells of table rows: each line of the shorter one is level with a line
    of another (a 版记's office and date), rather than set between its lines."""
    lines = [_group_lines(column) for column in columns]
    shortest = min(lines, key=len)
    others = [line for column in lines if column is not shortest for line in column]
    return len(shortest) < 2 and all(any(_level(line, other) for other in others) for line in shortest)


def _names_in_rows(columns: list[list[Box]]) -> list[Box] | None:
    """The boxes of joint signers set side by side in rows (GB/T 9704: two to a row, each under its
    seal), read row by row, each name whole: from the first row down every line is short and stands
    level with a line of another column, or carries on the name above it (a long name set on two
    lines, close under it), or comes after the last row (the date, "（此件主动公开）", the page
    number). Lines above the first row (the body's last) read as they stand. None for anything else."""
    lines = [_group_lines(column) for column in columns]
    level = [[any(_level(line, other) for k, column in enumerate(lines) if k != c for other in column) for line in column]
             for c, column in enumerate(lines)]
    rows = [line for c, column in enumerate(lines) for line, paired in zip(column, level[c]) if paired]
    if len(lines) < 2 or not rows:
        return None
    first_row = min(min(box.y0 for box in line) for line in rows)
    last_row = max(max(box.y0 for box in line) for line in rows)
    boxes: list[Box] = []
    for c, column in enumerate(lines):
        held: list[Box] = []  # the name being read in this column
        for k, line in enumerate(column):
            top = min(box.y0 for box in line)
            if top < first_row:
                boxes += line
                continue
            if len(_plain(line)) > _NAME_CHARS:
                return None
            if not level[c][k] and held and _carries_on(held[-1], line):
                held[-1] = _joined(held[-1], line)
                continue
            if not level[c][k] and top < last_row:
                return None
            boxes += held
            held = list(line)
        boxes += held
    return boxes


def _plain(line: list[Box]) -> str:
    return "".join("".join(box.text.split()) for box in line)


def _carries_on(name: Box, line: list[Box]) -> bool:
    """Whether ``line`` is a name's second line: ideographs only, close under it, under its width."""
    text = _plain(line)
    close = min(box.y0 for box in line) - name.y1 <= name.height
    under = min(box.x0 for box in line) < name.x1 and max(box.x1 for box in line) > name.x0
    return bool(text) and all("\u3400" <= char <= "\u9fff" for char in text) and close and under


def _joined(first: Box, rest: list[Box]) -> Box:
    """One box holding ``first``'s text and the text after it, at ``first``'s line (its size stays)."""
    text = first.text.strip() + "".join(box.text.strip() for box in rest)
    return Box(min(first.x0, *(box.x0 for box in rest)), first.y0, max(first.x1, *(box.x1 for box in rest)), first.y1,
               text, size=first.size, red=first.red)


def _level(a: list[Box], b: list[Box]) -> bool:
    top, bottom = max(min(x.y0 for x in a), min(x.y0 for x in b)), min(max(x.y1 for x in a), max(x.y1 for x in b))
    return bottom - top >= 0.5 * min(max(x.y1 for x in c) - min(x.y0 for x in c) for c in (a, b))


def _column_of(segment: list[Box], cuts: list[float]) -> int:
    centre = (segment[0].x0 + segment[-1].x1) / 2
    return sum(centre > cut for cut in cuts)


def _side_by_side(left: list[Box], right: list[Box]) -> bool:
    top = max(min(b.y0 for b in left), min(b.y0 for b in right))
    bottom = min(max(b.y1 for b in left), max(b.y1 for b in right))
    shorter = min(max(b.y1 for b in c) - min(b.y0 for b in c) for c in (left, right))
    return bottom - top >= _MIN_COLUMN_OVERLAP * shorter


def _group_lines(column: list[Box]) -> list[list[Box]]:
    """Boxes whose vertical middles fall inside one another's height are one line (a tight text-layer
    box and a padded OCR box beside it too), unless one stands over the other; a box beside a
    stack of two lines (文件 to the right of a joint masthead's two names) reads after the stack."""
    lines: list[list[Box]] = []
    for box in sorted(column, key=lambda box: box.y_mid):
        if lines:
            last = lines[-1]
            top, bottom = min(b.y0 for b in last), max(b.y1 for b in last)
            beside = top <= box.y_mid <= bottom or box.y0 <= last[-1].y_mid <= box.y1
            if beside and not any(_stacked(box, other) for other in last):
                last.append(box)
                continue
        lines.append([box])
    return _move_beside_stacks([sorted(line, key=lambda box: box.x0) for line in lines])


def _stacked(box: Box, other: Box) -> bool:
    """Whether one box stands over the other: they share most of their width, and neither's middle
    is inside the other's height (two names of a joint masthead set solid, their boxes overlapping)."""
    shared = min(box.x1, other.x1) - max(box.x0, other.x0)
    level = other.y0 <= box.y_mid <= other.y1 or box.y0 <= other.y_mid <= box.y1
    return shared > _STACKED * min(box.x1 - box.x0, other.x1 - other.x0) and not level


def _move_beside_stacks(lines: list[list[Box]]) -> list[list[Box]]:
    for k, (upper, lower) in enumerate(zip(lines, lines[1:])):
        for box in list(upper):
            others = [b for b in upper if b is not box] or (lines[k - 1] if k else [])
            if others and _beside(box, others) and _beside(box, lower):
                upper.remove(box)
                lower.append(box)
    return [line for line in lines if line]


def _beside(box: Box, line: list[Box]) -> bool:
    """Whether ``box`` stands to the right of a line's boxes, overlapping its height enough."""
    return box.x0 > max(b.x1 for b in line) and _overlap(box, line) >= _BESIDE * box.height


def _overlap(box: Box, line: list[Box]) -> float:
    """How far ``box`` overlaps the line's height: its boxes' median top to median bottom, so that a
    quotation mark whose font boxes it nearly twice as tall ("“" in WPS's fonts) does not stretch it."""
    tops, bottoms = sorted(b.y0 for b in line), sorted(b.y1 for b in line)
    return min(box.y1, bottoms[len(bottoms) // 2]) - max(box.y0, tops[len(tops) // 2])


def _join(line: list[Box], char_width: float) -> str:
    """A row's text: cells apart by four spaces, words by one (Latin words, or CJK words a gap of
    a character apart, as names in a list are set); the cleaner reads those spaces."""
    if _letter_spaced(line):
        return "".join(box.text.strip() for box in line)
    parts = [line[0].text.strip()]
    for previous, box in zip(line, line[1:]):
        gap = box.x0 - previous.x1
        width = _local_width(previous, box, char_width)
        if gap > _CELL_GAP * width:
            parts.append("    ")
        elif gap > _WORD_GAP * width or (gap > 0.5 * width and _latin_pair(previous, box)):
            parts.append(" ")
        parts.append(box.text.strip())
    return "".join(parts)


def _letter_spaced(line: list[Box]) -> bool:
    """A word set letter-spaced ("说    明", "公    告"): single CJK characters, evenly apart."""
    if len(line) < 2 or not all(len(box.text.strip()) == 1 and "\u3400" <= box.text.strip() <= "\u9fff" for box in line):
        return False
    gaps = [b.x0 - a.x1 for a, b in zip(line, line[1:])]
    return max(gaps) <= 1.5 * min(gaps) + 0.5 * line[0].font


def _latin_pair(left: Box, right: Box) -> bool:
    return left.text.strip()[-1:].isascii() and right.text.strip()[:1].isascii()
