"""Ruled tables: the cells a table's drawn rules enclose, and the text boxes inside each cell.

Word, WPS and LibreOffice draw a table's borders as thin lines or thin filled rectangles, often
piece by piece. Pieces on one line are joined, and lines that cross are one table's; the positions
of its lines make a grid, and neighbouring squares of the grid with no rule drawn between them are
one cell (a cell merged over rows or columns). A text box belongs to the cell its middle is in, so
a cell's text wrapped over several visual lines is read as one, and a row's cells together.

Rules under a 版记, a masthead's red line or a box drawn round one block of text make no table: a
table has at least two cells, each side ruled. A frame drawn round a page of text is no table either,
nor are rows with no rules between them (a 三线表's body): a cell holding more lines than a table's
cells do is one of those, unless it is a paragraph wrapped in its cell beside others (a 绩效目标表's
项目总目标 and 年度总目标 side by side), each of its lines filled to the cell's edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.ingest.layout import Box

RULE_WIDTH = 3.0  # a rule is at most this thick (points): Word draws 0.5 to 2.25 pt borders
_MIN_RULE = 3.0  # a rule is at least this long: shorter pieces are dots, corners, a glyph's stroke
_TOUCH = 2.0  # lines this close (points) meet; positions this close are one
_MAX_CROSSINGS = 250_000  # a page with more horizontal times vertical lines than this is a drawing
_MAX_CELL_LINES = 12  # a "cell" holding more visual lines than this is a frame round text, not a table's
_MIN_MEASURE = 8  # a paragraph wrapped in a cell runs at least this many characters a line
_FILLED = 0.75  # and this share of its lines, all but its paragraphs' last, reach the cell's edge


@dataclass(frozen=True)
class Rule:
    """A straight line drawn on the page, or a rectangle as thin as one; y grows downwards."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return self.x1 - self.x0 >= self.y1 - self.y0


@dataclass
class Cell:
    """One cell of a table: its rectangle inside the rules and the text boxes in it."""

    x0: float
    y0: float
    x1: float
    y1: float
    boxes: list[Box] = field(default_factory=list)


@dataclass
class Table:
    """A ruled table: per row of its grid (top to bottom, with the row's top and bottom), the cells
    that start in that row, left to right; a cell merged over rows is listed in its top row only."""

    x0: float
    x1: float
    rows: list[tuple[float, float, list[Cell]]]


@dataclass(frozen=True, order=True)
class _Line:
    at: float  # y of a horizontal line, x of a vertical one
    start: float
    end: float


def tables(boxes: list[Box], rules: list[Rule]) -> tuple[list[Box], list[Table]]:
    """The boxes outside every ruled table on the page, and the tables with their cells' boxes."""
    across = _joined([r for r in rules if r.horizontal], horizontal=True)
    down = _joined([r for r in rules if not r.horizontal], horizontal=False)
    if len(across) * len(down) > _MAX_CROSSINGS:  # a drawing (a map, a chart's grid), not a page's tables
        return boxes, []
    found = [table for group in _crossing(across, down) if (table := _grid(*group)) is not None]
    outside: list[Box] = []
    for box in boxes:
        cell = next((cell for table in found if (cell := table_cell(table, box)) is not None), None)
        if cell is None:
            outside.append(box)
        else:
            cell.boxes.append(box)
    kept = []
    for table in found:
        cells = [cell for _, _, row in table.rows for cell in row]
        if any(_visual_lines(cell.boxes) > _MAX_CELL_LINES and not _wrapped_beside(table, cell) for cell in cells):
            outside += [box for cell in cells for box in cell.boxes]  # a frame round text: read as text
        elif any(cell.boxes for cell in cells):
            kept.append(table)
    return outside, kept


def table_cell(table: Table, box: Box) -> Cell | None:
    """The cell of ``table`` the middle of ``box`` is in."""
    x, y = (box.x0 + box.x1) / 2, box.y_mid
    if not (table.x0 <= x <= table.x1 and table.rows[0][0] <= y <= table.rows[-1][1]):
        return None
    for _, _, row in table.rows:
        for cell in row:
            if cell.x0 <= x <= cell.x1 and cell.y0 <= y <= cell.y1:
                return cell
    return None


def _joined(rules: list[Rule], horizontal: bool) -> list[_Line]:
    """Pieces drawn on one line that touch or overlap are one line."""
    pieces = sorted(
        _Line((r.y0 + r.y1) / 2, r.x0, r.x1) if horizontal else _Line((r.x0 + r.x1) / 2, r.y0, r.y1)
        for r in rules if max(r.x1 - r.x0, r.y1 - r.y0) >= _MIN_RULE
    )
    groups: list[list[_Line]] = []
    for piece in pieces:
        if groups and piece.at - groups[-1][0].at <= _TOUCH:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    lines = []
    for group in groups:
        at = sum(piece.at for piece in group) / len(group)
        start, end = None, None
        for piece in sorted(group, key=lambda piece: piece.start):
            if start is not None and end is not None and piece.start <= end + _TOUCH:
                end = max(end, piece.end)
                continue
            if start is not None and end is not None:
                lines.append(_Line(at, start, end))
            start, end = piece.start, piece.end
        if start is not None and end is not None:
            lines.append(_Line(at, start, end))
    return lines


