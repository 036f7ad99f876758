"""Retrieval results (hits, documents, precedents) as the response models of ``schemas``."""

from __future__ import annotations

from typing import Any

from indexer.retrieval import precedents
from indexer.retrieval.citations import citation_of
from search_api import request_schemas, schemas


def to_filters(filters: request_schemas.Filters | None) -> Any:
    from indexer.retrieval.filters import SearchFilters

    if filters is None:
        return None
    values = filters.model_dump(include=set(request_schemas.Filters.model_fields))
    for name in ("date_from", "date_to"):
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return SearchFilters(**values)


def to_citation(chunk: Any, document: Any, start: int | None = None, end: int | None = None) -> schemas.Citation:
    return schemas.Citation(**citation_of(chunk, document, start, end))


def is_weak(confidence: float | None, floor: float | None) -> bool:
    """Below the floor: shown as the nearest text, not as a match."""
    return confidence is not None and floor is not None and confidence < floor


def to_passage(hit: Any, rank: int | None = None, floor: float | None = None) -> schemas.Passage:
    return schemas.Passage(
        rank=hit.rank if rank is None else rank,
        score=float(hit.score),
        confidence=hit.confidence,
        weak=is_weak(hit.confidence, floor),
        text=hit.chunk.text,
        highlights=[(int(s), int(e)) for s, e in hit.highlights],
        scores={name: float(value) for name, value in hit.scores.items()},
        citation=to_citation(hit.chunk, hit.document),
    )


def to_summary(document: Any) -> schemas.DocumentSummary:
    meta = document.meta
    return schemas.DocumentSummary(
        doc_id=document.doc_id,
        source=document.source,
        format=document.format,
        title=meta.title,
        doc_number=meta.doc_number,
        issuer=meta.issuer,
        date=meta.date,
        doc_type=meta.doc_type,
        region=meta.region,
        proposal_number=meta.proposal_number,
        recipients=list(meta.recipients),
        cc=list(meta.cc),
        chars=len(document.text),
    )


def to_similar(found: list[precedents.Precedent], parts: list[precedents.Part],
               floor: float | None = None) -> schemas.SimilarResponse:
    return schemas.SimilarResponse(
        found=any(p.confidence is None or p.confidence >= floor for p in found) if floor is not None else bool(found),
        floor=floor,
        parts=[
            schemas.InputPart(index=p.index, char_start=p.char_start, char_end=p.char_end, section=p.section)
            for p in parts
        ],
        documents=[
            schemas.SimilarDocument(
                rank=rank,
                score=p.score,
                confidence=p.confidence,
                weak=is_weak(p.confidence, floor),
                document=to_summary(p.document),
                matches=[
                    schemas.PrecedentMatch(
                        part=m.part.index,
                        part_char_start=m.part.char_start,
                        part_char_end=m.part.char_end,
                        score=m.score,
                        passage=to_passage(m.hit),
                    )
                    for m in p.matches
                ],
            )
            for rank, p in enumerate(found, start=1)
        ],
    )
