"""公文 metadata (GB/T 9704 elements) read from cleaned text by layout rules.

The rules follow the standard's layout: the 版头 (issuer line "XX文件", 发文字号), the title and
the 主送 line above the body, the signature and 成文日期 after it, then 抄送 and 印发 in the 版记.
Each rule looks only where the standard puts its element, so a 文号 quoted in the body is
never taken for the document's own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from typing import NamedTuple

from indexer.gongwen.characters import CJK
from indexer.gongwen.dates import DATE_ANYWHERE, find_date, parse_date, parse_sealed_date
from indexer.gongwen.heading import (
    REPORT_KINDS,
    find_heading,
    heading_issuer,
    introduces,
    is_masthead,
    is_org,
    is_salutation,
    joint_names,
    kind_of,
    zone_end,
)
from indexer.gongwen.infotable import PageFields
from indexer.gongwen.numbers import DOC_NUMBER, doc_number_line, find_proposal, notice_number_line
from indexer.models import DocMeta

_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、]|第[一二三四五六七八九十百\d]+[章条节])")
# the 版头 naming the issuer: "XX文件", or a standard's cover "XX企业标准"
_ISSUER_LINE = re.compile(rf"^([{CJK}A-Za-z（）()]{{2,30}}?)(?:文件|企业标准)$")  # BJTU…文件: a Latin abbreviation too
# GB/T 9704's 命令（令）格式: the issuer's name and 令 (命令) as its masthead, the 令号 (第N号) under it or beside it
_ORDER_LINE = re.compile(rf"^([{CJK}（）()]{{2,30}}?)(命令|令)\s*(第\s*\d{{1,5}}\s*号)?$")
_ORDER_NUMBER = re.compile(r"^第\s*\d{1,5}\s*号$")
_ORDER_SIGNATURE = 6  # the 令's signature (职务, name, 成文日期) follows its one or two sentences
_SIGNATURE_LINE = 40  # "XX委员会主席：XXX 二○○四年六月八日": a signature, not a sentence that ends in a date
_RECIPIENT_LINE = re.compile(rf"^[{CJK}（）()、，,\s]{{1,120}}[:：]$")
_LABEL = re.compile(r"^(主送|抄送)(?:单位|机关)?[:：]\s*(.*)$")
_REGION = re.compile(
    rf"^((?:[{CJK}]{{2,3}}(?:省|自治区))?(?:[{CJK}]{{2,3}}市)?(?:[{CJK}]{{2,4}}?(?:新区|区|县))?)"
)
# "XX省" / "XX市" named in the text; not a level ("省级", "市级"), a market ("市场") or a title ("市长")
_CITY_MENTION = re.compile(rf"([{CJK}]{{2}}(?:省|市))(?![级场长委])")
# words that end in 省/市 and name no place: a recipient list's "各省、自治区、直辖市" names none
_NOT_A_PLACE = (
    "本市", "我市", "全市", "各市", "该市", "市市", "超市", "都市", "上市", "本省", "我省", "全省", "各省",
    "辖市", "级市", "门市", "夜市", "股市", "楼市", "集市", "早市", "外省", "外市", "城市",
)
# Ordered so that the most specific form wins: a 通知 that issues a 计划 is a 通知.
DOC_TYPES = (
    "会办意见", "代表建议", "答复", "复函", "批复", "报告", "请示", "通知", "通报", "决定", "决议", "意见",
    "方案", "计划", "规划", "办法", "规定", "条例", "细则", "纪要", "公告", "通告", "函", "命令", "提案", "建议",
    "法", "解释", "制度", "规程", "守则", "章程", "准则", "须知", *REPORT_KINDS,
)
# titles a writing program fills in by itself: no title of the document
_PLACEHOLDER_TITLE = re.compile(r"^(?:标题|无标题|文档\d*|新建.*文档.*|untitled|title|document\d*|microsoft word - .*)$", re.IGNORECASE)
# a licence's printed field names before its issuing body and date: 发证机关…, 核发机关…, 发证日期…
_ISSUING = "(?:发证|核发|发文|签发|颁发|登记|批准|审批)"
_FIELD_LABEL = re.compile(rf"^(?:{_ISSUING}机关|{_ISSUING}?日期)[:：]?\s*")
# where the seal goes, printed beside a signature by templates and forms: "（盖章）", "（此处添加印章……）"
_SEAL_NOTE = re.compile(r"\s*[（(][^（）()]*(?:盖章|公章|印章|签章|代章|签字|签名|此处)[^（）()]*[）)]$")
_UNFILLED_DATE = re.compile(r"^(?:19|20)\d{2}\s*年\s*月\s*日$")  # the year printed, month and day left blank
_PUBLICITY_NOTE = re.compile(r"^[（(]此件(?:主动|依申请|不予|不)?公开(?:发布)?[）)]$")  # GB/T 9704's 附注 under the date
_TITLE_NUMBER = re.compile(r"[（(]([^（）()]+)[）)]$")
_EDITION_NOTE = re.compile(r"\s*[（(]\s*(?:(?:\d{4}\s*年\s*(?:\d{1,2}\s*月\s*)?)?(?:修订|修正)[稿版]?|\d{4}\s*年?版)\s*[）)]$")
_BODY_ENDS = re.compile(r"^(?:附件\s*\d*\s*[:：]?|(?:抄送|主送)[:：].*)$")  # an attachment's own first line, the 版记
# a 文号 whose serial is left blank or held by a placeholder (a draft's "XX〔2023〕  号", a template's
# "XXX〔2023〕X号"): the 版头's number line still, never the title
_NUMBER_TO_FILL = re.compile(r"^\S{0,12}\s*[〔［\[(（【]\s*(?:19|20)\d\d\s*[〕］\])）】]\s*[第\sXx×＿_○〇]*号$")
# a 收文章 (the stamp a receiving office sets on a document, often over its first page's top): its words
# stand on the date's line or next to it ("收文章" / "2024-07-27" / "2364号"); its date is when the
# document arrived, never its 成文日期
_RECEIVED = re.compile(r"收文|收件|签收|来文登记|收讫")
_IN_FORCE = ("实施", "施行", "生效")  # "2025-1-22实施": when it takes effect, not when it was written
_PRINTED_LINE = 60  # a 版记 印发 line: the printing office and the date
# a 印发 notice's body issues the document that follows it: its own signature and date come first
_ISSUES = re.compile(r"(?:现|予以|现予|特)印发|印发给你们|印发给各")
_ISSUING_LINES = 15
_BRACKETED_DATE = re.compile(r"[（(]\s*(.{6,16}?)\s*(?:通过|印发)?\s*[）)]")  # "（2018年4月7日）" under a title
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,6}?[省市县区州盟旗]")  # a name opening with its place: "唐山市", "东海省"
# a company or a university signing over one of its own units, and the units it signs over
_PARENT = re.compile(r"(?:集团|集团公司|有限公司|有限责任公司|大学)$")
_UNIT = re.compile(r"(?:公司|部|处|院|中心|办公室|所|站|科)$")
_UNIT_CHARS = 10
_NATIONWIDE = re.compile(r"^(?:中国|中华|国家|全国)")
_COPIED_TO = re.compile(r"^抄送[:：]")  # the 版记's 抄送 line; its 印发 line stands under it
_IMPRINT_LINES = 3  # the 印发机关 and 印发日期 stand within this many lines under the 抄送 line
_SIGNATURE_LINES = 12  # a signature block, with what OCR read of its seals, spans at most this many lines
_SEAL_CHARS = 8  # OCR reads a seal's ring of text as a few characters at a time
_IDEOGRAPHS = re.compile(f"[{CJK}]+")
_OPENING_LINES = 3  # the 提案/建议号 a reply quotes stands in its first sentences ("您提出的……（第N号）收悉")


class _Found(dict):
    """field -> (value, rule that found it); the first rule to find a value wins."""

    def offer(self, name: str, value, rule: str) -> None:
        if value and name not in self:
            self[name] = (value, rule)

    def value(self, name: str):
        return self[name][0] if name in self else None


def extract_metadata(
    text: str, title_hint: str | None = None, title: str | None = None, stated: PageFields | None = None,
    laid_out: bool = False, set_right: Sequence[str] = (), mastheads: Sequence[str] = (),
) -> DocMeta:
    """Read the 公文 elements from cleaned text (one paragraph per line).

    ``title_hint`` (an HTML <title>, DOCX properties) is used when the layout shows no title;
    ``title`` (stated by a collection) replaces the layout's; ``stated`` is what the page stated
    outside the document (``clean.Cleaned.stated``).
    """
    return read_metadata(text, title_hint=title_hint, title=title, stated=stated, laid_out=laid_out, set_right=set_right,
                         mastheads=mastheads)[0]


def read_metadata(
    text: str, title_hint: str | None = None, title: str | None = None, stated: PageFields | None = None,
    laid_out: bool = False, set_right: Sequence[str] = (), mastheads: Sequence[str] = (),
) -> tuple[DocMeta, dict[str, str]]:
    """The metadata, and for each field found the rule that found it (what `inspect --explain` shows).

    The document's own elements win over what its page stated (the 信息公开 table, the source line).
    ``laid_out``: the text was read from positions (PDF, OFD, scans), whose layout joined each title's lines.
    ``set_right``: the names the file's layout sets right (``clean.Cleaned.set_right``): set right above
    the 成文日期, or closing the body, a name signs whatever it ends in. ``mastheads``: the lines the layout
    prints as a masthead (``clean.Cleaned.mastheads``): none is a line of the title.
    """
    stated = stated or PageFields()
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    header = lines[:_body_start(lines)]
    found = _Found()
    order = _find_order(lines, header)
    if order:
        found.offer("doc_number", order.number, "令号 under the 令's masthead")
        found.offer("issuers", [order.issuer], "令's masthead (XX令)")
        found.offer("issuer", order.issuer, "令's masthead (XX令)")
        found.offer("date", order.signed, "date after the 令's signer")
    found.offer("doc_number", _find_doc_number(header), "文号 line of the 版头")
    _offer_stated(found, stated, "doc_number")

    heading = find_heading(lines, joined=laid_out, mastheads=set(mastheads))
    heading_title, heading_number = _number_at_end("".join(lines[heading[0]:heading[1] + 1]) if heading else None)
    found.offer("doc_number", heading_number, "文号 in brackets at the title's end")
    found.offer("title", title, "title given by the collection")
    found.offer("title", heading_title, "heading above the salutation")
    _offer_stated(found, stated, "title")
    hint = None if title_hint is None or _placeholder(title_hint) else title_hint.strip()
    opening, opening_number = _number_at_end(None if heading or _starts_at_salutation(lines) else _first_title_line(header))
    found.offer("doc_number", opening_number, "文号 in brackets at the title's end")
    found.offer("title", None if _issuer_of(hint, opening) or _shortened(hint, opening) else hint,
                "title hint (HTML <title>, DOCX properties)")
    found.offer("title", opening, "opening line")
    doc_title = found.value("title")

    signers, signed, printed = _find_signature(lines, set(set_right))
    mastheads = _masthead_issuers(header)
    header_issuer = "、".join(mastheads) or None
    found.offer("issuers", signers, "signature block")
    found.offer("issuer", "、".join(signers), "signature block")
    found.offer("issuers", mastheads, "版头 (XX文件)")
    found.offer("issuer", header_issuer, "版头 (XX文件)")
    closing = [] if signed else _closing_names(lines, set(set_right))
    found.offer("issuers", closing, "signature block set right, no date")
    found.offer("issuer", "、".join(closing), "signature block set right, no date")
    _offer_stated(found, stated, "issuer")
    found.offer("issuer", heading_issuer(doc_title) if heading else None, "heading (XX关于/对……)")
    found.offer("issuer", _standalone_org(header, doc_title), "版头 issuer line")
    found.offer("date", signed, "signature date (成文日期)")
    found.offer("date", _dated_under_title(lines, heading), "date in brackets under the title")
    _offer_stated(found, stated, "date")
    found.offer("printed", printed, "版记 印发 date")
    for name in ("published", "index_number"):
        _offer_stated(found, stated, name)
    _find_proposal(found, doc_title, stated, lines, heading)
    found.offer("recipients", _find_recipients(header, lines), "主送 line")
    found.offer("cc", _label_items(lines, "抄送"), "抄送 line")
    found.offer("doc_type", _find_doc_type(doc_title), "kind named at the end of the title")
    issuer = found.value("issuer")
    found.offer("region", _find_region([*mastheads, *signers, issuer, doc_title], text), "administrative prefix")
    if issuer:
        found.offer("issuers", [issuer], found["issuer"][1])
    meta = DocMeta(**{name: value for name, (value, _) in found.items()})
    return meta, {name: rule for name, (_, rule) in found.items()}


def _number_at_end(title: str | None) -> tuple[str | None, str | None]:
    """(title, 文号) of a title that ends in its 文号 in brackets, as republished 公文 print it
    ("……的实施意见（安监总管三〔2010〕186号）"): the bracket is the number, not the title's words. An
    edition note ending it ("（2025年修订）", "（2018版）") says which edition: it goes too."""
    edition = _EDITION_NOTE.search(title or "")
    if title and edition and edition.start() > 0:
        title = title[:edition.start()]
    match = _TITLE_NUMBER.search(title or "")
    number = doc_number_line(match.group(1)) if match else None
    if not (title and match and number and match.start() > 0):
        return title, None
    return title[:match.start()].rstrip(), number


def _placeholder(title_hint: str | None) -> bool:
    """A declared title that names nothing: empty, a program's default, or a sentence pasted in (a
    customs attachment's property held its 公告's opening sentence: "为进一步适应……作如下修改：")."""
    if not title_hint or not title_hint.strip():
        return True
    hint = title_hint.strip()
    return bool(_PLACEHOLDER_TITLE.match(hint)) or "，" in hint or hint.endswith(("：", "。", ":"))


def _issuer_of(hint: str | None, opening: str | None) -> bool:
    """Whether a file's title property names only the body whose name opens the printed title
    ("华东理工大学" for "华东理工大学" over "研究生论文答辩程序"): the printed title is whole, the property
    is not."""
    return bool(hint and opening and len(opening) > len(hint) and opening.startswith(hint) and is_org(hint))


def _shortened(hint: str | None, opening: str | None) -> bool:
    """Whether a file's title property is the printed title with words left out, every character of it
    in the printed line and in order ("狂犬病抗体检测实验室名单" for "海关总署采信狂犬病抗体检测结果实验室名单",
    a property left from the list's earlier edition): the printed title is the fuller one."""
    if not hint or not opening or len(opening) <= len(hint):
        return False
    rest = iter(opening)
    return all(char in rest for char in hint)


def _offer_stated(found: _Found, stated: PageFields, name: str) -> None:
    found.offer(name, getattr(stated, name), stated.found_by.get(name, "page"))


def _body_start(lines: list[str]) -> int:
    """Index of the first body paragraph: the first long line that ends a sentence."""
    for i, line in enumerate(lines[:40]):
        if len(line) > 60 and "。" in line:
            return i
    return min(len(lines), 12)


def _find_doc_number(header: list[str]) -> str | None:
    """The 文号 line of the 版头; else a 公告's or 令's own number printed on its own line under its
    heading: "（十四届第3号）", "第738号"."""
    found = next((number for line in header if (number := doc_number_line(line))), None)
    return found or next((number for line in header[:8] if (number := notice_number_line(line))), None)


class _Order(NamedTuple):
    issuer: str
    number: str
    signed: str | None


def _find_order(lines: list[str], header: list[str]) -> _Order | None:
    """A 令 (GB/T 9704's 命令（令）格式): a masthead "XX令" (or "XX命令") with its 令号 "第N号" under it or
    on its line; the signer's 职务 and name and the 成文日期 follow the 令's sentences, the date closing
    a short line ("XX委员会主席：XXX 二○○四年六月八日") or on a line of its own."""
    for i, line in enumerate(header[:8]):
        match = _ORDER_LINE.match(line)
        if not match or not is_org(match.group(1)):
            continue
        number = match.group(3)
        if number is None and i + 1 < len(header) and _ORDER_NUMBER.match(header[i + 1]):
            number, i = header[i + 1], i + 1
        if number is None:
            continue
        signed = next((date for below in lines[i + 1:i + 1 + _ORDER_SIGNATURE] if (date := _closing_date(below))), None)
        return _Order(match.group(1), re.sub(r"\s+", "", match.group(1) + match.group(2) + number), signed)
    return None


def _closing_date(line: str) -> str | None:
    """The date a short line ends in (a signature's), not one a sentence names."""
    dates = list(DATE_ANYWHERE.finditer(line))
    if not dates or len(line) > _SIGNATURE_LINE or line[dates[-1].end():].strip() or "。" in line:
        return None
    return parse_date(dates[-1].group())


def _find_signature(lines: list[str], set_right: Collection[str] = ()) -> tuple[list[str], str | None, str | None]:
    """(signing bodies, 成文日期, 印发日期): the 成文日期 is the last date line that is not the 版记's 印发
    line ("XX办公室 2021年12月31日印发", or a date under its 抄送 line without "印发": "海南大学教务处" /
    "2025年6月16日") nor a 收文章's, but a 印发 notice's own before the issued document's; the bodies sign
    on the lines just above it (``_signers_above``), or above a date line whose month and day were never
    filled in. An 印发日期 is never a 成文日期."""
    printed = None
    copied = max((i for i, line in enumerate(lines) if _COPIED_TO.match(line)), default=None)
    for i in range(len(lines) - 1, -1, -1):
        imprint = copied is not None and 0 < i - copied <= _IMPRINT_LINES
        if (lines[i].endswith(("印发", "发布")) or imprint) and len(lines[i]) <= _PRINTED_LINE and (stamped := find_date(lines[i])):
            printed = printed or stamped
            continue
        if (date := _signature_date(lines, i)) is None:
            continue
        i, date = _notice_own_signature(lines, i) or (i, date)
        return _signers_above(lines, i, set_right), date, printed
    # a document sent with its 成文日期 left to fill in ("2013年 月 日") still signs above it
    unfilled = max((i for i, line in enumerate(lines) if _UNFILLED_DATE.match(line)), default=None)
    return (_signers_above(lines, unfilled, set_right) if unfilled is not None else []), None, printed


def _signature_date(lines: list[str], i: int) -> str | None:
    """The date line ``i`` is, where it can be a signature's: short, not a date of taking effect, not
    a 收文章's; a date alone on its line missing only its closing 日 is one a seal hid the end of."""
    date = parse_date(_FIELD_LABEL.sub("", lines[i])) or parse_sealed_date(lines[i])
    if not date or len(lines[i]) > 16 or lines[i].endswith(_IN_FORCE) or _received_stamp(lines, i):
        return None
    return date


def _notice_own_signature(lines: list[str], last: int) -> tuple[int, str] | None:
    """(line, date) of a 印发 notice's own signature date, where its opening lines issue a document
    set after it ("……现予以印发，请遵照执行。") and a signature's date stands between that sentence and
    the ``last`` one, which is then the issued document's own."""
    issuing = next((i for i, line in enumerate(lines[:_ISSUING_LINES]) if _ISSUES.search(line) and line.endswith("。")), None)
    if issuing is None:
        return None
    return next(((k, date) for k in range(issuing + 1, last) if (date := _signature_date(lines, k))), None)


def _signers_above(lines: list[str], date: int, set_right: Collection[str]) -> list[str]:
    """The bodies signing above the date on line ``date``: one per line when several co-sign, or several
    on one line set apart ("学生工作处 国际合作与交流处"), named as bodies are or set right by the layout.
    What OCR read of the seals over a scanned signature (pieces of the names) signs not at all; a name
    wrapped in its column beside a co-signer's is one name, and so is a unit signing under its company's
    or university's name; a name read twice (a scan's 版记 line read into the block) signs once."""
    above: list[str] = []
    k = date  # the line under the one read next
    while k > 0 and len(above) < 6 and date - k < _SIGNATURE_LINES:
        printed_line = _FIELD_LABEL.sub("", lines[k - 1])
        line = _SEAL_NOTE.sub("", printed_line)
        k -= 1
        if not line.strip() or _PUBLICITY_NOTE.match(line.strip()):
            continue  # a note where the seal goes ("（科技部火炬中心代章）"), or the 附注 "（此件主动公开）"
        if is_org(line) or printed_line in set_right or joint_names(line):
            above.insert(0, line.lstrip("；;，, "))
        elif not _seal_remnant(line, lines[max(0, k - 4):date]):
            if above and _lone_head(line, above[0]):
                above[0] = line.strip() + above[0]
                continue
            rest = _wrapped_name(line, above)
            if rest is None:
                break
            above.insert(0, line + above.pop(rest))
    for k in range(len(above) - 1, 0, -1):
        if _own_unit(above[k - 1], above[k]):
            above[k - 1 : k + 1] = [above[k - 1] + above[k]]
    names = [name for line in above for name in (joint_names(line) or [line])]
    # a body co-signs with others, never with itself nor with a piece of its own name (its seal's)
    return [name for name in dict.fromkeys(names) if not any(name != other and name in other for other in names)]


def _dated_under_title(lines: list[str], heading: tuple[int, int] | None) -> str | None:
    """The 成文日期 of a document issued without a signature (a 意见 or 决定 of Party and government
    bodies, a 公报): in brackets on the line under its title, "（2018年4月7日）"."""
    if heading is None or heading[1] + 1 >= len(lines):
        return None
    match = _BRACKETED_DATE.fullmatch(lines[heading[1] + 1].strip())
    return parse_date(match.group(1)) if match else None


def _lone_head(line: str, name: str) -> bool:
    """Whether ``line`` is the first character of the signer's name under it, left at the end of the
    line above by a justified signature line ("陕西省发展和改革委员会      国" / "家能源局西北监管局", a
    notice re-typeset by an association, test19): one ideograph, not a seal's mark."""
    text = line.strip()
    return len(text) == 1 and bool(_IDEOGRAPHS.fullmatch(text)) and text not in "章印" and is_org(text + name)


def _wrapped_name(line: str, below: list[str]) -> int | None:
    """Where in ``below`` the rest of a co-signer's name stands when it wrapped in its column: ``line``
    opens with the place another signer names ("唐山市“一港双城”（城镇化）" beside "唐山市行政审批局") and a
    line under it names a body without a place ("工作委员会办公室"), the two together a body's name."""
    place = _PLACE.match(line)
    if not place or not any(name.startswith(place.group()) for name in below):
        return None
    return next((k for k, name in enumerate(below) if not _PLACE.match(name) and is_org(line + name)), None)


def _own_unit(parent: str, unit: str) -> bool:
    """Whether ``unit``, signed on the line under ``parent``, is a part of it: a short name of a unit
    with no place or country of its own ("开发投资公司", "研究生院") under a company's or a university's
    name ("中国电力工程顾问集团有限公司" / "开发投资公司" under one seal). Another company, university or a
    body with its own place co-signs."""
    return (bool(_PARENT.search(parent)) and bool(_UNIT.search(unit)) and not _PARENT.search(unit)
            and len(unit) <= _UNIT_CHARS and not _PLACE.match(unit) and not _NATIONWIDE.match(unit))


def _seal_remnant(line: str, around: list[str]) -> bool:
    """Whether ``line`` is what OCR read of a seal over a scanned signature: a few characters, at least
    half of them from the names signing around it (a seal prints its body's name: "东省务" under 山东省商务厅,
    "发展和改革委", "容财" with one character misread)."""
    names = "".join(name for name in around if is_org(name))
    text = line.strip()
    return 0 < len(text) <= _SEAL_CHARS and bool(_IDEOGRAPHS.fullmatch(text)) and sum(c in names for c in text) >= len(text) / 2


def _received_stamp(lines: list[str], i: int) -> bool:
    """Whether the date on line ``i`` is a 收文章's: the stamp's words on its line or the line next to it.
    Words just under the date, with a date under them, are a stamp set under a signature's date: that
    date is the stamp's ("2024年7月24日" / "收文章" / "2024-07-27")."""
    if any(_RECEIVED.search(line) for line in lines[max(i - 1, 0):i + 1]):
        return True
    return i + 1 < len(lines) and bool(_RECEIVED.search(lines[i + 1])) and not (
        i + 2 < len(lines) and parse_date(lines[i + 2]))


def _closing_names(lines: list[str], set_right: Collection[str]) -> list[str]:
    """A signature without a date: the names set right on the last lines of the body (before the
    attachments' own pages, "附件1：", or the 版记; under the 附件说明 "附件：" and its list, with the
    attachments after it or not), else on the document's last lines."""
    ends = [i for i, line in enumerate(lines) if i and _BODY_ENDS.match(line)] + [len(lines)]
    # the first end with names set right above it: the 附件说明 "附件：" may come before the signature,
    # its list between, and the attachments' own pages ("附件1") after it
    return next((names for end in ends if (names := _names_set_right_above(lines, end, set_right))), [])


def _names_set_right_above(lines: list[str], end: int, set_right: Collection[str]) -> list[str]:
    names: list[str] = []
    while end - len(names) > 0 and lines[end - len(names) - 1] in set_right:
        names.insert(0, _SEAL_NOTE.sub("", lines[end - len(names) - 1]))
    return [name for line in names for name in (joint_names(line) or [line])]


def _starts_at_salutation(lines: list[str]) -> bool:
    end = zone_end(lines)
    return end < len(lines) and is_salutation(lines[end]) and not any(kind_of(line) for line in lines[:end])


def _first_title_line(header: list[str]) -> str | None:
    """Without a heading that names its kind, a title can only be the opening line, and never a
    section heading, an issuer, a date or a labelled line."""
    opening = [line for line in header if not is_masthead(line) or is_org(line)][:3]  # 份号, 密级, 紧急程度, XX文件 come first
    for line in opening:
        plain = not re.search(r"[。：:]", line) and len(line) <= 160 and not _RECIPIENT_LINE.match(line)
        if plain and not (is_org(line) or _HEADING.match(line) or parse_date(line) or doc_number_line(line) or _BODY_ENDS.match(line)
                          or _ISSUER_LINE.match(line) or _NUMBER_TO_FILL.match(line)
                          or line.startswith(("公开属性", "信息公开属性", "主动公开"))):
            return line
    return None


def _find_recipients(header: list[str], lines: list[str]) -> list[str]:
    recipients = []
    for line in header:
        if _RECIPIENT_LINE.match(line) and len(line) <= 120 and not introduces(line) and is_salutation(line):
            recipients = _split_items(line.rstrip("：:"))
            break
    for item in _label_items(lines, "主送"):
        if item not in recipients:
            recipients.append(item)
    return recipients


def _label_items(lines: list[str], label: str) -> list[str]:
    for line in lines:
        match = _LABEL.match(line)
        if match and match.group(1) == label:
            return _split_items(match.group(2))
    return []


def _split_items(value: str) -> list[str]:
    value = value.strip().rstrip("。.；;")
    separators = "[，,；;]" if "，" in value or "," in value else "[，,；;、]"
    return [item.strip() for item in re.split(separators, value) if item.strip()]


def _masthead_issuers(header: list[str]) -> list[str]:
    """The bodies a 版头 names: "XX文件", or a joint masthead's names stacked above "文件" (or
    above "YY文件")."""
    for i, line in enumerate(header[:8]):
        match = _ISSUER_LINE.match(line)
        if line != "文件" and not match:
            continue
        names: list[str] = []
        k = i - 1
        while k >= 0 and i - k <= 4 and is_org(header[k]):
            names.insert(0, header[k])
            k -= 1
        return names + ([match.group(1)] if match else [])
    return []


def _standalone_org(header: list[str], title: str | None) -> str | None:
    """A 版头 that names the issuer on a line of its own (上海市妇女联合会) without 文件, or over two
    lines where a narrow block wraps it (a standard's cover: "南宁中燃城市燃" / "气发展有限公司", with
    the standard's code printed beside the first line and read between them)."""
    for k, line in enumerate(header[:6]):
        if is_org(line) and "《" not in line:
            return _wrapped_above(header[:k], line, title) or line
    return None


def _wrapped_above(above: list[str], name: str, title: str | None) -> str | None:
    """The body's whole name where ``name`` is the end of it wrapped from the line above (lines with
    no ideograph, a code, passed over): that line is words only, at least as long as ``name`` (a
    wrapped line is full), names no body, no 版头 element and no part of the title itself (a cover's
    title over its office), and the two together name one."""
    words = [line.strip() for line in above if _IDEOGRAPHS.search(line)]
    if not words:
        return None
    start = words[-1]
    if (not _IDEOGRAPHS.fullmatch(start) or len(start) < len(name) or is_masthead(start) or not is_org(start + name)
            or (title and start in title)):
        return None
    return start + name


def _find_proposal(
    found: _Found, title: str | None, stated: PageFields, lines: list[str], heading: tuple[int, int] | None
) -> None:
    """The 提案/建议号 the title names; else the page's table; else another heading above the
    salutation; else the reply's opening sentences (您提出的《……》（第20240076号）收悉)."""
    found.offer("proposal_number", find_proposal(title, need_kind=True) if title else None, "title")
    _offer_stated(found, stated, "proposal_number")
    end = zone_end(lines)
    skip = range(heading[0], heading[1] + 1) if heading else range(0)
    zone = [line for i, line in enumerate(lines[:end]) if i not in skip and kind_of(line)]
    found.offer("proposal_number", find_proposal("\n".join(zone), need_kind=True), "heading above the salutation")
    start = end + 1 if end < len(lines) and is_salutation(lines[end]) else end
    opening = [DOC_NUMBER.sub("", line.split("。")[0]) for line in lines[max(start - 1, 0):start + _OPENING_LINES]
               if not _ORDER_LINE.match(line) and not _ORDER_NUMBER.match(line)]  # a 令号 is no proposal's
    found.offer("proposal_number", find_proposal("\n".join(opening)), "opening sentence of the reply")


def _find_doc_type(title: str | None) -> str | None:
    if not title:
        return None
    stem = re.sub(r"[（(][^（）()]*[）)]$", "", title.rstrip("》」”\"' "))
    for doc_type in DOC_TYPES:
        if stem.endswith(doc_type):
            return doc_type
    return None


def _find_region(candidates: list[str | None], text: str) -> str | None:
    """The longest administrative prefix of the issuer or title; else the city the text is about."""
    regions = [m.group(1) for c in candidates if c and (m := _REGION.match(c)) and m.group(1)]
    if regions:
        return max(regions, key=len)
    cities = Counter(
        m for m in _CITY_MENTION.findall(text[:5000]) if m[-2:] not in _NOT_A_PLACE
    )
    if cities:
        city, count = cities.most_common(1)[0]
        return city if count >= 2 else None
    return None
