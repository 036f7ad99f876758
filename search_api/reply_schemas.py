"""Request and response models of reply drafting (/replies/*), kept beside ``schemas`` so that the
search contract and the drafting contract change separately."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from search_api import schemas
from search_api.schemas import VISIBLE, Filters, Passage, Request

MAX_ASKS = 30  # parts of one proposal staff may send
MAX_ASK_CHARS = 2000
Role = Literal["主办", "会办"]


class SectionIn(Request):
    """A section as staff edited it in the preview: its text and the passages it draws on."""

    heading: str | None = Field(None, max_length=200)
    text: str = Field(..., max_length=20000, description="the section's paragraphs, one per line")
    sources: list[str] = Field(default_factory=list, max_length=20, description="chunk ids of its passages")


class ReplyRequest(Request):
    text: str = Field(..., min_length=1, pattern=VISIBLE, description="the proposal, pasted or read from a file")
    asks: list[str] | None = Field(None, max_length=MAX_ASKS,
                                   description="the parts as staff merged, split or edited them; default: as read")
    ticked: list[list[str]] | None = Field(
        None, max_length=MAX_ASKS, description="per part, the chunk ids of the passages to use; default: the best ones")
    role: Role | None = Field(None, description="主办 (a 答复) or 会办 (a 会办意见); default: the office's setting")
    result_code: str | None = Field(None, min_length=1, max_length=8,
                                    description="办理结果, one of the office's codes; chosen by staff, never guessed")
    date: dt.date | None = Field(None, description="成文日期, YYYY-MM-DD; default: today",
                                 json_schema_extra={"pattern": schemas.ISO_DATE.pattern})
    filters: Filters | None = None
    title: str | None = Field(None, max_length=300, description="the title as staff edited it")
    recipient: str | None = Field(None, max_length=200, description="the 主送 as staff edited it")
    sections: list[SectionIn] | None = Field(None, max_length=MAX_ASKS, description="the sections as staff edited them")

    @field_validator("asks")
    @classmethod
    def _asks(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if any(len(ask) > MAX_ASK_CHARS for ask in value):
            raise ValueError(f"each part may hold at most {MAX_ASK_CHARS} characters")
        kept = [ask.strip() for ask in value if ask.strip()]
        if not kept:
            raise ValueError("asks must hold at least one non-empty part")
        return kept

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if value is not None and not (isinstance(value, str) and schemas.ISO_DATE.fullmatch(value)):
            raise ValueError("date must be a date written YYYY-MM-DD")
        return value


class ProposalAsk(BaseModel):
    index: int
    text: str
    char_start: int = Field(description="offsets into proposal.text")
    char_end: int
    marker: str = Field(description="how the part was found: 一是, 一、, 1., ；, 句, 全文 ...")


class ProposalInfo(BaseModel):
    text: str = Field(description="the proposal's text as read; the asks' offsets index it")
    title: str | None
    proposer: str | None
    proposer_kind: str | None = Field(description="委员, 代表 or 党派团体")
    number: str | None
    kind: str | None = Field(description="提案, 建议 or 议案")
    session: str | None
    asks: list[ProposalAsk]


class MaterialPassage(Passage):
    chunk_id: str
    tier: int = Field(description="0: a reply (答复/会办意见/复函), 1: a plan or report, 2: other")
    ticked: bool


class AskMaterialOut(BaseModel):
    index: int
    text: str
    found: bool = Field(description="whether any real precedent was found for this part")
    message: str | None = Field(description="why nothing is offered, in the staff's words")
    passages: list[MaterialPassage]


class DraftSource(BaseModel):
    chunk_id: str
    citation: schemas.Citation
    quote: str


class DraftParagraph(BaseModel):
    text: str
    sources: list[DraftSource]


class DraftSection(BaseModel):
    heading: str | None
    ask: str
    found: bool
    paragraphs: list[DraftParagraph]


class DraftOut(BaseModel):
    role: Role
    title: str
    recipient: str
    opening: str
    sections: list[DraftSection]
    closing: str | None
    signature: str
    date: str
    contact: str | None
    disclosure: str | None
    cc: list[str]
    result_code: str | None
    result_label: str | None
    missing: list[str] = Field(description="what staff must still fill in (shown as 【待填写】 in the text)")
    file_name: str


class OfficeOut(BaseModel):
    name: str | None
    role: Role
    result_codes: dict[str, str] = Field(description="办理结果 code -> meaning, the office's own list")


class ReplyResponse(BaseModel):
    proposal: ProposalInfo
    asks: list[AskMaterialOut]
    draft: DraftOut
    office: OfficeOut


class ReadProposal(BaseModel):
    """What an uploaded proposal file holds, read like a pasted one."""

    file: str
    proposal: ProposalInfo
