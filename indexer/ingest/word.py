"""DOCX: paragraphs separated by a blank line, table rows one per line with cells joined by `` | ``.

A Word paragraph that ends a sentence, and one followed by a paragraph aligned otherwise (a
signature or a date set right), ends its paragraph: its line ends with ``PARAGRAPH_END``, so the
cleaner never glues a signature to the line before. Text pasted into Word often breaks a sentence
over paragraphs ("…用燃气检漏仪对燃" / "气管道设施进行检漏。"): a paragraph that stops mid-sentence
carries no mark and the cleaner decides, as for plain text, unless Word shows it wrapping (it fills
its line and the next goes on flush in the same look: ``docxwraps``), where it goes on (``LINE_WRAP``). The lines of a title set over several
centred paragraphs in one size larger than the body go on (``LINE_WRAP``), as in a PDF's title block,
and its last line ends where the size changes (a smaller line under it, "1985年6月制订", centred too);
a red paragraph larger than the body is a masthead (``MASTHEAD_END``), as on a PDF's page. Text boxes
(a template's floating masthead and 版记) are read where they are anchored (``docxboxes``).
Paragraphs Word numbers itself keep the number it prints ("一、", "（一）", "1."; ``docxnumbering``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from indexer.errors import UnreadableFile
from indexer.ingest.docxboxes import boxes_in
from indexer.ingest.docxnumbering import Numbering
from indexer.ingest.docxwraps import CLOSING, DEFAULT_MEASURE, W, aligned, goes_on
from indexer.ingest.files import nonblank
from indexer.ingest.layout import red_ink
from indexer.ingest.limits import MAX_TABLE_COLUMNS
from indexer.ingest.paragraphs import LINE_WRAP, MASTHEAD_END, PARAGRAPH_END, SET_RIGHT, TITLE_SIZE

_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# spaces between two characters of running text: a blank to fill in where they are underlined
_BLANK = re.compile(f"(?<=[{_IDEOGRAPH}])[ \t\u3000\xa0]+(?=[{_IDEOGRAPH}])")


def extract_docx(path: Path, data: bytes) -> tuple[list[str], str | None]:
    try:
        document = docx.Document(io.BytesIO(data))
        content = list(document.iter_inner_content())
        numbering = Numbering(document)
        blocks = [_docx_block_text(block, numbering) for block in content]
        title = document.core_properties.title
        looks = [_look(block) if isinstance(block, Paragraph) and block.text.strip() else None for block in content]
        numbered = [isinstance(block, Paragraph) and text != _paragraph_text(block) for block, text in zip(content, blocks)]
        body = _body_points(document, looks)
        wraps = goes_on(document, content, numbered, [look[1] if look else None for look in looks], body)
        marks = _paragraph_marks(content, looks, wraps)
        indents = _set_right(document, content, looks)
        parts: list[str] = []
        for k, block in enumerate(blocks):
            boxes = _box_lines(content[k], body)
            own = [" " * indents[k] + _marked(block, marks[k])] if block.strip() else []
            if boxes and parts and parts[-1].endswith(LINE_WRAP):
                parts.extend(own + boxes)  # the paragraph above goes on into this block's text: the boxes after it
                continue
            if boxes and parts and not parts[-1].endswith(PARAGRAPH_END):
                parts[-1] += PARAGRAPH_END  # no sentence runs on into a box
            parts.extend(boxes + own)
    except Exception as exc:  # not a ZIP, missing parts, malformed XML: all mean the same to the user
        raise UnreadableFile(path, f"not a readable DOCX: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(parts)
    if not text:
        raise UnreadableFile(path, "empty document: the DOCX has no text")
    return [text], nonblank(title)


def _docx_block_text(block: Paragraph | Table, numbering: Numbering) -> str:
    if isinstance(block, Paragraph):
        label = numbering.label(block)
        text = _paragraph_text(block)
        return label + (" " if label[-1:].isascii() and label[-1:].isalnum() else "") + text if label else text
    rows = []
    for row in block.rows:
        if sum(tc.grid_span for tc in row._tr.tc_lst) > MAX_TABLE_COLUMNS:
            # python-docx lists a merged cell once per grid column: a declared span of 200,000,000
            # is a list that size; such a row is read cell by cell as stored
            stored = [_Cell(tc, block) for tc in row._tr.tc_lst]
            rows.append(" | ".join(" ".join(_paragraph_text(p) for p in cell.paragraphs if p.text.strip()) for cell in stored))
            continue
        cells, previous = [], None
        for cell in row.cells:
            if cell._tc is not previous:  # a merged cell is listed once per grid column it spans
                cells.append(" ".join(_paragraph_text(p) for p in cell.paragraphs if p.text.strip()))
            previous = cell._tc
        rows.append(" | ".join(cells))
    return "\n".join(rows)


def _box_lines(block: Paragraph | Table, body: float) -> list[str]:
    """The printed lines of the text boxes anchored in ``block`` (``docxboxes``): boxes side by side on
    one line joined by a space, a red box larger than the body a masthead. A box's last line ends its
    paragraph; its lines before it are left to the cleaner, as plain text is: a small box's text is
    often broken by hand ("网格员对照数据，核查" / "用户用气情况，填写浮" / "动原因。")."""
    lines = []
    for row in boxes_in(block._element, block._parent):
        paragraphs = [[p for p in box.paragraphs if p.text.strip()] for box in row]
        # the row's boxes as runs of printed lines, each line the paragraphs printed on it
        if all(len(each) == 1 for each in paragraphs):
            runs = [[[each[0] for each in paragraphs]]]  # one line each: side by side
        else:
            runs = [[[p] for p in each] for each in paragraphs if each]
        for run in runs:
            for k, printed in enumerate(run):
                masthead = all(_masthead(p, _look(p)[1], body) for p in printed)
                mark = MASTHEAD_END if masthead else PARAGRAPH_END if k == len(run) - 1 else ""
                lines.append(" ".join(_paragraph_text(p).strip() for p in printed) + mark)
    return lines


def _paragraph_text(paragraph: Paragraph) -> str:
    """The paragraph's text, a blank to fill in inside a sentence (spaces underlined between two
    characters of running text: "携本通知于____年____月____日前") written as underscores, one a space:
    it is a line to write on, and spaces would read as a gap between a form's columns. Underlined
    spaces after a label, a date or a number ("当事人：____", "2025-12-05____发布") stay spaces."""
    plain, underlined = [], []
    for run in paragraph._p.xpath("w:r | w:hyperlink"):
        text = run.text
        mark = run.find(f"{W}rPr/{W}u") if run.tag == f"{W}r" else None
        plain.append(text)
        underlined.append(("u" if mark is not None and mark.get(f"{W}val") != "none" else " ") * len(text))
    text, marks = "".join(plain), "".join(underlined)
    return _BLANK.sub(lambda m: "_" * len(m.group()) if "u" in marks[m.start():m.end()] else m.group(), text)


def _marked(block: str, mark: str) -> str:
    """Each line of a block ends its paragraph (table rows, lines broken by hand), its last line
    takes the paragraph's mark."""
    lines = block.split("\n")
    return "\n".join(line + (mark if k == len(lines) - 1 else PARAGRAPH_END) for k, line in enumerate(lines))


