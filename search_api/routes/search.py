"""Reads that rank: passages (/search), answer sentences (/ask) and precedents (/similar)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from indexer.retrieval import answers, precedents
from search_api import generation, request_schemas, schemas
from search_api.deps import DOC_ID, ReaderDep, SearcherDep, ServiceDep, check_length, count_of, find_document
from search_api.guards import StrictRoute
from search_api.responses import is_weak, to_citation, to_filters, to_passage, to_similar, to_summary

router = APIRouter(route_class=StrictRoute)
ERRORS = schemas.error_responses(404, 503)


@router.post("/search", response_model=schemas.SearchResponse, responses=ERRORS, tags=["search"])
def search(body: request_schemas.SearchRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> schemas.SearchResponse:
    """Ranked passages (or documents with their best passages), each with a citation and a calibrated
    confidence; ``found`` says whether any clears the floor."""
    check_length(body.query, service.settings.max_query_chars, ("body", "query"))
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    filters = to_filters(body.filters)
    if body.by_document:
        found = searcher.search_documents(body.query, top_k=top_k, mode=body.mode, filters=filters)
        floor = confidence_floor(service, searcher, "document")
        documents = [
            schemas.DocumentResult(
                rank=d.rank, score=float(d.score), confidence=d.confidence, weak=is_weak(d.confidence, floor),
                document=to_summary(d.document),
                passages=[to_passage(h, rank=i, floor=floor) for i, h in enumerate(d.hits, start=1)],
            )
            for d in found
        ]
        service.audit_read(who, "search", body.query, [d.document.doc_id for d in found], mode=body.mode)
        return schemas.SearchResponse(query=body.query, mode=body.mode, found=any_clears(found, floor), floor=floor,
                                      passages=[], documents=documents)
    hits = searcher.search(body.query, top_k=top_k, mode=body.mode, filters=filters)
    floor = confidence_floor(service, searcher, "passage")
    service.audit_read(who, "search", body.query, [h.document.doc_id for h in hits], mode=body.mode)
    return schemas.SearchResponse(query=body.query, mode=body.mode, found=any_clears(hits, floor), floor=floor,
                                  passages=[to_passage(h, floor=floor) for h in hits], documents=[])


def confidence_floor(service: Any, searcher: Any, kind: str) -> float | None:
    """The deployment's floor for ``kind`` (passage, document, similar, answer): the setting, else the
    default measured with the calibration; None without a calibration."""
    if searcher.calibration is None:
        return None
    configured = service.settings.answer_floor if kind == "answer" else service.settings.confidence_floor
    return float(configured) if configured is not None else searcher.calibration.floor(kind)


def any_clears(results: list[Any], floor: float | None) -> bool:
    """Whether any result reaches the floor (without a calibration: whether there is any result)."""
    if floor is None:
        return bool(results)
    return any(r.confidence is not None and r.confidence >= floor for r in results)


@router.post("/ask", response_model=schemas.AskResponse, responses=ERRORS, tags=["search"])
def ask(body: request_schemas.AskRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> schemas.AskResponse:
    """The 1-3 sentences of the top passages that best answer the question, quoted exactly."""
    check_length(body.question, service.settings.max_query_chars, ("body", "question"))
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    hits = searcher.search(body.question, top_k=top_k, mode="hybrid", filters=to_filters(body.filters))
    floor = confidence_floor(service, searcher, "answer")
    # never the writer's model; the searched generation's own sentence vectors where it keeps them
    result = answers.extract_answer(body.question, hits, service.queries, service.threshold, searcher.index,
                                    searcher.calibration, floor)
    sentences = [
        schemas.AnswerSentence(
            text=s.text, score=s.score, citation=to_citation(s.hit.chunk, s.hit.document, s.char_start, s.char_end)
        )
        for s in result.sentences
    ]
    service.audit_read(who, "ask", body.question, [h.document.doc_id for h in hits])
    span = None
    if result.found and result.span is not None:
        document = result.sentences[0].hit.document
        span = schemas.AnswerSpan(text=document.text[result.span[0]:result.span[1]], doc_id=document.doc_id,
                                  char_start=result.span[0], char_end=result.span[1])
    passage_floor = confidence_floor(service, searcher, "passage")
    response = schemas.AskResponse(
        question=body.question,
        found=result.found,
        no_answer=not result.found,
        reason=result.reason,
        answer="".join(s.text for s in result.sentences) if result.found else None,
        answer_span=span,
        confidence=result.confidence,
        floor=floor,
        message=None if result.found else NO_ANSWER[result.reason or answers.OFF_TOPIC],
        threshold=service.threshold,
        sentences=sentences,
        passages=[to_passage(h, floor=passage_floor) for h in hits],
    )
    if body.generate:  # the office's model writes it, every sentence's citations checked (search_api/generation.py)
        response = generation.with_generated(response, hits, service.settings)
    return response


NO_ANSWER = {
    answers.NOTHING_RETRIEVED: "文档库中没有可供回答的内容。",
    answers.OFF_TOPIC: "文档库中没有与这个问题足够相关的内容。",
    answers.NOT_STATED: "相关文件谈到了这件事，但没有写明所问的内容（如数字、日期或单位）。下面是最接近的段落，供核对。",
    answers.UNSURE: "检索到的内容与问题不够相符，不作回答。下面是最接近的段落，供核对。",
}


@router.post("/similar", response_model=schemas.SimilarResponse, responses=ERRORS, tags=["precedents"])
def similar(body: request_schemas.SimilarRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> schemas.SimilarResponse:
    """Past documents most like a new proposal or draft, with the passages that match each part."""
    check_length(body.text, service.settings.max_similar_chars, ("body", "text"))
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    parts = precedents.input_parts(body.text, searcher.index)
    texts = [body.text[p.char_start : p.char_end] for p in parts]
    vectors = service.queries.encode_queries(texts)  # the query models: never waits for an upload
    found = precedents.find_precedents(
        searcher.index, parts, texts, vectors, top_k=top_k, filters=to_filters(body.filters)
    )
    precedents.calibrate(found, searcher.calibration)
    service.audit_read(who, "similar", body.text, [p.document.doc_id for p in found])
    return to_similar(found, parts, confidence_floor(service, searcher, "similar"))


@router.get("/documents/{doc_id}/similar", response_model=schemas.SimilarResponse, responses=ERRORS, tags=["precedents"])
def similar_to_document(
    doc_id: DOC_ID, params: Annotated[request_schemas.SimilarQuery, Query()], service: ServiceDep, searcher: SearcherDep,
) -> schemas.SimilarResponse:
    """Other indexed documents most like this one; part offsets index this document's text."""
    top_k = count_of(params, "top_k", service.settings, ("query", "top_k"))
    document = find_document(searcher, doc_id)
    parts, vectors = precedents.document_parts(searcher.index, doc_id)
    texts = [document.text[p.char_start : p.char_end] for p in parts]
    found = precedents.find_precedents(searcher.index, parts, texts, vectors, top_k=top_k, exclude_doc_id=doc_id)
    precedents.calibrate(found, searcher.calibration)
    return to_similar(found, parts, confidence_floor(service, searcher, "similar"))
