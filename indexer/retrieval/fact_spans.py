"""Where a sentence holds the fact a question asks for (``questions.Asked``): the spans of a date, a
number with the asked unit near the thing counted, a phone number, a body's name ... and a count's
span widened to what it counts, as a reader would quote it.
"""

from __future__ import annotations

import re

from indexer.retrieval.questions import UNITS, Asked, tagged

# what a sentence must hold for each kind
_ARABIC = r"\d+(?:[.,，]\d+)*(?:\.\d+)?"
_CHINESE = r"[零〇一二两三四五六七八九十百千万亿半]+"
_NUMBER = rf"(?:{_ARABIC}|{_CHINESE})(?:\s*(?:多|余|几|来))?(?:\s*[万亿千百])?"
_NUMBER_ONLY = re.compile(rf"(?<![\d.]){_ARABIC}|百分之{_CHINESE}|(?<![\u4e00-\u9fff]){_CHINESE}(?=[\u4e00-\u9fff%])")
_DATE = re.compile(
    r"(?<![\d\-－—~至到])(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?(?:底|初|末|内|起|前|以来)?|"
    r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]|每月\s*\d{1,2}\s*[日号]|[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日|"
    r"(?<!\d)\d{4}\s*[-./]\s*\d{1,2}(?:\s*[-./]\s*\d{1,2})?(?!\d)|今年|去年|明年|前年|年底|年初|上半年|下半年|年内")
_PHONE = re.compile(r"(?<![\d-])(?:\d{3,4}[-－—]?)?\d{7,8}(?:[-－—]\d{1,5})?(?![\d-])|(?<!\d)1[3-9]\d{9}(?!\d)|"
                    r"(?<!\d)(?:12\d{3}|95\d{3}|96\d{3})(?!\d)|"
                    r"(?<!\d)(?:400|800)[-－]?\d{3}[-－]?\d{4}(?!\d)|(?<!\d)12345(?!\d)")
_TIME = re.compile(r"(?:上午|下午|晚上|早上|中午)?\s*\d{1,2}\s*[:：点时]\s*(?:\d{1,2}\s*分?|半)?(?:\s*[-－—至到~]\s*"
                   r"(?:上午|下午|晚上)?\s*\d{1,2}\s*[:：点时]\s*(?:\d{1,2}\s*分?|半)?)?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_WEBSITE = re.compile(r"https?://\S+|www\.[\w.-]+")
_PERSON = re.compile(r"[\u4e00-\u9fff]{2,3}(?:委员|代表|同志|书记|主任|局长|区长|市长|县长|部长|厅长|主席|校长|院长)|"
                     r"(?:联系人|负责人|组长|主任)(?:姓名)?[:：]\s*[\u4e00-\u9fff]{2,4}")
_ADDRESS = re.compile(r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|弄|道)\s*\d+\s*号(?:\s*\d*\s*(?:号楼|楼|幢|室|层))*")
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,12}(?:省|市|区|县|镇|乡|村|街道|路|街|号|楼|室|社区|园区|新区|广场|公园|大厦|小区)")

_ORG_WORDS = frozenset({"法院", "公安", "司法", "妇联", "工会", "团委", "检察院", "民政", "人社", "卫健", "教育局", "财政局",
                         "发改委", "人大", "政协", "团市委", "团区委", "总工会", "残联", "科协", "侨联", "文联", "红十字会"})
_ORG_ENDS = ("局", "委", "办", "厅", "署", "院", "会", "中心", "政府", "办公室", "委员会", "公司", "银行", "学校", "大学", "学院",
             "协会", "支队", "大队", "联盟", "基金会", "街道办事处", "部门", "单位")
_NOUNISH = ("n", "ns", "nt", "nz", "j", "an", "a", "zg", "nr")


def answer_spans(asked: Asked, sentence: str) -> list[tuple[int, int]]:
    """Spans of ``sentence`` that hold the fact ``asked`` wants, in order; [] when it holds none.
    A question that wants no particular kind of fact is answered by the whole sentence."""
    if asked.kind is None:
        return [(0, len(sentence))]
    if asked.kind == "quantity":
        return _quantity_spans(asked, sentence)
    pattern = {"date": _DATE, "time": _TIME, "phone": _PHONE, "email": _EMAIL, "postcode": _POSTCODE, "website": _WEBSITE,
               "number": _NUMBER_ONLY, "place": _PLACE, "address": _ADDRESS}.get(asked.kind)
    if asked.kind == "number":
        return [_with_unit(sentence, m) for m in _NUMBER_ONLY.finditer(sentence)]
    if pattern is not None:
        return [m.span() for m in pattern.finditer(sentence)]
    if asked.kind == "person":
        return [m.span() for m in _PERSON.finditer(sentence)]
    return sorted([m.span() for m in _PERSON.finditer(sentence)] + _org_spans(sentence))


