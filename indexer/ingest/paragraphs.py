"""Rows of positioned text -> the lines of each page, with the paragraph structure the page shows.

A reader sees where a paragraph ends: its last line stops short of the right margin, the next
line is indented or set apart, or in another size or colour. A line that runs to the right margin
and is followed by a line starting at the left margin, in the same size, wraps: the paragraph goes
on. The lines of a title block (centred, close together, larger than the body) are one paragraph
too; red print larger than the body (a 红头 masthead) stands alone, red text in body type wraps. Each line keeps its indent as leading spaces; a line
that ends its paragraph ends with ``PARAGRAPH_END``, one that wraps with ``LINE_WRAP``, a masthead's with
``MASTHEAD_END``. The cleaner
(``indexer.gongwen.clean``) joins the lines by these marks instead of guessing from punctuation.
"""

from __future__ import annotations

import bisect
import re
import statistics
from unicodedata import east_asian_width

from indexer.ingest.layout import Box, Row, char_width, page_rows
from indexer.ingest.tables import Rule

PARAGRAPH_END = "\u2029"  # Unicode's paragraph separator, at the end of a line that ends its paragraph
LINE_WRAP = "\u2028"  # Unicode's line separator, at the end of a line whose paragraph goes on
# at the end of a masthead's line (red print larger than the body, a 发文机关标志): it ends its paragraph
# and stands apart from the title under it, whatever its words ("XX县委组织部" over "关于……的通知")
MASTHEAD_END = PARAGRAPH_END * 2

_MARGIN_SLACK = 1.5  # a line within this many character widths of the right margin runs to it
_LEFT_SLACK = 1.0  # a line starting within this many character widths of the column's left edge is not indented
_FIRST_LINE_INDENT = 2.0  # GB/T 9704 indents a paragraph's first line two characters
_WRAP_INDENT = 4.0  # a wrapped paragraph's first line is indented at most this many characters
_SAME_SIZE = 0.15  # sizes within this share of each other are one size
_PITCH_OF_HEIGHT = 1.5  # an OCR row whose characters are further apart than this many box heights was not read whole
TITLE_SIZE = 1.1  # a title block (a masthead too) is set at least this much larger than the body: 小二 over 三号 is 1.125
SET_RIGHT = 8  # a line indented this many characters or more is set right: a signature, a date
_CENTRED = 2.0  # a centred line's middle is within this many character widths of its column's
_TITLE_STEP = 0.55  # a title's lines differ in size by at most this factor ("中华人民共和国" over a licence's name)
_TITLE_GAP = 1.0  # lines of a title are at most a line's height apart
_PARAGRAPH_GAP = 1.7  # rows further apart than this many times the usual line pitch are not one paragraph
_FOOTER_GAP = 1.3  # a short row this many line pitches below the text above it is the page's footer
_FOOTER_CHARS = 12  # a footer row (a page number, "第 3 页 共 9 页") is no longer than this
_FOOTER_ROWS = 2  # a page's footer is at most this many rows: a page number and a line under it
_RUNNING_PAGES = 3  # a row recurring at the top of this many pages (and half of them) is a running header
_HEADER_CHARS = 24  # a running header ("全国人民代表大会常务委员会公报 2021·5") is no longer than this
# the marks GB/T 9704 sets over the masthead (份号, 密级 and its term, 紧急程度): the document's first
# lines, where they stand, not a running header
_HEAD_MARK = re.compile(r"^(?:\d{6}|(?:绝密|机密|秘密)(?:★.{0,8})?|特急|加急|特提|平急|急件)$")
_COLUMN_ROWS = 5  # a column of this many rows is text set in columns (its text runs on into the next), not a side block
_OWN_MARGIN = 6  # a page with this many long rows shows its own margins
_SENTENCE_END = "。！？；：!?;"  # a row ending in one ends its paragraph where it stops short
_WORD_SLACK = 0.5  # a Latin letter or digit is taken as half a character wide, within this many characters
_LONG_ROW = 8  # rows of at least this many characters show where the right margin is
_INDENT_RANGE = (1.5, 2.5)  # a paragraph's first line is indented two characters (in its own type)
_FOOTER_NUMBER_GAP = 1.1  # a bare page number this many pitches below the text is the footer (double-spaced rules)
# a numbered item's marker: its wrapped lines may hang under the text after it (Word's hanging indent)
# ("118.46万元" opens no item: a dot with a digit after it is a decimal point, not a marker's); a
# reference's number "[6]" (GB/T 7714) is one
ITEM_MARKER = re.compile(
    r"^(?:[（(](?:[一二三四五六七八九十百]+|\d{1,3}|[A-Za-z])[)）]|(?:[一二三四五六七八九十百]+|\d{1,3}(?:\.\d{1,3})*|[A-Za-z])"
    r"(?:[)）、]|[.．](?!\d))|\d{1,3}(?:\.\d{1,3})+(?=\s)|[①-⑳]|\[\d{1,3}\])"
)
# a word a line is never broken inside: a number ("118.46", "4.92%", "（¥20,000.00）" with the bracket
# and currency sign before it, which may not end a line) or a run of Latin letters
_UNBROKEN_WORD = re.compile(r"^(?:[（(]?[¥￥$])?[0-9A-Za-z.,%‰]+")
# closing punctuation, which may not open a line (禁则): the character or number before it wraps with it
_CLOSING = re.compile("[，。、；：！？）》」』”’]+")
_HELD_TOGETHER = re.compile(rf"^[\u3400-\u9fff]{_CLOSING.pattern}")
# a page number between dashes: "— 3 —" as printed, and as OCR reads it, the dashes as "-", "一", "_"
# or "~" ("-1一", "一6一"), a single digit between them sometimes as a letter ("-S-" for "-5-")
_DASH = "[—–－\\-一_~～]"
DASHED_PAGE_NUMBER = rf"{_DASH}+\s*(?:\d{{1,4}}|[A-Za-z])\s*{_DASH}+"
_MARKED_PAGE_NUMBER = re.compile(rf"^{DASHED_PAGE_NUMBER}$|^第\s*\d{{1,4}}\s*页(?:\s*[，,/]?\s*共\s*\d{{1,4}}\s*页)?$")
_BARE_NUMBER = re.compile(r"\d{1,4}")  # a page number as Word's page field prints it in a footer
_PAGE_NUMBER_ROW = re.compile(rf"^{_DASH}?\s*\d{{1,4}}\s*{_DASH}?$|^{DASHED_PAGE_NUMBER}$|^第\s*\d{{1,4}}\s*页")


