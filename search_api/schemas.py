"""Response models: what the service answers, documented at /docs (requests: ``request_schemas``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from search_api.request_schemas import Mode


class Citation(BaseModel):
    """Where a quote comes from: ``GET /documents/{doc_id}`` text[char_start:char_end] is the quote."""

    doc_id: str
    title: str | None
    doc_number: str | None
    issuer: str | None
    date: str | None
    doc_type: str | None
    source: str
    page: int | None
    ocr: bool = Field(False, description="the page was read by OCR from a scan: the quote may hold recognition errors")
    ocr_confidence: float | None = Field(None, description="mean OCR confidence of that page (0..1)")
    section: str
    char_start: int
    char_end: int


CONFIDENCE = ("calibrated probability (0..1) that a staff member would judge this relevant, fitted on judged "
              "questions (null when the server has no calibration)")
WEAK = "below the deployment's confidence floor: shown as the nearest text, not as a match"


class Passage(BaseModel):
    rank: int
    score: float
    confidence: float | None = Field(None, description=CONFIDENCE)
    weak: bool = Field(False, description=WEAK)
    text: str
    highlights: list[tuple[int, int]] = Field(description="[start, end) offsets of matched terms in text")
    scores: dict[str, float] = Field(description="per-retriever scores behind the fused score")
    citation: Citation


class DocumentSummary(BaseModel):
    doc_id: str
    source: str
    format: str
    title: str | None
    doc_number: str | None
    issuer: str | None
    date: str | None
    doc_type: str | None
    region: str | None
    proposal_number: str | None
    recipients: list[str]
    cc: list[str]
    chars: int


class OcrPage(BaseModel):
    """A page whose text was read by OCR from a scan."""

    page: int
    confidence: float | None = Field(description="mean recognition confidence of its lines (0..1); null if none read")
    error: str | None = Field(None, description="why the page could not be read; its text is then missing")


class DocumentDetail(DocumentSummary):
    text: str = Field(description="the cleaned text every citation offset refers to")
    page_starts: list[int] = Field(description="offset of each page in text; empty if unpaged")
    ocr_pages: list[OcrPage] = Field(default_factory=list, description="the pages read by OCR, with their confidence")
    content_hash: str
    chunks: int


class DocumentResult(BaseModel):
    rank: int
    score: float
    confidence: float | None = Field(None, description=CONFIDENCE)
    weak: bool = Field(False, description=WEAK)
    document: DocumentSummary
    passages: list[Passage]


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    found: bool = Field(description="whether any result clears the confidence floor; false: nothing matches well, "
                        "the results are only the nearest text")
    floor: float | None = Field(None, description="the confidence floor applied (ZHENGCE_CONFIDENCE_FLOOR or the measured default)")
    passages: list[Passage] = Field(description="ranked passages (empty when by_document)")
    documents: list[DocumentResult] = Field(description="ranked documents (only when by_document)")


class AnswerSentence(BaseModel):
    text: str = Field(description="a sentence quoted verbatim from the cited document")
    score: float
    citation: Citation


class AnswerSpan(BaseModel):
    """The asked fact inside the first answer sentence (a number with its unit, a date, a body)."""

    text: str
    doc_id: str
    char_start: int = Field(description="offset in the document's text")
    char_end: int


class AskResponse(BaseModel):
    question: str
    found: bool = Field(description="whether an answer was given (the opposite of no_answer)")
    no_answer: bool
    reason: Literal["nothing_retrieved", "off_topic", "not_stated", "low_confidence"] | None = Field(
        None, description="why there is no answer: nothing retrieved; nothing on the matter; the documents are on the "
        "matter but do not state what is asked; or the best candidate's confidence is below the floor")
    answer: str | None = Field(description="the answer sentences joined; null when no_answer")
    answer_span: AnswerSpan | None = Field(None, description="the asked fact inside the answer, shown first")
    confidence: float | None = Field(None, description="calibrated probability that the answer holds the right fact; "
                                     "with no_answer, that of the best candidate (null when none held what was asked)")
    floor: float | None = Field(None, description="the answer confidence floor applied")
    message: str | None
    threshold: float = Field(description="the measured score below which no answer is given")
    sentences: list[AnswerSentence]
    passages: list[Passage] = Field(description="the passages the sentences were taken from")
    mode: Literal["extractive", "generated"] = Field(
        "extractive", description="generated: answer is the model's sentences that passed the citation check")
    why: GenerationFallback | None = Field(None, description="with generate: why the answer is extractive")
    why_message: str | None = Field(None, description="why, for the reader (Chinese)")
    generated: GeneratedAnswer | None = Field(None, description="with generate, when the model answered")


GenerationFallback = Literal["no_answer", "no_model", "unreachable", "timeout", "model_error", "too_little_checked"]


class CheckedSentence(BaseModel):
    text: str = Field(description="a sentence the model wrote, with its markers [n]; every number, date, 文号, "
                      "name and quoted phrase in it was found in a passage it cites")
    markers: list[int] = Field(description="the passages it cites: numbers into GeneratedAnswer.citations")
    citations: list[Citation] = Field(description="the cited passages, in the order of markers")


class DroppedSentence(BaseModel):
    text: str = Field(description="a sentence that failed the check; it is not part of the answer")
    code: str = Field(description="no_marker, marker_out_of_range, unsupported_<number|date|doc_number|quote|"
                      "organisation|person>, weak_support")
    reason: str


class GeneratedAnswer(BaseModel):
    model: str
    sentences: list[CheckedSentence] = Field(description="the sentences that passed, in the model's order")
    dropped: list[DroppedSentence]
    kept_share: float = Field(description="share of the generated characters that passed the check")


class InputPart(BaseModel):
    """A part of the /similar input (or of the document): text[char_start:char_end]."""

    index: int
    char_start: int
    char_end: int
    section: str = Field(description="heading path above the part, when the text has headings")


class PrecedentMatch(BaseModel):
    part: int = Field(description="index into parts: which part of the input this passage matches")
    part_char_start: int
    part_char_end: int
    score: float
    passage: Passage


class SimilarDocument(BaseModel):
    rank: int
    score: float
    confidence: float | None = Field(None, description="calibrated probability that this document handled the same "
                                     "matter (null when the server has no calibration)")
    weak: bool = Field(False, description=WEAK)
    document: DocumentSummary
    matches: list[PrecedentMatch]


class SimilarResponse(BaseModel):
    found: bool = Field(description="whether any past document clears the confidence floor; false: no indexed "
                        "document handled the matter, the documents are only the nearest")
    floor: float | None = None
    parts: list[InputPart]
    documents: list[SimilarDocument]


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class FileOutcome(BaseModel):
    """What became of one uploaded file."""

    file: str
    status: Literal["pending", "added", "unchanged", "replaced", "rejected", "conflict", "deleted", "cancelled"] = Field(
        description="replaced: it replaced the document of the same name (replace=true); conflict: a different "
        "document of that name is indexed, or came earlier in the same upload, nothing was changed; deleted: it "
        "was deleted by id before, this upload restored it; cancelled: the job was cancelled before it was indexed"
    )
    doc_id: str | None = None
    title: str | None = None
    reason: str | None = Field(None, description="why a file was rejected or is in conflict")
    message: str | None = Field(None, description="the reason in words for staff (Chinese)")
    replaced_doc_id: str | None = None


class Job(BaseModel):
    """An upload being indexed in the background: GET /jobs/{job_id} until state is done, failed or cancelled."""

    job_id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    created_at: str
    finished_at: str | None = None
    files: list[FileOutcome]
    documents_total: int | None = Field(None, description="documents in the index when the job finished")
    error: str | None = Field(None, description="why the job failed (disk full, index busy ...)")
    message: str | None = Field(None, description="the error in words for staff (Chinese)")


class DeleteResponse(BaseModel):
    doc_id: str
    deleted: bool
    documents_total: int


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    model: str
    documents: int
    chunks: int
    generation: str
    built_at: str | None
    worker_pid: int = Field(description="the server process that answered (zhengce serve --workers N runs N)")


class Error(BaseModel):
    detail: str = Field(description="the technical reason, for programs and the server log")
    message: str | None = Field(None, description="what happened and what to do, in words for staff (Chinese)")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, each answered with an ``Error`` body."""
    return {status: {"model": Error} for status in statuses}


class FieldChange(BaseModel):
    previous: str | None = Field(alias="from")
    now: str | None = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class CorrectedDocument(DocumentSummary):
    corrected: dict[str, FieldChange] = Field(description="the fields this request changed, from what to what")
