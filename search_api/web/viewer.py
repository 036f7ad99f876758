"""What the 原文 page reads besides the document itself: the query's terms in the whole text, the
original file's availability, corrected fields, and each page of a PDF, OFD or scan with its
printed lines (which the page boxes where they hold the cited passage)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from indexer.errors import NotFound
from indexer.gongwen.corrections import CORRECTABLE, Corrections
from indexer.gongwen.pagemap import line_offsets
from indexer.index.lexical import query_terms
from indexer.retrieval.search import highlight_spans
from search_api.auth import SCOPE_KEY
from search_api.guards import StrictRoute
from search_api.originals import original_file
from search_api.web.api import index_of
from search_api.web.pageimage import lines_of_page, page_count, page_png
from search_api.words import for_page

router = APIRouter(prefix="/web/api/documents", tags=["web page"], route_class=StrictRoute)
DOC_ID = Annotated[str, PathParam(min_length=1, max_length=200)]
PAGE = Annotated[int, PathParam(ge=1, le=100_000)]


class Correction(BaseModel):
    fields: dict[str, str | None] = Field(description="the fields staff corrected, as corrected")
    history: list[dict[str, Any]] = Field(description="who changed what, when")


class UnreadPage(BaseModel):
    page: int
    message: str = Field(description="what staff read: which page was not read, why, and what to do")
    detail: str = Field(description="the reader's technical reason")


class Viewing(BaseModel):
    original: bool = Field(description="whether the original file can be downloaded")
    pages: int = Field(description="pages that can be shown as pictures (PDF, OFD, scans); 0 for other formats")
    correctable: list[str]
    can_correct: bool = Field(description="whether the caller (key or signed-in page) may correct the metadata")
    correction: Correction | None
    unread_pages: list[UnreadPage] = Field(description="pages whose text was not read (a failed OCR, text drawn as "
                                           "outlines, a background picture left unread): not searchable")


class LineBox(BaseModel):
    box: tuple[float, float, float, float] = Field(description="x0, y0, x1, y1 as shares (0..1) of the page's width and height")
    char_start: int
    char_end: int


class PageView(BaseModel):
    page: int
    width: float
    height: float
    unit: str
    lines: list[LineBox] = Field(description="the page's lines found in the document's text, in reading order")


def _document(request: Request, doc_id: str) -> Any:
    document = index_of(request).documents.get(doc_id)
    if document is None:
        raise NotFound(f"no document with doc_id {doc_id!r} in the index")
    return document


def _found(request: Request, doc_id: str) -> tuple[Any, Any]:
    """The document and its original file (None when not at hand)."""
    document = _document(request, doc_id)
    return document, original_file(request.app.state.service, document)


@router.get("/{doc_id}/view", response_model=Viewing)
def viewing(request: Request, doc_id: DOC_ID) -> Viewing:
    """What the viewer can offer for this document beyond its text."""
    document, original = _found(request, doc_id)
    entry = Corrections.of_index(request.app.state.service.settings.index_dir).read().get(document.content_hash)
    correction = Correction(fields=entry.get("fields", {}), history=entry.get("history", [])) if entry else None
    caller = request.scope.get(SCOPE_KEY)
    role = caller.role if caller is not None else None
    return Viewing(original=original is not None, pages=page_count(document) if original is not None else 0,
                   correctable=list(CORRECTABLE), can_correct=role in ("write", "admin"), correction=correction,
                   unread_pages=[UnreadPage(page=facts.page, message=for_page(facts.page, facts.error), detail=facts.error)
                                 for facts in document.ocr_pages if facts.error])


@router.get("/{doc_id}/marks", response_model=list[tuple[int, int]])
def marks(request: Request, doc_id: DOC_ID, q: Annotated[str, Query(min_length=1, max_length=2000)]) -> list[tuple[int, int]]:
    """[start, end) of every term of the query ``q`` in the document's text, as search marks them in a passage."""
    document = _document(request, doc_id)
    return highlight_spans(document.text, query_terms(q))


@router.get("/{doc_id}/pages/{page}", response_model=PageView)
def page_view(request: Request, doc_id: DOC_ID, page: PAGE) -> PageView:
    """The page's printed lines with the offsets of the text they hold; the first view of a page reads
    its original (a scan's lines were kept when it was indexed)."""
    document, original = _found(request, doc_id)
    lines = lines_of_page(document, original, page)
    boxes = [
        LineBox(box=(x0 / lines.width, y0 / lines.height, x1 / lines.width, y1 / lines.height), char_start=start, char_end=end)
        for number, start, end in line_offsets(document.text, document.page_starts, page, lines)
        for _, x0, y0, x1, y1 in [lines.lines[number]]
    ]
    return PageView(page=page, width=lines.width, height=lines.height, unit=lines.unit, lines=boxes)


@router.get("/{doc_id}/pages/{page}/image", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def page_image(request: Request, doc_id: DOC_ID, page: PAGE) -> Response:
    """The page as a PNG (at most 2 million pixels)."""
    document, original = _found(request, doc_id)
    return Response(page_png(document, original, page), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})
