"""From a proposal's text to a draft: read it, find material per ask, take the passages staff ticked
(or the best ones), assemble, and apply staff's edits. The HTTP service and `zhengce draft` both
draft through ``compose``, so they give the same draft for the same input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from indexer.drafting.draft import Draft, Paragraph, Section, SectionRewriter, assemble_draft
from indexer.drafting.office import OfficeSettings, Role
from indexer.errors import NotFound
from indexer.gongwen.proposal import Proposal, read_proposal
from indexer.retrieval.filters import SearchFilters
from indexer.retrieval.material import AskMaterial, find_material
from indexer.retrieval.search import Hit, Searcher


@dataclass
class Composed:
    proposal: Proposal
    asks: list[str]
    material: list[AskMaterial]  # empty when no search was needed (staff sent every section)
    ticked: list[list[Hit]]
    draft: Draft


@dataclass
class EditedSection:
    heading: str | None
    text: str
    sources: list[str]  # chunk ids


def compose(
    searcher: Searcher,
    text: str,
    office: OfficeSettings,
    *,
    day: dt.date,
    asks: list[str] | None = None,
    ticked_ids: list[list[str]] | None = None,
    role: Role | None = None,
    result_code: str | None = None,
    filters: SearchFilters | None = None,
    search: bool = True,
    rewrite: SectionRewriter | None = None,
) -> Composed:
    proposal = read_proposal(text)
    asks = asks or [proposal.ask_text(ask) for ask in proposal.asks] or [proposal.text]
    material = find_material(searcher, asks, filters=filters) if search else []
    defaults = [m.default_ticks() for m in material] if material else [[] for _ in asks]
    chosen = ticked_ids or []  # per part in order; a part without a list keeps the best passages
    ticked = [[hit_of(searcher, chunk_id) for chunk_id in chosen[i]] if i < len(chosen) else defaults[i]
              for i in range(len(asks))]
    found = [m.found for m in material] if material else [bool(t) for t in ticked]
    draft = assemble_draft(proposal, asks, ticked, found, office, day=day, role=role,
                           result_code=result_code, rewrite=rewrite)
    return Composed(proposal, asks, material, ticked, draft)


def hit_of(searcher: Searcher, chunk_id: str) -> Hit:
    """The indexed passage a chunk id ("doc_id:index") names; NotFound when it is gone."""
    doc_id, _, position = chunk_id.rpartition(":")
    rows = searcher.index.rows_of(doc_id) if doc_id in searcher.index.documents else range(0)
    if not position.isdigit() or int(position) >= len(rows):
        raise NotFound(f"所选段落 {chunk_id} 已不在索引中（文件可能已更新或删除），请重新查找先例")
    chunk = searcher.index.chunks[rows[int(position)]]
    return Hit(0, 0.0, chunk, searcher.index.documents[doc_id], [], {})


def apply_edits(composed: Composed, searcher: Searcher, sections: list[EditedSection] | None,
                title: str | None = None, recipient: str | None = None) -> Draft:
    """The draft with staff's text: their sections (each with its passages' sources), title, 主送."""
    from indexer.drafting.draft import source_of

    draft = composed.draft
    if title:
        draft.title = title.strip()
    if recipient:
        draft.recipient = recipient.strip()
    if sections is not None:
        edited = []
        for i, section in enumerate(sections):
            lines = [line.strip() for line in section.text.split("\n") if line.strip()]
            paragraphs = [Paragraph(line) for line in lines] or [Paragraph("")]
            paragraphs[0].sources = [source_of(hit_of(searcher, chunk_id)) for chunk_id in section.sources]
            ask = composed.asks[i] if i < len(composed.asks) else ""
            edited.append(Section(section.heading, paragraphs, ask, bool(section.sources)))
        draft.sections = edited
    return draft


def read_proposal_file(path: Path) -> Proposal:
    """A proposal from a file (.docx, .pdf, .ofd, .doc/.wps, .txt, .html): paginated formats are
    cleaned as documents are (their lines are wrapped), the others keep their lines."""
    from indexer.gongwen.clean import clean
    from indexer.ingest import PAGED_FORMATS, extract

    extracted = extract(path)
    if extracted.format in PAGED_FORMATS:
        return read_proposal(clean(extracted.pages).text)
    return read_proposal("\n".join(extracted.pages))
