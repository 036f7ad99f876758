"""Saved web pages: the main content trafilatura finds, block by block; the visible text when it finds none."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

import lxml.html
import trafilatura
from lxml import etree

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.text import UNICODE_BOMS, decode_text, prefer_superset

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)
# trafilatura's work grows faster than linearly with the number of elements (200,000 <p>: 94 s); a
# portal page has a few thousand, so a page with more is read by the flat visible-text reader
MAX_EXTRACTOR_ELEMENTS = 20_000
_START_TAG = re.compile(r"<[A-Za-z]")


class _TooManyElements(Exception):
    """A page for the flat reader, which reads any number of elements in linear time."""


def extract_html(path: Path, data: bytes) -> tuple[list[str], str | None]:
    html = _decode_html(path, data)
    try:
        if len(_START_TAG.findall(html)) > MAX_EXTRACTOR_ELEMENTS:
            raise _TooManyElements
        result = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True, include_comments=False)
        body, title = getattr(result, "body", None), getattr(result, "title", None)  # None when it finds nothing
        main_text = _with_details(html, _block_text(body)) if body is not None else ""
    except (RecursionError, _TooManyElements):  # pathologically nested markup, or too many elements
        main_text, title = "", None  # the flat fallback below copes with any depth and size
    if not main_text.strip():
        fallback = _VisibleText.of(html)
        main_text, title = fallback.text, title or fallback.title
    if not main_text.strip():
        raise UnreadableFile(path, "no text found in HTML")
    return [main_text], nonblank(title)


def _with_details(html: str, main_text: str) -> str:
    """The main content, after the page's label-value tables it left out.

    Extractors keep the article and drop what stands beside it; on 政务公开 pages that is often
    the 信息公开 table (索引号：… 发布机构：… 成文日期：…), which states the document's metadata.
    """
    if not main_text.strip():
        return main_text
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return main_text
    present = _squeezed(main_text)
    details = [block for block in _detail_blocks(tree) if _squeezed(block) not in present]
    return "\n\n".join([*details, main_text])


_LABEL_CHARS = 8
_LABEL = re.compile(rf"^\S{{1,{_LABEL_CHARS}}}[:：]$")
_LABEL_TAGS = ("th", "dt", "label")
_MIN_LABELS = 3
_DETAIL_CONTAINERS = ("table", "ul", "ol", "dl", "div")


def _detail_blocks(tree: etree._Element) -> list[str]:
    """Innermost containers whose rows pair at least three short labels (索 引 号：) with values."""
    found: list[tuple[etree._Element, list[list[str]]]] = []
    for container in tree.iter(*_DETAIL_CONTAINERS):
        rows = _detail_rows(container)
        if sum(label for row in rows for label, _ in row) >= _MIN_LABELS:
            found = [(kept, kept_rows) for kept, kept_rows in found if kept not in container.iterancestors()]
            found.append((container, [[text for _, text in row] for row in rows]))
    return ["\n".join("| " + " | ".join(row) + " |" for row in rows) for _, rows in found]


def _detail_rows(container: etree._Element) -> list[list[tuple[bool, str]]]:
    """A table's rows, or a list's or div's items: the text of each child element, and whether it is a label."""
    items = container.findall(".//tr") if container.tag == "table" else list(container)
    rows = []
    for item in items:
        if not isinstance(item.tag, str):
            continue  # a comment
        cells = [(cell.tag, " ".join(cell.text_content().split())) for cell in item if isinstance(cell.tag, str)]
        cells = [(tag, text) for tag, text in cells if text] or [(item.tag, " ".join(item.text_content().split()))]
        row = [(_is_label(tag, text), text) for tag, text in cells if text]
        if row:
            rows.append(row)
    return rows


def _is_label(tag: str, text: str) -> bool:
    label = _squeezed(text)
    return bool(_LABEL.match(label)) or tag in _LABEL_TAGS and len(label) <= _LABEL_CHARS


