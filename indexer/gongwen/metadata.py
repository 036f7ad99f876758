"""公文 metadata (GB/T 9704 elements) read from cleaned text by layout rules.

The rules follow the standard's layout: the 版头 (issuer line "XX文件", 发文字号), the title and
the 主送 line above the body, the signature and 成文日期 after it, then 抄送 and 印发 in the 版记.
Each rule looks only where the standard puts its element, so a 文号 quoted in the body is
never taken for the document's own.
"""

from __future__ import annotations

import re
from collections import Counter

from indexer.gongwen.clean import CJK
from indexer.gongwen.numbers import find_doc_number
from indexer.models import DocMeta

_DOC_NUMBER = re.compile(rf"([{CJK}]{{1,12}})〔(\d{{4}})〕(\d{{1,5}})号")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、]|第[一二三四五六七八九十百\d]+[章条节])")
_ISSUER_LINE = re.compile(rf"^([{CJK}（）()]{{2,30}}?)文件$")
_ORG_SUFFIX = re.compile(r"(?:局|委|会|府|办|室|院|部|厅|处|署|中心|办公室|委员会|联合会|政府|法院|检察院|公司|学校|集团|支队)$")
_ISO_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE = re.compile(r"^([〇零一二三四五六七八九○О0]{4})年([〇零一二三四五六七八九十]{1,3})月([〇零一二三四五六七八九十]{1,3})日")
_PROPOSAL = re.compile(r"第\s*(\d{1,10})\s*号\s*(?:\([^)]*\)|（[^）]*）)?\s*(代表建议|提案|建议|议案)")
_RECIPIENT_LINE = re.compile(rf"^[{CJK}（）()、，,\s]{{1,120}}[:：]$")
_LABEL = re.compile(r"^(主送|抄送)(?:单位|机关)?[:：]\s*(.*)$")
_REGION = re.compile(
    rf"^((?:[{CJK}]{{2,3}}(?:省|自治区))?(?:[{CJK}]{{2,3}}市)?(?:[{CJK}]{{2,4}}?(?:新区|区|县))?)"
)
_CITY_MENTION = re.compile(rf"([{CJK}]{{2}}(?:省|市))")
_NOT_A_PLACE = ("本市", "我市", "全市", "各市", "该市", "市市", "超市", "都市", "上市", "本省", "我省", "全省", "各省")
# Ordered so that the most specific form wins: a 通知 that issues a 计划 is a 通知.
DOC_TYPES = (
    "会办意见", "代表建议", "答复", "复函", "批复", "报告", "请示", "通知", "通报", "决定", "决议", "意见",
    "方案", "计划", "规划", "办法", "规定", "条例", "细则", "纪要", "公告", "通告", "函", "命令", "提案", "建议",
    "法", "解释",
)

_CN_NUMERALS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "О": 0, "0": 0}


