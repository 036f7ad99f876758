"""A new proposal (提案), suggestion (建议) or motion (议案) as staff receive it: its title, proposer,
number, session and asks, read from the text.

Proposals reach an office pasted from a web page or a form (label rows such as 案由 / 提案人 / 建议内容,
table cells, widgets around them) or as a file. The lines are kept as they are (a line break
separates fields and items), only characters are normalised; the page's widgets are dropped after
the header fields have been read from them (作者：张朝银 is a proposer inside a source line).
Every field may be None: the draft asks staff for what the text does not state.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from indexer.gongwen.asks import NOT_A_NAME, Ask, find_asks
from indexer.gongwen.furniture import is_furniture, strip_remnants
from indexer.gongwen.numbers import find_proposal

CJK = "\u4e00-\u9fff"
KINDS = ("提案", "建议", "议案")
_HALF = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_NEAR_CJK = re.compile(rf"(?<=[{CJK}“”])[,:;?!()]|[,:;?!()](?=[{CJK}“”])")
_SPACES = dict.fromkeys(map(ord, "\u00a0\u3000\u2002\u2003\u2009\u202f\t"), " ")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_PAGE_TAIL = re.compile(r"^(?:上一篇|下一篇|相关阅读|相关新闻|相关链接|推荐阅读|字体大小|背景颜色)")
HEADER_LINES = 12  # title, number, session and proposer stand above the body
SHORT_CELL = 16  # a table cell or label row this short has no meaningful spaces

# label rows: the value follows on the same line (after ：) or on the next line
_LABELS = {
    "title": "案由|提案标题|标题|题目|事由|提案名称|建议名称|名称",
    "proposer": "第一提案人|提案人|提案者|建议人|领衔代表|领衔人|提出人|提出者|作者|代表姓名|委员姓名|姓名",
    "number": "提案号|建议号|案号|编号|文号",
    "body": "提案内容|建议内容|议案内容|内容|情况分析|提案背景|背景",
}
_LABEL = re.compile(
    rf"(?P<label>{'|'.join(_LABELS.values())})(?:[（(][^（）()]{{0,8}}[）)])?[：:]?"
)
_TITLE_LIKE = re.compile(rf"((?:关于|对|就)[^。！？\n《》]{{2,70}}?(?:{'|'.join(KINDS)}|问题))(?:[（(][^（）()]{{0,8}}[）)])?$")
_QUOTED_TITLE = re.compile(rf"《((?:关于)[^《》\n]{{2,70}}?(?:{'|'.join(KINDS)}))》")
_YEAR_NUMBER = re.compile(r"^[\[［【（(〔]?\s*(?:19|20)\d\d\s*年?度?\s*[\]］】）)〕]?\s*(\d{1,6})\s*号$")
_SESSION = re.compile(rf"第?[{'一二三四五六七八九十百〇零'}\d]+届[{CJK}]{{0,14}}?第?[一二三四五六七八九十\d]+次(?:全体)?(?:会议|全会)?")
_SESSION_LEFT_STOPS = ("提交", "提出", "召开", "在", "于", "上", "向", "的", "对", "是", "就", "了", "和", "与")
_MEMBER_LINE = re.compile(rf"(?:委员|代表|常委)\S*\s+([{CJK}]{{2,4}})$")
_ATTRIBUTED = re.compile(rf"[（(][{CJK}]{{0,8}}?(委员|代表)([{CJK}]{{2,3}})[）)]")
_MEMBER_INLINE = re.compile(rf"(?:政协|人大)?(委员|代表)\s*([{CJK}]{{2,3}}?)(?=建议|提出|呼吁|认为|表示|指出|说)")
_NAMED = re.compile(rf"(?:^|(?<=[。\n，]))\s*([{CJK}]{{2,3}})(?:建议|呼吁)[，：]")
_PARTY = re.compile(
    rf"(民革|民盟|民建|民进|农工党|致公党|九三学社|台盟|工商联|妇联|总工会|共青团)([{CJK}]{{0,8}}?)"
    r"(市委会|省委会|区委会|县委会|市委|省委|区委|县委|基层委员会|委员会|支社|总支|支部)"
)
_REPORTING_BODY = re.compile(rf"^([{CJK}]{{2,20}}?(?:政协|委员会|市委|县委|区委|支社|总支|工商联|妇联|联合会))反映[：:]")
_PEOPLE_CONGRESS = re.compile(r"人大|人民代表大会|代表建议|建议人|领衔代表|代表[：:]|代表$")
_CPPCC = re.compile(r"政协|提案|委员")


@dataclass
class Proposal:
    """What a proposal states about itself; ``text`` is the text the asks' offsets index."""

    text: str
    title: str | None = None
    proposer: str | None = None  # 王洪标 / 民建石家庄市委
    proposer_kind: str | None = None  # 委员, 代表 or 党派团体
    number: str | None = None  # 第208号
    kind: str | None = None  # 提案, 建议 or 议案
    session: str | None = None  # 滑县政协十三届三次会议
    asks: list[Ask] = field(default_factory=list)

    def ask_text(self, ask: Ask) -> str:
        return self.text[ask.char_start : ask.char_end]


