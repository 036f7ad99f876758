"""Where a 公文's own heading is: 关于……的答复, 对……第N号提案的答复, XX局关于……的复函, XX关于印发……的通知.

The heading stands above the salutation (主送: "王超斌委员：") and ends in the name of its kind
(答复, 回复, 复函, 意见, 通知, 说明 ...). It may be printed over two or three lines, the issuer
on the first ("三亚市吉阳区人民政府 / 对政协……会议 / 第0024号提案的会办意见"). Above it a 公文
has only its 版头 (XX文件, the 文号, 公开属性); anything else above it on a web page is the page's.
The same rules run on raw lines (cleaning) and on joined paragraphs (metadata).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from indexer.gongwen.bodies import run_together
from indexer.gongwen.dates import parse_date
from indexer.gongwen.numbers import DOC_NUMBER, doc_number_line

# kinds a reply or other document names at the end of its heading; 建议/提案 name the proposal answered;
# 预算, 决算, 公报, 年报: what a 政府信息公开 page publishes as a document of its own (a 部门预算, a
# 统计公报, a 政府信息公开工作年报), its kind closing its title as a 公文's does
REPORT_KINDS = ("预算", "决算", "公报", "年报")
KINDS = (
    "通知书", "决定书", "意见书", "告知书", "倡议书", "报告书", "建议书", "责任书", "承诺书",  # 内部监督通知书, 行政处罚决定书
    "会办意见", "答复意见", "办理意见", "答复", "回复", "复函", "批复", "报告", "请示", "通知", "通报", "决定", "决议",
    "意见", "方案", "计划", "规划", "办法", "规定", "条例", "细则", "纪要", "公告", "通告", "函", "命令", "说明",
    "情况", "要点", "总结", "指南", "指引", "标准", "规则", "解释", "法", "制度", "规程", "守则", "章程", "准则", "须知",
    *REPORT_KINDS,
)
PROPOSAL_KINDS = ("代表建议", "建议", "提案", "议案")
ORG_SUFFIX = re.compile(
    r"(?:局|委|会|府|办|室|院|部|厅|处|署|所|站|中心|办公室|委员会|联合会|政府|法院|检察院|公司|学校|集团|支队|大队|街道办事处"
    r"|大学|中学|小学|幼儿园|党校|协会|学会|银行|分行|支行|馆|社)$"
)
# a joint title's issuers shortened to the first and a count: "山东省商务厅等4部门", "教育部等六部门"
_FIRST_AND_OTHERS = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}等[\d一二三四五六七八九十]{1,3}(?:个|家)?(?:部门|单位|机构|部委)$")
_ORG_THEN_SUBJECT = re.compile(r"^([\u4e00-\u9fff（）()]{2,40}?)(?:关于|对)")
_SALUTATION = re.compile(
    r"^尊敬的|^[\u4e00-\u9fff（）()、，,\d\s]{1,120}[:：]$|^[\u4e00-\u9fff（）()、，,\d]{1,40}(?:代表|委员|同志)们?[:：]?$"
)
# a line ending in "：" that says something and introduces what follows: "XX局是主管……的部门，主要职责是：",
# "现将有关事项通知如下：". A 主送 line names bodies or people; none of them ends in 是/为/如下, or is "X是……的……"
_INTRODUCES = re.compile(r"(?:是|为|如下|以下|下列|包括|有|即)[:：]$|是[^，,、：:]*的")
_MASTHEAD = re.compile(
    r"文件$|^(?:信息)?公开(?:属性|方式)|^(?:主动|依申请|不予)公开|公开$|^签发人|^签发[:：]|^(?:特急|加急|平急|特提|急件)$"
    r"|^(?:绝密|机密|秘密)|^\d{1,8}$|★"
)
_STANDARD_COVER = re.compile("(?:企业|团体|行业|地方|国家)标准$")  # a standard's cover names its class, not its title
_SECTION_MARK = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、])")
_TRAILING_BRACKET = re.compile(r"[（(][^（）()]*[）)]$")
_SENTENCE = 20  # a line this long ending in a full stop is a sentence of the body, not a heading
ZONE_LINES = 25  # a heading stands near the top; the body's headings (一、…) come later


def is_salutation(line: str) -> bool:
    """The 主送 (salutation) opening a letter: addressees and a colon, not a sentence that introduces a list."""
    return bool(_SALUTATION.search(line)) and "。" not in line[:40] and not introduces(line) \
        and not _MASTHEAD.search(line.strip())  # "签发人：" left blank is the 版头's


def introduces(line: str) -> bool:
    """A sentence ending in "：" that says something of a body (……是……的部门，主要职责是：) or
    announces what follows (通知如下：): the body's, not a list of addressees."""
    return bool(_INTRODUCES.search(line.strip()))


def is_masthead(line: str) -> bool:
    """A 版头 element: issuer line, 文号, 公开属性, 份号, 密级, 紧急程度, 签发人, or the issuer alone."""
    text = line.strip()
    return bool(
        _MASTHEAD.search(text) or doc_number_line(text) or parse_date(text) or is_org(text)
    )


def is_org(line: str) -> bool:
    """A body's name: it ends in what bodies are called (局, 学院, 中心 ...), before any bracketed
    qualifier ("……中心（有限合伙）", "……学院（……学院）")."""
    text = line.strip()
    return len(text) <= 30 and bool(ORG_SUFFIX.search(_unqualified(text))) and not re.search(r"[，。：:；《、]", text)


