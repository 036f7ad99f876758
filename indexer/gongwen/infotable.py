"""The 信息公开 table of a 政务公开 page: what the page states about the document, read as fields.

Portals print it above the document as key lines (索引号：… on its own line, the value on the next),
key-value pairs run together on one line ("索引号: … 主题分类: …", "编 号:第〔27〕号 | 所属类别:…"),
or bare values in a bulleted list (• 00525312X/2021-00154 • 郑州市城市管理局 • 2021-06-01). The
table is metadata, not text: it is taken out of the text, and a 文号 it states that the text does not
print is put back as the document's own 文号 line, so the number stays searchable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.gongwen.dates import parse_date
from indexer.gongwen.numbers import DOC_NUMBER, find_doc_number, find_proposal, normalize_doc_number

# printed key -> field; keys read but not kept map to None
_FIELD_OF_KEY = {
    "索引号": "index_number", "文号": "doc_number", "发文字号": "doc_number", "发文文号": "doc_number",
    "发文机关": "issuer", "发布机构": "issuer", "发文单位": "issuer", "发布单位": "issuer", "主办单位": "issuer",
    "成文日期": "date", "发文日期": "date", "成文时间": "date",
    "发布日期": "published", "公开日期": "published", "公开时间": "published",
    "标题": "title", "名称": "title", "信息名称": "title", "文件名称": "title",
    "编号": "proposal_number", "提案号": "proposal_number", "建议号": "proposal_number",
    "提案编号": "proposal_number", "建议编号": "proposal_number",
}
_OTHER_KEYS = (
    "主题分类 分类 主题词 关键字 关键词 有效性 效力状态 时效性 公开方式 公开范围 公开时限 公开形式 公开类别 存放位置 "
    "体裁分类 组配分类 服务对象 所属类别 所属主题 信息类别 文种 发文类别 机构分类 内容分类 提案人 领衔人 审查结果 "
    "信息公开 交办时间 是否重点 督办单位 牵头领导 协办单位 会办单位 信息来源 废止日期 实施日期 生成日期 内容概述 摘要"
).split()
_KEYS = sorted([*_FIELD_OF_KEY, *_OTHER_KEYS], key=len, reverse=True)
_KEY = re.compile(
    r"(?:^|(?<=[\s|｜•·]))(" + "|".join(r"\s{0,6}".join(key) for key in _KEYS) + r")\s*(?:[:：]|\s|$)"
)
_BULLET = re.compile(r"^\s*[•·●◆■▪]\s*")
_INDEX_NUMBER = re.compile(r"^(?=.*\d)[0-9A-Za-z]{3,}(?:[/-][0-9A-Za-z]+){1,4}$")
_BODY_LINE = re.compile(r"[。；]")
_MIN_KEYS = 3  # fewer keyed lines are a labelled line of the document, not a table


@dataclass
class PageFields:
    """What a page states outside the document; ``found_by`` names the printed key of each field."""

    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None  # 成文日期
    published: str | None = None  # 发布日期 of the page, never the 成文日期
    index_number: str | None = None  # 索引号
    proposal_number: str | None = None
    found_by: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: str | None, rule: str) -> None:
        """Keep the first value a page states for a field."""
        if value and getattr(self, name) is None:
            setattr(self, name, value)
            self.found_by[name] = rule


def read_info_table(lines: list[str]) -> tuple[list[str], PageFields]:
    """The lines without the page's 信息公开 table, and the fields the table states."""
    fields = PageFields()
    end = next((i for i, line in enumerate(lines) if len(line.strip()) > 40 and _BODY_LINE.search(line)), len(lines))
    pairs, used = _keyed_pairs(lines, end)
    source = "信息公开 table:"
    if len({key for key, _ in pairs}) < _MIN_KEYS:
        pairs, used = _bulleted_values(lines, end)
        source = "信息公开 table (unlabelled list), read as"
        if not pairs:
            return lines, fields
    for key, value in pairs:
        _read_pair(fields, key, value, f"{source} {key}")
    kept = [line for i, line in enumerate(lines) if i not in used]
    if fields.doc_number and not _prints(kept, fields.doc_number):
        kept.insert(min(used), fields.doc_number)
    return kept, fields


