"""Saved web pages: the main text by trafilatura, the visible text when it finds none."""

from __future__ import annotations

import codecs
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import trafilatura

from indexer.errors import UnreadableFile
from indexer.ingest.files import nonblank
from indexer.ingest.text import UNICODE_BOMS, decode_text, prefer_superset

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)


def extract_html(path: Path, data: bytes) -> tuple[list[str], str | None]:
    html = _decode_html(path, data)
    try:
        result = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True, include_comments=False)
    except RecursionError:
        result = None  # pathologically nested markup: the flat fallback below copes with any depth
    main_text = result.text if result is not None and result.text else ""
    title = result.title if result is not None else None
    if not main_text.strip():
        fallback = _VisibleText.of(html)
        main_text, title = fallback.text, title or fallback.title
    if not main_text.strip():
        raise UnreadableFile(path, "no text found in HTML")
    return [_paragraphs(main_text)], nonblank(title)


def _decode_html(path: Path, data: bytes) -> str:
    """The page's own <meta charset> wins when it is true; many portals still serve GBK."""
    declared = _META_CHARSET.search(data[:4096])
    if declared and not data.startswith((codecs.BOM_UTF8, *UNICODE_BOMS)):
        try:
            return data.decode(prefer_superset(declared.group(1).decode("ascii")))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(path, data)


def _paragraphs(text: str) -> str:
    """trafilatura puts one block per line; a blank line between them marks paragraphs, table rows stay together."""
    lines = [line for line in text.splitlines() if line.strip()]
    groups = itertools.groupby(lines, key=lambda line: line.startswith("|"))
    return "\n\n".join("\n".join(group) if is_table else "\n\n".join(group) for is_table, group in groups)


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
