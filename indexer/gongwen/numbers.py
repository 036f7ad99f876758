"""发文字号 and 提案/建议号: the patterns, in one place, for metadata, BM25 tokens and filters.

A 文号 is printed with any bracket style (〔〕 as GB/T 9704 wants, but also [] ［］ 【】 () （）, and the
small ﹝﹞ WPS users pick for 〔〕),
sometimes with 第 before its number (临建建议字〔2025〕第1号); it is shown and indexed as 〔〕 and
matched in any style. A 提案/建议号 is printed as 第153053号提案, 第DH0271号, 第A20250015号建议,
第〔27〕号, 250101号代表建议 or 自编号027号; its identifier (153053, DH0271, 27) is what staff type.
"""

from __future__ import annotations

import re
import unicodedata

CJK = "\u4e00-\u9fff"
OPEN = "〔[［(【（﹝"
CLOSE = "〕]］)】）﹞"
_O, _C = f"[{re.escape(OPEN)}]", f"[{re.escape(CLOSE)}]"
# 普教办〔2024〕3号 in running (NFKC-normalised) text; the issuer abbreviation is optional
DOC_NUMBER_IN_TEXT = re.compile(rf"([{CJK}]{{0,12}})\s*{_O}\s*((?:19|20)\d\d)\s*{_C}\s*(第?)\s*(\d{{1,5}})\s*号")
# the same with its issuer, as printed in a header: spaces and any bracket; between the year and
# the number a category in brackets and the project it is about may stand: 南宁站〔2025〕（通知）钦防二线08号
_PART = rf"(?:{_O}[{CJK}]{{1,4}}{_C}[{CJK}]{{0,6}})?"
DOC_NUMBER = re.compile(rf"([{CJK}]{{1,12}})\s*{_O}\s*(\d{{4}})\s*{_C}\s*({_PART})\s*(第?)\s*(\d{{1,5}})\s*号")
# the year first, as some universities print it: (2012)厦大教10号
DOC_NUMBER_YEAR_FIRST = re.compile(rf"{_O}\s*(\d{{4}})\s*{_C}\s*([{CJK}]{{1,12}}?)\s*(第?)\s*(\d{{1,5}})\s*号")
# a 文号 line of a 版头, perhaps followed by the reply's category: 华建复〔2017〕5号（B类）
DOC_NUMBER_LINE = re.compile(rf"{DOC_NUMBER.pattern}\s*(?:{_O}?\s*[A-Da-d]\s*类?\s*{_C}?)?")

# a licence's or certificate's number, without a year: 用字第530902202200014号, 建字第0012号
FORM_NUMBER = re.compile(rf"[{CJK}]{{1,12}}字第\s*\d{{1,24}}\s*号")

# a 公告's or 令's own number on a line of its own: （十四届第3号）, 第738号
NOTICE_NUMBER_LINE = re.compile(rf"[(（]?([{CJK}\d]{{0,8}}第\d{{1,5}}号)[)）]?")

PROPOSAL_KINDS = ("代表建议", "委员提案", "提案", "建议", "议案")
_KIND = "|".join(PROPOSAL_KINDS)
_ID = r"([A-Za-z]{0,4}\d{1,12})"
# 第153053号提案, 第〔27〕号, 第DH0271号建议, 第00956号(社会管理类094号)提案; the kind is optional
PROPOSAL = re.compile(
    rf"第\s*{_O}?\s*{_ID}\s*{_C}?\s*号\s*(?:[(（][^()（）]{{0,20}}[)）])?\s*({_KIND})?"
)
# 250101号代表建议 (no 第: only with the kind after it) and 自编号027号
PROPOSAL_UNMARKED = re.compile(rf"(?<![第\dA-Za-z])([A-Za-z]{{0,4}}\d{{3,12}})\s*号\s*({_KIND})")
PROPOSAL_OWN_NUMBER = re.compile(rf"自编号\s*[:：]?\s*{_ID}\s*号")
# in running text, for tokens: a bare 第N号 needs 3 digits or its kind (第1号 is everywhere); letters or brackets mark one
PROPOSAL_IN_TEXT = re.compile(
    rf"第\s*(?:{_O}\s*([A-Za-z]{{0,4}}\d{{1,12}})\s*{_C}|([A-Za-z]{{1,4}}\d{{1,12}}|\d{{3,12}}))\s*号"
    rf"|第\s*(\d{{1,2}})\s*号\s*(?:{_KIND})"
    rf"|{PROPOSAL_UNMARKED.pattern}|{PROPOSAL_OWN_NUMBER.pattern}"
)
_SPACE = re.compile(r"\s+")
_BRACKETED_LINE = re.compile(r"^[(（](.+)[)）]$")
_NUMBER_LABEL = re.compile(r"^(?:编号|文号|发文字号)[:：]")  # a form's label before its 文号: "编号：南宁站〔2025〕……"


