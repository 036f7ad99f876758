"""Bounds on what one file may cost, so that a small hostile file cannot take the machine.

A DOCX (and OFD, XLSX, EPUB ...) is a zip archive: 770 KB can hold 250 MB of XML. ``check_zip``
reads only the archive's directory, before anything is decompressed; Python's zipfile never
inflates a member past the size the directory declares, so the declared sizes are the bound.
A PDF of 5,000 blank pages is 500 KB and hours of OCR, so pages and OCR pages are counted before
any is read, and a page is rendered at most ``MAX_RENDER_PIXELS`` large whatever size it declares.

The caps in force (``IngestLimits``) come from the environment (``ZHENGCE_MAX_*``, the CLI's) or
from the service's settings for an upload job, which also hands in a cancel flag; readers ask
``current()`` and call ``checkpoint()`` between pages. Every refusal's words are in ``WORDS``.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from indexer.config import DEFAULT_MAX_DOCUMENT_CHARS as MAX_DOCUMENT_CHARS
from indexer.config import DEFAULT_MAX_OCR_PAGES as MAX_OCR_PAGES
from indexer.config import DEFAULT_MAX_PAGES as MAX_PAGES
from indexer.config import DEFAULT_MAX_UNZIPPED_BYTES as MAX_UNZIPPED_BYTES
from indexer.config import MIB
from indexer.errors import Cancelled, UnreadableFile

MAX_MEMBERS = 10_000
MAX_RATIO = 200  # decompressed / compressed size of a member larger than RATIO_FLOOR
RATIO_FLOOR = 4 * MIB
# a page image for OCR: A4 at 300 dpi is 8.7 million pixels; OCR memory grows with pixels (about
# 1 GB at 9 million), and a page declared larger is rendered smaller instead
MAX_RENDER_PIXELS = 9_000_000
MAX_TABLE_COLUMNS = 1_000  # grid columns of one table row (Word allows 63)

# the one place a refusal by a cap is put into words; {setting} names the environment variable
WORDS = {
    "members": "压缩包内有 {found:,} 个文件，上限是 {limit:,} 个",
    "unzipped": "解压后有 {found:.1f} MiB，上限是 {limit:.0f} MiB（疑似压缩炸弹 zip bomb）",
    "ratio": "压缩包内的 {member} 解压后膨胀 {found:,} 倍（{size:.1f} MiB），上限是 {limit} 倍（疑似压缩炸弹 zip bomb）",
    "chars": "文档有 {found:,} 个字符，上限是 {limit:,} 个",
    "pages": "文件有 {found:,} 页，上限是 {limit:,} 页",
    "ocr_pages": "有 {found:,} 页没有文字层、需要文字识别（OCR），上限是每个文件 {limit:,} 页",
}
SETTINGS = {"unzipped": "ZHENGCE_MAX_UNZIPPED_BYTES", "chars": "ZHENGCE_MAX_DOCUMENT_CHARS",
            "pages": "ZHENGCE_MAX_PAGES", "ocr_pages": "ZHENGCE_MAX_OCR_PAGES"}


def over_limit(path: Path | str, kind: str, **figures: object) -> UnreadableFile:
    """The refusal of a file by the cap ``kind``, in the words of ``WORDS``."""
    reason = WORDS[kind].format(**figures)
    if kind in SETTINGS:
        reason += f"（可用 {SETTINGS[kind]} 调整）"
    return UnreadableFile(path, reason)


@dataclass(frozen=True)
class IngestLimits:
    """The caps one read of a file runs under."""

    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES
    max_document_chars: int = MAX_DOCUMENT_CHARS
    max_pages: int = MAX_PAGES
    max_ocr_pages: int = MAX_OCR_PAGES

    @classmethod
    def from_environment(cls) -> IngestLimits:
        """The caps ``ZHENGCE_MAX_*`` set (what ``zhengce index`` reads), defaults elsewhere."""
        from indexer.config import indexing_settings

        settings = indexing_settings()
        return cls(settings.max_unzipped_bytes, settings.max_document_chars, settings.max_pages,
                   settings.max_ocr_pages)

    def but(self, **changes: int | None) -> IngestLimits:
        return replace(self, **{name: value for name, value in changes.items() if value is not None})


_LIMITS: contextvars.ContextVar[IngestLimits | None] = contextvars.ContextVar("zhengce_ingest_limits", default=None)
_CANCEL: contextvars.ContextVar[Callable[[], bool] | None] = contextvars.ContextVar("zhengce_ingest_cancel", default=None)


def current() -> IngestLimits:
    """The caps of the read in progress: those ``applied`` here, else the environment's."""
    return _LIMITS.get() or IngestLimits.from_environment()


@contextlib.contextmanager
def applied(limits: IngestLimits, cancelled: Callable[[], bool] | None = None) -> Iterator[None]:
    """Read files under ``limits`` within this block; once ``cancelled()`` says so, the read stops at
    the next page (an upload job's flag, which another worker process may set)."""
    limit_token, cancel_token = _LIMITS.set(limits), _CANCEL.set(cancelled)
    try:
        yield
    finally:
        _LIMITS.reset(limit_token)
        _CANCEL.reset(cancel_token)


def checkpoint() -> None:
    """Raise Cancelled when the read in progress was cancelled (called between pages)."""
    cancelled = _CANCEL.get()
    if cancelled is not None and cancelled():
        raise Cancelled("已取消")


def check_pages(path: Path | str, pages: int, ocr_pages: int = 0) -> None:
    """Refuse a file with more pages, or more pages to OCR, than the caps allow, before any is read."""
    limits = current()
    if pages > limits.max_pages:
        raise over_limit(path, "pages", found=pages, limit=limits.max_pages)
    if ocr_pages > limits.max_ocr_pages:
        raise over_limit(path, "ocr_pages", found=ocr_pages, limit=limits.max_ocr_pages)


def render_scale(width_pt: float, height_pt: float, dpi: float) -> float:
    """The scale (pixels per point) to render a page at ``dpi``, lowered so the image stays within
    ``MAX_RENDER_PIXELS``: a 14,400 pt page at 150 dpi would be 30,000 pixels square (2.7 GB)."""
    scale = dpi / 72
    area = max(width_pt, 1.0) * max(height_pt, 1.0) * scale * scale
    return scale if area <= MAX_RENDER_PIXELS else scale * (MAX_RENDER_PIXELS / area) ** 0.5


def check_zip(path: Path | str, data: bytes | None = None, *, max_bytes: int | None = None) -> None:
    """Raise UnreadableFile when the archive at ``path`` (or ``data``) would expand too far.

    An archive that is not a zip at all passes: the format's own reader reports that.
    """
    max_bytes = current().max_unzipped_bytes if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else Path(path)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    if len(members) > MAX_MEMBERS:
        raise over_limit(path, "members", found=len(members), limit=MAX_MEMBERS)
    total = sum(m.file_size for m in members)
    if total > max_bytes:
        raise over_limit(path, "unzipped", found=total / MIB, limit=max_bytes / MIB)
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise over_limit(path, "ratio", member=member.filename, found=member.file_size // max(member.compress_size, 1),
                             size=member.file_size / MIB, limit=MAX_RATIO)


def check_text_size(path: Path | str, text: str, limit: int | None = None) -> None:
    """Raise UnreadableFile when a document's text is longer than ``limit`` characters."""
    limit = current().max_document_chars if limit is None else limit
    if len(text) > limit:
        raise over_limit(path, "chars", found=len(text), limit=limit)