def _meets(across: _Line, down: _Line) -> bool:
    return (across.start - _TOUCH <= down.at <= across.end + _TOUCH
            and down.start - _TOUCH <= across.at <= down.end + _TOUCH)


def _crossing(across: list[_Line], down: list[_Line]) -> list[tuple[list[_Line], list[_Line]]]:
    """Groups of horizontal and vertical lines that meet one another: one table each."""
    parent = list(range(len(across) + len(down)))
    for i, line in enumerate(across):
        for j, other in enumerate(down):
            if _meets(line, other):
                parent[_root(parent, i)] = _root(parent, len(across) + j)
    groups: dict[int, tuple[list[_Line], list[_Line]]] = {}
    for i, line in enumerate(across):
        groups.setdefault(_root(parent, i), ([], []))[0].append(line)
    for j, line in enumerate(down):
        groups.setdefault(_root(parent, len(across) + j), ([], []))[1].append(line)
    return [group for group in groups.values() if len(group[0]) >= 2 and len(group[1]) >= 2]


def _grid(across: list[_Line], down: list[_Line]) -> Table | None:
    """The table these lines rule: the grid of their positions, squares with no rule between them
    merged into one cell; None when they enclose fewer than two cells."""
    left, right = min(line.start for line in across), max(line.end for line in across)
    top, bottom = min(line.start for line in down), max(line.end for line in down)
    xs = _positions([line.at for line in down] + [left, right])
    ys = _positions([line.at for line in across] + [top, bottom])
    columns, rows = len(xs) - 1, len(ys) - 1
    if columns < 1 or rows < 1:
        return None
    parent = list(range(rows * columns))
    for r in range(rows):
        middle = (ys[r] + ys[r + 1]) / 2
        for c in range(1, columns):
            if not any(abs(line.at - xs[c]) <= _TOUCH and line.start - _TOUCH <= middle <= line.end + _TOUCH for line in down):
                parent[_root(parent, r * columns + c)] = _root(parent, r * columns + c - 1)
    for c in range(columns):
        middle = (xs[c] + xs[c + 1]) / 2
        for r in range(1, rows):
            if not any(abs(line.at - ys[r]) <= _TOUCH and line.start - _TOUCH <= middle <= line.end + _TOUCH for line in across):
                parent[_root(parent, r * columns + c)] = _root(parent, (r - 1) * columns + c)
    spans: dict[int, list[int]] = {}
    for k in range(rows * columns):
        r, c = divmod(k, columns)
        span = spans.setdefault(_root(parent, k), [r, c, r, c])
        span[0], span[1], span[2], span[3] = min(span[0], r), min(span[1], c), max(span[2], r), max(span[3], c)
    if len(spans) < 2:
        return None
    starting: list[list[Cell]] = [[] for _ in range(rows)]
    for r0, c0, r1, c1 in sorted(spans.values(), key=lambda span: (span[0], span[1])):
        starting[r0].append(Cell(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
    return Table(xs[0], xs[-1], [(ys[r], ys[r + 1], starting[r]) for r in range(rows)])


def _root(parent: list[int], k: int) -> int:
    """The representative of ``k``'s group in a union-find forest (``parent``), halving the path."""
    while parent[k] != k:
        parent[k] = parent[parent[k]]
        k = parent[k]
    return k


def _positions(values: list[float]) -> list[float]:
    """The distinct positions among ``values``: those within ``_TOUCH`` of one another are one."""
    merged: list[float] = []
    for value in sorted(values):
        if merged and value - merged[-1] <= _TOUCH:
            continue
        merged.append(value)
    return merged


def _wrapped_beside(table: Table, cell: Cell) -> bool:
    """Whether ``cell`` holds one paragraph wrapped at its edge beside other cells: narrower than its
    table (a frame spans it), its longest line at least ``_MIN_MEASURE`` characters, and its lines filled to
    within a character and a half of the cell's longest, but for a paragraph's last lines (rows stacked
    without rules, short items each on its line, stop where their words do)."""
    if cell.x0 <= table.x0 + _TOUCH and cell.x1 >= table.x1 - _TOUCH:
        return False
    lines = _printed_lines(cell.boxes)
    size = _median_size(cell.boxes)
    ends = [max(box.x1 for box in line) for line in lines]
    full = max(ends)
    if full - min(box.x0 for box in cell.boxes) < _MIN_MEASURE * size:
        return False
    filled = sum(end >= full - 1.5 * size for end in ends[:-1])
    return filled >= _FILLED * (len(ends) - 1)


def _visual_lines(boxes: list[Box]) -> int:
    """How many printed lines the boxes stand on."""
    return len(_printed_lines(boxes))


def _printed_lines(boxes: list[Box]) -> list[list[Box]]:
    """The boxes by the printed line they stand on, top to bottom: a box whose middle is half its
    size or more below the one above it starts a line."""
    if not boxes:
        return []
    step = 0.5 * _median_size(boxes)
    lines: list[list[Box]] = []
    previous = None
    for box in sorted(boxes, key=lambda box: box.y_mid):
        if previous is None or box.y_mid - previous > step:
            lines.append([])
        lines[-1].append(box)
        previous = box.y_mid
    return lines


def _median_size(boxes: list[Box]) -> float:
    sizes = sorted(box.font for box in boxes)
    return sizes[len(sizes) // 2]
