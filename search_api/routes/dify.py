"""Dify's External Knowledge API (POST /retrieval), so Dify, or RAGFlow's Dify-compatible client,
can use this service as its 公文 knowledge base.

The contract is Dify's: a Bearer key, ``knowledge_id``, ``query``, ``retrieval_setting`` {top_k,
score_threshold}, an optional ``metadata_condition``, and ``records`` {content, score, title,
metadata} back (an empty list when nothing matches); its errors are Dify's suggested ones, 1001
(the Authorization header is not ``Bearer <key>``), 1002 (the key is not one of this server's) and
2001 (no such knowledge base). Any configured key may read; the audit log records each call as a
search. The one knowledge base is ``zhengce`` (every indexed document).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from search_api import request_schemas, schemas
from search_api.auth import identify
from search_api.deps import SearcherDep, ServiceDep, check_length
from search_api.guards import StrictRoute

router = APIRouter(route_class=StrictRoute)
KNOWLEDGE_ID = "zhengce"
CANDIDATE_FACTOR = 4  # with a metadata condition, this many times top_k passages are read before filtering

Operator = Literal["contains", "not contains", "start with", "end with", "is", "is not", "in", "not in", "empty",
                   "not empty", "=", "≠", ">", "<", "≥", "≤", "before", "after"]


class Foreign(BaseModel):
    model_config = ConfigDict(extra="forbid")  # as every request here: a misspelt field is an error, not ignored


class RetrievalSetting(Foreign):
    top_k: int = Field(ge=1)
    score_threshold: float = Field(0.0, ge=0.0, le=1.0, description="records scoring below it are left out")


class Condition(Foreign):
    name: str | list[str] = Field(description="a metadata field of the records (a list: any of them)")
    comparison_operator: Operator
    value: str | float | list[str] | None = None


class MetadataCondition(Foreign):
    logical_operator: Literal["and", "or"] = "and"
    conditions: list[Condition]


class RetrievalRequest(Foreign):
    knowledge_id: str
    query: str = Field(min_length=1, pattern=request_schemas.VISIBLE)
    retrieval_setting: RetrievalSetting
    metadata_condition: MetadataCondition | None = None


class Record(BaseModel):
    content: str
    score: float = Field(description="calibrated confidence in [0, 1]")
    title: str
    metadata: dict[str, Any] = Field(description="the citation: doc_id, title, doc_number, issuer, date, doc_type, "
                                     "region, source, page, section, char_start, char_end")


class RetrievalResponse(BaseModel):
    records: list[Record]


class DifyError(BaseModel):
    error_code: int
    error_msg: str


ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": DifyError, "description": "1001: Authorization is not 'Bearer <key>'; 1002: unknown key"},
    404: {"model": DifyError, "description": "2001: no knowledge base with this knowledge_id"},
    503: {"model": schemas.Error},
}


def record_score(hit: Any) -> float:
    """The score Dify compares with score_threshold: the calibrated confidence (the probability that
    the passage is relevant), so a threshold means what it says; the fused score clipped to [0, 1]
    only where the server has no calibration for the index's model."""
    if hit.confidence is not None:
        return float(hit.confidence)
    return min(1.0, max(0.0, float(hit.score)))


@router.post("/retrieval", response_model=RetrievalResponse, responses=ERRORS, tags=["integrations"])
def retrieval(body: RetrievalRequest, request: Request, service: ServiceDep, searcher: SearcherDep) -> Any:
    """Dify's External Knowledge API: passages for ``query``, best first, as Dify's records."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return _error(403, 1001, "Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
    caller = identify(service.settings, key.strip())
    if caller is None:
        return _error(403, 1002, "Authorization failed")
    if body.knowledge_id != KNOWLEDGE_ID:
        return _error(404, 2001, f"The knowledge does not exist: {body.knowledge_id!r} (this server has {KNOWLEDGE_ID!r})")
    setting = body.retrieval_setting
    top_k = min(setting.top_k, service.settings.max_top_k)
    depth = min(service.settings.max_top_k, top_k * CANDIDATE_FACTOR) if body.metadata_condition else top_k
    check_length(body.query, service.settings.max_query_chars, ("body", "query"))
    hits = searcher.search(body.query, top_k=depth, mode="hybrid")
    records = []
    for hit in hits:
        metadata = metadata_of(hit)
        score = record_score(hit)
        if score < setting.score_threshold or not matches(body.metadata_condition, metadata):
            continue
        records.append(Record(content=hit.chunk.text, score=score, title=metadata["title"] or hit.document.source,
                              metadata=metadata))
        if len(records) == top_k:
            break
    who = {"key": caller.name, "client": request.client.host if request.client else None}
    service.audit_read(who, "retrieval", body.query, [r.metadata["doc_id"] for r in records], knowledge_id=body.knowledge_id)
    return RetrievalResponse(records=records)


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "error_msg": message}, status)


def metadata_of(hit: Any) -> dict[str, Any]:
    from indexer.retrieval.citations import citation_of

    citation = citation_of(hit.chunk, hit.document)
    return {**citation, "region": hit.document.meta.region, "proposal_number": hit.document.meta.proposal_number}


def matches(condition: MetadataCondition | None, metadata: dict[str, Any]) -> bool:
    if condition is None or not condition.conditions:
        return True
    results = (any(_holds(c, metadata.get(name)) for name in ([c.name] if isinstance(c.name, str) else c.name))
               for c in condition.conditions)
    return all(results) if condition.logical_operator == "and" else any(results)


def _holds(condition: Condition, field: Any) -> bool:
    """One condition on one field's value; a missing field (None) is empty, fails the positive
    comparisons and passes the negative ones."""
    op, value = condition.comparison_operator, condition.value
    if op in ("empty", "not empty"):
        return (field in (None, "", [])) == (op == "empty")
    negative = op in ("not contains", "is not", "not in", "≠")
    if field is None:
        return negative
    text, wanted = str(field), value if isinstance(value, list) else str(value if value is not None else "")
    if op in ("contains", "not contains"):
        return (str(wanted) in text) != negative
    if op == "start with":
        return text.startswith(str(wanted))
    if op == "end with":
        return text.endswith(str(wanted))
    if op in ("is", "is not"):
        return (text == str(wanted)) != negative
    if op in ("in", "not in"):
        options = wanted if isinstance(wanted, list) else [v.strip() for v in str(wanted).split(",")]
        return (text in options) != negative
    if op in ("before", "after"):
        day, limit = _day(field), _day(value)
        return day is not None and limit is not None and (day < limit if op == "before" else day > limit)
    try:
        number, limit_number = float(field), float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return negative
    return {"=": number == limit_number, "≠": number != limit_number, ">": number > limit_number,
            "<": number < limit_number, "≥": number >= limit_number, "≤": number <= limit_number}[op]


def _day(value: Any) -> dt.date | None:
    """A date from YYYY-MM-DD (or a longer ISO time) or a Unix timestamp, as Dify sends either."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(float(value), dt.timezone.utc).date()
        return dt.date.fromisoformat(str(value)[:10])
    except (ValueError, OverflowError, OSError):
        return None
