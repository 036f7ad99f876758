"""The checkable facts of a sentence, and the normal form they are compared in.

A generated sentence may only state what its cited passages state. What can be checked
mechanically is what a wrong answer most often gets wrong: numbers, dates, 文号, names of
organisations and people, and quoted phrases (「」“”《》). Each is extracted from the sentence and
looked for in the cited passages, both sides first brought to one form (``normalise``): full and
half width, every bracket style of a 文号, no spaces, and Chinese numerals written as digits where
they are plainly numbers (二〇二四年, 十二个, 第三, 百分之五十), so that 12次 and 十二次 are one fact.

Over-detection is safe (a word wrongly taken for a name must still be found in the passage, and
a sentence that repeats its passage passes); under-detection is what would let a wrong sentence
through, so the patterns lean wide.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from indexer.gongwen.numbers import DOC_NUMBER_IN_TEXT

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL = "零〇○一二两三四五六七八九十百千"
# what follows a Chinese numeral that is a quantity or a date part (一律, 统一, 一些 are not)
MEASURES = "年月日号个次名人项家所条款岁天元万亿倍批期届类种支台套件户座间级周小时分秒章节位场轮例张份辆块"
_NUMERAL_RUN = re.compile(
    rf"百分之([{CN_NUMERAL}]+|\d+(?:\.\d+)?)|(第)?([{CN_NUMERAL}]+)(?=[{MEASURES}])|(第)([{CN_NUMERAL}]+)"
)
_OPENERS, _CLOSERS = "〔[［(【（", "〕]］)】）"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPENERS, "("), **dict.fromkeys(_CLOSERS, ")")})
_SPACE = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

DATE = re.compile(r"((?:19|20)\d\d)\s*(?:年|-|/|\.)\s*(\d{1,2})(?:\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?)?(?:月)?")
NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
QUOTED = re.compile(r"「([^「」]{1,80})」|“([^“”]{1,80})”|《([^《》]{1,80})》|\"([^\"]{1,80})\"|『([^『』]{1,80})』")
# the last word of an organisation's name
ORG_SUFFIXES = (
    "委员会", "办公室", "办公厅", "人民政府", "政府", "联合会", "总工会", "工会", "协会", "学会", "研究院", "研究所",
    "中心", "集团", "公司", "银行", "大学", "学院", "学校", "医院", "法院", "检察院", "管委会", "街道", "妇联",
    "人大", "政协", "党委", "支部", "局", "厅", "委", "办", "部", "署", "院", "处", "科", "所", "站", "社", "馆", "队",
)
_NAME_FLAGS = ("nr", "nrfg", "nrt")  # jieba's person-name tags
_PLACE_FLAG = "ns"
_PLACE_WORDS = frozenset("省市区县州盟旗镇乡村") | {"国家", "全国", "中央", "自治区"}  # jieba tags these n, not ns


def normalise(text: str) -> str:
    """The form facts are compared in: NFKC width, one bracket style, no spaces or thousands
    commas, lower case, Chinese numerals in number positions as digits."""
    text = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    text = _SPACE.sub("", text)
    text = _THOUSANDS.sub("", text)
    return numerals_to_digits(text).lower()


def numerals_to_digits(text: str) -> str:
    """二〇二四年 -> 2024年, 十二个 -> 12个, 第三 -> 第3, 百分之五十 -> 50%; other 一 (统一, 一律) stay."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            value = cn_number(match.group(1)) if not match.group(1)[0].isdigit() else match.group(1)
            return f"{value}%" if value is not None else match.group(0)
        prefix = match.group(2) or match.group(4) or ""
        run = match.group(3) or match.group(5)
        value = cn_number(run)
        return match.group(0) if value is None else f"{prefix}{value}"

    return _NUMERAL_RUN.sub(replace, text)