def proposal_lines(raw: str) -> list[str]:
    """The lines of a pasted proposal: characters normalised, table cells on lines of their own."""
    text = unicodedata.normalize("NFC", strip_remnants(raw)).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_INVISIBLE).translate(_SPACES)
    text = _HALF_NEAR_CJK.sub(lambda m: _HALF[m.group()], text)
    lines = []
    for line in re.split(r"\n|\s*[|｜]+\s*", text):
        line = line.strip()
        # a label cell (标 题, 文 号：) loses its spaces; a longer line keeps one (市政协委员 吴有根)
        line = re.sub(r"\s+", "" if len(line) <= SHORT_CELL else " ", line)
        if line:
            lines.append(line)
    return lines


def read_proposal(raw: str) -> Proposal:
    """Title, proposer, number, session and asks of a pasted proposal (or a file's text)."""
    lines = proposal_lines(raw)
    header = lines[:HEADER_LINES]
    labels = _label_values(lines)
    body_lines = [line for line in lines if not is_furniture(line) and not _PAGE_TAIL.match(line)]
    text = "\n".join(body_lines)
    proposal = Proposal(text=text)
    proposal.title = _title(header, labels, text)
    proposal.proposer, proposal.proposer_kind = _proposer(header, labels, text)
    proposal.number = _number(header, labels)
    proposal.session = _session("\n".join(header)) or _session(text)
    proposal.kind = _kind(proposal, "\n".join(header), text)
    proposal.asks = find_asks(text, _body_start(text, proposal.title))
    return proposal


def _label_values(lines: list[str]) -> dict[str, list[str]]:
    """Each label kind's values in order: 提案人：王洪标, or a label line with its value below."""
    values: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        matches = [m for m in _LABEL.finditer(line) if _at_label_start(line, m)]
        for j, match in enumerate(matches):
            end = matches[j + 1].start() if j + 1 < len(matches) else len(line)
            value = line[match.end() : end].strip(" ：:")
            if not value and j + 1 == len(matches) and match.end() == len(line) and i + 1 < len(lines):
                value = lines[i + 1]
            kind = next(k for k, names in _LABELS.items() if re.fullmatch(names, match.group("label")))
            if value:
                values.setdefault(kind, []).append(value)
    return values


def _at_label_start(line: str, match: re.Match[str]) -> bool:
    """A label opens its line or follows the previous field's value, and is followed by ：or ends the line."""
    followed = match.group().endswith(("：", ":")) or match.end() == len(line)
    return followed and (match.start() == 0 or match.group("label") in ("建议人", "建议内容", "提案内容", "姓名", "作者"))


def _title(header: list[str], labels: dict[str, list[str]], text: str) -> str | None:
    for value in labels.get("title", []):
        if 4 <= len(value) <= 80 and not value.endswith("。") and (
            value.startswith(("关于", "对")) or value.endswith(KINDS) or len(value) <= 40
        ):
            return _bare_title(value)
    for line in header:
        if line.startswith(("上一篇", "下一篇")):
            continue
        match = _TITLE_LIKE.search(line)
        if match and "。" not in line:
            return _bare_title(match.group(1))
    quoted = _QUOTED_TITLE.search(text[:600])
    return quoted.group(1) if quoted else None


