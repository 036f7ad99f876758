"""What a question asks for, and where a sentence holds it.

A sentence can be close in meaning to a question and still not answer it: "宝宝屋每月收费标准是多少元"
is not answered by a sentence on how many 宝宝屋 were built. So each question is read for the kind
of fact it wants (多少/几 + a unit: a number with that unit; 何时/哪年: a date; 谁/哪个部门: a
person or body; 哪里: a place; 电话/邮箱/邮编: that kind of string), the places it names, and
its content terms (the words left when the question words are taken out). ``fact_spans.answer_spans``
finds the wanted fact inside a sentence; an answer without one is no answer, and the span is what the
page shows first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.index.lexical import normalize, query_terms

# units that may follow 多少/几 and a number, longest first so 万元 wins over 元; each maps to the
# units a sentence may state the same quantity in (多少钱 is answered in 元 or 万元)
_UNIT_CLASSES: dict[str, tuple[str, ...]] = {
    "元": ("元", "万元", "亿元", "千元", "块"), "钱": ("元", "万元", "亿元", "千元", "块"),
    "万元": ("万元", "亿元", "元"), "亿元": ("亿元", "万元", "元"),
    "人": ("人", "名", "人次", "位"), "名": ("名", "人", "位"), "位": ("位", "名", "人"), "人次": ("人次", "人"),
    "家": ("家", "个", "所"), "所": ("所", "个", "家"), "个": ("个",), "户": ("户", "家"),
    "次": ("次", "场", "回"), "场": ("场", "次"), "天": ("天", "日", "个工作日", "工作日"),
    "日": ("日", "天", "个工作日", "工作日"), "个工作日": ("个工作日", "工作日", "天", "日"),
    "工作日": ("工作日", "个工作日", "天", "日"),
    "周": ("周", "个星期", "星期"), "个月": ("个月", "月"), "月": ("个月", "月"), "年": ("年",), "岁": ("岁", "周岁"),
    "周岁": ("周岁", "岁"), "小时": ("小时", "个小时"), "个小时": ("个小时", "小时"), "分钟": ("分钟",),
    "课时": ("课时", "学时"), "学时": ("学时", "课时"), "公里": ("公里", "千米"), "千米": ("千米", "公里"),
    "米": ("米",), "平方米": ("平方米", "平米", "㎡"), "亩": ("亩",), "吨": ("吨",), "公斤": ("公斤", "千克"),
    "条": ("条",), "项": ("项",), "件": ("件",), "张": ("张",), "台": ("台",), "辆": ("辆",), "座": ("座", "个"),
    "间": ("间",), "套": ("套",), "处": ("处", "个"), "批": ("批",), "期": ("期",), "种": ("种", "类"),
    "类": ("类", "种"), "门": ("门",), "节": ("节",), "班": ("班", "个班"), "床": ("床", "张"), "倍": ("倍",),
    "层": ("层",), "栋": ("栋", "幢"), "支": ("支",), "份": ("份",), "本": ("本",), "篇": ("篇",), "点": ("点", "个"),
    "站": ("站", "个"), "岗": ("岗", "个"), "%": ("%", "％"), "百分点": ("百分点", "个百分点"),
}
_DURATIONUNITS = ("年", "个月", "月", "周", "天", "日", "个工作日", "工作日", "小时", "分钟")
UNITS = sorted(_UNIT_CLASSES, key=len, reverse=True)
_HOW_MANY = re.compile(r"(多少|几)")
_LIST_ASKED = re.compile(r"哪几")
_ANY_NUMBER_AFTER = re.compile(r"^(?:[呢吗啊呀？?。，,！!\s]|$|是|为|的标准|标准)")
_DURATION = re.compile(r"多久|多长时间|多长的时间|多少时间|几个月|多少年|多少天")
_MEASURE = re.compile(r"多大|多高|多远|多重|多宽|多深|多长")
_DATE_ASKED = re.compile(
    r"何时|什么时候|什么时间|啥时候|哪年|哪一年|哪个月|几月份?|哪天|哪一天|哪日|何年|何日|截止日期|截止时间|"
    r"(?:日期|时间)(?:是|为)?(?:什么|多少|哪)")
_TIME_ASKED = re.compile(r"几点|几时|什么时段|哪个时段|开放时间|办公时间|营业时间")
_PHONE_ASKED = re.compile(r"电话|热线|手机号|联系方式|号码")
_EMAIL_ASKED = re.compile(r"邮箱|电子邮件|e-?mail", re.IGNORECASE)
_POSTCODE_ASKED = re.compile(r"邮编|邮政编码")
_WEBSITE_ASKED = re.compile(r"网址|网站地址|网站是")
_ORG_ASKED = re.compile(
    r"谁|哪个部门|哪些部门|什么部门|哪个单位|哪些单位|什么单位|哪家单位|哪家机构|哪个机构|哪些机构|什么机构|"
    r"哪个组织|哪些组织|牵头单位|责任单位|主办单位|承办单位|配合单位|由哪")
_PERSON_ASKED = re.compile(r"(?:负责人|联系人|主任|局长|院长|校长|会长|书记|组长|姓名|署名)(?:是谁|叫什么|姓什么|是哪位)|"
                           r"谁(?:负责|牵头)?(?:签发|提出|署名)")
_ADDRESS_ASKED = re.compile(r"地址|在哪条路|门牌")
_PLACE_ASKED = re.compile(r"哪里|哪儿|在哪|什么地方|什么位置|地址|(?<!如)何处|哪个区|哪些区|哪些地方|哪个地方|哪个街道")

_DIGITS = re.compile(r"\d+(?:\.\d+)?")  # the numbers a question states
# words jieba tags as places that name no particular place
_NOT_PLACES = frozenset({"城市", "社区", "小区", "园区", "校区", "地区", "辖区", "市区", "城区", "全区", "本区", "我区", "各区",
                          "全市", "本市", "我市", "各市", "全省", "本省", "我省", "各省", "全县", "本县", "我县", "各县",
                          "新区", "开发区", "街区", "景区", "片区", "郊区", "市场", "全国", "中国", "国家", "农村", "乡村",
                          "城乡", "基层", "青春", "家门口", "中心", "街道"})
_PLACE_ENDS = ("省", "市", "区", "县", "州", "镇", "乡", "村", "旗", "盟")

# words that carry no content of their own in a question: the question words and the politest padding
_QUESTION_WORDS = frozenset("""
什么 怎么 怎样 怎么样 如何 多少 哪些 哪个 哪里 哪儿 哪年 哪天 是否 能否 可否 可以 有没有 为什么 为何 何时 什么时候 时候 时间
需要 应该 请问 目前 现在 有关 相关 关于 问题 情况 一下 哪家 多久 多长 几个 是不是 能不能 会不会 有无 具体 主要 一般 通常 吗 呢
""".split())


@dataclass(frozen=True)
class Asked:
    """What a question wants: a kind of fact (None: an explanation, a list of measures ...), the
    units a number must carry, the thing counted when named without a unit, the places it names
    and its content terms."""

    kind: str | None
    units: tuple[str, ...] = ()
    noun: str | None = None
    places: tuple[str, ...] = ()
    terms: tuple[str, ...] = field(default=())
    numbers: tuple[str, ...] = ()  # the numbers the question states (2022, 50): the answer's document must too
    # what is counted: with a unit, the words after it (多少家|婴幼儿照护服务类培训定点机构); without, the
    # content terms after 多少 (多少额度的医保基金: 医保基金)
    counted: tuple[str, ...] = ()


def content_terms(text: str) -> list[str]:
    """The question's searchable terms without its question words."""
    return [t for t in query_terms(text) if t not in _QUESTION_WORDS and not _HOW_MANY.fullmatch(t)]