def _org_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of the bodies a sentence names: a word that is or ends like one (妇联, 教育局, 联合会)
    with up to three nouns before it (上海市 妇女 联合会, 区 卫生 健康 委)."""
    spans, at = [], 0
    tokens = []
    for word, flag in tagged(sentence):
        tokens.append((at, at + len(word), word, flag))
        at += len(word)
    for i, (_start, end, word, flag) in enumerate(tokens):
        if not (flag == "nt" or word in _ORG_WORDS or (len(word) >= 2 and word.endswith(_ORG_ENDS))):
            continue
        first = i
        while first > 0 and i - first < 3 and tokens[first - 1][3] in _NOUNISH and tokens[first - 1][2] not in "、，":
            first -= 1
        spans.append((tokens[first][0], end))
    return spans


_MEASURE_WORDS = frozenset("个家所名位户座处项件条张台辆间套批期种类门节班床支份本篇点站岗")
_NOT_NOUN = re.compile(r"[的地得和及与或等是在为有将已并可]")


def widened(asked: Asked, sentence: str, span: tuple[int, int]) -> tuple[int, int]:
    """A count's span with the thing counted and the counts that run on after it, as a reader would
    quote it: 10个 -> 10个街道镇16个社区, 1个 -> 1个家庭科学育儿指导站 (the question's own noun). Only
    after a measure word (个, 家, 所 ...): 1万元 and 15分钟 stand alone."""
    if asked.kind != "quantity":
        return span
    spans = _quantity_spans(asked, sentence)
    start, end = span
    while end > start and sentence[end - 1] in _MEASURE_WORDS:
        rest = sentence[end:]
        if asked.noun and rest.startswith(asked.noun):
            noun_end = end + len(asked.noun)
        else:  # a short noun that ends where the words do (before a number, a quote, punctuation)
            noun = re.match(r"[\u4e00-\u9fff]{1,4}(?![\u4e00-\u9fff])", rest)
            if not noun or _NOT_NOUN.search(noun.group(0)):
                return start, end
            noun_end = end + len(noun.group(0))
        following = next((s for s in spans if s[0] == noun_end), None)
        if following is None:
            return start, noun_end
        end = following[1]
    return start, end


def _quantity_spans(asked: Asked, sentence: str) -> list[tuple[int, int]]:
    if asked.units:
        units = "|".join(re.escape(u) for u in sorted(asked.units, key=len, reverse=True))
        # a number, then its unit, with at most a measure word or 个 between (6个月, 1万元, 72人)
        pattern = re.compile(rf"(?:百分之{_CHINESE})|(?<![\d.])(?:{_NUMBER})\s*(?:个)?(?:{units})")
        found = [m.span() for m in pattern.finditer(sentence) if not _is_date_part(sentence, m)]
        if asked.noun is None:
            return found
        # 多少个托育点 counts 托育点: 36个街镇 is no answer, 50个普惠性托育点 and 托育点50个 are; a long
        # name is matched by its head (婴幼儿照护服务类培训定点机构: 14家培训定点机构)
        heads = {asked.noun[-3:], *(run[-3:] for run in asked.counted[:1] if len(run) >= 2)}
        return [span for span in found if any(_near(sentence, span, head, NOUN_WINDOW) for head in heads)]
    numbers = [_with_unit(sentence, m) for m in _NUMBER_ONLY.finditer(sentence) if not _is_date_part(sentence, m)]
    if asked.noun is None:
        return numbers
    # 多少托位: a number within a few characters of the counted thing (or of a term after 多少:
    # 多少额度的医保基金 -> 医保基金6.9亿元), in the same clause
    names = tuple(dict.fromkeys((asked.noun, *asked.counted)))
    return [number for number in numbers if any(_near(sentence, number, name) for name in names)]


def _near(sentence: str, span: tuple[int, int], name: str, window: int = 8) -> bool:
    """Whether ``name`` stands within ``window`` characters of ``span``, in the same clause."""
    for found in re.finditer(re.escape(name), sentence):
        between = sentence[min(span[1], found.end()):max(span[0], found.start())]
        if len(between) <= window and not re.search(r"[，,；;。：:]", between):
            return True
    return False


NOUN_WINDOW = 16  # characters between a count and the head of what it counts (2000家具有…的社会组织)


def _with_unit(sentence: str, match: re.Match[str]) -> tuple[int, int]:
    """A number's span with the unit that follows it (1200万元, 100%)."""
    end = match.end()
    rest = sentence[end:end + 6]
    for prefix in ("万", "亿", "千", "余", "多", "个"):
        if rest.startswith(prefix) and not rest.startswith(("个人",)):
            end, rest = end + 1, rest[1:]
            break
    unit = next((u for u in UNITS if rest.startswith(u)), "")
    return match.start(), end + len(unit)


def _is_date_part(sentence: str, match: re.Match[str]) -> bool:
    """Whether a number is the year, month or day of a date (2023年 does not count 年 of anything)."""
    after = sentence[match.end():match.end() + 1]
    text = match.group(0)
    if re.fullmatch(r"\d{4}\s*年?", text) and (text.endswith("年") or after == "年"):
        return not re.search(r"[多余]", text)
    return bool(re.fullmatch(r"\d{1,2}", text) and after in "月日号" and after)
