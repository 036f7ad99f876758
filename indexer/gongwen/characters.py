"""Character-level normalisation of extracted text: one form for each character a 公文 writes.

Digits and Latin letters half-width, invisible characters gone, odd spaces plain, a 发文字号's year
in 〔〕 whatever brackets the source used, and half-width punctuation next to CJK text full-width.
"""

from __future__ import annotations

import re
import unicodedata

from indexer.gongwen.furniture import strip_remnants

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"

# Width and invisible-character normalisation: digits and Latin letters half-width, CJK punctuation kept.
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_FULLWIDTH_ALNUM.update({ord("％"): "%", ord("．"): ".", ord("＋"): "+", ord("／"): "/", ord("＝"): "="})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u3000\u2002\u2003\u2009\u202f\t"), " ")
# A soft hyphen between digits was printed: "2014\u00ad2020年" is 2014-2020年, not 20142020年.
_HYPHEN_BETWEEN_DIGITS = re.compile("(?<=\\d)\u00ad(?=\\d)")
# Half-width punctuation between CJK characters becomes the full-width form a 公文 uses.
_TO_FULLWIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT_NEAR_CJK = re.compile(
    f"(?<=[{CJK}])[,:;?!()]|[,:;?!()](?=[{CJK}])|(?<=[{CJK}][)])[,:;]"
)
# a space standing for a title's 《: between a character and an ideograph or an opening quotation mark
_TITLE_GAP = re.compile(f"(?<=[{CJK}{CJK_PUNCT}]) (?=[{CJK}“])")
_TITLE_CHARS = 60  # a document's name between 《》 is at most this long
_NOT_IN_TITLE = re.compile("[，。；：！？《]")  # a name holds no sentence
# A 发文字号 year in any bracket style is written 〔2024〕, so identifiers match across documents.
_DOC_NUMBER_BRACKETS = re.compile(
    f"(?<=[{CJK}])\\s*[\\[［【〔(（]\\s*((?:19|20)\\d{{2}})\\s*[\\]］】〕)）]\\s*(?=第?\\s*\\d{{1,5}}\\s*号)"
)


def normalise_characters(text: str) -> str:
    """One form per character: line ends, widths, invisible characters, spaces, 文号 brackets, punctuation."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = strip_remnants(text)
    text = _HYPHEN_BETWEEN_DIGITS.sub("-", text)
    text = text.translate(_INVISIBLE).translate(_SPACES).translate(_FULLWIDTH_ALNUM)
    text = _DOC_NUMBER_BRACKETS.sub(r"〔\1〕", text)
    return full_width_punctuation(_reopen_titles(text))


def _reopen_titles(text: str) -> str:
    """A 《 a font's wrong map reads as a space ("关于印发 革命文物保护利用……规划》的通知", printed from a
    web page): on a line where a 》 closes a title nothing opened, the last space between two
    characters before it (an ideograph or a quotation mark after it) is that 《, where what stands
    between them is a name: short, no sentence in it."""
    if "》" not in text:
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if "》" not in line:
            continue
        depth, start = 0, 0
        for k, char in enumerate(line):
            if char == "《":
                depth += 1
            elif char == "》" and depth:
                depth -= 1
            elif char == "》":  # spaces stand one for one, so the places read from the line as given hold
                gaps = [gap.start() for gap in _TITLE_GAP.finditer(line, start, k)]
                if gaps and k - gaps[-1] <= _TITLE_CHARS and not _NOT_IN_TITLE.search(line, gaps[-1], k):
                    line = line[: gaps[-1]] + "《" + line[gaps[-1] + 1 :]
                start = k + 1
        lines[number] = line
    return "\n".join(lines)


def full_width_punctuation(text: str) -> str:
    """Half-width punctuation between CJK characters as the full-width form a 公文 uses."""
    return _HALF_PUNCT_NEAR_CJK.sub(lambda m: _TO_FULLWIDTH[m.group()], text)
