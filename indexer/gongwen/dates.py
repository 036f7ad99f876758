"""Dates as 公文 and 政务公开 pages print them, read to ISO 8601: one reader for every written form.

A signature prints 2024年3月20日 or 二〇二四年三月五日 (二0一七年 with a Latin zero happens), an
office's own notice 2015-11-4, 2015.11.4 or 2015/11/4; a page's 信息公开 table prints 2018-12-14,
2020年09月23日 or 2023-11-30 09:00.
"""

from __future__ import annotations

import re

_CN_DIGITS = "〇零一二三四五六七八九○О0"
_CN_NUMERALS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "О": 0, "0": 0}
_ISO_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DASHED_DATE = re.compile(r"((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_CN_DATE = re.compile(rf"([{_CN_DIGITS}]{{4}})年([{_CN_DIGITS}十]{{1,3}})月([{_CN_DIGITS}十]{{1,3}})日")
DATE_ANYWHERE = re.compile(f"{_ISO_DATE.pattern}|{_DASHED_DATE.pattern}|{_CN_DATE.pattern}")
# a line that is a date and nothing else, or a 版记's "2021年12月31日印发"
_DATE_LINE = re.compile(f"(?:{_ISO_DATE.pattern}|{_DASHED_DATE.pattern}|{_CN_DATE.pattern})\\s*(?:印发|发布)?")


_SEALED_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}")
# a cover's or a report's date: a year and a month alone on a line ("二○一七年三月", "2017年3月")
_MONTH_LINE = re.compile(rf"(?:\d{{4}}|[{_CN_DIGITS}]{{4}})\s*年\s*(?:\d{{1,2}}|[{_CN_DIGITS}十]{{1,2}})\s*月")


def parse_date(text: str) -> str | None:
    """'2024年3月20日', '二〇二四年三月五日' or '2018-12-14' (at the start of text) as an ISO date."""
    text = text.lstrip()
    for pattern in (_ISO_DATE, _DASHED_DATE):
        if match := pattern.match(text):
            return _iso(*(int(group) for group in match.groups()))
    if match := _CN_DATE.match(text):
        year = int("".join(str(_CN_NUMERALS[c]) for c in match.group(1)))
        return _iso(year, _cn_small_number(match.group(2)), _cn_small_number(match.group(3)))
    return None


def is_date_line(text: str) -> bool:
    """Whether a line is a date alone (a signature's 成文日期, or an 印发 date), in any written form."""
    match = _DATE_LINE.fullmatch(text.strip())
    return bool(match and parse_date(match.group()))


def parse_sealed_date(text: str) -> str | None:
    """A date alone on its line missing only its closing 日 ("2014年7月3"): a scanned 成文日期 whose end
    the seal pressed over it hid from OCR."""
    return parse_date(text + "日") if _SEALED_DATE.fullmatch(text) else None


def is_month_line(text: str) -> bool:
    """Whether a line is a year and a month alone: a cover's date, under the office that issues it."""
    return bool(_MONTH_LINE.fullmatch(text.strip()))


def find_date(text: str) -> str | None:
    """The first date written anywhere in ``text``, as an ISO date."""
    for match in DATE_ANYWHERE.finditer(text):
        if date := parse_date(match.group()):
            return date
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _cn_small_number(numeral: str) -> int:
    """一 .. 三十一 as written in dates."""
    if "十" not in numeral:
        return int("".join(str(_CN_NUMERALS[c]) for c in numeral))
    tens, _, units = numeral.partition("十")
    return (_CN_NUMERALS[tens] if tens else 1) * 10 + (_CN_NUMERALS[units] if units else 0)