def normalize_doc_number(value: str) -> str:
    """普教办[2024] 3号 / 普教办（2024）第3号 / 普教办【2024】3号 -> 普教办〔2024〕3号: the form compared
    and searched (else the text, unspaced)."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", value))
    match = DOC_NUMBER_IN_TEXT.fullmatch(text)
    if match:
        issuer, year, _, number = match.groups()
        return f"{issuer}〔{year}〕{int(number)}号"
    match = DOC_NUMBER.fullmatch(text)
    if match:
        issuer, year, part, _, number = match.groups()
        return f"{issuer}〔{year}〕{_round_brackets(part)}{int(number)}号"
    match = DOC_NUMBER_YEAR_FIRST.fullmatch(text)
    if match:
        year, issuer, _, number = match.groups()
        return f"{issuer}〔{year}〕{int(number)}号"
    return text


def display_doc_number(match: re.Match[str]) -> str:
    """A DOC_NUMBER match as shown: 〔〕 brackets, the 第 kept where it was printed."""
    issuer, year, part, di, number = match.group(1, 2, 3, 4, 5)
    return f"{issuer}〔{year}〕{_round_brackets(part)}{di}{number}号"


def _round_brackets(part: str) -> str:
    """A category's brackets as （）, whichever were printed."""
    return re.sub(_O, "（", re.sub(_C, "）", part))


def find_doc_number(text: str) -> str | None:
    """The first 文号 in ``text``, with 〔〕 brackets; None when there is none."""
    match = DOC_NUMBER.search(text)
    return display_doc_number(match) if match else None


def doc_number_line(line: str) -> str | None:
    """The 文号 when ``line`` is a 文号 line of a 版头 (nothing else on it but a 类 mark), or the
    number a licence or certificate prints in that place (用字第530902202200014号). A regulation
    published by a 公告 prints the 公告's number in round brackets under its title
    ("（证监会公告[2013]26号）"): that is its 文号 line too."""
    text = _NUMBER_LABEL.sub("", _SPACE.sub("", line))
    match = DOC_NUMBER_LINE.fullmatch(text) or DOC_NUMBER_LINE.fullmatch(_BRACKETED_LINE.sub(r"\1", text))
    if match:
        return display_doc_number(match)
    year_first = DOC_NUMBER_YEAR_FIRST.fullmatch(text)
    if year_first:
        year, issuer, di, number = year_first.groups()
        return f"〔{year}〕{issuer}{di}{number}号"
    form = FORM_NUMBER.fullmatch(text)
    return form.group() if form else None


def notice_number_line(line: str) -> str | None:
    """The number a 公告 or 令 prints on its own line under its heading ("（十四届第3号）", "第738号")."""
    match = NOTICE_NUMBER_LINE.fullmatch(_SPACE.sub("", unicodedata.normalize("NFKC", line)))
    return match.group(1) if match else None


def find_proposal(text: str, *, need_kind: bool = False) -> str | None:
    """The first 提案/建议号 in ``text`` as 第ID号[kind] (第DH0271号建议, 第27号); with ``need_kind``
    only one followed by 提案/建议/议案, or one whose identifier cannot be a count (letters, 3+ digits)."""
    text = unicodedata.normalize("NFKC", text)
    found = []
    for match in PROPOSAL.finditer(text):
        ident, kind = match.group(1).upper(), match.group(2) or ""
        if kind or not need_kind or len(ident) >= 3:
            found.append((match.start(), f"第{ident}号{kind}"))
            break
    for pattern in (PROPOSAL_UNMARKED, PROPOSAL_OWN_NUMBER):
        if unmarked := pattern.search(text):
            kind = unmarked.group(2) if pattern is PROPOSAL_UNMARKED else ""
            found.append((unmarked.start(), f"第{unmarked.group(1).upper()}号{kind}"))
    return min(found)[1] if found else None


def proposal_key(identifier: str) -> str:
    """The form a 提案/建议号 is searched by: DH0271 -> dh271, 0596 -> 596 (leading zeros are layout)."""
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", identifier)
    if match is None:
        return identifier.lower()
    letters, digits = match.groups()
    return f"{letters.lower()}{int(digits)}"


def proposal_tokens(text: str) -> list[str]:
    """第{key}号 for every 提案/建议号 in normalised running text, whichever way it was printed."""
    tokens = []
    for match in PROPOSAL_IN_TEXT.finditer(text):
        identifier = next(group for group in match.groups() if group and group[-1].isdigit())
        tokens.append(f"第{proposal_key(identifier)}号")
    return tokens