def _paragraph_marks(content: list[Paragraph | Table], looks: list, wraps: list[bool]) -> list[str]:
    """The mark of each block's last line: PARAGRAPH_END, LINE_WRAP (a title going on, a sentence a
    converter broke over paragraphs going on: ``wraps``, from ``docxwraps``) or "" (a paragraph that
    stops mid-sentence: the cleaner decides); ``looks``: each paragraph's ``_look``."""
    sizes = [look[1] for look in looks if look and look[1]]
    body = max(set(sizes), key=sizes.count) if sizes else None
    marks = []
    for k, block in enumerate(content):
        here = looks[k]
        below = _next_look(content, looks, k)
        text = block.text.strip() if isinstance(block, Paragraph) else ""
        if isinstance(block, Paragraph) and here is not None and _masthead(block, here[1], body):
            marks.append(MASTHEAD_END)  # red and larger than the body: a masthead, no line of the title
        elif wraps[k]:
            marks.append(LINE_WRAP)  # a sentence broken over paragraphs where a printed line or page ended
        elif here is None or below is None or text.endswith(CLOSING):
            marks.append(PARAGRAPH_END)
        elif here == below and here[0] and here[1] and body and here[1] > body and looks[k + 1] is not None:
            marks.append(LINE_WRAP)  # a title block over centred paragraphs in one larger size
        elif here[1] and below[1] and body and here[1] > body and here[1] != below[1]:
            marks.append(PARAGRAPH_END)  # a title block ends where the type size changes, aligned alike or not
        elif here[2] != below[2]:
            marks.append(PARAGRAPH_END)  # aligned otherwise: a signature, a date, a title
        else:
            marks.append("")
    return marks