def named_places(text: str) -> list[str]:
    """Regions and districts a question names (普陀区, 武汉市, 浦东新区), not 全市, 社区 or 城市:
    the words jieba's tagger marks as places."""
    found = [word for word, flag in tagged(normalize(text)) if _is_place(word, flag)]
    return list(dict.fromkeys(found))


def _is_place(word: str, flag: str) -> bool:
    """A region's name: tagged a place and with its suffix (普陀区, 南京市), or a short name whose
    suffixed form the dictionary knows as a place (大连 of 大连市, 重庆 of 重庆市, whatever the tagger
    made of it in context); not the other words the tagger calls places (城市, 上岗, 海关, 中国)."""
    if word in _NOT_PLACES or len(word) < 2:
        return False
    if flag == "ns" and len(word) >= 3 and word.endswith(_PLACE_ENDS):
        return True
    import jieba.posseg

    tags = jieba.posseg.dt.word_tag_tab
    return len(word) <= 4 and any(tags.get(word + suffix) == "ns" for suffix in ("市", "省", "县", "区", "自治区"))


def tagged(text: str) -> list[tuple[str, str]]:
    import jieba.posseg  # the tagger loads its model on first use (about a second)

    return [(pair.word, pair.flag) for pair in jieba.posseg.cut(text)]


