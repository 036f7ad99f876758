"""Turn extracted text into clean paragraphs, one per line, and remember where each page starts.

Extraction from PDFs and web pages leaves layout behind: spaces between every CJK character,
lines wrapped mid-word with blank lines in between, page numbers and running headers, tables
emitted one character per line, portal navigation around an article. Search, metadata rules and
chunking all want the text a person reads, so every rule here undoes one of those artefacts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from indexer.gongwen.characters import CJK, CJK_PUNCT, full_width_punctuation, normalise_characters
from indexer.gongwen.dates import is_date_line
from indexer.gongwen.furniture import strip_furniture
from indexer.gongwen.heading import (
    find_heading,
    is_masthead,
    is_org,
    is_salutation,
    joint_names,
    starts_heading,
    zone_end,
)
from indexer.gongwen.infotable import PageFields, read_info_table
from indexer.gongwen.paragraph_breaks import Line, join_paragraphs
from indexer.ingest.paragraphs import DASHED_PAGE_NUMBER, LINE_WRAP, MASTHEAD_END, PARAGRAPH_END, SET_RIGHT

# Spaces next to a CJK character carry no meaning in Chinese text ("上 海 市" -> "上海市").
_NEAR_CJK = f"{CJK}{CJK_PUNCT}"
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_NEAR_CJK}]) +(?=\\S)|(?<=\\S) +(?=[{_NEAR_CJK}])")
_COLUMN_GAP = re.compile(r" {4,}")
_LETTER_SPACED = re.compile(f"^\\s*(?:[{CJK}] +)+[{CJK}]\\s*$")
_CJK_WORD_GAP = re.compile(f"(?<=[{CJK}]{{2}}) (?=[{CJK}]{{2}})")  # a wide gap separates two layout columns (联系人 … 联系电话)
_MARKDOWN_HEADING = re.compile(r"^#{1,6} +")
_KEEP_SPACE_AFTER = re.compile("^第[零〇一二三四五六七八九十百千\\d]+[编章节条](?:之[一二三四五六七八九十]+)? +")

_NAME = re.compile(f"^[{CJK}A-Za-z（）() ]{{2,30}}$")  # a name: no sentence, no label, no date
_BRACKETED = re.compile("^[（(][^（）()]+[）)]$")
_NOT_A_NAME = ("特此", "此致", "附件")

# Page furniture: "— 3 —", "- 3 -", "第 3 页 共 9 页", "3 / 9", "Page 3"; the dashes as OCR reads them
# too ("-1一", the layout's DASHED_PAGE_NUMBER).
_PAGE_NUMBER = re.compile(
    rf"^(?:{DASHED_PAGE_NUMBER}|第\s*\d{{1,4}}\s*页(?:\s*[,，/]?\s*共\s*\d{{1,4}}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s+\d{1,4}(?:\s+of\s+\d{1,4})?)$",
    re.IGNORECASE,
)

# Portal boilerplate around a saved article (breadcrumbs, source lines, related-link lists).
_WEB_LINE = re.compile(r"^(?:首页|您的位置|当前位置|网址[:：]|来源[:：].*时间[:：]|(?:发布时间|浏览次数|点击数|字号)[:：])")
_WEB_TAIL = re.compile(r"^(?:相关知识|相关阅读|相关新闻|相关文章|相关链接|推荐资讯|推荐阅读|热点推荐|上一篇[:：]|下一篇[:：]|分享到|打印本页|关闭窗口)")


@dataclass
class Cleaned:
    """A document's cleaned text, where each page starts in it, and what its page stated outside the
    document (信息公开 table, source line): those lines are gone from the text, the metadata rules
    still read them."""

    text: str
    page_starts: list[int]
    stated: PageFields
    set_right: list[str] = field(default_factory=list)  # names the layout sets right (a signature block's)
    mastheads: list[str] = field(default_factory=list)  # lines the layout prints as a masthead (large, red)


def clean_text(text: str) -> str:
    """Clean text that has no pages (TXT, DOCX, HTML, text given directly)."""
    return clean([text]).text


def clean_pages(pages: list[str]) -> tuple[str, list[int]]:
    """The cleaned text of a document given page by page, and the offset where each page starts."""
    cleaned = clean(pages)
    return cleaned.text, cleaned.page_starts


def clean(pages: list[str]) -> Cleaned:
    """Clean a document given page by page."""
    pages = [normalise_characters(page) for page in pages]
    page_lines = [page.split("\n") for page in pages]
    if len(page_lines) > 2:
        _drop_running_headers(page_lines)
    page_lines[0], stated = read_info_table(page_lines[0])
    for number, raw_lines in enumerate(page_lines):
        page_lines[number], published = strip_furniture(raw_lines)
        stated.set("published", published, "source line (来源/发布时间)")
    lines = [
        line
        for page_no, raw_lines in enumerate(page_lines, start=1)
        for line in _split_page_lines(raw_lines, page_no)
    ]
    lines = _drop_web_boilerplate(lines)
    lines = _rebuild_one_char_columns(lines)
    lines = _mark_heading(lines)
    _mark_signatures(lines)
    lines, set_right = _set_right_names(lines)
    mastheads = [line.text for line in lines if line.masthead]
    text, page_starts = join_paragraphs(lines, page_count=len(pages))
    return Cleaned(text, page_starts, stated, set_right, mastheads)


def _furniture_key(line: str) -> str:
    """What a header or footer prints, but for its numbers and punctuation (OCR reads "_" on one
    page and not on the next)."""
    numbered = re.sub(r"\d+", "#", re.sub(r"\s+", "", line))
    return re.sub(r"[\W_]+", "", numbered) or numbered  # a line of numbers only ("2023/3/1"): as printed


def _drop_running_headers(page_lines: list[list[str]]) -> None:
    """Remove what is repeated at the top or bottom of most pages (running headers and footers), cell
    by cell: a browser prints the date and the page's title apart on one line ("2023/3/1    …_中国政府网")."""
    edges: Counter[str] = Counter()
    for lines in page_lines:
        content = [line for line in lines if line.strip()]
        edges.update({_furniture_key(cell) for line in content[:2] + content[-2:] for cell in _cells(line)})
    repeated = {
        key for key, count in edges.items()
        if key and count >= max(3, len(page_lines) // 2) and len(key) <= 40 and not key.endswith("。")
    }
    for lines in page_lines:
        content_positions = [i for i, line in enumerate(lines) if line.strip()]
        edge_positions = sorted(set(content_positions[:2] + content_positions[-2:]),
                                key=lambda i: -sum(_furniture_key(cell) in repeated for cell in _cells(lines[i])))
        # the page prints what repeats once: a browser's header (its date and the page's title) goes
        # first, and the document's own title that the header repeats stays
        removed: set[str] = set()
        for i in edge_positions:
            cells = _cells(lines[i])
            kept = [cell for cell in cells if _furniture_key(cell) not in repeated - removed]
            removed |= {_furniture_key(cell) for cell in cells} & repeated
            if len(kept) < len(cells):
                lines[i] = "    ".join(kept) + (lines[i][-1] if kept and lines[i][-1] in (PARAGRAPH_END, LINE_WRAP) else "")


def _cells(line: str) -> list[str]:
    return [cell for cell in _COLUMN_GAP.split(line.strip()) if cell.strip()]


def _split_page_lines(raw_lines: list[str], page: int) -> list[Line]:
    """The page's lines, cells of a table row apart. A line its reader marked (PDF, OFD, OCR and
    DOCX readers end each line with ``PARAGRAPH_END`` or ``LINE_WRAP``) ends or wraps as marked,
    each of its cells is a paragraph of its own, and a space between two CJK words in it is a
    measured gap that stays."""
    lines = []
    for raw in raw_lines:
        end = raw.rstrip(" ")[-1:]
        ends = True if end == PARAGRAPH_END else False if end == LINE_WRAP else None
        masthead = raw.rstrip(" ").endswith(MASTHEAD_END)
        raw = raw.replace(PARAGRAPH_END, "").replace(LINE_WRAP, "")
        indent = len(raw) - len(raw.lstrip(" "))
        raw = _LETTER_SPACED.sub(lambda m: re.sub("(?<=\\S) +(?=\\S)", "", m.group()), raw)  # "说    明" is one word
        parts = _fields_kept(_COLUMN_GAP.split(raw.strip()))
        for k, part in enumerate(parts):
            text = part.strip().strip("|｜").strip()  # a table cell's pipes are layout
            names = joint_names(text) if indent >= SET_RIGHT else []
            if names:
                text = " ".join(names)  # bodies signing on one line, set apart: "学生工作处  国际合作与交流处"
            else:
                text = _tidy_spaces(text, words=ends is not None)
            if text and not _PAGE_NUMBER.match(text):
                lines.append(Line(text, page, indent, ends=True if ends is not None and k < len(parts) - 1 else ends,
                                  masthead=masthead))
                indent = 0
    return lines


def _fields_kept(cells: list[str]) -> list[str]:
    """Cells of a form's number field stay one: "用字第    530902202200014    号" is one number."""
    kept = cells[:1]
    for cell in cells[1:]:
        if kept[-1].rstrip().endswith("第") or cell.strip() == "号":
            kept[-1] = kept[-1].rstrip() + cell.strip()
        else:
            kept.append(cell)
    return kept


def _tidy_spaces(line: str, words: bool = False) -> str:
    line = _MARKDOWN_HEADING.sub("", line)
    kept = _KEEP_SPACE_AFTER.match(line)
    head, rest = (kept.group().rstrip() + " ", line[kept.end():]) if kept else ("", line)
    if words:  # "组 长：张某 李某" -> "组长：张某 李某": a letter-spaced word closes up, a gap between words stays
        rest = _CJK_WORD_GAP.sub("\x00", re.sub(" {2,}", " ", rest))
    rest = _SPACE_NEAR_CJK.sub("", rest)
    return head + re.sub(r" {2,}", " ", rest).replace("\x00", " ")


def _drop_web_boilerplate(lines: list[Line]) -> list[Line]:
    """Drop breadcrumbs and source lines near the top, and related-link lists at the end."""
    kept = [line for i, line in enumerate(lines) if not (_WEB_LINE.match(line.text) and (i < 8 or line.text.startswith("网址")))]
    half = len(kept) // 2
    for i in range(half, len(kept)):
        if _WEB_TAIL.match(kept[i].text) and len(kept[i].text) <= 12:
            return kept[:i]
    return kept


def _mark_heading(lines: list[Line]) -> list[Line]:
    """Mark the document's heading so it stays one paragraph of its own; above a heading that opens
    a letter (a salutation follows), only 版头 lines are the document's: the rest is the page's."""
    texts = [line.text for line in lines]
    found = find_heading(texts, mastheads={line.text for line in lines if line.masthead})
    if found is None:
        return lines
    first, last = found
    while lines[last].ends is False and last + 1 < len(lines):  # the layout shows the title going on
        last += 1
    # and into it: joint issuers over the title's first line, broken inside a name ("……国家能源局西北" |
    # "监管局关于……"), set as its lines are; a title says 关于 once (a browser's header above repeats it)
    while first > 0 and lines[first - 1].ends is False and not lines[first - 1].masthead \
            and "关于" not in lines[first - 1].text:
        first -= 1
    lines[last].closes = True
    if not starts_heading(texts[first]):
        return lines
    lines[first].opens = True
    salutation = zone_end(texts)
    laid_out = any(line.ends is not None for line in lines)  # a file's own pages: nothing above is a web page's
    if salutation < len(texts) and is_salutation(texts[salutation]) and not laid_out:
        return [
            line for i, line in enumerate(lines)
            if i >= first or is_masthead(line.text) or len(line.text) > 40 or re.search("[:：。]", line.text)
        ]
    return lines


def _mark_signatures(lines: list[Line]) -> None:
    """Bodies signing above a date line each stay a line of their own (co-signed replies)."""
    for i, line in enumerate(lines):
        if not is_date_line(line.text):
            continue
        k = i - 1
        while k >= 0 and i - k <= 6 and is_org(lines[k].text):
            lines[k].standalone = True
            k -= 1


def _set_right_names(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """The lines that name someone and are set well right (a signature block's, wherever the file
    sets it: aligned right, indented, spaced over), each a paragraph of its own; a bracketed line set
    right under one ("东海学院" / "（西湖学院）") is the rest of its name."""
    kept: list[Line] = []
    names: list[str] = []
    for line in lines:
        if line.indent < SET_RIGHT or not _NAME.match(line.text) or line.text.startswith(_NOT_A_NAME):
            kept.append(line)
            continue
        previous = kept[-1] if kept else None
        if previous is not None and names and previous.text == names[-1] and _BRACKETED.match(line.text):
            previous.text += line.text
            names[-1] = previous.text
            continue
        line.standalone = True
        kept.append(line)
        names.append(line.text)
    return kept, names


def _rebuild_one_char_columns(lines: list[Line]) -> list[Line]:
    """Join a table extracted one or two characters per line back into one line per table row.

    Row numbers arrive as their own short lines; a number that continues the sequence 1, 2, 3 ...
    starts a new row, anything else is a fragment of the cell text (such as "20" "23" for 2023).
    """
    out: list[Line] = []
    i = 0
    while i < len(lines):
        run_end = i
        while run_end < len(lines) and len(lines[run_end].text) <= 3:
            run_end += 1
        if run_end - i < 12:
            out.append(lines[i])
            i += 1
            continue
        rows: list[list[Line]] = [[]]
        next_row = 1
        for line in lines[i:run_end]:
            if line.text == str(next_row):
                rows.append([line])
                next_row += 1
            else:
                rows[-1].append(line)
        for row in rows:
            if not row:
                continue
            number, cells = (row[0].text + " ", row[1:]) if row[0].text.isdigit() and len(row) > 1 else ("", row)
            text = number + "".join(line.text for line in cells)
            text = full_width_punctuation(text)
            text = re.sub(f"(?<=[^\\s{CJK_PUNCT}])(?=(?:牵头单位|配合单位|责任单位)：)", "；", text)
            out.append(Line(text, row[0].page, 0, standalone=True))
        i = run_end
    return out
