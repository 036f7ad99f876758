"""发文字号 and 提案/建议号: the patterns, in one place, for metadata, BM25 tokens and filters.

A 文号 is printed with any bracket style (〔〕 as GB/T 9704 wants, but also [] ［］ 【】 () （）);
it is shown and indexed as 〔〕 and matched in any style.
"""

from __future__ import annotations

import re
import unicodedata

CJK = "\u4e00-\u9fff"
OPEN = "〔[［(【（"
CLOSE = "〕]］)】）"
# 普教办〔2024〕3号 in running (NFKC-normalised) text; the issuer abbreviation is optional
DOC_NUMBER_IN_TEXT = re.compile(
    rf"([{CJK}]{{0,12}})\s*[{re.escape(OPEN)}]\s*((?:19|20)\d\d)\s*[{re.escape(CLOSE)}]\s*(\d{{1,5}})\s*号"
)
# the same with its issuer, as printed in a header: spaces and any bracket
DOC_NUMBER = re.compile(
    rf"([{CJK}]{{1,12}})\s*[{re.escape(OPEN)}]\s*(\d{{4}})\s*[{re.escape(CLOSE)}]\s*(\d{{1,5}})\s*号"
)
PROPOSAL_IN_TEXT = re.compile(r"第\s*(\d{3,12})\s*号")
_SPACE = re.compile(r"\s+")


def normalize_doc_number(value: str) -> str:
    """普教办[2024] 3号 / 普教办（2024）3号 / 普教办【2024】3号 -> 普教办〔2024〕3号 (else the text, unspaced)."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", value))
    match = DOC_NUMBER_IN_TEXT.fullmatch(text)
    if not match:
        return text
    issuer, year, number = match.groups()
    return f"{issuer}〔{year}〕{int(number)}号"


def find_doc_number(text: str) -> str | None:
    """The first 文号 in ``text``, normalised to 〔〕; None when there is none."""
    match = DOC_NUMBER.search(text)
    return f"{match.group(1)}〔{match.group(2)}〕{match.group(3)}号" if match else None