def cn_number(run: str) -> str | None:
    """The digits of a Chinese numeral: 二〇二四 -> 2024 (digit by digit), 一百零五 -> 105; None
    when it is not one number (十十)."""
    if not any(ch in CN_UNITS for ch in run):
        return "".join(str(CN_DIGITS[ch]) for ch in run) if all(ch in CN_DIGITS for ch in run) else None
    total, digit, last_unit = 0, None, 10_000
    for ch in run:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:
            unit = CN_UNITS[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return str(total + (digit or 0))


@dataclass(frozen=True)
class Fact:
    kind: str  # number, date, doc_number, quote, organisation, person
    text: str  # as the sentence writes it (normalised)
    alternatives: tuple[str, ...] = ()  # other normalised forms that also count as found


def facts_of(sentence: str) -> list[Fact]:
    """Every checkable fact of ``sentence`` (already free of citation markers), normalised."""
    text = normalise(sentence)
    found: list[Fact] = []
    rest = text
    for match in DOC_NUMBER_IN_TEXT.finditer(text):
        found.append(Fact("doc_number", doc_number_key(match)))
        rest = rest.replace(match.group(0), " ")
    for match in DATE.finditer(rest):
        found.append(Fact("date", date_key(match)))
        rest = rest.replace(match.group(0), " ", 1)
    for match in QUOTED.finditer(rest):
        phrase = next(g for g in match.groups() if g is not None)
        found.append(Fact("quote", phrase))
    found.extend(Fact("number", n) for n in NUMBER.findall(rest))
    found.extend(names_of(sentence))
    return found


def doc_number_key(match: re.Match[str]) -> str:
    """普教办(2024)第3号 -> 普教办|2024|3 (issuer, year, number)."""
    issuer, year, _, number = match.groups()
    return f"{issuer}|{year}|{int(number)}"


def date_key(match: re.Match[str]) -> str:
    """2024年3月5日, 2024-03-05, 2024.3.5 -> 2024-3-5; 2024年3月 -> 2024-3."""
    return "-".join(str(int(part)) for part in match.groups() if part)


@dataclass(frozen=True)
class Evidence:
    """A passage as the checks read it: normalised, with its dates and 文号 parsed once."""

    text: str
    dates: frozenset[str]
    doc_numbers: tuple[tuple[str, str, str], ...]  # (issuer, year, number)

    @classmethod
    def of(cls, passage: str) -> Evidence:
        text = normalise(passage)
        dates: set[str] = set()
        for match in DATE.finditer(text):
            key = date_key(match)
            dates.update((key, "-".join(key.split("-")[:2])))  # 2024-3-5 also states 2024-3
        numbers = tuple(tuple(doc_number_key(m).split("|")) for m in DOC_NUMBER_IN_TEXT.finditer(text))
        return cls(text, frozenset(dates), numbers)  # type: ignore[arg-type]


def names_of(sentence: str) -> list[Fact]:
    """People (jieba's person tags) and organisations: a run of nouns and place names that ends in
    an organisation word (局, 委员会, 政府 ...). An organisation may also be found without the
    leading words that are not place names (会同区妇联 is found as 区妇联), never without a place
    name (区教育局 is not 市教育局)."""
    import jieba
    import jieba.posseg as posseg

    jieba.setLogLevel(logging.ERROR)
    words = [(w.word, w.flag) for w in posseg.cut(unicodedata.normalize("NFKC", sentence))]
    found: list[Fact] = []
    run: list[tuple[str, str]] = []
    for word, flag in words:
        if flag in _NAME_FLAGS and len(word) >= 2:
            found.append(Fact("person", normalise(word)))
        nounish = flag.startswith(("n", "j")) or flag in ("a", "b", "an", "vn")
        if not nounish:
            run = []
            continue
        run.append((word, flag))
        if word.endswith(ORG_SUFFIXES) and (len(run) > 1 or len(word) >= 3):
            full = normalise("".join(w for w, _ in run))
            shorter = []
            for start in range(1, len(run) - 1):  # keep at least two words
                if any(f == _PLACE_FLAG or w in _PLACE_WORDS for w, f in run[:start]):
                    break
                shorter.append(normalise("".join(w for w, _ in run[start:])))
            found.append(Fact("organisation", full, tuple(shorter)))
    return found


def found_in(fact: Fact, evidence: Evidence) -> bool:
    """Whether ``fact`` is stated by the passage ``evidence`` reads."""
    if fact.kind == "date":
        return fact.text in evidence.dates
    if fact.kind == "number":
        return re.search(rf"(?<![\d.]){re.escape(fact.text)}(?!\d)", evidence.text) is not None
    if fact.kind == "doc_number":
        # the issuer pattern is greedy on both sides (根据沪府办〔2024〕12号): one issuer must end the
        # other, so 市府办 is never 区府办; a 文号 written without its issuer matches on year and number
        issuer, year, number = fact.text.split("|")
        return any(year == y and number == n and (not issuer or (i and (issuer.endswith(i) or i.endswith(issuer))))
                   for i, y, n in evidence.doc_numbers)
    return any(form in evidence.text for form in (fact.text, *fact.alternatives))
