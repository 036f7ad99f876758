"""The records every stage passes along: a cleaned document with its 公文 metadata, and its chunks.

All character offsets refer to ``Document.text`` (the cleaned text), so that a citation can be
verified with ``document.text[chunk.char_start:chunk.char_end] == chunk.text``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DocMeta:
    """GB/T 9704 elements of an official document; a field is None (or empty) when absent."""

    title: str | None = None
    doc_number: str | None = None  # 发文字号, normalised to 〔 〕: 普教办〔2024〕3号
    issuer: str | None = None  # 发文机关; co-signing bodies joined with 、 (for display and filters)
    date: str | None = None  # 成文日期, ISO 8601 (YYYY-MM-DD)
    recipients: list[str] = field(default_factory=list)  # 主送
    cc: list[str] = field(default_factory=list)  # 抄送
    proposal_number: str | None = None  # 第153053号提案 / 第20210141号建议
    doc_type: str | None = None  # 答复, 会办意见, 报告, 通知, 方案, 意见 ...
    region: str | None = None  # 上海市普陀区 ...
    issuers: list[str] = field(default_factory=list)  # every co-signing body, in signature order
    published: str | None = None  # the page's 发布日期 (ISO), never the 成文日期
    printed: str | None = None  # the 版记's 印发日期 (ISO), never the 成文日期
    index_number: str | None = None  # 索引号 of the 信息公开 table

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocMeta:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class OcrPage:
    """A page whose text came from OCR, so a reader knows a quote was recognised, not typed."""

    page: int  # 1-based
    confidence: float | None  # mean recognition confidence of its lines (0..1); None when nothing was read
    error: str | None = None  # why the page could not be read; its text is then missing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Document:
    """One ingested file, cleaned; ``doc_id`` is derived from the file's bytes, so it is stable."""

    doc_id: str
    source: str  # file name as the user knows it (relative path for folder ingests)
    text: str  # cleaned text: every offset in the project points into this string
    meta: DocMeta
    format: str  # pdf | ofd | image | txt | docx | doc | wps | html | text
    content_hash: str  # sha256 of the raw bytes; decides whether a file changed
    page_starts: list[int] = field(default_factory=list)  # offset of each page; empty if unpaged
    ocr_pages: list[OcrPage] = field(default_factory=list)  # the pages read by OCR, in page order

    def page_at(self, offset: int) -> int | None:
        """1-based page number of the character at ``offset``, or None for unpaged formats."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    def ocr_page(self, page: int | None) -> OcrPage | None:
        """The OCR facts of a page, or None when its text was typed (or the format is unpaged)."""
        return next((facts for facts in self.ocr_pages if facts.page == page), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["meta"] = self.meta.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        fields = dict(data)
        fields["meta"] = DocMeta.from_dict(fields.get("meta") or {})
        fields["ocr_pages"] = [OcrPage(**facts) for facts in fields.get("ocr_pages") or []]
        return cls(**fields)


@dataclass
class Chunk:
    """A passage of a document: ``text == document.text[char_start:char_end]``."""

    doc_id: str
    index: int  # position of the chunk within its document
    text: str
    section: str  # heading path, "二、聚焦重点领域 > （四）增加普惠服务供给"; "" before any heading
    char_start: int
    char_end: int
    page: int | None = None  # 1-based page of char_start, for paged formats

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.index}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**data)
