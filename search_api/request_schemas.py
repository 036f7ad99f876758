"""Request models: what a caller sends, documented at /docs.

Requests forbid unknown fields, so a typo in a filter name is an error instead of a silently
unfiltered search. Length limits and the ``top_k`` range come from the settings and are checked in the
endpoints (``deps.top_k``, ``deps.check_length``), so a deployment can change them without a
code change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

Mode = Literal["hybrid", "dense", "lexical"]
# top_k and limit are range-checked in the endpoints, against the configured maximum, so that
# the error states the whole allowed range; the schema still tells clients the lower bound
AT_LEAST_1: dict[str, Any] = {"minimum": 1}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# a usable text holds at least one character that is neither whitespace nor a control character;
# the controls and U+FEFF are named because the regex dialects disagree on them as whitespace
# (JSON Schema's ECMA-262 for clients, Rust's regex in pydantic, Python's here), so that the
# published pattern and the server's check admit exactly the same texts
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\uFEFF]"
_VISIBLE = re.compile(VISIBLE)


def _a_number(value: object) -> object:
    if isinstance(value, (bool, str)):  # true is not 1, "5" is not 5 (JSON's 5.0 is, as JSON Schema says)
        raise ValueError("must be a JSON integer")
    return value


Count = Annotated[int, BeforeValidator(_a_number)]


def _usable_text(value: str, field: str) -> str:
    if isinstance(value, str) and not _VISIBLE.search(value):  # anything else is refused by its type
        raise ValueError(f"{field} must not be empty or only whitespace (or control characters)")
    return value


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Filters(Request):
    """Metadata filters; every given field must match. Dates are 成文日期 bounds, inclusive;
    a date_from after date_to is refused (422)."""

    issuer: str | None = Field(None, min_length=1, pattern=VISIBLE, description="发文机关, e.g. 上海市普陀区教育局")
    doc_type: str | None = Field(None, min_length=1, pattern=VISIBLE, description="答复, 会办意见, 报告, 通知, 方案, 意见 ...")
    region: str | None = Field(None, min_length=1, pattern=VISIBLE, description="e.g. 上海市普陀区")
    doc_number: str | None = Field(None, min_length=1, pattern=VISIBLE, description="发文字号, e.g. 普教办〔2024〕3号")
    date_from: dt.date | None = Field(None, description="YYYY-MM-DD", json_schema_extra={"pattern": ISO_DATE.pattern})
    date_to: dt.date | None = Field(None, description="YYYY-MM-DD", json_schema_extra={"pattern": ISO_DATE.pattern})

    @field_validator("issuer", "doc_type", "region", "doc_number", mode="before")  # before the pattern: a clearer message
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _usable_text(value, info.field_name or "filter")

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _iso_date(cls, value: object, info: ValidationInfo) -> object:
        # 0 (or "0" in a query string) is not 1970-01-01: only YYYY-MM-DD is a date here
        if value is not None and not isinstance(value, dt.date) and not (
            isinstance(value, str) and ISO_DATE.fullmatch(value)
        ):
            raise ValueError(f"{info.field_name} must be a date written YYYY-MM-DD")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Filters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError("date_order", "date_from {date_from} is after date_to {date_to}",
                                      {"date_from": str(self.date_from), "date_to": str(self.date_to)})
        return self


class SearchRequest(Request):
    query: str = Field(..., min_length=1, pattern=VISIBLE, description="what to look for, in Chinese or English")
    top_k: Count = Field(10, description="passages (or documents) to return; 1..max_top_k", json_schema_extra=AT_LEAST_1)
    mode: Mode = "hybrid"
    filters: Filters | None = None
    by_document: StrictBool = Field(False, description="group passages by document")

    @field_validator("query", mode="before")  # before the pattern: a clearer message
    @classmethod
    def _query(cls, value: str) -> str:
        return _usable_text(value, "query")


class AskRequest(Request):
    question: str = Field(..., min_length=1, pattern=VISIBLE)
    top_k: Count = Field(5, description="passages to read the answer from; 1..max_top_k", json_schema_extra=AT_LEAST_1)
    filters: Filters | None = None
    generate: StrictBool = Field(False, description="have the configured language model write the answer; every "
                                 "sentence's citations are checked (docs/llm.md)")

    @field_validator("question", mode="before")  # before the pattern: a clearer message
    @classmethod
    def _question(cls, value: str) -> str:
        return _usable_text(value, "question")


class SimilarRequest(Request):
    text: str = Field(..., min_length=1, pattern=VISIBLE, description="the new proposal or draft, up to max_similar_chars")
    top_k: Count = Field(10, description="documents to return; 1..max_top_k", json_schema_extra=AT_LEAST_1)
    filters: Filters | None = None

    @field_validator("text", mode="before")  # before the pattern: a clearer message
    @classmethod
    def _text(cls, value: str) -> str:
        return _usable_text(value, "text")


class SimilarQuery(Request):
    """Query parameters of GET /documents/{doc_id}/similar."""

    top_k: int = Field(10, description="documents to return; 1..max_top_k", json_schema_extra=AT_LEAST_1)


class DocumentQuery(Filters):
    """Query parameters of GET /documents: the search filters, with the same meaning, and a page."""

    offset: int = Field(0, ge=0)
    limit: int = Field(20, description="documents per page; 1..max_top_k", json_schema_extra=AT_LEAST_1)


class MetadataCorrection(Request):
    """Fields staff correct by hand, at least one; a field left out stays as it is, "" clears it. Needs
    the write role."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: str | None = Field(None, max_length=500)
    doc_number: str | None = Field(None, max_length=200, description="发文字号, e.g. 普教办〔2024〕3号")
    issuer: str | None = Field(None, max_length=500, description="发文机关; co-signing bodies joined with 、")
    # the schema says what the validator checks: a real calendar date (format date), "" or null
    date: Annotated[str | None, WithJsonSchema({
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}, {"type": "null"}],
        "description": "成文日期, YYYY-MM-DD, or \"\" to clear"})] = None
    doc_type: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=200)
    proposal_number: str | None = Field(None, max_length=200)

    @field_validator("date")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError("date must be a date written YYYY-MM-DD") from None
            if not ISO_DATE.fullmatch(value):
                raise ValueError("date must be a date written YYYY-MM-DD")
        return value

    @model_validator(mode="after")
    def _something(self) -> MetadataCorrection:
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_to_correct", "nothing to correct: give at least one field")
        return self
