"""Request and response models of reply drafting (/replies/*), kept beside ``schemas`` so that the
search contract and the drafting contract change separately."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from search_api import request_schemas, schemas
from search_api.request_schemas import VISIBLE, Filters, Request
from search_api.schemas import Passage
from search_api.settings import Settings

MAX_ASKS = 30  # parts of one proposal staff may send
MAX_PART_CHARS = 4000  # an ask, or a section's edited text
MAX_IDS = 5  # passages ticked per part (as many as are offered)
Role = Literal["主办", "会办"]
ChunkId = Annotated[str, Field(min_length=3, max_length=80, description="a passage's chunk_id, doc_id:index")]
PartText = Annotated[str, Field(max_length=MAX_PART_CHARS)]
AskText = Annotated[str, Field(min_length=1, max_length=MAX_PART_CHARS, pattern=VISIBLE)]


def part_limits(settings: Settings) -> tuple[int, int]:
    """(parts, characters per part) a request may carry: each part holds an ask and a section's text,
    3 bytes a character, within the deployment's JSON limit after the proposal itself. The schema
    states these (search_api.openapi) and the routes check them."""
    chars = min(MAX_PART_CHARS, settings.max_similar_chars)
    budget = settings.max_json_bytes - 3 * settings.max_similar_chars - 2048
    per_part = 2 * 3 * chars + 2 * MAX_IDS * 90 + 300
    return max(1, min(MAX_ASKS, budget // per_part)), chars


class SectionIn(Request):
    """A section as staff edited it in the preview: its text and the passages it draws on."""

    heading: str | None = Field(None, max_length=200)
    text: PartText = Field(..., description="the section's paragraphs, one per line")
    sources: list[ChunkId] = Field(default_factory=list, max_length=MAX_IDS, description="chunk ids of its passages")


class ReplyRequest(Request):
    text: str = Field(..., min_length=1, pattern=VISIBLE, description="the proposal, pasted or read from a file")
    asks: list[AskText] | None = Field(None, min_length=1, max_length=MAX_ASKS,
                                       description="the parts as staff merged, split or edited them; default: as read")
    ticked: list[Annotated[list[ChunkId], Field(max_length=MAX_IDS)]] | None = Field(
        None, max_length=MAX_ASKS, description="per part in order, the chunk ids of the passages to use; a part without a list gets the best ones")
    role: Role | None = Field(None, description="主办 (a 答复) or 会办 (a 会办意见); default: the office's setting")
    result_code: str | None = Field(None, min_length=1, max_length=8,
                                    description="办理结果, one of the office's codes; chosen by staff, never guessed")
    date: dt.date | None = Field(None, description="成文日期, YYYY-MM-DD; default: today",
                                 json_schema_extra={"pattern": request_schemas.ISO_DATE.pattern})
    filters: Filters | None = None
    title: str | None = Field(None, max_length=300, description="the title as staff edited it")
    recipient: str | None = Field(None, max_length=200, description="the 主送 as staff edited it")
    sections: list[SectionIn] | None = Field(None, max_length=MAX_ASKS, description="the sections as staff edited them")

    @field_validator("asks")
    @classmethod
    def _asks(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        kept = [ask.strip() for ask in value if ask.strip()]
        if not kept:
            raise ValueError("asks must hold at least one non-empty part")
        return kept

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if value is not None and not (isinstance(value, str) and request_schemas.ISO_DATE.fullmatch(value)):
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