def _bare_title(value: str) -> str:
    value = re.sub(r"^(?:提案选登|提案摘登|建议选登)[：:]", "", value)
    return re.sub(r"[（(](?:集体提案|个人提案|联名提案|重点提案)[）)]$", "", value).strip()


def _proposer(header: list[str], labels: dict[str, list[str]], text: str) -> tuple[str | None, str | None]:
    for value in labels.get("proposer", []):
        named = re.match(r"[^\s：:，、；（(]{2,20}(?=$|[\s，、；（(])", value)
        if named:
            name = named.group()
            kind = "代表" if name.endswith("代表") or _PEOPLE_CONGRESS.search(text[:300]) else None
            name = re.sub(r"(?:委员|代表)$", "", name)
            return name, kind or ("党派团体" if _PARTY.search(name) else "委员")
    for line in header:
        if len(line) <= 40 and (member := _MEMBER_LINE.search(line)):
            return member.group(1), "代表" if "代表" in line else "委员"
    for pattern in (_ATTRIBUTED, _MEMBER_INLINE):
        if found := pattern.search(text):
            return found.group(2), found.group(1)
    for line in header:
        if reporting := _REPORTING_BODY.match(line):
            return reporting.group(1), "党派团体"
    if (party := _PARTY.search(text[:800])) is not None:
        return party.group(), "党派团体"
    for named in _NAMED.finditer(text):
        name = named.group(1)
        if name not in NOT_A_NAME and not name.endswith(tuple("们组会局联部办门家方处委室院所")):
            title = re.search(rf"(委员|代表)[^。]{{0,30}}{name}", text)  # 政协委员、…合伙人薛爱国
            return name, title.group(1) if title else None
    return None, None


def _number(header: list[str], labels: dict[str, list[str]]) -> str | None:
    for value in labels.get("number", []):
        if re.fullmatch(r"[A-Za-z]{0,4}\d{1,12}", value):  # 编号 | 73
            return f"第{value}号"
    for value in [*labels.get("number", []), *header]:
        if found := find_proposal(value):
            return re.sub(f"(?:{'|'.join(KINDS)}|代表建议|委员提案)$", "", found)
        if year_number := _YEAR_NUMBER.match(value):
            return f"第{year_number.group(1)}号"
    return None


def _session(text: str) -> str | None:
    """会议 as printed: 滑县政协十三届三次会议, with the body's name to its left when it is there."""
    match = _SESSION.search(text)
    if match is None:
        return None
    before = text[: match.start()]
    left = re.search(rf"[{CJK}]{{0,16}}\Z", before).group()  # type: ignore[union-attr]
    for stop in _SESSION_LEFT_STOPS:
        if stop in left:
            left = left[left.rindex(stop) + len(stop) :]
    if not left and before.endswith("\n"):  # 政协三门峡市委员会 / 八届一次 on the next line
        body = re.search(rf"[{CJK}]{{2,16}}(?:委员会|政协|人民代表大会|人大常委会)\Z", before.rstrip("\n"))
        left = body.group() if body else ""
    return left + match.group()


def _kind(proposal: Proposal, header: str, text: str) -> str | None:
    title = proposal.title or ""
    if title.endswith("议案"):
        return "议案"
    context = header + text[:300]
    if proposal.proposer_kind == "代表" or _PEOPLE_CONGRESS.search(context):
        return "建议"
    if proposal.proposer_kind in ("委员", "党派团体") or _CPPCC.search(context):
        return "提案"
    return next((kind for kind in KINDS if title.endswith(kind)), None)


def _body_start(text: str, title: str | None) -> int:
    """Where the body starts: after the last content label (提案内容：) or the title line."""
    start, offset = 0, 0
    for line in text.split("\n"):
        for match in _LABEL.finditer(line):
            label = match.group("label")
            if _at_label_start(line, match) and (re.fullmatch(_LABELS["body"], label) or label in ("建议人", "提案人")):
                start = max(start, offset + match.end())
        offset += len(line) + 1
    if title and 0 <= (at := text.find(title)) < 400:
        line_end = text.find("\n", at)
        start = max(start, line_end + 1 if line_end >= 0 else at + len(title))
    return start
