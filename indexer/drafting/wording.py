"""How references are written in an office's documents: 《titles》 (with 〈〉 inside them),
2024年3月5日 dates, issuer《title》（文号，date） citations, quotes on one line."""

from __future__ import annotations

import re
from typing import Any

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # Word files are XML
CN_NUMBERS = "一二三四五六七八九十"


def chinese_date(value: str | None) -> str | None:
    """2024-03-05 -> 2024年3月5日, as dates are written in 公文; anything else is returned as is."""
    match = _ISO_DATE.match(value or "")
    if not match:
        return value
    year, month, day = match.groups()
    return f"{year}年{int(month)}月{int(day)}日"


def book_title(title: str) -> str:
    """《title》, a title quoted inside it written 〈…〉 (GB/T 15834: no 《《》》)."""
    inner = title.strip()
    if inner.startswith("《") and inner.endswith("》") and inner.count("《") == 1:
        inner = inner[1:-1]
    return "《" + inner.replace("《", "〈").replace("》", "〉") + "》"


def citation_text(issuer: str | None, title: str | None, doc_number: str | None, date: str | None, source: str) -> str:
    """issuer《title》（文号，date）: the form staff paste into a draft."""
    details = [part for part in (doc_number, chinese_date(date)) if part]
    return f"{issuer or ''}{book_title(title or source)}" + (f"（{'，'.join(details)}）" if details else "")


def citation_of_dict(cite: dict[str, Any]) -> str:
    """The full reference of a citation record (indexer.retrieval.citations): where, then the page."""
    where = [citation_text(cite.get("issuer"), cite.get("title"), cite.get("doc_number"), cite.get("date"),
                           cite.get("source") or "")]
    if cite.get("section"):
        where.append(str(cite["section"]))
    if cite.get("page"):
        where.append(f"第{cite['page']}页")
    return "，".join(where)


def one_line(text: str) -> str:
    """A quote as it goes into a draft: the document's line breaks removed."""
    return re.sub(r"\s*\n\s*", "", NOT_IN_XML.sub("", text)).strip()


def xml_safe(value: Any) -> Any:
    """The same data without the characters an XML (Word) file cannot hold."""
    if isinstance(value, dict):
        return {k: xml_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [xml_safe(v) for v in value]
    return NOT_IN_XML.sub("", value) if isinstance(value, str) else value


def cn_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十: the numbers of 一、 headings."""
    if n <= 10:
        return CN_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMBERS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMBERS[ones - 1] if ones else "")
