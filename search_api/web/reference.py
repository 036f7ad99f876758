"""The 参考材料 .docx: a precedent list as a drafter files it, each quote with its citation."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

from docx import Document
from docx.shared import Pt

from search_api import schemas

PART_EXCERPT = 80  # characters of the pasted text shown above the passages that match that part
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # Word files are XML


def chinese_date(value: str | None) -> str | None:
    """2024-03-05 -> 2024年3月5日, as dates are written in 公文."""
    match = _ISO_DATE.match(value or "")
    if not match:
        return value
    year, month, day = match.groups()
    return f"{year}年{int(month)}月{int(day)}日"


def citation_text(issuer: str | None, title: str | None, doc_number: str | None, date: str | None, source: str) -> str:
    """issuer《title》（文号，date）: the form staff paste into a draft."""
    details = [part for part in (doc_number, chinese_date(date)) if part]
    return f"{issuer or ''}《{title or source}》" + (f"（{'，'.join(details)}）" if details else "")


def one_line(text: str) -> str:
    """A quote as it goes into a draft: the document's line breaks removed."""
    return re.sub(r"\s*\n\s*", "", _NOT_IN_XML.sub("", text)).strip()


def xml_safe(value: Any) -> Any:
    """The same data without the characters an XML (Word) file cannot hold."""
    if isinstance(value, dict):
        return {k: xml_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [xml_safe(v) for v in value]
    return _NOT_IN_XML.sub("", value) if isinstance(value, str) else value


def precedents_docx(text: str, result: schemas.SimilarResponse, made: datetime) -> bytes:
    result = schemas.SimilarResponse.model_validate(xml_safe(result.model_dump()))
    document = Document()
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading("参考材料", level=0)
    excerpt = one_line(text)
    document.add_paragraph(
        f"生成时间：{made:%Y年%m月%d日 %H:%M}。依据新稿（{len(text)} 字）："
        f"“{excerpt[:PART_EXCERPT]}{'…' if len(excerpt) > PART_EXCERPT else ''}”"
    )
    if not result.documents:
        document.add_paragraph("没有找到相似的往期文件。")
    for found in result.documents:
        meta = found.document
        document.add_heading(f"{found.rank}. {meta.title or meta.source}", level=1)
        document.add_paragraph(
            citation_text(meta.issuer, meta.title, meta.doc_number, meta.date, meta.source) + f"　相似度 {found.score:.3f}"
        )
        for match in found.matches:
            part = one_line(text[match.part_char_start : match.part_char_end])
            asked = document.add_paragraph()
            asked.add_run(f"对应新稿第 {match.part + 1} 部分：").bold = True
            asked.add_run(f"“{part[:PART_EXCERPT]}{'…' if len(part) > PART_EXCERPT else ''}”").italic = True
            document.add_paragraph(f"“{one_line(match.passage.text)}”", style="Quote")
            cite = match.passage.citation
            where = [citation_text(cite.issuer, cite.title, cite.doc_number, cite.date, cite.source)]
            if cite.section:
                where.append(cite.section)
            if cite.page:
                where.append(f"第 {cite.page} 页")
            document.add_paragraph("出处：" + "，".join(where))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