def extract_metadata(text: str, title_hint: str | None = None, title: str | None = None) -> DocMeta:
    """Read the 公文 elements from cleaned text (one paragraph per line).

    ``title_hint`` (an HTML <title>, DOCX properties) is used when the layout shows no title;
    ``title`` (stated by a collection) replaces the layout's.
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    header_end = _body_start(lines)
    header = lines[:header_end]

    doc_number = _find_doc_number(header)
    header_issuer = next((m.group(1) for line in header if (m := _ISSUER_LINE.match(line))), None)
    signature_issuer, date = _find_signature(lines)
    hint = title_hint.strip() if title_hint and title_hint.strip() else None
    title = title or _title_above_recipients(header) or hint or _first_title_line(header)
    recipients = _find_recipients(header, lines)
    issuer = signature_issuer or header_issuer or _standalone_org(header)
    return DocMeta(
        title=title,
        doc_number=doc_number,
        issuer=issuer,
        date=date,
        recipients=recipients,
        cc=_label_items(lines, "抄送"),
        proposal_number=_find_proposal(title, text),
        doc_type=_find_doc_type(title),
        region=_find_region([header_issuer, signature_issuer, issuer, title], text),
    )


def parse_date(text: str) -> str | None:
    """'2024年3月20日' or '二〇二四年三月五日' (at the start of text) as an ISO date."""
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _CN_DATE.match(text):
        year = int("".join(str(_CN_NUMERALS[c]) for c in match.group(1)))
        month, day = _cn_small_number(match.group(2)), _cn_small_number(match.group(3))
    else:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _cn_small_number(numeral: str) -> int:
    """一 .. 三十一 as written in dates."""
    if "十" not in numeral:
        return _CN_NUMERALS[numeral[0]]
    tens, _, units = numeral.partition("十")
    return (_CN_NUMERALS[tens] if tens else 1) * 10 + (_CN_NUMERALS[units] if units else 0)


def _body_start(lines: list[str]) -> int:
    """Index of the first body paragraph: the first long line that ends a sentence."""
    for i, line in enumerate(lines[:40]):
        if len(line) > 60 and "。" in line:
            return i
    return min(len(lines), 12)


def _find_doc_number(header: list[str]) -> str | None:
    for line in header:
        match = _DOC_NUMBER.fullmatch(line)
        if match:
            return line
    return None


def _find_signature(lines: list[str]) -> tuple[str | None, str | None]:
    """The 成文日期 is the last date line that is not an 印发 date; the issuer signs just above it."""
    fallback_date = None
    for i in range(len(lines) - 1, -1, -1):
        date = parse_date(lines[i])
        if not date or len(lines[i]) > 16:
            continue
        if lines[i].endswith(("印发", "发布")):
            fallback_date = fallback_date or date
            continue
        signer = lines[i - 1] if i > 0 else ""
        is_org = len(signer) <= 30 and _ORG_SUFFIX.search(signer) and not re.search(r"[，。：:；]", signer)
        return (signer if is_org else None), date
    return None, fallback_date


def _is_title_line(line: str) -> bool:
    return not (
        _DOC_NUMBER.fullmatch(line) or _ISSUER_LINE.match(line) or parse_date(line)
        or line.startswith(("公开属性", "信息公开属性", "主动公开")) or _RECIPIENT_LINE.match(line)
        or len(line) > 160 or "。" in line
    )


def _title_above_recipients(header: list[str]) -> str | None:
    """The title is the block of plain lines nearest above the 主送 line."""
    recipient_at = next((i for i, line in enumerate(header) if _RECIPIENT_LINE.match(line)), None)
    if recipient_at is None:
        return None
    block: list[str] = []
    for line in reversed(header[:recipient_at]):
        if _is_title_line(line):
            block.insert(0, line)
        elif block:
            break
    if not block or (len(block) == 1 and _ORG_SUFFIX.search(block[0]) and recipient_at > 1):
        return None
    return "".join(block)


def _first_title_line(header: list[str]) -> str | None:
    """Without a 主送 line, a title can only be the opening line, and never a heading."""
    for line in header[:3]:
        if _is_title_line(line) and not _ORG_SUFFIX.search(line) and not _HEADING.match(line):
            return line
    return None


def _find_recipients(header: list[str], lines: list[str]) -> list[str]:
    recipients = []
    for line in header:
        if _RECIPIENT_LINE.match(line) and len(line) <= 120:
            recipients = _split_items(line.rstrip("：:"))
            break
    for item in _label_items(lines, "主送"):
        if item not in recipients:
            recipients.append(item)
    return recipients


def _label_items(lines: list[str], label: str) -> list[str]:
    for line in lines:
        match = _LABEL.match(line)
        if match and match.group(1) == label:
            return _split_items(match.group(2))
    return []


def _split_items(value: str) -> list[str]:
    value = value.strip().rstrip("。.；;")
    separators = "[，,；;]" if "，" in value or "," in value else "[，,；;、]"
    return [item.strip() for item in re.split(separators, value) if item.strip()]


def _standalone_org(header: list[str]) -> str | None:
    """A 版头 that names the issuer on a line of its own (上海市妇女联合会) without 文件."""
    for line in header[:6]:
        if len(line) <= 30 and _ORG_SUFFIX.search(line) and not re.search(r"[，。：:；《]", line):
            return line
    return None


def _find_proposal(title: str | None, text: str) -> str | None:
    for haystack in (title or "", text[:600]):
        match = _PROPOSAL.search(haystack)
        if match:
            return f"第{match.group(1)}号{match.group(2)}"
    return None


def _find_doc_type(title: str | None) -> str | None:
    if not title:
        return None
    stem = re.sub(r"[（(][^（）()]*[）)]$", "", title.rstrip("》」”\"' "))
    for doc_type in DOC_TYPES:
        if stem.endswith(doc_type):
            return doc_type
    return None


def _find_region(candidates: list[str | None], text: str) -> str | None:
    """The longest administrative prefix of the issuer or title; else the city the text is about."""
    regions = [m.group(1) for c in candidates if c and (m := _REGION.match(c)) and m.group(1)]
    if regions:
        return max(regions, key=len)
    cities = Counter(
        m for m in _CITY_MENTION.findall(text[:5000]) if m[-2:] not in _NOT_A_PLACE and not m.endswith("城市")
    )
    if cities:
        city, count = cities.most_common(1)[0]
        return city if count >= 2 else None
    return None
