"""Where one paragraph ends and the next begins, and wrapped lines joined back into paragraphs.

A file's own layout decides where it can (a reader marks each line as ending or wrapping); otherwise
the line's shape does: a 文号, date, label or right-aligned signature stands alone, an indent, a
heading number or a sentence's end opens a new paragraph, and a short line closing a bracket ends a title.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from indexer.gongwen.characters import CJK
from indexer.gongwen.dates import is_date_line, is_month_line
from indexer.gongwen.numbers import doc_number_line, notice_number_line

TERMINAL = "。！？；：!?;…"
_HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百]+[）)]|\d{1,2}[.．、](?=[^\d])|[（(]\d{1,2}[）)]"
    r"|第[零〇一二三四五六七八九十百千\d]+[编章节条]|附件\s*\d*\s*[:：]?)"
)
_TITLE_END = re.compile(r"的(?:通知|答复|意见|会办意见|报告|复函|函|请示|决定|方案|计划|批复|通报|纪要|公告|通告)$")
_STANDALONE = re.compile(
    r"^(?:.{0,30}文件|(?:信息)?公开属性.*|(?:主动|依申请)公开"
    r"|(?:抄送|主送|联系人|联系电话|联系地址|通讯地址|邮政编码|邮编|编制单位|签发人|主题词|附件)[^。]{0,80}"
    r"|特此(?:报告|通知|函告|批复|公告)。?)$"
)

# a contents entry: its title, leader dots (……, ⋯, ．．．, ....) and the page number, if printed
_CONTENTS_ENTRY = re.compile(r"(?:…{3,}|⋯{3,}|\.{4,}|．{3,}|·{4,})\s*\d{0,4}$")

_BARE_SALUTATION = re.compile(f"(?:尊敬的)?[{CJK}、，（）]{{2,30}}(?:代表|委员|同志)们?")


@dataclass
class Line:
    """One line of a page as the cleaner reads it, with what is known of where its paragraph ends."""

    text: str
    page: int
    indent: int  # leading spaces in the source: right-aligned lines are signatures and dates
    standalone: bool = False  # known to be a paragraph of its own (a rebuilt table row)
    opens: bool = False  # first line of the document's heading: a paragraph starts here
    closes: bool = False  # last line of the document's heading: its paragraph ends here
    ends: bool | None = None  # the file's layout says its paragraph ends here (True) or wraps on (False)
    masthead: bool = False  # printed as a masthead (large, red): a paragraph of its own, no line of the title


def _is_standalone(line: Line, wide: bool) -> bool:
    """A line that is a paragraph of its own: 文号, dates, labels, right-aligned signatures."""
    text = line.text
    if line.standalone or _STANDALONE.match(text) or is_date_line(text) or doc_number_line(text):
        return True
    if _BARE_SALUTATION.fullmatch(text):  # 杨艳委员 without its colon still opens the letter
        return True
    return wide and line.indent >= 8 and len(text) <= 30


def _is_heading_line(text: str) -> bool:
    """A numbered heading: short, no sentence in it; an article (第X条) running on past a comma is
    the article's text ("第十三条 项目公司应设置…，重" goes on), not a heading."""
    marker = _HEADING_START.match(text)
    if not marker or len(text) > 40 or text[-1] in TERMINAL or "。" in text:
        return False
    return not (marker.group().endswith("条") and "，" in text[marker.end():])


def join_paragraphs(lines: list[Line], page_count: int) -> tuple[str, list[int]]:
    """Re-join wrapped lines into paragraphs; each paragraph becomes one line of the output."""
    lengths = [len(line.text) for line in lines if len(line.text) >= 8]
    typical = statistics.quantiles(lengths, n=4)[2] if len(lengths) >= 4 else 0
    paragraphs: list[list[Line]] = []
    for line in lines:
        previous = paragraphs[-1][-1] if paragraphs else None
        if previous is None or _breaks_between(previous, line, typical):
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)

    text_parts: list[str] = []
    page_starts = [0] * max(page_count, 1)
    seen_page = 1
    offset = 0
    for number, paragraph in enumerate(paragraphs):
        if number:
            text_parts.append("\n")
            offset += 1
        for k, line in enumerate(paragraph):
            glue = " " if k and _needs_space(paragraph[k - 1].text, line.text) else ""
            text_parts.append(glue)
            offset += len(glue)
            while seen_page < line.page:
                page_starts[seen_page] = offset
                seen_page += 1
            text_parts.append(line.text)
            offset += len(line.text)
    for page in range(seen_page, page_count):
        page_starts[page] = offset
    return "".join(text_parts), page_starts if page_count > 1 else []


def _breaks_between(previous: Line, line: Line, typical: float) -> bool:
    if previous.ends is True or previous.closes or line.opens or is_contents_entry(previous.text):
        return True
    if previous.ends is False:  # the line runs to the margin (or on in a title block) and the next one carries on
        return any(_stands_alone(text) for text in (previous.text, line.text)) or bool(_HEADING_START.match(line.text))
    wide = typical > 0
    if _is_standalone(previous, wide) or _is_standalone(line, wide):
        return True
    if line.indent >= 2:  # a first-line indent opens a paragraph
        return True
    if _is_heading_line(previous.text) or _HEADING_START.match(line.text):
        return True
    if previous.text[-1] in TERMINAL or previous.text.endswith(("。”", "。」", "！”", "？”")):
        return True
    # A 主送 line ("区人大常委会：") follows a title line that stops short of the wrapping width.
    if line.text[-1] in "：:" and len(line.text) <= 60 and (
        len(previous.text) < 0.75 * typical or _TITLE_END.search(previous.text)
    ):
        return True
    # A short line closing a bracket ends a title ("…计划（2021-2023年）"), not a sentence.
    short = typical > 0 and len(previous.text) < 0.6 * typical
    return short and "。" not in previous.text and previous.text[-1] in "）)》”」"


def is_contents_entry(text: str) -> bool:
    """A line of a table of contents: it ends in leader dots, or in them and a page number. Its dots
    fill the line to the margin, so a layout takes it for a wrapped line; nothing goes on from it."""
    return bool(_CONTENTS_ENTRY.search(text))


def _stands_alone(text: str) -> bool:
    """A date (or a cover's year and month), a 文号 or a 公告's number: a line of its own whatever the
    layout joined it to (a cover's office and date, centred alike, read as one block)."""
    return is_date_line(text) or is_month_line(text) or bool(doc_number_line(text) or notice_number_line(text))


def _needs_space(left: str, right: str) -> bool:
    return left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha()