def joint_names(line: str) -> list[str]:
    """Bodies signing on one line, set apart by spaces ("学生工作处 国际合作与交流处"), each named as a
    body is, or central bodies whose names run together ("教育部科技部"); else none."""
    names = [(name, run_together(name)) for name in line.split()]
    bodies = [body for name, parts in names for body in (parts or (name,))]
    return bodies if len(bodies) > 1 and all(parts or is_org(name) for name, parts in names) else []


def _unqualified(name: str) -> str:
    bare = _TRAILING_BRACKET.sub("", name)
    return bare if len(bare) >= 2 else name


def kind_of(text: str) -> str | None:
    """The kind a heading ends with (答复, 函 ...), brackets after it ignored; None if it names none
    or a bracket is still open (《……行动计划 continues on the next line)."""
    if any(text.count(left) > text.count(right) for left, right in ("《》", "（）", "()", "“”")):
        return None
    stem = _TRAILING_BRACKET.sub("", text.strip().rstrip("》」”\"' |"))
    return next((kind for kind in (*KINDS, *PROPOSAL_KINDS) if stem.endswith(kind)), None)


def _is_heading_text(line: str) -> bool:
    text = line.strip()
    return (
        4 <= len(text) <= 120 and not re.search(r"[。：:；;！？]", text) and not _SECTION_MARK.match(text)
        and not DOC_NUMBER.fullmatch(text) and not parse_date(text) and not is_salutation(text)
        and not _STANDARD_COVER.search(text)
    )


def starts_heading(text: str) -> bool:
    """关于……, 对……, or an issuer then 关于/对: the first line of a heading."""
    if text.startswith(("关于", "对")):
        return True
    match = _ORG_THEN_SUBJECT.match(text)
    return bool(match and (ORG_SUFFIX.search(match.group(1)) or re.search(r"(?:街道|[省市区县镇乡])$", match.group(1))))


def zone_end(lines: list[str]) -> int:
    """Index of the salutation or the first body paragraph (a long line with a full stop, or a
    whole sentence of some length): the heading stands above it."""
    for i, line in enumerate(lines[:ZONE_LINES]):
        if is_salutation(line) or (len(line) > 40 and "。" in line) or (len(line) >= _SENTENCE and line.endswith("。")):
            return i
    return min(len(lines), ZONE_LINES)


def find_heading(lines: list[str], joined: bool = False, mastheads: Collection[str] = ()) -> tuple[int, int] | None:
    """(first, last) index of the heading's lines, or None when the text has no heading above its
    salutation. A heading naming a reply's kind wins over one naming the proposal (……的建议).
    ``joined``: the reader already joined each title's lines (a file's layout showed them), so a
    heading is one line, with at most its issuer on the line above."""
    end = zone_end(lines)
    # a masthead is the first line with its words: the title's own issuer line under it may repeat them
    printed_as_masthead = {lines.index(text) for text in mastheads if text in lines}
    for kinds in (KINDS, PROPOSAL_KINDS):
        for last in range(end):
            if (_is_heading_text(lines[last]) or _kind_alone(lines, last)) and kind_of(lines[last]) in kinds:
                return _first_line(lines, last, joined, printed_as_masthead), last
    return None


def _kind_alone(lines: list[str], index: int) -> bool:
    """A heading's kind on a line of its own under a line left at "……的" ("通知" under "关于……的")."""
    return index > 0 and lines[index].strip() in KINDS and _left_open(lines[index - 1])


def _left_open(line: str) -> bool:
    """A heading line that stops before its end ("关于召开……会议的"): the next line goes on with it."""
    return line.strip().endswith("的") and _is_heading_text(line)


def _first_line(lines: list[str], last: int, joined: bool = False, mastheads: Collection[int] = ()) -> int:
    """Walk up from the heading's last line to its first (three lines at most). Where the layout joined
    the title's lines, a line above goes with it only where the layout could not tell: a line left at
    "……的", or one that opens the heading ("XX关于……新增" over a line running from margin to margin).
    An issuer on a line of its own above 关于/对 is the title's, and so are joint issuers shortened to the
    first and a count ("山东省商务厅等4部门"), unless the layout printed it as a masthead (``mastheads``,
    their indices: a 红头 without 文件, larger and red)."""
    first = last
    while (not joined or (first > 0 and _goes_on(lines[first - 1]))) and not starts_heading(lines[first].strip()) \
            and first > 0 and last - first < 2:
        above = lines[first - 1]
        if not _is_heading_text(above) or doc_number_line(above) or _MASTHEAD.search(above.strip()) or not _mostly_cjk(above) \
                or first - 1 in mastheads:
            break
        first -= 1
    if first > 0 and first - 1 not in mastheads and lines[first].strip().startswith(("关于", "对")) and (
            is_org(lines[first - 1]) or _FIRST_AND_OTHERS.match(lines[first - 1].strip())):
        first -= 1  # the issuer (or "XX等4部门") printed on its own line above 对……/关于……
    return first


def _goes_on(line: str) -> bool:
    """A title's line the next one goes on from: left at "……的", or the heading's opening ("关于……")."""
    return _left_open(line) or (starts_heading(line.strip()) and _is_heading_text(line) and kind_of(line) is None)


def _mostly_cjk(text: str) -> bool:
    """A title's line is Chinese; a form or standard number above it ("ZR-XNQY-…(V2.0)") is not."""
    letters = [c for c in text if not c.isspace()]
    return sum("\u4e00" <= c <= "\u9fff" for c in letters) >= 0.5 * len(letters)


def heading_issuer(title: str | None) -> str | None:
    """The body a heading names before 关于/对 (湖南省卫生健康委对……的答复), if it is one."""
    match = _ORG_THEN_SUBJECT.match(title or "")
    return match.group(1) if match and ORG_SUFFIX.search(_unqualified(match.group(1))) else None
