"""Turn extracted text into clean paragraphs, one per line, and remember where each page starts.

Extraction from PDFs and web pages leaves layout behind: spaces between every CJK character,
lines wrapped mid-word with blank lines in between, page numbers and running headers, tables
emitted one character per line, portal navigation around an article. Search, metadata rules and
chunking all want the text a person reads, so every rule here undoes one of those artefacts.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass

from indexer.gongwen.dates import is_date_line
from indexer.gongwen.furniture import strip_furniture, strip_remnants
from indexer.gongwen.heading import find_heading, is_masthead, is_org, is_salutation, starts_heading, zone_end
from indexer.gongwen.infotable import PageFields, read_info_table
from indexer.gongwen.numbers import doc_number_line, notice_number_line
from indexer.ingest.paragraphs import LINE_WRAP, PARAGRAPH_END

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
_CJK_CHAR = re.compile(f"[{CJK}]")

# Width and invisible-character normalisation: digits and Latin letters half-width, CJK punctuation kept.
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_FULLWIDTH_ALNUM.update({ord("％"): "%", ord("．"): ".", ord("＋"): "+", ord("／"): "/", ord("＝"): "="})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u3000\u2002\u2003\u2009\u202f\t"), " ")
# A soft hyphen between digits was printed: "2014\u00ad2020年" is 2014-2020年, not 20142020年.
_HYPHEN_BETWEEN_DIGITS = re.compile("(?<=\\d)\u00ad(?=\\d)")
# Half-width punctuation between CJK characters becomes the full-width form a 公文 uses.
_TO_FULLWIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT_NEAR_CJK = re.compile(
    f"(?<=[{CJK}])[,:;?!()]|[,:;?!()](?=[{CJK}])|(?<=[{CJK}][)])[,:;]"
)
# A 发文字号 year in any bracket style is written 〔2024〕, so identifiers match across documents.
_DOC_NUMBER_BRACKETS = re.compile(
    f"(?<=[{CJK}])\\s*[\\[［【〔(（]\\s*((?:19|20)\\d{{2}})\\s*[\\]］】〕)）]\\s*(?=第?\\s*\\d{{1,5}}\\s*号)"
)

# Spaces next to a CJK character carry no meaning in Chinese text ("上 海 市" -> "上海市").
_NEAR_CJK = f"{CJK}{CJK_PUNCT}"
_SPACE_NEAR_CJK = re.compile(f"(?<=[{_NEAR_CJK}]) +(?=\\S)|(?<=\\S) +(?=[{_NEAR_CJK}])")
_COLUMN_GAP = re.compile(r" {4,}")
_LETTER_SPACED = re.compile(f"^\\s*(?:[{CJK}] +)+[{CJK}]\\s*$")
_CJK_WORD_GAP = re.compile(f"(?<=[{CJK}]{{2}}) (?=[{CJK}]{{2}})")  # a wide gap separates two layout columns (联系人 … 联系电话)
_MARKDOWN_HEADING = re.compile(r"^#{1,6} +")
_KEEP_SPACE_AFTER = re.compile("^第[零〇一二三四五六七八九十百千\\d]+[编章节条](?:之[一二三四五六七八九十]+)? +")

# Page furniture: "— 3 —", "- 3 -", "第 3 页 共 9 页", "3 / 9", "Page 3".
# OCR reads the dashes of "—1—" as "-", "一", "_" or "~" ("-1一").
_PAGE_NUMBER = re.compile(
    r"^(?:[—–－\-一_~～]+\s*\d{1,4}\s*[—–－\-一_~～]+|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s+\d{1,4}(?:\s+of\s+\d{1,4})?)$",
    re.IGNORECASE,
)

# Portal boilerplate around a saved article (breadcrumbs, source lines, related-link lists).
_WEB_LINE = re.compile(r"^(?:首页|您的位置|当前位置|网址[:：]|来源[:：].*时间[:：]|(?:发布时间|浏览次数|点击数|字号)[:：])")
_WEB_TAIL = re.compile(r"^(?:相关知识|相关阅读|相关新闻|相关文章|相关链接|推荐资讯|推荐阅读|热点推荐|上一篇[:：]|下一篇[:：]|分享到|打印本页|关闭窗口)")

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

_BARE_SALUTATION = re.compile(f"(?:尊敬的)?[{CJK}、，（）]{{2,30}}(?:代表|委员|同志)们?")


@dataclass
class _Line:
    text: str
    page: int
    indent: int  # leading spaces in the source: right-aligned lines are signatures and dates
    standalone: bool = False  # known to be a paragraph of its own (a rebuilt table row)
    opens: bool = False  # first line of the document's heading: a paragraph starts here
    closes: bool = False  # last line of the document's heading: its paragraph ends here
    ends: bool | None = None  # the file's layout says its paragraph ends here (True) or wraps on (False)


@dataclass
class Cleaned:
    """A document's cleaned text, where each page starts in it, and what its page stated outside the
    document (信息公开 table, source line): those lines are gone from the text, the metadata rules
    still read them."""

    text: str
    page_starts: list[int]
    stated: PageFields


def clean_text(text: str) -> str:
    """Clean text that has no pages (TXT, DOCX, HTML, text given directly)."""
    return clean([text]).text


def clean_pages(pages: list[str]) -> tuple[str, list[int]]:
    """The cleaned text of a document given page by page, and the offset where each page starts."""
    cleaned = clean(pages)
    return cleaned.text, cleaned.page_starts


def clean(pages: list[str]) -> Cleaned:
    """Clean a document given page by page."""
    pages = [_normalise_characters(page) for page in pages]
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
    text, page_starts = _join_paragraphs(lines, page_count=len(pages))
    return Cleaned(text, page_starts, stated)


def _normalise_characters(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = strip_remnants(text)
    text = _HYPHEN_BETWEEN_DIGITS.sub("-", text)
    text = text.translate(_INVISIBLE).translate(_SPACES).translate(_FULLWIDTH_ALNUM)
    text = _DOC_NUMBER_BRACKETS.sub(r"〔\1〕", text)
    return _HALF_PUNCT_NEAR_CJK.sub(lambda m: _TO_FULLWIDTH[m.group()], text)


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _drop_running_headers(page_lines: list[list[str]]) -> None:
    """Remove lines repeated at the top or bottom of most pages (running headers and footers)."""
    edges: Counter[str] = Counter()
    for lines in page_lines:
        content = [line for line in lines if line.strip()]
        edges.update({_furniture_key(line) for line in content[:2] + content[-2:]})
    repeated = {
        key for key, count in edges.items()
        if key and count >= max(3, len(page_lines) // 2) and len(key) <= 40 and not key.endswith("。")
    }
    for lines in page_lines:
        content_positions = [i for i, line in enumerate(lines) if line.strip()]
        edge_positions = content_positions[:2] + content_positions[-2:]
        for i in edge_positions:
            if _furniture_key(lines[i]) in repeated:
                lines[i] = ""


def _split_page_lines(raw_lines: list[str], page: int) -> list[_Line]:
    """The page's lines, cells of a table row apart. A line its reader marked (PDF, OFD, OCR and
    DOCX readers end each line with ``PARAGRAPH_END`` or ``LINE_WRAP``) ends or wraps as marked,
    each of its cells is a paragraph of its own, and a space between two CJK words in it is a
    measured gap that stays."""
    lines = []
    for raw in raw_lines:
        end = raw.rstrip(" ")[-1:]
        ends = True if end == PARAGRAPH_END else False if end == LINE_WRAP else None
        raw = raw.replace(PARAGRAPH_END, "").replace(LINE_WRAP, "")
        indent = len(raw) - len(raw.lstrip(" "))
        raw = _LETTER_SPACED.sub(lambda m: re.sub("(?<=\\S) +(?=\\S)", "", m.group()), raw)  # "说    明" is one word
        parts = _fields_kept(_COLUMN_GAP.split(raw.strip()))
        for k, part in enumerate(parts):
            text = _tidy_spaces(part.strip().strip("|｜").strip(), words=ends is not None)  # a table cell's pipes are layout
            if text and not _PAGE_NUMBER.match(text):
                lines.append(_Line(text, page, indent, ends=True if ends is not None and k < len(parts) - 1 else ends))
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


def _drop_web_boilerplate(lines: list[_Line]) -> list[_Line]:
    """Drop breadcrumbs and source lines near the top, and related-link lists at the end."""
    kept = [line for i, line in enumerate(lines) if not (_WEB_LINE.match(line.text) and (i < 8 or line.text.startswith("网址")))]
    half = len(kept) // 2
    for i in range(half, len(kept)):
        if _WEB_TAIL.match(kept[i].text) and len(kept[i].text) <= 12:
            return kept[:i]
    return kept


def _mark_heading(lines: list[_Line]) -> list[_Line]:
    """Mark the document's heading so it stays one paragraph of its own; above a heading that opens
    a letter (a salutation follows), only 版头 lines are the document's: the rest is the page's."""
    texts = [line.text for line in lines]
    found = find_heading(texts)
    if found is None:
        return lines
    first, last = found
    while lines[last].ends is False and last + 1 < len(lines):  # the layout shows the title going on
        last += 1
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


def _mark_signatures(lines: list[_Line]) -> None:
    """Bodies signing above a date line each stay a line of their own (co-signed replies)."""
    for i, line in enumerate(lines):
        if not is_date_line(line.text):
            continue
        k = i - 1
        while k >= 0 and i - k <= 6 and is_org(lines[k].text):
            lines[k].standalone = True
            k -= 1


def _rebuild_one_char_columns(lines: list[_Line]) -> list[_Line]:
    """Join a table extracted one or two characters per line back into one line per table row.

    Row numbers arrive as their own short lines; a number that continues the sequence 1, 2, 3 ...
    starts a new row, anything else is a fragment of the cell text (such as "20" "23" for 2023).
    """
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        run_end = i
        while run_end < len(lines) and len(lines[run_end].text) <= 3:
            run_end += 1
        if run_end - i < 12:
            out.append(lines[i])
            i += 1
            continue
        rows: list[list[_Line]] = [[]]
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
            text = _HALF_PUNCT_NEAR_CJK.sub(lambda m: _TO_FULLWIDTH[m.group()], text)
            text = re.sub(f"(?<=[^\\s{CJK_PUNCT}])(?=(?:牵头单位|配合单位|责任单位)：)", "；", text)
            out.append(_Line(text, row[0].page, 0, standalone=True))
        i = run_end
    return out


def _is_standalone(line: _Line, wide: bool) -> bool:
    """A line that is a paragraph of its own: 文号, dates, labels, right-aligned signatures."""
    text = line.text
    if line.standalone or _STANDALONE.match(text) or is_date_line(text) or doc_number_line(text):
        return True
    if _BARE_SALUTATION.fullmatch(text):  # 杨艳委员 without its colon still opens the letter
        return True
    return wide and line.indent >= 8 and len(text) <= 30


def _is_heading_line(text: str) -> bool:
    return bool(_HEADING_START.match(text)) and len(text) <= 40 and text[-1] not in TERMINAL and "。" not in text


def _join_paragraphs(lines: list[_Line], page_count: int) -> tuple[str, list[int]]:
    """Re-join wrapped lines into paragraphs; each paragraph becomes one line of the output."""
    lengths = [len(line.text) for line in lines if len(line.text) >= 8]
    typical = statistics.quantiles(lengths, n=4)[2] if len(lengths) >= 4 else 0
    paragraphs: list[list[_Line]] = []
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


def _breaks_between(previous: _Line, line: _Line, typical: float) -> bool:
    if previous.ends is True or previous.closes or line.opens:
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


def _stands_alone(text: str) -> bool:
    """A date, a 文号 or a 公告's number: a line of its own whatever the layout joined it to."""
    return is_date_line(text) or bool(doc_number_line(text) or notice_number_line(text))


def _needs_space(left: str, right: str) -> bool:
    return left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha()


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))
