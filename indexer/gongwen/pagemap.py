"""Which printed lines of a page hold which characters of a document's cleaned text.

Cleaning joins lines, drops page numbers and running headers and normalises characters, so a
line's offsets are found by matching its letters and digits (NFKC, case-folded; punctuation and
spaces ignored) against the page's part of the cleaned text, in reading order. A line the cleaner
dropped matches nothing and is left out. ``PageStore`` keeps each paged file's lines (as read,
before matching) in one small JSON file per content hash, so OCR never runs twice for them.
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from pathlib import Path
from typing import Any

from indexer.ingest.pagelines import PageLines

MIN_PIECE = 4  # a line found only in part must match at least this many letters at its start or end
_SLACK = 200  # characters of the neighbouring pages searched too: a paragraph running over the page break


def skeleton(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text`` (NFKC, lower case) and each one's offset in ``text``."""
    letters: list[str] = []
    where: list[int] = []
    for offset, char in enumerate(text):
        for part in unicodedata.normalize("NFKC", char).lower():
            if part.isalnum():
                letters.append(part)
                where.append(offset)
    return "".join(letters), where


def line_offsets(text: str, page_starts: list[int], page: int, lines: PageLines) -> list[tuple[int, int, int]]:
    """(line number, char_start, char_end) in ``text`` of each line of ``page`` (1-based) found there."""
    start = page_starts[page - 1] if page - 1 < len(page_starts) else len(text)
    end = page_starts[page] if page < len(page_starts) else len(text)
    low, high = max(0, start - _SLACK), min(len(text), end + _SLACK)
    letters, where = skeleton(text[low:high])
    found = []
    cursor = len(skeleton(text[low:start])[0])  # the page's own text first
    for number, line in enumerate(lines.lines):
        wanted = skeleton(line[0])[0]
        if not wanted:
            continue
        at, length = _find(letters, wanted, cursor)
        if at < 0:
            continue
        found.append((number, low + where[at], low + where[at + length - 1] + 1))
        if at >= cursor:
            cursor = at + length
    return found


def _find(letters: str, wanted: str, cursor: int) -> tuple[int, int]:
    """Where ``wanted`` is (after ``cursor`` first, then anywhere: a header read after the text), or a
    long enough start or end of it (a line the cleaner changed in part); (-1, 0) when nowhere."""
    for piece in (wanted, wanted[: max(MIN_PIECE, len(wanted) // 2)], wanted[-max(MIN_PIECE, len(wanted) // 2):]):
        if len(piece) < min(MIN_PIECE, len(wanted)):
            continue
        at = letters.find(piece, cursor)
        if at < 0:
            at = letters.find(piece)
        if at >= 0:
            return at, len(piece)
    return -1, 0


def quoted_lines(text: str, page_starts: list[int], page: int, lines: PageLines, start: int, end: int) -> list[int]:
    """The lines of ``page`` holding any of the characters [start, end)."""
    return [number for number, a, b in line_offsets(text, page_starts, page, lines) if a < end and b > start]


class PageStore:
    """One JSON file per file content: {"pages": {"3": PageLines}}; a cache, safe to delete."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def _path(self, content_hash: str) -> Path | None:
        if self.folder is None or not content_hash.isalnum():
            return None
        return self.folder / f"{content_hash}.json"

    def _read(self, content_hash: str) -> dict[str, Any]:
        path = self._path(content_hash)
        try:
            return json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
        except (OSError, ValueError):
            return {}

    def get(self, content_hash: str, page: int) -> PageLines | None:
        data = self._read(content_hash).get("pages", {}).get(str(page))
        return PageLines.from_dict(data) if data else None

    def put(self, content_hash: str, pages: dict[int, PageLines]) -> None:
        path = self._path(content_hash)
        if path is None or not pages:
            return
        with self._lock:
            data = self._read(content_hash)
            data.setdefault("pages", {}).update({str(page): lines.to_dict() for page, lines in pages.items()})
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            part.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(part, path)


def store() -> PageStore:
    """The store the settings name (``ZHENGCE_LAYOUT_DIR``, else beside the embedding cache)."""
    from indexer.config import indexing_settings

    return PageStore(indexing_settings().layout_path())