def _key_segments(line: str) -> list[tuple[str, str]] | None:
    """(key, value) pairs of a line that starts with a key; None for any other line."""
    text = _BULLET.sub("", line).strip().strip("|｜ ")
    matches = list(_KEY.finditer(text))
    if not matches or matches[0].start() != 0:
        return None
    segments = []
    for match, following in zip(matches, [*matches[1:], None]):
        value = text[match.end(): following.start() if following else len(text)]
        segments.append((re.sub(r"\s+", "", match.group(1)), value.strip().strip("|｜ ").strip()))
    return segments


def _keyed_pairs(lines: list[str], end: int) -> tuple[list[tuple[str, str]], set[int]]:
    pairs: list[tuple[str, str]] = []
    used: set[int] = set()
    i = 0
    while i < end:
        segments = _key_segments(lines[i])
        if segments is None:
            i += 1
            continue
        used.add(i)
        if len(segments) == 1 and not segments[0][1]:  # a key alone on its line: the value is the next line
            after = next((j for j in range(i + 1, end) if lines[j].strip()), None)
            if after is not None and _key_segments(lines[after]) is None and _is_value_line(lines[i], lines[after]):
                segments = [(segments[0][0], lines[after].strip())]
                used.add(after)
                i = after
        pairs.extend(segments)
        i += 1
    return pairs, used


def _is_value_line(key_line: str, line: str) -> bool:
    """A key's value printed below it is indented at least as far: an empty 主题词 at the table's end
    is not followed by its value but by the document's heading, flush left."""
    indent = len(line) - len(line.lstrip())
    return indent >= len(key_line) - len(key_line.lstrip()) and len(line.strip()) <= 120


def _bulleted_values(lines: list[str], end: int) -> tuple[list[tuple[str, str]], set[int]]:
    """A bulleted run of bare values holding an 索引号: its organisation and its last date are read."""
    run = [i for i in range(end) if _BULLET.match(lines[i])]
    values = {i: _BULLET.sub("", lines[i]).strip() for i in run}
    if len(run) < _MIN_KEYS or not any(_INDEX_NUMBER.match(v) and not parse_date(v) for v in values.values()):
        return [], set()
    pairs = []
    for value in values.values():
        if parse_date(value):
            pairs.append(("发布日期", value))
        elif _INDEX_NUMBER.match(value):
            pairs.append(("索引号", value))
        elif re.search(r"(?:局|委|会|府|办|室|院|部|厅|处|署|中心)$", value) and len(value) <= 30:
            pairs.append(("发布机构", value))
    latest = [pair for pair in pairs if pair[0] == "发布日期"][-1:]
    return [pair for pair in pairs if pair[0] != "发布日期"] + latest, set(run)


def _read_pair(fields: PageFields, key: str, value: str, rule: str) -> None:
    name = _FIELD_OF_KEY.get(key)
    if name is None or not value:
        return
    if name == "doc_number":
        fields.set(name, find_doc_number(value), rule)
    elif name in ("date", "published"):
        fields.set(name, parse_date(value), rule)
    elif name == "proposal_number":
        fields.set(name, find_proposal(value), rule)
    elif name == "index_number":
        fields.set(name, re.sub(r"\s+", "", value), rule)
    else:
        fields.set(name, re.sub(r"\s{2,}", " ", value), rule)


def _prints(lines: list[str], doc_number: str) -> bool:
    wanted = normalize_doc_number(doc_number)
    return any(normalize_doc_number(m.group()) == wanted for line in lines for m in DOC_NUMBER.finditer(line))