def _masthead(paragraph: Paragraph, size: float | None, body: float | None) -> bool:
    """Whether a paragraph set in ``size`` points is a masthead: red, and larger than the ``body``."""
    return bool(size and body and size >= TITLE_SIZE * body and _red(paragraph))


def _red(paragraph: Paragraph) -> bool:
    """Whether most of the paragraph's printed characters are red (a 红头 masthead's)."""
    red = sum(len(run.text.strip()) for run in paragraph.runs if _red_colour(run))
    return 2 * red > len(paragraph.text.strip())


def _red_colour(run) -> bool:
    colour = run.font.color
    if colour is None or colour.type is None or colour.rgb is None:
        return False
    return red_ink(*colour.rgb)


def _set_right(document, content: list[Paragraph | Table], looks: list) -> list[int]:
    """For each block, the characters a paragraph set well right starts from (aligned right, or
    indented past ``SET_RIGHT`` characters: a signature, a date), as a PDF line's indent is given;
    0 for the others. The cleaner reads these spaces as it reads a page's indents."""
    section = document.sections[0] if document.sections else None
    body = _body_points(document, looks)
    measure = DEFAULT_MEASURE
    if section is not None and section.page_width and section.left_margin is not None and section.right_margin is not None:
        measure = max(1, round((section.page_width - section.left_margin - section.right_margin) / Pt(body)))
    indents = []
    for block in content:
        if not isinstance(block, Paragraph) or not block.text.strip():
            indents.append(0)
            continue
        text = block.text.strip()
        if aligned(block) in ("right", "end"):
            chars = max(SET_RIGHT, measure - len(text))
        else:
            fmt = block.paragraph_format
            chars = round(((fmt.left_indent or 0) + (fmt.first_line_indent or 0)) / Pt(body))
        indents.append(chars if chars >= SET_RIGHT else 0)
    return indents


def _body_points(document, looks: list) -> float:
    """The size most paragraphs are set in, else the Normal style's, else Word's 五号 (10.5 pt)."""
    sizes = [look[1] for look in looks if look and look[1]]
    if sizes:
        return max(set(sizes), key=sizes.count)
    try:
        normal = document.styles["Normal"].font.size
    except KeyError:
        normal = None
    return normal.pt if normal else 10.5


def _next_look(content: list[Paragraph | Table], looks: list, k: int):
    """The look of the next paragraph with text, past empty ones; None at a table or the end."""
    for block, look in zip(content[k + 1:], looks[k + 1:]):
        if isinstance(block, Table):
            return None
        if look is not None:
            return look
    return None


def _look(paragraph: Paragraph) -> tuple[bool, float | None, object]:
    """(centred, font size in points, alignment) of a paragraph, from its own formatting or its style's."""
    style = paragraph.style
    alignment = paragraph.alignment
    if alignment is None and style is not None:
        alignment = style.paragraph_format.alignment
    size = next((run.font.size for run in paragraph.runs if run.text.strip() and run.font.size), None)
    if size is None and style is not None:
        size = style.font.size
    return alignment == WD_ALIGN_PARAGRAPH.CENTER, size.pt if size else None, alignment
