"""The draft reply as a .docx in the GB/T 9704 layout, its sources kept as Word comments.

Each paragraph taken from a past document carries a comment naming it (issuer《title》（文号，date）,
heading, page, the exact character span in the indexed text), so a drafter who rewrites the text
still sees, and can check, where every measure and figure came from; the comments are not printed.
"""

from __future__ import annotations

from typing import Any

from indexer.drafting.docx import (
    add_paragraph,
    gongwen_document,
    rule_above_and_below,
    to_bytes,
)
from indexer.drafting.draft import MISSING, Draft, Source
from indexer.drafting.wording import citation_of_dict, xml_safe

COMMENT_AUTHOR, COMMENT_INITIALS = "政策检索", "ZC"
DATE_RIGHT_CHARS = 4  # 成文日期 右空四字; the 落款 is centred over it (GB/T 9704, 加盖印章的公文)


def reply_docx(draft: Draft) -> bytes:
    document = gongwen_document()
    if draft.role == "主办":
        code = f"（{draft.result_code}类）" if draft.result_code else MISSING.format("办理结果")
        add_paragraph(document, _clean(code), "落款")
    add_paragraph(document, _clean(draft.title), "公文标题")
    add_paragraph(document, "", "公文标题")  # one line between the title and the 主送
    add_paragraph(document, _clean(draft.recipient), "主送")
    add_paragraph(document, _clean(draft.opening), "公文正文")
    for section in draft.sections:
        if section.heading:
            add_paragraph(document, _clean(section.heading), "一级标题")
        for paragraph in section.paragraphs:
            written = add_paragraph(document, _clean(paragraph.text), "公文正文")
            if paragraph.sources and written.runs:
                document.add_comment(written.runs, text=_clean(sources_note(paragraph.sources)),
                                     author=COMMENT_AUTHOR, initials=COMMENT_INITIALS)
    if draft.closing:
        add_paragraph(document, _clean(draft.closing), "公文正文")
    add_paragraph(document, "", "公文正文")
    date_width = text_width(draft.date)
    signature_indent = max(2.0, DATE_RIGHT_CHARS + (date_width - text_width(draft.signature)) / 2)
    add_paragraph(document, _clean(draft.signature), "落款", right_indent_chars=signature_indent)
    add_paragraph(document, _clean(draft.date), "落款", right_indent_chars=DATE_RIGHT_CHARS)
    for note in (draft.contact, draft.disclosure):
        if note:
            add_paragraph(document, _clean(note), "公文正文")
    if draft.cc:
        add_paragraph(document, "", "公文正文")
        cc = add_paragraph(document, _clean(f"抄送：{'，'.join(draft.cc)}。"), "版记")
        cc.paragraph_format.left_indent = cc.paragraph_format.right_indent = None
        rule_above_and_below(cc)
    return to_bytes(document)


def sources_note(sources: list[Source]) -> str:
    """The comment beside a paragraph: each source's full reference and exact span."""
    lines = []
    for source in sources:
        cite = source.citation
        lines.append(f"出处：{citation_of_dict(cite)}（文档 {cite['doc_id']}，字符 {cite['char_start']}-{cite['char_end']}）")
    return "\n".join(lines)


def text_width(text: str) -> float:
    """Width in characters of the grid: a CJK character is one, a digit or Latin letter half."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text)


def _clean(text: Any) -> str:
    return str(xml_safe(text))

