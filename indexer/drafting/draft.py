"""The reply as offices write it, assembled from a proposal and the material staff ticked per ask.

A 答复 (the office leads, 主办) or a 会办意见 (it assists) has fixed parts: 标题, 主送, an opening
that names the proposal, one section per ask, a closing, 落款 and 成文日期, 联系人, 公开属性 and 抄送,
and (主办) the 办理结果 category staff chose. Each section holds its ticked passages as editable
text with their sources kept beside them, so the .docx can carry them as comments. What the
proposal or the office settings do not state is written as a 【待填写】 mark, never guessed; an ask
without a precedent gets a 【待撰写】 paragraph that says so.

``SectionRewriter`` is the seam for the office's language model (its own module): it gets one
section and the sources of its ticked passages and returns the section rewritten in reply style.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexer.drafting.office import OfficeSettings, Role
from indexer.drafting.wording import book_title, chinese_date, cn_number, one_line
from indexer.gongwen.proposal import Proposal
from indexer.retrieval.search import Hit

MISSING = "【待填写：{}】"
NO_PRECEDENT = "【待撰写】未找到往期处理过类似事项的文件，此部分请根据本单位实际情况撰写。"
NOT_TICKED = "【待撰写】请勾选往期材料或直接撰写此部分。"
TOPIC_CHARS = 30  # a section heading names its ask in at most this many characters
_ASK_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、是要]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[、.．]|0?\d\n)\s*")
_ASK_VERB = re.compile(r"^(?:建议|要|应当|应该|应|请|希望|进一步|尽快|切实)")


@dataclass
class Source:
    """Where a paragraph's material comes from: a citation record and the quoted passage."""

    chunk_id: str
    citation: dict[str, Any]
    quote: str


@dataclass
class Paragraph:
    text: str
    sources: list[Source] = field(default_factory=list)


@dataclass
class Section:
    heading: str | None  # 一、关于……的建议; None when the proposal has one ask
    paragraphs: list[Paragraph]
    ask: str  # the ask it answers, as the proposal states it
    found: bool  # whether any real precedent was found for the ask

    @property
    def sources(self) -> list[Source]:
        return [source for paragraph in self.paragraphs for source in paragraph.sources]


# the language model's seam: (section, the sources of its ticked passages) -> the rewritten section
SectionRewriter = Callable[[Section, list[Source]], Section]


@dataclass
class Draft:
    role: Role
    title: str
    recipient: str  # 主送, with its colon
    opening: str
    sections: list[Section]
    closing: str | None
    signature: str
    date: str  # 成文日期, 2024年3月20日
    contact: str | None  # （联系人：…；联系电话：…）
    disclosure: str | None  # （此件主动公开）
    cc: list[str]
    result_code: str | None
    result_label: str | None
    proposal_number: str | None
    proposal_title: str | None
    missing: list[str] = field(default_factory=list)  # what staff must still fill in

    def file_name(self, day: dt.date) -> str:
        """第208号提案-关于上下学期间交通拥堵的提案-答复-20240520.docx: number, title and date."""
        kind = "会办意见" if self.role == "会办" else "答复"
        parts = [self.proposal_number or "", (self.proposal_title or "")[:40], kind, f"{day:%Y%m%d}"]
        name = "-".join(part for part in parts if part)
        return re.sub(r'[\\/:*?"<>|\s]+', "", name) + ".docx"


def source_of(hit: Hit) -> Source:
    return Source(hit.chunk.chunk_id, hit.citation(), one_line(hit.chunk.text))


def ask_topic(ask: str) -> str:
    """What an ask is about, for its section heading: its first clause without marker or verb."""
    text = _ASK_MARKER.sub("", ask.strip())
    text = re.split(r"[。；;，,：:\n]", text, maxsplit=1)[0]
    text = _ASK_VERB.sub("", text).strip("“”\"' ")
    return text[:TOPIC_CHARS] + ("…" if len(text) > TOPIC_CHARS else "")


