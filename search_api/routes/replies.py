"""Reply drafting: from a new proposal to the draft of its 答复 (or 会办意见), as JSON or as a .docx."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Response, UploadFile

from indexer.drafting.compose import Composed, EditedSection, apply_edits, compose, read_proposal_file
from indexer.drafting.draft import Draft
from indexer.drafting.office import OfficeSettings, office_settings
from indexer.drafting.reply_docx import reply_docx
from indexer.errors import BadInput
from indexer.gongwen.proposal import Proposal
from indexer.ingest import FORMATS
from indexer.retrieval.material import document_tier
from search_api import reply_schemas as rs
from search_api import schemas, words
from search_api.deps import ReaderDep, SearcherDep, ServiceDep, check_length
from search_api.errors import invalid
from search_api.guards import StrictRoute
from search_api.responses import to_filters, to_passage

router = APIRouter(route_class=StrictRoute, tags=["replies"])
ERRORS = schemas.error_responses(404, 503)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NO_PRECEDENT = "未找到往期处理过类似事项的文件；草稿中此部分留待撰写。"


@router.post("/replies/draft", response_model=rs.ReplyResponse, responses=ERRORS)
def draft_reply(body: rs.ReplyRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> rs.ReplyResponse:
    """The proposal as read (title, proposer, number, session, parts), the past passages that
    handled each part (replies first; a part without a real precedent says so), and the draft."""
    office, composed, day = _compose(body, service, searcher)
    service.audit_read(who, "reply", body.text, sorted({h.document.doc_id for m in composed.material for h in m.passages}))
    ticked = [{hit.chunk.chunk_id for hit in hits} for hits in composed.ticked]
    asks = [
        rs.AskMaterialOut(
            index=m.index, text=m.text, found=m.found, message=None if m.found else NO_PRECEDENT,
            passages=[rs.MaterialPassage(**to_passage(hit).model_dump(), chunk_id=hit.chunk.chunk_id,
                                         tier=document_tier(hit.document), ticked=hit.chunk.chunk_id in ticked[m.index])
                      for hit in m.passages],
        )
        for m in composed.material
    ]
    return rs.ReplyResponse(proposal=_proposal_out(composed.proposal), asks=asks, draft=_draft_out(composed.draft, day),
                            office=rs.OfficeOut(name=office.name, role=office.role, result_codes=office.result_codes))


@router.post("/replies/draft.docx", response_class=Response,
             responses={200: {"content": {DOCX_TYPE: {}}, "description": "the draft in the GB/T 9704 layout",
                              "headers": {"X-Draft-Missing": {"description": "what staff must still fill in, 、-separated, "
                                                              "percent-encoded", "schema": {"type": "string"}}}},
                        **ERRORS})
def draft_reply_docx(body: rs.ReplyRequest, service: ServiceDep, searcher: SearcherDep, who: ReaderDep) -> Response:
    """The draft as a Word file an office can send (A4, 仿宋 3号, 22 lines of 28 characters), its
    sources as comments. What staff have not given yet (the 办理结果 of a 答复, the office's name) is
    printed as a 【待填写】 mark, never guessed, and listed in the X-Draft-Missing header."""
    _, composed, day = _compose(body, service, searcher)
    draft = composed.draft
    content = reply_docx(draft)
    name = draft.file_name(day)
    headers = {"Content-Disposition": f"attachment; filename=\"reply.docx\"; filename*=UTF-8''{quote(name, safe='')}",
               "X-Draft-Missing": quote("、".join(draft.missing), safe="")}
    return Response(content, media_type=DOCX_TYPE, headers=headers)


@router.post("/replies/read", response_model=rs.ReadProposal)
def read_proposal_upload(
    file: Annotated[UploadFile, File(description="the proposal: .docx, .pdf, .ofd, .doc/.wps, .txt, .html")],
    service: ServiceDep,
) -> rs.ReadProposal:
    """Read an uploaded proposal (nothing is stored or indexed): its text, title, proposer and parts."""
    name = Path(file.filename or "proposal.txt").name
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise BadInput(words.READ_UNSUPPORTED.format(suffix=suffix or "（无扩展名）", formats="、".join(sorted(FORMATS))))
    limit = service.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise BadInput(words.READ_TOO_LARGE.format(name=name, mib=limit // (1024 * 1024)))
    with tempfile.TemporaryDirectory(prefix="zhengce-proposal-") as folder:
        path = Path(folder) / f"proposal{suffix}"
        path.write_bytes(data)
        proposal = read_proposal_file(path)
    if not proposal.text.strip():
        raise BadInput(words.READ_NO_TEXT.format(name=name))
    return rs.ReadProposal(file=name, proposal=_proposal_out(proposal))


def _compose(body: rs.ReplyRequest, service: Any, searcher: Any) -> tuple[OfficeSettings, Composed, dt.date]:
    check_length(body.text, service.settings.max_similar_chars, ("body", "text"))
    parts, chars = rs.part_limits(service.settings)
    for name in ("asks", "ticked", "sections"):
        if len(getattr(body, name) or []) > parts:
            raise invalid(("body", name), f"{name} may hold at most {parts} parts on this server", parts)
    for i, ask in enumerate(body.asks or []):
        check_length(ask, chars, ("body", "asks", str(i)))
    for i, section in enumerate(body.sections or []):
        check_length(section.text, chars, ("body", "sections", str(i), "text"))
    office = office_settings()
    day = body.date or dt.date.today()
    sections = [EditedSection(s.heading, s.text, s.sources) for s in body.sections] if body.sections else None
    ticked = body.ticked if body.ticked is not None else ([s.sources for s in sections] if sections else None)
    composed = compose(
        searcher, body.text, office, day=day, asks=body.asks, ticked_ids=ticked, role=body.role,
        result_code=body.result_code, filters=to_filters(body.filters), search=sections is None,
    )
    apply_edits(composed, searcher, sections, body.title, body.recipient)
    return office, composed, day


def _proposal_out(proposal: Proposal) -> rs.ProposalInfo:
    return rs.ProposalInfo(
        text=proposal.text, title=proposal.title, proposer=proposal.proposer, proposer_kind=proposal.proposer_kind,
        number=proposal.number, kind=proposal.kind, session=proposal.session,
        asks=[rs.ProposalAsk(index=a.index, text=proposal.ask_text(a), char_start=a.char_start, char_end=a.char_end,
                             marker=a.marker) for a in proposal.asks],
    )


def _draft_out(draft: Draft, day: dt.date) -> rs.DraftOut:
    sections = [
        rs.DraftSection(heading=s.heading, ask=s.ask, found=s.found, paragraphs=[
            rs.DraftParagraph(text=p.text, sources=[
                rs.DraftSource(chunk_id=src.chunk_id, citation=schemas.Citation(**src.citation), quote=src.quote)
                for src in p.sources
            ])
            for p in s.paragraphs
        ])
        for s in draft.sections
    ]
    values = {k: getattr(draft, k) for k in ("role", "title", "recipient", "opening", "closing", "signature", "date",
                                             "contact", "disclosure", "cc", "result_code", "result_label", "missing")}
    return rs.DraftOut(**values, sections=sections, file_name=draft.file_name(day))

