"""The numbers Word prints before automatically numbered paragraphs ("一、", "（一）", "1.", "①").

Word stores them in the numbering part, not in the text: python-docx's ``paragraph.text`` leaves
them out, so a 公文 whose headings are numbered by Word loses "一、" and "（一）", and with them the
structure its parts are read by (一是/二是 asks, heading paths). Each paragraph with a numbering
(its own or its style's) gets the label Word shows: the level's ``lvlText`` with each ``%n`` the
counter of level n in that level's number format. Counters run per list (``numId``), a level
restarting when a higher one advances; bullets print nothing worth reading and are left out.
"""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn

_CJK_DIGITS = "零一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
_MAX_LEVELS = 9


class Numbering:
    """Labels for one document's numbered paragraphs, read in document order."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId -> ilvl -> (start, format, text)
        self._counters: dict[str, list[int]] = {}
        self._styles: dict[str, tuple[str, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):  # no numbering part: nothing is numbered
            return
        abstract = {node.get(qn("w:abstractNumId")): _levels(node) for node in numbering.iterfind(qn("w:abstractNum"))}
        for num in numbering.iterfind(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            levels = dict(abstract.get(ref.get(qn("w:val")) if ref is not None else None, {}))
            for override in num.iterfind(qn("w:lvlOverride")):
                level = _int(override.get(qn("w:ilvl")), 0)
                start = override.find(qn("w:startOverride"))
                if start is not None and level in levels:
                    _, kind, text = levels[level]
                    levels[level] = (_int(start.get(qn("w:val")), 1), kind, text)
            self._levels[num.get(qn("w:numId"))] = levels
        for style in document.styles.element.iterfind(qn("w:style")):
            found = _num_pr(style)
            if found and found[0]:
                self._styles[style.get(qn("w:styleId"))] = (found[0], found[1] or 0)

    def label(self, paragraph: Any) -> str:
        """The number Word prints before ``paragraph`` ("" when it has none); advances the counters."""
        own = _num_pr(paragraph._p)
        style = self._styles.get(paragraph._p.style or "", ("", 0))
        num_id, level = (own[0], own[1] if own[1] is not None else style[1]) if own and own[0] else style
        levels = self._levels.get(num_id)
        if not num_id or num_id == "0" or not levels or level not in levels:
            return ""
        counters = self._counters.setdefault(num_id, [0] * _MAX_LEVELS)
        level = min(level, _MAX_LEVELS - 1)
        start = levels[level][0]
        counters[level] = start if counters[level] < start else counters[level] + 1
        for deeper in range(level + 1, _MAX_LEVELS):
            counters[deeper] = 0
        _, kind, text = levels[level]
        if kind in ("bullet", "none") or not text:
            return ""
        for shown in range(level, -1, -1):
            number = counters[shown] or (levels[shown][0] if shown in levels else 1)
            text = text.replace(f"%{shown + 1}", _formatted(number, levels[shown][1] if shown in levels else "decimal"))
        return text


def _levels(abstract: Any) -> dict[int, tuple[int, str, str]]:
    levels = {}
    for lvl in abstract.iterfind(qn("w:lvl")):
        start, kind, text = lvl.find(qn("w:start")), lvl.find(qn("w:numFmt")), lvl.find(qn("w:lvlText"))
        levels[_int(lvl.get(qn("w:ilvl")), 0)] = (
            _int(start.get(qn("w:val")), 1) if start is not None else 1,
            kind.get(qn("w:val"), "decimal") if kind is not None else "decimal",
            text.get(qn("w:val"), "") if text is not None else "",
        )
    return levels


def _num_pr(element: Any) -> tuple[str, int | None] | None:
    """(numId, ilvl) of a paragraph's or style's own numbering, or None."""
    properties = element.find(qn("w:pPr"))
    numbered = properties.find(qn("w:numPr")) if properties is not None else None
    if numbered is None:
        return None
    num_id, level = numbered.find(qn("w:numId")), numbered.find(qn("w:ilvl"))
    return (num_id.get(qn("w:val"), "") if num_id is not None else "",
            _int(level.get(qn("w:val")), 0) if level is not None else None)


def _formatted(number: int, kind: str) -> str:
    if kind in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "ideographDigital",
                "chineseLegalSimplified", "taiwaneseCounting", "taiwaneseCountingThousand"):
        return chinese_number(number)
    if kind in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= number <= len(_CIRCLED):
        return _CIRCLED[number - 1]
    if kind == "ideographTraditional" and 1 <= number <= len(_HEAVENLY_STEMS):
        return _HEAVENLY_STEMS[number - 1]
    if kind in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letter if kind == "upperLetter" else letter.lower()
    if kind in ("upperRoman", "lowerRoman"):
        roman = _roman(number)
        return roman.upper() if kind == "upperRoman" else roman
    if kind == "decimalFullWidth":
        return "".join(chr(ord(digit) + 0xFEE0) for digit in str(number))
    if kind == "decimalZero":
        return f"{number:02d}"
    return str(number)


def chinese_number(number: int) -> str:
    """一, 十, 十一, 二十, 一百零五, 一千零一: how 公文 headings count."""
    if number <= 0 or number >= 10000:
        return str(number)
    digits = [number // 1000, number // 100 % 10, number // 10 % 10, number % 10]
    out, zero = "", False
    for digit, unit in zip(digits, ("千", "百", "十", "")):
        if not digit:
            zero = bool(out)
            continue
        if zero:
            out += "零"
        zero = False
        out += ("" if digit == 1 and unit == "十" and not out else _CJK_DIGITS[digit]) + unit
    return out


def _roman(number: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while number >= value:
            out += letters
            number -= value
    return out


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