def analyse(question: str) -> Asked:
    """The kind of fact ``question`` asks for, with its units, counted thing, places and terms."""
    text = normalize(question)
    places, terms = tuple(named_places(text)), tuple(content_terms(text))
    numbers = tuple(dict.fromkeys(_DIGITS.findall(text)))

    def asked(kind: str | None, units: tuple[str, ...] = (), noun: str | None = None, after: str = "") -> Asked:
        counted = (after,) if units and after else tuple(t for t in terms if t in after)
        return Asked(kind, units, noun, places, terms, numbers, counted)

    if _POSTCODE_ASKED.search(text):
        return asked("postcode")
    if _EMAIL_ASKED.search(text):
        return asked("email")
    if _WEBSITE_ASKED.search(text):
        return asked("website")
    if _PHONE_ASKED.search(text) and re.search(r"多少|是什么|是几|哪个|哪些|号码", text):
        return asked("phone")
    if _TIME_ASKED.search(text):
        return asked("time")
    if _DATE_ASKED.search(text):
        return asked("date")
    if _DURATION.search(text):
        return asked("quantity", _DURATIONUNITS)
    quantity = _quantity(text)
    if quantity is not None:
        return asked("quantity", *quantity)
    if _LIST_ASKED.search(text):  # 哪几项税费, 哪几个部门: a list, not a count
        return asked("org" if _ORG_ASKED.search(text) or re.search(r"哪几个?(?:部门|单位|机构)", text) else None)
    if _MEASURE.search(text):
        return asked("number")
    if _PERSON_ASKED.search(text):
        return asked("person")
    if _ORG_ASKED.search(text):
        return asked("org")
    if _ADDRESS_ASKED.search(text):
        return asked("address")
    if _PLACE_ASKED.search(text):
        return asked("place")
    return asked(None)


def _quantity(text: str) -> tuple[tuple[str, ...], str | None, str] | None:
    """(units, counted noun, the rest of the question) of the first 多少/几 + unit in ``text``; no units
    and no noun for a bare 多少 (any number), no units for 多少 + a noun (多少托位); None when nothing is
    counted (哪几项 lists things)."""
    for match in _HOW_MANY.finditer(text):
        after = text[match.end():]
        if match.group(1) == "几" and text[max(0, match.start() - 1):match.start()] == "哪":
            continue
        unit = next((u for u in UNITS if after.startswith(u)), None)
        if unit is not None:  # the thing counted, when the question names it: 多少个|普惠性托育点
            rest = re.sub(r"^[是为]", "", after[len(unit):])
            run = re.match(r"[\u4e00-\u9fff]+?(?=[的了着过吗呢要是有能会可将被在？?，,。；;]|$)", rest)
            return _UNIT_CLASSES[unit], _counted_noun(rest), run.group(0) if run else ""
        if match.group(1) == "几":  # 几乎, 茶几: 几 asks only before a unit
            continue
        if _ANY_NUMBER_AFTER.match(after):
            return (), None, after
        noun = re.match(r"[\u4e00-\u9fff]{1,4}?(?=[的？?，,。呢吗]|$|是|为|有|可|能|要|在)", after)
        return (), (noun.group(0) if noun else after[:2]) or None, after
    return None


_STOP_FLAGS = ("u", "p", "c", "d", "r", "m", "x", "y", "e")


def _counted_noun(text: str) -> str | None:
    """The nouns that open ``text`` (家庭科学育儿指导站 of 几个家庭科学育儿指导站), up to the first verb,
    particle or punctuation; None when it opens with none."""
    noun = ""
    text = re.sub(r"^[是为]", "", text)
    for word, flag in tagged(text):
        if flag.startswith(_STOP_FLAGS) or (flag.startswith("v") and flag != "vn" and (len(word) > 1 or word in "要是有能会可将被在")):
            break
        noun += word
        if len(noun) >= 12:
            break
    return noun if len(noun) >= 2 else None



def places_present(asked: Asked, context: str) -> bool:
    """Whether a place the question names is in ``context`` (the answer's document): one is enough,
    a document about 泉州 need not say 福建省 too."""
    text = normalize(context)
    return not asked.places or any(place in text or _shortened(place) in text for place in asked.places)


def numbers_present(asked: Asked, context: str) -> bool:
    """Whether every number of two digits or more the question states is in ``context`` as a number of
    its own (2022 not inside 20221, 50 not inside 500); one digit is often written out (哪5个方面: 五个)."""
    text = normalize(context)
    return all(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d.])", text) for n in asked.numbers if len(n) >= 2)


def number_cover(asked: Asked, text: str) -> float:
    """Share of the question's numbers found in ``text`` (1 when it states none)."""
    if not asked.numbers:
        return 1.0
    normalized = normalize(text)
    return sum(bool(re.search(rf"(?<![\d.]){re.escape(n)}(?![\d.])", normalized)) for n in asked.numbers) / len(
        asked.numbers)


def _shortened(place: str) -> str:
    """普陀区 -> 普陀, 武汉市 -> 武汉: documents often drop the suffix (我市, 武汉城市职业学院)."""
    for suffix in ("自治区", "自治州", "新区", "省", "市", "区", "县"):
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


def coverage(asked: Asked, text: str) -> float:
    """Share of the question's content terms found in ``text``."""
    if not asked.terms:
        return 1.0
    normalized = normalize(text)
    return sum(term in normalized for term in asked.terms) / len(asked.terms)
