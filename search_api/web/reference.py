"""The 参考材料 .docx: a precedent list as a drafter files it, each quote with its citation, on the
same GB/T 9704 page, fonts and grid as the draft reply (indexer.drafting.docx): a real table of the
documents first, then each document's passages under the part of the new text they match."""

from __future__ import annotations

from datetime import datetime

from indexer.drafting.docx import add_paragraph, add_table, gongwen_document, to_bytes
from indexer.drafting.wording import book_title, citation_of_dict, citation_text, one_line, xml_safe
from search_api import schemas

PART_EXCERPT = 80  # characters of the pasted text shown above the passages that match that part
TABLE_WIDTHS_MM = [12, 74, 30, 26, 14]


def precedents_docx(text: str, result: schemas.SimilarResponse, made: datetime) -> bytes:
    result = schemas.SimilarResponse.model_validate(xml_safe(result.model_dump()))
    document = gongwen_document()
    add_paragraph(document, "参考材料", "公文标题")
    excerpt = one_line(text)
    add_paragraph(document, f"生成时间：{made:%Y年%m月%d日 %H:%M}。依据新稿（{len(text)} 字）："
                            f"“{excerpt[:PART_EXCERPT]}{'…' if len(excerpt) > PART_EXCERPT else ''}”", "公文正文")
    if not result.documents:
        add_paragraph(document, "没有找到相似的往期文件。", "公文正文")
    else:
        rows = [
            [str(found.rank), book_title(found.document.title or found.document.source),
             found.document.issuer or "", found.document.doc_number or "", f"{found.score:.3f}"]
            for found in result.documents
        ]
        add_table(document, ["序号", "文件", "发文机关", "文号", "相似度"], rows, TABLE_WIDTHS_MM)
    for found in result.documents:
        meta = found.document
        add_paragraph(document, f"{found.rank}. {meta.title or meta.source}", "一级标题")
        add_paragraph(document, citation_text(meta.issuer, meta.title, meta.doc_number, meta.date, meta.source)
                      + f"　相似度 {found.score:.3f}", "公文正文")
        for group in by_passage(found.matches):  # a passage matching two parts is quoted once
            numbers = "、".join(str(match.part + 1) for match in group)
            asked = add_paragraph(document, f"对应新稿第 {numbers} 部分：", "二级标题")
            for match in group:
                part = one_line(text[match.part_char_start : match.part_char_end])
                asked.add_run(f"“{part[:PART_EXCERPT]}{'…' if len(part) > PART_EXCERPT else ''}”")
            passage = group[0].passage
            add_paragraph(document, f"“{one_line(passage.text)}”", "公文正文")
            add_paragraph(document, "出处：" + citation_of_dict(passage.citation.model_dump()), "公文正文")
    return to_bytes(document)


def by_passage(matches: list[schemas.PrecedentMatch]) -> list[list[schemas.PrecedentMatch]]:
    """The matches grouped by the passage they quote, in the order first matched."""
    groups: dict[tuple[str, int, int], list[schemas.PrecedentMatch]] = {}
    for match in matches:
        c = match.passage.citation
        groups.setdefault((c.doc_id, c.char_start, c.char_end), []).append(match)
    return list(groups.values())