def assemble_draft(
    proposal: Proposal,
    asks: list[str],
    ticked: list[list[Hit]],
    found: list[bool],
    office: OfficeSettings,
    *,
    day: dt.date,
    role: Role | None = None,
    result_code: str | None = None,
    rewrite: SectionRewriter | None = None,
) -> Draft:
    """The draft of the reply: ``ticked[i]`` are the passages staff chose for ``asks[i]``."""
    role = role or office.role
    missing: list[str] = []

    def filled(value: str | None, what: str) -> str:
        if value:
            return value
        missing.append(what)
        return MISSING.format(what)

    sections = []
    for i, ask in enumerate(asks):
        heading = f"{cn_number(i + 1)}、关于{ask_topic(ask)}的建议" if len(asks) > 1 else None
        paragraphs = [Paragraph(source.quote, [source]) for source in map(source_of, ticked[i])]
        if not paragraphs:
            paragraphs = [Paragraph(NOT_TICKED if found[i] else NO_PRECEDENT)]
        section = Section(heading, paragraphs, ask, found[i])
        if rewrite is not None and ticked[i]:
            section = rewrite(section, section.sources)
        sections.append(section)
    kind = proposal.kind or "提案"
    number = proposal.number
    named = f"{book_title(proposal.title)}" if proposal.title else f"{kind}"
    numbered = f"（{number}）" if number else ""
    if role == "会办":
        recipient = filled(office.lead_office, "主办单位") + "："
        who = f"{proposal.proposer}{_person(proposal)}" if proposal.proposer else filled(None, "提案人")
        opening = (f"{who}提出的{named}{numbered}收悉。根据要求，我单位协助办理此{kind}，"
                   "经研究，现提出会办意见如下：")
        closing = None
    else:
        recipient = (f"{proposal.proposer}{_person(proposal)}" if proposal.proposer else filled(None, "提案人")) + "："
        opening = f"你提出的{named}{numbered}收悉。经研究，现答复如下："
        closing = f"感谢你对{office.work or '我们'}工作的关心和支持。"
    result_label = office.result_label(result_code)
    if role == "主办" and result_code is None:
        missing.append("办理结果")
    contact = "；".join(part for part in (
        f"联系人：{office.contact}" if office.contact else None,
        f"联系电话：{office.phone}" if office.phone else None,
    ) if part)
    return Draft(
        role=role,
        title=_title(proposal, office, role, kind, filled),
        recipient=recipient,
        opening=opening,
        sections=sections,
        closing=closing,
        signature=filled(office.name, "落款单位"),
        date=chinese_date(day.isoformat()) or "",
        contact=f"（{contact}）" if contact else None,
        disclosure=f"（{office.disclosure}）" if office.disclosure else None,
        cc=list(office.cc),
        result_code=result_code,
        result_label=result_label,
        proposal_number=number,
        proposal_title=proposal.title,
        missing=missing,
    )


def _person(proposal: Proposal) -> str:
    return proposal.proposer_kind if proposal.proposer_kind in ("委员", "代表") else ""


def _title(proposal: Proposal, office: OfficeSettings, role: Role, kind: str,
           filled: Callable[[str | None, str], str]) -> str:
    """XX局关于区政协十五届三次会议第153053号提案的答复 / 会办意见."""
    genre = "会办意见" if role == "会办" else "答复"
    session = proposal.session or ""
    if session and not session.endswith(("会议", "全会")):
        session += "会议"
    if proposal.number:
        subject = f"关于{session}{proposal.number}{kind}"
    elif proposal.title and proposal.proposer:
        subject = f"对{proposal.proposer}{_person(proposal)}{book_title(proposal.title)}"  # 对XX委员《……》的答复
    elif proposal.title:
        subject = f"关于{book_title(proposal.title)}"
    else:
        subject = "关于" + filled(None, f"{kind}编号")
    return f"{office.name or ''}{subject}的{genre}"