def laid_out(pages: list[list[Box]], rules: list[list[Rule]] | None = None) -> list[str]:
    """Each page's text: lines in reading order with indents and paragraph ends; ``rules``, the
    lines drawn on each page, rule its tables (a row of one is a line, its cells joined by " | ").

    The margins are the page's where it has enough full lines to show them, or a paragraph whose
    first line, indented two characters, ends where its second does; else the document's over all its
    pages: on a page of short lines (a list, a signature page) no line runs to the document's margin,
    so none wraps; a page of text among pages of wider tables keeps its own.
    """
    rows = [page_rows(boxes, rules[k] if rules else None) for k, boxes in enumerate(pages)]
    every_box = [box for boxes in pages for box in boxes if box.text.strip()]
    if not every_box:
        return ["" for _ in pages]
    width = char_width(every_box)
    body = _body_size(every_box)
    # a masthead's names are spread to one width (分散对齐): five of them would pass for the margins
    full = [[row for column in page for row in column if row.full_width and not _masthead(row, body)] for page in rows]
    everywhere = [row for page in full for row in page]
    document = (_left_margin(everywhere, width), _right_margin(everywhere, width))
    running = _running_headers(rows)
    numbers_at = _page_number_place(rows)
    texts = []
    for page, own in zip(rows, full):
        margins = (_left_margin(own, width), _right_margin(own, width)) if len(_long(own)) >= _OWN_MARGIN \
            else _paragraph_margins(own, width) or document
        page = [column[:-1] if _at_place(column, numbers_at) else column for column in page]
        texts.append("\n".join(_page_text(page, width, margins, body, running)))
    return texts


def _paragraph_margins(rows: list[Row], width: float) -> tuple[float, float] | None:
    """A page's margins shown by one paragraph: its first line indented two characters and its second
    flush, both long and ending at one edge (a landscape page of a budget with a short paragraph,
    among pages of tables wider than its text). Lines of a list end where their words do."""
    long = _long(rows)
    for first, second in zip(long, long[1:]):
        indent = (first.x0 - second.x0) / _own_width(first, width)
        if _INDENT_RANGE[0] <= indent <= _INDENT_RANGE[1] and abs(first.x1 - second.x1) <= 0.5 * width:
            return second.x0, max(first.x1, second.x1)
    return None


