"""What a question asks for, and where a sentence holds it.

A sentence can be close in meaning to a question and still not answer it: "宝宝屋每月收费标准是多少元"
is not answered by a sentence on how many 宝宝屋 were built. So each question is read for the kind
of fact it wants (多少/几 + a unit: a number with that unit; 何时/哪年: a date; 谁/哪个部门: a
person or body; 哪里: a place; 电话/邮箱/邮编: that kind of string), the places it names, and
its content terms (the words left when the question words are taken out). ``answer_spans`` finds
the wanted fact inside a sentence; an answer without one is no answer, and the span is what the
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
_DURATION_UNITS = ("年", "个月", "月", "周", "天", "日", "个工作日", "工作日", "小时", "分钟")
_UNITS = sorted(_UNIT_CLASSES, key=len, reverse=True)
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
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_WEBSITE = re.compile(r"https?://\S+|www\.[\w.-]+")
_PERSON = re.compile(r"[\u4e00-\u9fff]{2,3}(?:委员|代表|同志|书记|主任|局长|区长|市长|县长|部长|厅长|主席|校长|院长)|"
                     r"(?:联系人|负责人|组长|主任)(?:姓名)?[:：]\s*[\u4e00-\u9fff]{2,4}")
_ADDRESS = re.compile(r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|弄|道)\s*\d+\s*号(?:\s*\d*\s*(?:号楼|楼|幢|室|层))*")
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,12}(?:省|市|区|县|镇|乡|村|街道|路|街|号|楼|室|社区|园区|新区|广场|公园|大厦|小区)")
# words jieba tags as places that name no particular place
_NOT_PLACES = frozenset({"城市", "社区", "小区", "园区", "校区", "地区", "辖区", "市区", "城区", "全区", "本区", "我区", "各区",
                          "全市", "本市", "我市", "各市", "全省", "本省", "我省", "各省", "全县", "本县", "我县", "各县",
                          "新区", "开发区", "街区", "景区", "片区", "郊区", "市场", "全国", "中国", "国家", "农村", "乡村",
                          "城乡", "基层", "青春", "家门口", "中心", "街道"})
_PLACE_ENDS = ("省", "市", "区", "县", "州", "镇", "乡", "村", "旗", "盟")
_ORG_WORDS = frozenset({"法院", "公安", "司法", "妇联", "工会", "团委", "检察院", "民政", "人社", "卫健", "教育局", "财政局",
                         "发改委", "人大", "政协", "团市委", "团区委", "总工会", "残联", "科协", "侨联", "文联", "红十字会"})
_ORG_ENDS = ("局", "委", "办", "厅", "署", "院", "会", "中心", "政府", "办公室", "委员会", "公司", "银行", "学校", "大学", "学院",
             "协会", "支队", "大队", "联盟", "基金会", "街道办事处", "部门", "单位")
_NOUNISH = ("n", "ns", "nt", "nz", "j", "an", "a", "zg", "nr")

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
    found = [word for word, flag in _tagged(normalize(text)) if _is_place(word, flag)]
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


def _tagged(text: str) -> list[tuple[str, str]]:
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
        return asked("quantity", _DURATION_UNITS)
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
        unit = next((u for u in _UNITS if after.startswith(u)), None)
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
    for word, flag in _tagged(text):
        if flag.startswith(_STOP_FLAGS) or (flag.startswith("v") and flag != "vn" and (len(word) > 1 or word in "要是有能会可将被在")):
            break
        noun += word
        if len(noun) >= 12:
            break
    return noun if len(noun) >= 2 else None


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
    for word, flag in _tagged(sentence):
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
    unit = next((u for u in _UNITS if rest.startswith(u)), "")
    return match.start(), end + len(unit)


def _is_date_part(sentence: str, match: re.Match[str]) -> bool:
    """Whether a number is the year, month or day of a date (2023年 does not count 年 of anything)."""
    after = sentence[match.end():match.end() + 1]
    text = match.group(0)
    if re.fullmatch(r"\d{4}\s*年?", text) and (text.endswith("年") or after == "年"):
        return not re.search(r"[多余]", text)
    return bool(re.fullmatch(r"\d{1,2}", text) and after in "月日号" and after)


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