def _squeezed(text: str) -> str:
    return re.sub(r"[\s|]+", "", text)


def _decode_html(path: Path, data: bytes) -> str:
    """The page's own <meta charset> wins when it is true; many portals still serve GBK."""
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, *UNICODE_BOMS)):
        try:
            return data.decode(prefer_superset(declared.group(1).decode("ascii")))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(path, data)


# trafilatura's tree of the main content: blocks, tables of rows of cells, and inline markup
_BLOCKS = frozenset({"p", "head", "item", "quote", "code", "list", "table", "row", "cell", "div", "note"})


def _block_text(body: etree._Element) -> str:
    """The main content as the 公文 rules read a page: one paragraph per block, a blank line between.

    Portals lay pages out with tables: a cell that holds paragraphs (the whole reply, often) is a
    container whose paragraphs stay apart, so heading, 文号, salutation and signature keep their
    own lines; a row of plain cells (the 信息公开 table, a data table) is one "| a | b |" line, and
    a table's rows stay on consecutive lines of one block.
    """
    blocks: list[str] = []
    _collect(body, blocks)
    return "\n\n".join(blocks)


def _collect(element: etree._Element, blocks: list[str]) -> None:
    if element.tag == "table":
        _collect_table(element, blocks)
    elif element.tag in _BLOCKS and not _holds_blocks(element):
        _append(blocks, _inline(element))
    else:
        _append(blocks, element.text or "")  # loose text before the first block
        for child in element:
            _collect(child, blocks)
            _append(blocks, child.tail or "")


def _collect_table(table: etree._Element, blocks: list[str]) -> None:
    """Runs of plain rows become one block of "| a | b |" lines; a row with a container cell is read cell by cell."""
    rows: list[str] = []
    for row in table:
        if row.tag == "row" and not any(_holds_blocks(cell) for cell in row):
            cells = [_inline(cell).replace("\n", " ") for cell in row]
            if any(cells):
                rows.append("| " + " | ".join(cells) + " |")
            continue
        _append(blocks, "\n".join(rows))
        rows = []
        _collect(row, blocks)
    _append(blocks, "\n".join(rows))


def _append(blocks: list[str], text: str) -> None:
    """Add a paragraph of lines, blank lines dropped; nothing when there is no text."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines:
        blocks.append("\n".join(lines))


def _holds_blocks(element: etree._Element) -> bool:
    """A container of paragraphs, or text broken into lines: read block by block, not as one cell."""
    return any(child.tag in _BLOCKS or child.tag == "lb" for child in element)


def _inline(element: etree._Element) -> str:
    """The text of an element whose children are inline markup; <lb/> is a line break."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _inline(child))
        parts.append(child.tail or "")
    return re.sub(r"[ \t]+", " ", "".join(parts)).strip()


class _VisibleText(HTMLParser):
    """Text a browser would show in the page, one block per paragraph.

    Used when trafilatura finds no main text. It is a flat tokenizer, so no nesting depth can
    exhaust the stack or be cut off by a tree parser's depth limit.
    """

    _HIDDEN = frozenset({"head", "script", "style", "noscript", "template", "title"})
    _BLOCKS = frozenset(
        "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form "
        "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table td th tr ul".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.hidden_depth = 0
        self.in_title = False

    @classmethod
    def of(cls, html: str) -> _VisibleText:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    @property
    def text(self) -> str:
        return "\n".join(line.strip() for line in "".join(self.parts).splitlines() if line.strip())

    @property
    def title(self) -> str | None:
        return "".join(self.title_parts).strip() or None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.hidden_depth = 0  # an unclosed <head> must not hide the whole page
        elif tag in self._HIDDEN:
            self.hidden_depth += 1
            self.in_title = tag == "title"
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
            self.in_title = False
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
        elif not self.hidden_depth:
            self.parts.append(data)