def _page_number_place(pages: list[list[list[Row]]]) -> float | None:
    """Where the document's footer prints its bare page numbers ("1", "2", …): the top of a column's last
    row that is a number alone, at the same height on at least three pages and half of them. On a page
    filled down to its footer the number stands closer under the text than a line's pitch, and only
    its place tells it from the text."""
    tops = [rows[-1] for page in pages for rows in page if len(rows) > 1 and _BARE_NUMBER.fullmatch(rows[-1].text.strip())]
    heights = sorted(row.y0 for row in tops)  # counted by bisection: a 5,000-page file has as many numbers
    best: tuple[int, float] | None = None
    for row in tops:
        near = 0.5 * (row.y1 - row.y0)
        pages_there = bisect.bisect_right(heights, row.y0 + near) - bisect.bisect_left(heights, row.y0 - near)
        if best is None or pages_there > best[0]:
            best = (pages_there, row.y0)
    if best is None or best[0] < _RUNNING_PAGES or 2 * best[0] < len(pages):
        return None
    return best[1]


def _at_place(rows: list[Row], numbers_at: float | None) -> bool:
    """Whether the column ends in a bare page number printed where the document's footer prints them."""
    last = rows[-1]
    return numbers_at is not None and len(rows) > 1 and bool(_BARE_NUMBER.fullmatch(last.text.strip())) \
        and abs(last.y0 - numbers_at) <= 0.5 * (last.y1 - last.y0)


def _running_headers(pages: list[list[list[Row]]]) -> set[str]:
    """The words a running header prints: a column's first row at the top of the page, the same (but
    for its numbers) at the top of at least three pages and of half of them. In body type it is told
    from the text only by recurring: a Gazette's "…公报 2021·5" over the right column of odd pages."""
    counts: dict[str, int] = {}
    for page in pages:
        columns = [rows for rows in page if len(rows) > 1]
        if not columns:
            continue
        top = min(rows[0].y0 for rows in columns)
        for key in {_header_key(rows[0].text) for rows in columns if rows[0].y0 - top <= 0.5 * (rows[0].y1 - rows[0].y0)}:
            counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if key and count >= _RUNNING_PAGES and 2 * count >= len(pages)}


def _header_key(text: str) -> str:
    return re.sub(r"[0-9０-９]+", "#", re.sub(r"\s+", "", text))


def page_lines(boxes: list[Box]) -> list[str]:
    """One page read on its own (a scan): its lines with indents and paragraph ends."""
    text = laid_out([boxes])[0]
    return text.split("\n") if text else []


