"""Reads that rank: passages (/search), answer sentences (/ask) and precedents (/similar)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from indexer.retrieval import answers, precedents
from search_api import generation, schemas
from search_api.deps import DOC_ID, ReaderDep, SearcherDep, ServiceDep, check_length, count_of, find_document
from search_api.guards import StrictRoute
from search_api.responses import to_citation, to_filters, to_passage, to_similar, to_summary

router = APIRouter(route_class=StrictRoute)
ERRORS = schemas.error_responses(404, 503)


@router.post("/search", response_model=schemas.SearchResponse, responses=ERRORS, tags=["search"])
def search(body: schemas.SearchRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> schemas.SearchResponse:
    """Ranked passages (or documents with their best passages), each with a citation."""
    check_length(body.query, service.settings.max_query_chars, ("body", "query"))
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    filters = to_filters(body.filters)
    if body.by_document:
        found = searcher.search_documents(body.query, top_k=top_k, mode=body.mode, filters=filters)
        documents = [
            schemas.DocumentResult(
                rank=d.rank, score=float(d.score), document=to_summary(d.document),
                passages=[to_passage(h, rank=i) for i, h in enumerate(d.hits, start=1)],
            )
            for d in found
        ]
        service.audit_read(who, "search", body.query, [d.document.doc_id for d in found], mode=body.mode)
        return schemas.SearchResponse(query=body.query, mode=body.mode, passages=[], documents=documents)
    hits = searcher.search(body.query, top_k=top_k, mode=body.mode, filters=filters)
    service.audit_read(who, "search", body.query, [h.document.doc_id for h in hits], mode=body.mode)
    return schemas.SearchResponse(query=body.query, mode=body.mode, passages=[to_passage(h) for h in hits], documents=[])


@router.post("/ask", response_model=schemas.AskResponse, responses=ERRORS, tags=["search"])
def ask(body: schemas.AskRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> schemas.AskResponse:
    """The 1-3 sentences of the top passages that best answer the question, quoted exactly."""
    check_length(body.question, service.settings.max_query_chars, ("body", "question"))
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    hits = searcher.search(body.question, top_k=top_k, mode="hybrid", filters=to_filters(body.filters))
    # never the writer's model; the searched generation's own sentence vectors where it keeps them
    result = answers.extract_answer(body.question, hits, service.queries, service.threshold, searcher.index)
    sentences = [
        schemas.AnswerSentence(
            text=s.text, score=s.score, citation=to_citation(s.hit.chunk, s.hit.document, s.char_start, s.char_end)
        )
        for s in result.sentences
    ]
    service.audit_read(who, "ask", body.question, [h.document.doc_id for h in hits])
    if result.found:
        message = None
    elif result.best_score is None:
        message = "no passage matched the question"
    else:
        message = (
            f"no sentence in the top {len(hits)} passages answers the question well enough "
            f"(best score {result.best_score:.3f} < threshold {service.threshold:.3f})"
        )
    response = schemas.AskResponse(
        question=body.question,
        no_answer=not result.found,
        answer="".join(s.text for s in result.sentences) if result.found else None,
        message=message,
        threshold=service.threshold,
        sentences=sentences,
        passages=[to_passage(h) for h in hits],
    )
    if body.generate:  # the office's model writes it, every sentence's citations checked (search_api/generation.py)
        response = generation.with_generated(response, hits, service.settings)
    return response


@router.post("/similar", response_model=schemas.SimilarResponse, responses=ERRORS, tags=["precedents"])
def similar(body: schemas.SimilarRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> schemas.SimilarResponse:
    """Past documents most like a new proposal or draft, with the passages that match each part."""
    check_length(body.text, service.settings.max_similar_chars, ("body", "text"))
    top_k = count_of(body, "top_k", service.settings, ("body", "top_k"))
    parts = precedents.input_parts(body.text, searcher.index)
    texts = [body.text[p.char_start : p.char_end] for p in parts]
    vectors = service.queries.encode_queries(texts)  # the query models: never waits for an upload
    found = precedents.find_precedents(
        searcher.index, parts, texts, vectors, top_k=top_k, filters=to_filters(body.filters)
    )
    service.audit_read(who, "similar", body.text, [p.document.doc_id for p in found])
    return to_similar(found, parts)


@router.get("/documents/{doc_id}/similar", response_model=schemas.SimilarResponse, responses=ERRORS, tags=["precedents"])
def similar_to_document(
    doc_id: DOC_ID, params: Annotated[schemas.SimilarQuery, Query()], service: ServiceDep, searcher: SearcherDep,
) -> schemas.SimilarResponse:
    """Other indexed documents most like this one; part offsets index this document's text."""
    top_k = count_of(params, "top_k", service.settings, ("query", "top_k"))
    document = find_document(searcher, doc_id)
    parts, vectors = precedents.document_parts(searcher.index, doc_id)
    texts = [document.text[p.char_start : p.char_end] for p in parts]
    found = precedents.find_precedents(searcher.index, parts, texts, vectors, top_k=top_k, exclude_doc_id=doc_id)
    return to_similar(found, parts)
