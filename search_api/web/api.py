"""JSON endpoints only the web page needs: filter counts, a document's outline, staff judgments,
and the .docx 参考材料 of a precedent list. Everything else the page reads from the public API."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from datetime import datetime
from typing import Annotated, Any, get_type_hints

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field, create_model, field_validator, model_validator

from eval.judgments import JudgmentLog, StaffJudgment
from indexer.errors import BadInput, NotFound
from search_api import request_schemas, schemas, words
from search_api.auth import ANONYMOUS, SCOPE_KEY
from search_api.guards import StrictRoute, carries_result
from search_api.web.reference import precedents_docx
from search_api.web.settings import WebSettings

router = APIRouter(prefix="/web/api", tags=["web page"], route_class=StrictRoute)  # the API's JSON guard
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC_ID = Annotated[str, PathParam(min_length=1, max_length=200)]
_STATE_LOCK = threading.Lock()


class WebState:
    """Per app: the web settings and the one judgment log every request appends to."""

    def __init__(self, index_dir: Any) -> None:
        self.settings = WebSettings()
        self.judgments = JudgmentLog(self.settings.judgments_path(index_dir))
        self.eval_dir = self.settings.eval_dir(index_dir)
        self._marks: dict[str, deque[float]] = {}  # key name -> times of its marks in the last hour
        self._marks_lock = threading.Lock()

    def allow_mark(self, key: str, per_hour: int) -> bool:
        """Whether ``key`` may make one more mark now (and count it)."""
        now = time.monotonic()
        with self._marks_lock:
            times = self._marks.setdefault(key, deque())
            while times and now - times[0] > 3600:
                times.popleft()
            if len(times) >= per_hour:
                return False
            times.append(now)
            return True


def service_of(request: Request) -> Any:
    return request.app.state.service


def web_state(request: Request) -> WebState:
    with _STATE_LOCK:
        state = getattr(request.app.state, "web", None)
        if state is None:
            state = request.app.state.web = WebState(service_of(request).settings.index_dir)
    return state


def index_of(request: Request) -> Any:
    """The index generation current now (the same one /search reads)."""
    service = service_of(request)
    if service.searcher is None:
        raise HTTPException(503, service.load_error or "the index is not loaded yet")
    return service.searcher.index


# ---------------------------------------------------------------- facet counts


class FacetValue(BaseModel):
    value: str
    count: int


class FacetCounts(BaseModel):
    total: int = Field(description="documents matching every given filter")
    facets: dict[str, list[FacetValue]] = Field(description="issuer, doc_type, region, year: documents per value")


FACET_FIELDS = {  # facet -> (how a document's value is read, the filter fields the facet itself sets)
    "issuer": (lambda meta: meta.issuer, ("issuer",)),
    "doc_type": (lambda meta: meta.doc_type, ("doc_type",)),
    "region": (lambda meta: meta.region, ("region",)),
    "year": (lambda meta: meta.date[:4] if meta.date else None, ("date_from", "date_to")),
}


def search_filters(filters: request_schemas.Filters, drop: tuple[str, ...] = ()) -> Any:
    from indexer.retrieval.filters import SearchFilters

    values = filters.model_dump()
    for name in ("date_from", "date_to"):
        if values[name] is not None:
            values[name] = values[name].isoformat()
    for name in drop:
        values[name] = None
    return SearchFilters(**values)


@router.get("/facets", response_model=FacetCounts)
def facets(request: Request, filters: Annotated[request_schemas.Filters, Query()]) -> FacetCounts:
    """Documents per 发文机关, 文种, 地区 and 年份, each counted under the other facets' filters,
    so a count says how many documents choosing that value would leave."""
    documents = list(index_of(request).documents.values())
    everything = search_filters(filters)
    counted: dict[str, list[FacetValue]] = {}
    for name, (value_of, own) in FACET_FIELDS.items():
        others = search_filters(filters, drop=own)
        counts = Counter(value_of(d.meta) for d in documents if others.matches(d))
        counts.pop(None, None)
        counted[name] = [FacetValue(value=v, count=c) for v, c in sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))]
    return FacetCounts(total=sum(everything.matches(d) for d in documents), facets=counted)


# ---------------------------------------------------------------- outline


class OutlineEntry(BaseModel):
    heading: str
    depth: int = Field(description="1 for 一、, 2 for （一）, ...")
    char_start: int = Field(description="where the heading is in the document's text")


@router.get("/documents/{doc_id}/outline", response_model=list[OutlineEntry])
def outline(request: Request, doc_id: DOC_ID) -> list[OutlineEntry]:
    """The document's headings in order, from its chunks' heading paths."""
    index = index_of(request)
    document = index.documents.get(doc_id)
    if document is None:
        raise NotFound(f"no document with doc_id {doc_id!r} in the index")
    entries, seen, cursor = [], set(), 0
    for row in index.rows_of(doc_id):
        chunk = index.chunks[row]
        path = [part for part in chunk.section.split(" > ") if part] if chunk.section else []
        for depth in range(1, len(path) + 1):
            if tuple(path[:depth]) in seen:
                continue
            seen.add(tuple(path[:depth]))
            heading = path[depth - 1]
            found = document.text.find(heading, cursor)
            start = found if found >= 0 else chunk.char_start
            cursor = max(cursor, start)
            entries.append(OutlineEntry(heading=heading, depth=depth, char_start=start))
    return entries


# ---------------------------------------------------------------- judgments


class JudgmentIn(request_schemas.Request):
    query: str = Field(..., min_length=1, max_length=2000)
    doc_id: str = Field(..., min_length=1, max_length=200)
    char_start: int = Field(..., ge=0)
    char_end: int = Field(..., ge=0)
    relevant: bool
    who: str = Field(..., min_length=1, max_length=100, description="the judge's name")

    @field_validator("query", "who")
    @classmethod
    def _stripped(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be only whitespace")
        return value.strip()

    @model_validator(mode="after")
    def _ordered(self) -> JudgmentIn:
        if self.char_end <= self.char_start:
            raise ValueError(f"char_end {self.char_end} must be after char_start {self.char_start}")
        return self


# a mark as the API returns it: every field of the log's record, each one always present
_REQUIRED_FIELDS: dict[str, Any] = {name: (kind, ...) for name, kind in get_type_hints(StaffJudgment).items()}
JudgmentOut = create_model("JudgmentOut", **_REQUIRED_FIELDS)


@router.post("/judgments", response_model=JudgmentOut, status_code=201, responses={
    401: {"model": schemas.Error}, 404: {"model": schemas.Error}, 429: {"model": schemas.Error}})
def add_judgment(request: Request, body: JudgmentIn) -> StaffJudgment:
    """Keep one 相关 / 不相关 mark; the passage must be one of an indexed document's. A mark belongs to
    the key that made it (an X-API-Key, or the key the page signed in with), at most
    ``max_judgments_per_hour`` of them an hour."""
    caller = request.scope.get(SCOPE_KEY, ANONYMOUS)
    document = index_of(request).documents.get(body.doc_id)
    if document is None:
        raise NotFound(f"no document with doc_id {body.doc_id!r} in the index")
    if body.char_end > len(document.text):
        raise BadInput(f"char_end {body.char_end} is past the end of the document ({len(document.text)} characters)")
    state = web_state(request)
    if not state.allow_mark(caller.name, service_of(request).settings.max_judgments_per_hour):
        raise HTTPException(429, words.TOO_MANY_MARKS.format(limit=service_of(request).settings.max_judgments_per_hour))
    judgment = StaffJudgment(**body.model_dump(), api_key=caller.name)
    state.judgments.append(judgment)
    return judgment


@router.get("/judgments", response_model=list[JudgmentOut], responses={401: {"model": schemas.Error}})
def list_judgments(
    request: Request, query: Annotated[str | None, Query(max_length=2000, description="only this query's")] = None
) -> list[StaffJudgment]:
    """The current mark of each (query, passage, judge) made with the caller's key; an admin key sees all."""
    caller = request.scope.get(SCOPE_KEY, ANONYMOUS)
    marks = web_state(request).judgments.latest()
    return [m for m in marks if (query is None or m.query == query.strip())
            and (caller.role == "admin" or m.api_key == caller.name)]


# ---------------------------------------------------------------- .docx export


class PrecedentsExport(request_schemas.Request):
    text: str = Field(..., min_length=1, max_length=20000, description="the pasted proposal or draft")
    result: schemas.SimilarResponse = Field(description="what POST /similar returned for text")


@router.post("/precedents.docx", response_class=Response, responses={200: {"content": {DOCX_TYPE: {}}}})
@carries_result
def export_precedents(body: PrecedentsExport) -> Response:
    """The precedent list with its quotes and citations as a Word file for the drafter."""
    content = precedents_docx(body.text, body.result, datetime.now())
    filename = f"参考材料-{datetime.now():%Y%m%d-%H%M}.docx"
    disposition = f"attachment; filename=\"precedents.docx\"; filename*=UTF-8''{_quoted(filename)}"
    return Response(content, media_type=DOCX_TYPE, headers={"Content-Disposition": disposition})


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