def _page_text(columns: list[list[Row]], width: float, margins: tuple[float, float], body: float,
               running: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The page's lines; a running header (set apart above the text in small type, or recurring at
    the top of the pages: ``running``) is read after it, so a paragraph running over the page break
    or into the next column joins the text it goes on with."""
    lines: list[str] = []
    header: list[str] = []
    for number, rows in enumerate(columns):
        # the page's text goes on overleaf from its last column, and a column of text into the next one
        text_column = len(rows) >= _COLUMN_ROWS
        overleaf = (number == len(columns) - 1 and rows[0].full_width) or (not rows[0].full_width and text_column)
        if rows[0].full_width:
            left, right = margins
        elif text_column and _shared_edges(rows, width):
            left, right = _left_margin(rows, width), _right_margin(rows, width)
        else:  # a side block, a form's column: a few rows, or rows that share no edges
            left, right = min(row.x0 for row in rows), max(row.x1 for row in rows)
        pitch = _pitch(rows)
        first = _first_body_row(rows, pitch, body) if number == 0 else 0
        foot = _foot_number(rows, first)
        last = _last_body_row(rows if foot is None else rows[: foot + 1], pitch)
        while first < last and _header_key(rows[first].text) in running:
            first += 1
        # a page number marked as one ("— 3 —") ends the body however close under the text it
        # stands (the Gazette sets "—1013—" one pitch below the last row): it is kept as a line
        # of its own, the row above it may go on overleaf
        footer = last
        if last > first and _MARKED_PAGE_NUMBER.match(rows[last].text.strip()):
            last -= 1
        extent = (min(row.x0 for row in rows), max(row.x1 for row in rows)) if not rows[0].full_width else (left, right)
        # a full-width stretch's last row goes on into the stretch set under it beside something else
        # (a formula and its number at the right margin): the first row of the next column below it
        following = columns[number + 1][0] if number + 1 < len(columns) else None
        running_into = following if rows[0].full_width and following is not None and following.y0 > rows[-1].y0 else None
        hang: float | None = None  # where the text of the numbered item being read starts
        for k, row in enumerate(rows):
            if k > footer and _PAGE_NUMBER_ROW.match(row.text.strip()) or foot is not None and k > foot:
                continue  # the footer's page number, and what is printed under it, are the page's, not the text's
            indent = 0 if row.table else max(0, round((row.x0 - left) / width))  # a table row is not set right
            marker = _item_hang(row, width) if row.x0 - left <= _LEFT_SLACK * width else None
            hang = marker if marker is not None else hang if hang is not None and abs(row.x0 - hang) <= _LEFT_SLACK * width else None
            if k == last and running_into is not None:  # the text goes on under a full-width stretch
                wraps = _continues(row, running_into, width, (left, right, *extent), pitch, body)
            elif k == last:  # the body's last line runs to the margin: its paragraph goes on overleaf
                wraps = overleaf and _reaches(row, right, width) and not row.has_cells and not row.red
            elif first <= k < last:
                below = rows[k + 1]
                hangs = hang is not None and _hangs_on(row, below, width, (hang, right), pitch)
                # under a numbered item, the next one's marker starts a paragraph even at the left margin
                wraps = hangs or (
                    not (hang is not None and ITEM_MARKER.match(below.text.lstrip()))
                    and _continues(row, below, width, (left, right, *extent), pitch, body)
                )
            else:
                wraps = False
            end = LINE_WRAP if wraps else MASTHEAD_END if _masthead(row, body) else PARAGRAPH_END
            (header if k < first else lines).append(" " * indent + row.text + end)
    return lines + header


def _continues(row: Row, below: Row, width: float, margins: tuple[float, ...], pitch: float, body: float) -> bool:
    """Whether ``below`` carries on the paragraph ``row`` is in; ``margins`` are the column's text
    margins and the extent of its ink (a title is centred on the latter)."""
    left, right, *extent = margins
    if row.has_cells or below.has_cells:
        return False
    if (row.red or below.red) and not (row.red and below.red and _same_size(row.size, body) and _same_size(below.size, body)):
        return False  # a masthead stands alone; red text in body type (a law's 题注) wraps as black text does
    if _title_block(row, below, (extent[0], extent[1]), width, body) and not _fills_measure(below, (left, right), width, body):
        return True
    if pitch and below.y0 - row.y0 > _PARAGRAPH_GAP * pitch or not _same_print(row, below):
        return False
    indented = row.x0 - left > _WRAP_INDENT * _own_width(row, width)  # a right-aligned signature line, not a wrapped one
    reaches = _reaches(row, right, width) or _word_did_not_fit(row, below, right, width)
    return reaches and not indented and below.x0 - left <= _LEFT_SLACK * width


def _own_width(row: Row, width: float) -> float:
    """A full-width character of the row's own type: its size where the file gives one (a page set
    in a larger type than most of the document indents by its own characters), else ``width``."""
    return row.size if any(box.size > 0 for box in row.boxes) else width


def _masthead(row: Row, body: float) -> bool:
    """Red print larger than the body: a masthead (a seal's red is a picture, or OCR's, not a row's)."""
    return row.red and row.size >= TITLE_SIZE * body


def _item_hang(row: Row, width: float) -> float | None:
    """Where the text after a numbered item's marker starts ("a）", "（十二）", "2.1、", "③"), when the
    row begins with one: the next run's left edge when a gap sets the marker apart, else the marker's
    printed width (full-width characters one character wide, others half)."""
    text = row.boxes[0].text.lstrip()
    found = ITEM_MARKER.match(text)
    if not found:
        return None
    if text[found.end():].strip() == "" and len(row.boxes) > 1:
        return row.boxes[1].x0
    return row.x0 + sum(width if not char.isascii() else width / 2 for char in found.group())


def _hangs_on(row: Row, below: Row, width: float, margins: tuple[float, float], pitch: float) -> bool:
    """Whether ``below`` carries on a numbered item: ``row`` runs to the right margin and ``below``
    starts under the item's text (its hanging indent), close below it, in the same size."""
    hang, right = margins
    if row.red or below.red or below.has_cells or (row.has_cells and _item_hang(row, width) is None):
        return False
    if pitch and below.y0 - row.y0 > _PARAGRAPH_GAP * pitch or not _same_print(row, below):
        return False
    return _reaches(row, right, width) and abs(below.x0 - hang) <= _LEFT_SLACK * width


def _title_block(row: Row, below: Row, margins: tuple[float, float], width: float, body: float) -> bool:
    """Two centred lines close together, one larger than the body and neither smaller: lines of
    one title (a licence's "中华人民共和国" over its name in larger type, too)."""
    small, large = sorted((row.size, below.size))
    big = small >= body and large >= TITLE_SIZE * body and small >= _TITLE_STEP * large
    close = below.y0 - row.y1 <= _TITLE_GAP * max(row.y1 - row.y0, below.y1 - below.y0)
    return big and close and _centred(row, margins, width) and _centred(below, margins, width)


def _fills_measure(row: Row, margins: tuple[float, float], width: float, body: float) -> bool:
    """A row in body type from the left margin, or a paragraph's first-line indent, to the right one:
    a line of text (a 主送 set close under the title, the body's first line), centred only because
    it is full, so no title block goes on into it."""
    indent = (_LEFT_SLACK + _FIRST_LINE_INDENT) * width
    return _same_size(row.size, body) and row.x0 - margins[0] <= indent and _reaches(row, margins[1], width)


def _first_body_row(rows: list[Row], pitch: float, body: float) -> int:
    """Index of the first row below a running header: a short row in small type set apart above the
    text, but for a mark of the 版头 ("特急", "机密★1年")."""
    first = 0
    while (
        first < min(2, len(rows) - 1) and pitch and len(rows[first].text.replace(" ", "")) <= _HEADER_CHARS
        and not _HEAD_MARK.match(rows[first].text.replace(" ", ""))
        and rows[first].size < body and rows[first].size < rows[first + 1].size  # smaller than the text (a title is larger)
        and rows[first + 1].y0 - rows[first].y0 > _FOOTER_GAP * pitch and len(rows) >= _COLUMN_ROWS
    ):
        first += 1
    return first


def _foot_number(rows: list[Row], first: int) -> int | None:
    """Index of a page number marked as one ("— 3 —", OCR's "一3一") among the column's last rows,
    with only short rows under it (a scanner app's mark printed below the number): the page's
    footer starts there, however close under the text the number stands."""
    for k in range(len(rows) - 1, max(first, len(rows) - 1 - _FOOTER_ROWS), -1):
        if _MARKED_PAGE_NUMBER.match(rows[k].text.strip()):
            return k
        # its closing dash wrapped under it, where a two-digit number did not fit Word's field box ("- 10" / "-")
        if k - 1 > first and len(rows[k].text.strip()) == 1 and _MARKED_PAGE_NUMBER.match(
                f"{rows[k - 1].text.strip()} {rows[k].text.strip()}"):
            return k - 1
        if len(rows[k].text.replace(" ", "")) > _FOOTER_CHARS:
            return None
    return None


def _last_body_row(rows: list[Row], pitch: float) -> int:
    """Index of the last row above the footer: a short row (a page number) set apart below the text."""
    last = len(rows) - 1
    while (
        last > 0 and pitch and len(rows) - last <= 2 and len(rows[last].text.replace(" ", "")) <= _FOOTER_CHARS
        and rows[last].y0 - rows[last - 1].y0 > pitch * (
            _FOOTER_NUMBER_GAP if _PAGE_NUMBER_ROW.match(rows[last].text.strip()) else _FOOTER_GAP)
    ):
        last -= 1
    return last


def _reaches(row: Row, right: float, width: float) -> bool:
    return row.x1 >= right - _MARGIN_SLACK * max(width, row.size if row.size > 0 else 0)


def _word_did_not_fit(row: Row, below: Row, right: float, width: float) -> bool:
    """Whether ``row`` stops short of the margin only because the word opening ``below`` (a number, a
    Latin word: never broken, half a character wide a letter) would not have fitted after it: a line
    broken before "118.46万元" leaves up to that word's width blank; so does a character that went down
    with the closing punctuation after it, which no line may start with ("…年初预算为80.81万" | "元，…").
    A row that ends a sentence ends it."""
    opening = below.text.lstrip()
    word = _UNBROKEN_WORD.match(opening)
    if not row.text.strip() or row.text.strip()[-1] in _SENTENCE_END:
        return False
    if word:  # with the closing punctuation after it, which goes down with it ("0%，")
        closing = _CLOSING.match(opening, word.end())
        needed = sum(width if east_asian_width(char) in "FW" else width / 2 for char in word.group()) \
            + (closing.end() - closing.start() if closing else 0) * width
        return row.x1 + needed > right - _WORD_SLACK * width
    # no line starts with closing punctuation: the character before it goes down with it ("…万" | "元，")
    held = _HELD_TOGETHER.match(opening)
    return held is not None and row.x1 + len(held.group()) * width > right - _WORD_SLACK * width


def _centred(row: Row, margins: tuple[float, float], width: float) -> bool:
    middle = (margins[0] + margins[1]) / 2
    return abs((row.x0 + row.x1) / 2 - middle) <= _CENTRED * width


def _same_print(row: Row, below: Row) -> bool:
    """Whether two rows are set in one size. OCR gives no font size, and its box heights vary with
    the glyphs on each line by more than one size step, so rows read by OCR are compared by the
    pitch of their characters, which keeps to the type's size line by line; where a row's pitch is
    no character's (OCR read a few characters of a line it boxed whole), by their heights."""
    upper, lower = _pitch_of_characters(row), _pitch_of_characters(below)
    if upper is None or lower is None:
        return _same_size(row.size, below.size)
    # the pitches with every mark whole are one size, or what the marks leave open meets exactly
    # (no tolerance on top: a 三号 row over a 四号 one would pass)
    return _same_size(upper[0], lower[0]) or (upper[0] <= lower[1] and lower[0] <= upper[1])


def _pitch_of_characters(row: Row) -> tuple[float, float] | None:
    """The least and greatest pitch an OCR row's boxes give its characters: their widths over the
    characters, full-width ones whole and the others half, a full-width punctuation mark whole or
    half (set close up, 标点挤压, or ending a box that stops at its ink, in the left half of the
    mark's square); None for a row with font sizes, or one whose pitch passes its box height by half
    (letters spaced out, or characters OCR did not read)."""
    if any(box.size > 0 for box in row.boxes):
        return None
    characters = [char for box in row.boxes for char in box.text if not char.isspace()]
    count = sum(0.5 if char.isascii() else 1.0 for char in characters)
    marks = sum(bool(_CLOSING.fullmatch(char)) for char in characters)
    ink = sum(box.x1 - box.x0 for box in row.boxes)
    if not count or ink / count > _PITCH_OF_HEIGHT * (row.y1 - row.y0):
        return None
    return ink / count, ink / max(count - marks / 2, 0.5)


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= _SAME_SIZE * max(a, b, 1e-6)


def _left_margin(rows: list[Row], width: float) -> float:
    """Where the body's lines start: the left edge most long rows share (a wrapped line's), not the
    leftmost ink (a masthead set wider than the text)."""
    starts = _most_common([row.x0 for row in _long(rows)], width)
    return min(starts) if starts else min((row.x0 for row in rows), default=0.0)


def _right_margin(rows: list[Row], width: float) -> float:
    """Where the body's full lines end: the right edge most long rows share (justified lines pile up
    there), not the rightmost ink (a table wider than the text)."""
    ends = _most_common([row.x1 for row in _long(rows)], width)
    return max(ends) if ends else max((row.x1 for row in rows), default=0.0)


def _shared_edges(rows: list[Row], width: float) -> bool:
    """Whether a column is set as text: at least three long rows end at one right edge."""
    ends = _most_common([row.x1 for row in _long(rows)], width)
    return len(ends) >= 3 and max(ends) - min(ends) <= width


def _long(rows: list[Row]) -> list[Row]:
    return [row for row in rows if len(row.text.replace(" ", "")) >= _LONG_ROW and not row.has_cells]


def _most_common(edges: list[float], width: float) -> list[float]:
    """The edges in the half-character bin that most edges fall into."""
    step = 0.5 * width
    counts: dict[int, int] = {}
    for x in edges:
        counts[round(x / step)] = counts.get(round(x / step), 0) + 1
    if not counts:
        return []
    best = max(counts.values())
    return [x for x in edges if counts[round(x / step)] == best]


def _body_size(boxes: list[Box]) -> float:
    """The size most characters are printed in."""
    weights: dict[float, int] = {}
    for box in boxes:
        key = round(box.font, 1)
        weights[key] = weights.get(key, 0) + len(box.text.strip())
    return max(weights, key=lambda key: weights[key])


def _pitch(rows: list[Row]) -> float:
    """The usual distance from one row's top to the next one's in a column."""
    steps = [b.y0 - a.y0 for a, b in zip(rows, rows[1:]) if b.y0 > a.y0]
    return statistics.median(steps) if steps else 0.0
