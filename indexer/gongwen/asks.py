"""The asks of a proposal: what the proposer wants done, one part per ask, as exact spans of its text.

A reply answers a proposal ask by ask, so a three-point proposal is three parts, not one. Where the
asks are is stated by the proposal itself: after a cue (为此，建议： / a 具体建议 heading / 委员XX建议，)
and marked by a numbering run (一是…二是…, 一、二、, （一）（二）, 1. 2., （1）（2）, or 01 / 02 on lines
of their own). Without a run the asks are the cue's clauses (；) or paragraphs; without a cue, the
sentences that ask (建议/希望/呼吁…); without those, the whole text is one ask.

A numbering run counts from one without gaps; runs nested inside another run's items are its
sub-points; of runs side by side, the last is the asks (a proposal states problems, then asks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN = "一二三四五六七八九十"
_BEFORE_INLINE = r"(?:^|(?<=[\s。；：，！？」”）),;:!?]))"  # a marker starts a line or follows punctuation
# family -> (pattern with the number in group 1, rank in the heading ladder: lower is the higher level)
_FAMILIES: dict[str, tuple[re.Pattern[str], int]] = {
    "一、": (re.compile(rf"{_BEFORE_INLINE}([{_CN}]{{1,3}})、"), 0),
    "（一）": (re.compile(rf"{_BEFORE_INLINE}[（(]([{_CN}]{{1,3}})[）)]"), 1),
    # 一是…二是 (一要…二要, mixed) runs inline at any level: nothing is taken for its sub-points
    "一是": (re.compile(rf"{_BEFORE_INLINE}([{_CN}]{{1,3}})[是要]"), 5),
    "01": (re.compile(r"^0?([1-9])$", re.MULTILINE), 2),
    "1.": (re.compile(rf"{_BEFORE_INLINE}(\d{{1,2}})[、.．](?!\d)"), 3),
    "（1）": (re.compile(rf"{_BEFORE_INLINE}[（(](\d{{1,2}})[）)]"), 4),
}
# a heading line that opens the asks: 具体建议 / 三、对策建议 / 建议、办法和要求 / 提案建议
_CUE_LINE = re.compile(
    rf"^(?:[{_CN}]+、|[（(][{_CN}]+[）)])?(?:几点|具体|对策|相关|主要|工作|意见|提案|解决)?"
    r"(?:建议|对策|措施|办法)(?:[和与及、](?:建议|对策|措施|办法|要求))*(?:如下)?[：:]?$"
)
# 为此，建议： / 建议： / 为此，将建议： / 特提出如下建议： (a colon: 建议人： and 建议内容： are labels)
_CUE_INLINE = re.compile(
    r"(?:(?:为此|对此|因此|据此|鉴于此|基于此|综上)[，,]?)?(?:特|我们|本人|笔者|现|将)?(?:提出|提)?"
    r"(?:以下|如下|几点|几条|具体|相关)?(?:意见)?建议(?:如下)?[：:]"
)
# 委员罗宏伟建议， / 周宇红建议， : a named person's asks follow in the rest of the paragraph
_CUE_NAMED = re.compile(r"(?:^|(?<=[。\n]))[^。\n]{0,40}?([\u4e00-\u9fff]{2,3})(?:还|等)?(?:建议|呼吁)[，,：:]")
NOT_A_NAME = frozenset(
    "为此 对此 因此 我们 本人 笔者 特此 同时 另外 此外 最后 首先 其次 再次 据此 还 并 故 具体 提案 委员 代表 特 现 将 "
    "我局 我委 我们还 他们 她们 大家 有关 相关 进一步 同时还 因而 所以 并且 而且 另 文件 应 可 也".split()
)
_ASKING = re.compile(r"建议|希望|呼吁|恳请|请求|要求")
_ATTRIBUTION = re.compile(r"[（(][^（）()]{0,20}(?:委员|代表)[^（）()]{0,6}[）)]\s*$")
_SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")
_CLAUSE = re.compile(r"[^；;]+[；;]?")
MIN_ASK_CHARS = 4


@dataclass(frozen=True)
class Ask:
    """One ask: ``text[char_start:char_end]``; ``marker`` names how it was found."""

    index: int
    char_start: int
    char_end: int
    marker: str  # a numbering family (一是, 一、, （一）, 1., （1）, 01), "；", "段", "句" or "全文"


@dataclass(frozen=True)
class _Run:
    family: str
    starts: tuple[int, ...]  # where each item's marker starts
    end: int  # where the last item ends


def find_asks(text: str, start: int = 0) -> list[Ask]:
    """The asks of ``text`` after ``start`` (the body, past the proposal's header lines)."""
    zone, named = _ask_zone(text, start)
    spans: list[tuple[int, int]] = []
    marker = ""
    run = _chosen_run(text, *zone)
    if run is not None:
        marker = run.family
        bounds = [*run.starts, run.end]
        spans = [(bounds[i], bounds[i + 1]) for i in range(len(run.starts))]
    elif zone != (start, len(text)) or named:
        end = _paragraph_end(text, zone[0]) if named else zone[1]
        paragraphs = _paragraphs(text, zone[0], end)
        if len(paragraphs) == 1:
            spans = [m.span() for m in _CLAUSE.finditer(text, *paragraphs[0])]
            marker = "；"
        else:
            spans, marker = paragraphs, "段"
    else:
        spans, marker = _asking_sentences(text, start), "句"
    asks = [span for span in (_trimmed(text, *span) for span in spans) if span[1] - span[0] >= MIN_ASK_CHARS]
    if len(asks) == 1 and marker in ("；", "句"):
        asks = [_trimmed(text, asks[0][0], _paragraph_end(text, asks[0][0]))]
    if not asks:
        whole = _trimmed(text, start, len(text))
        return [Ask(0, *whole, "全文")] if whole[1] > whole[0] else []
    return [Ask(i, s, e, marker) for i, (s, e) in enumerate(asks)]


def _ask_zone(text: str, start: int) -> tuple[tuple[int, int], bool]:
    """Where the asks are: after the last cue (a cue line, 为此，建议：, or a named person's 建议，)."""
    cue_end, named = start, False
    for line in re.finditer(r"[^\n]+", text[start:]):
        if _CUE_LINE.match(line.group().strip()):
            cue_end = start + line.end()
    for match in _CUE_INLINE.finditer(text, start):
        if match.end() > cue_end and len(text) - match.end() >= MIN_ASK_CHARS:
            cue_end = match.end()
    if cue_end == start:
        for match in _CUE_NAMED.finditer(text, start):
            if match.group(1) not in NOT_A_NAME and not match.group(1).endswith(tuple("们组会局联部办门家方处委室院所")):
                cue_end, named = match.end(), True
                break
    return (cue_end, len(text)), named


def _chosen_run(text: str, start: int, end: int) -> _Run | None:
    runs = [run for family in _FAMILIES for run in _runs(text, family, start, end)]
    outer = [r for r in runs if not any(o is not r and o.starts[0] < r.starts[0] < o.end for o in runs)]
    return max(outer, key=lambda r: r.starts[0]) if outer else None


def _runs(text: str, family: str, start: int, end: int) -> list[_Run]:
    """Numbering runs of one family: 1, 2, 3 ... in order, each at least two items long."""
    pattern, rank = _FAMILIES[family]
    found: list[_Run] = []
    current: list[int] = []
    for match in pattern.finditer(text, start, end):
        number = _number(match.group(1))
        if number == len(current) + 1:
            current.append(match.start())
        elif number == 1:
            found.append(_close(text, family, rank, current, end))
            current = [match.start()]
    found.append(_close(text, family, rank, current, end))
    return [run for run in found if len(run.starts) >= 2]


def _close(text: str, family: str, rank: int, starts: list[int], end: int) -> _Run:
    """A run whose last item ends with its paragraph, or with the sub-points that follow it."""
    if not starts:
        return _Run(family, (), 0)
    last = _paragraph_end(text, starts[-1]) if family != "01" else end
    while last < end:
        following = text[last:end].lstrip("\n")
        if not following or not any(
            pattern.match(following) and other_rank > rank for pattern, other_rank in _FAMILIES.values()
        ):
            break
        last = _paragraph_end(text, end - len(following))
    return _Run(family, tuple(starts), min(last, end))


def _asking_sentences(text: str, start: int) -> list[tuple[int, int]]:
    """Sentences that ask, each running to the next one that asks or to its paragraph's end."""
    starts = [m.start() for m in _SENTENCE.finditer(text, start) if _ASKING.search(m.group())]
    spans = []
    for i, begin in enumerate(starts):
        end = _paragraph_end(text, begin)
        if i + 1 < len(starts) and starts[i + 1] < end:
            end = starts[i + 1]
        spans.append((begin, end))
    return spans


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The lines of ``text`` inside [start, end), cut to it."""
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        s, e = max(line.start(), start), min(line.end(), end)
        if e > s and text[s:e].strip():
            spans.append((s, e))
    return spans


def _paragraph_end(text: str, at: int) -> int:
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding space, without a trailing （市政协委员XX） attribution."""
    piece = text[start:end]
    attribution = _ATTRIBUTION.search(piece.rstrip())
    if attribution:
        end = start + attribution.start()
    while start < end and text[start] in " \n\t\u3000":
        start += 1
    while end > start and text[end - 1] in " \n\t\u3000；;":
        end -= 1
    return start, end


def _number(value: str) -> int:
    if value.isdigit():
        return int(value)
    digits = {c: i for i, c in enumerate(_CN, start=1)}
    if value == "十":
        return 10
    if value.startswith("十"):
        return 10 + digits.get(value[1], 0)
    if "十" in value:
        tens, _, ones = value.partition("十")
        return digits.get(tens, 0) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(value, 0)
