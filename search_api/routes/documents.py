"""The indexed documents: list, read, upload, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from indexer.errors import NotFound
from search_api import request_schemas, schemas
from search_api.deps import DOC_ID, CallerDep, SearcherDep, ServiceDep, count_of, find_document, get_searcher
from search_api.errors import failure_message
from search_api.guards import StrictRoute
from search_api.responses import to_filters, to_summary
from search_api.routes.jobs import in_words
from search_api.uploads import accept_uploads

router = APIRouter(tags=["documents"], route_class=StrictRoute)
ERRORS = schemas.error_responses(404, 503)
WRITE_ERRORS = (401, 403, 409)


@router.get("/documents", response_model=schemas.DocumentPage, responses={503: {"model": schemas.Error}})
def list_documents(
    params: Annotated[request_schemas.DocumentQuery, Query()], service: ServiceDep, searcher: SearcherDep
) -> schemas.DocumentPage:
    """Indexed documents in id order, filtered by metadata, one page at a time."""
    limit = count_of(params, "limit", service.settings, ("query", "limit"))
    wanted = to_filters(params)
    selected = [d for d in sorted(searcher.index.documents.values(), key=lambda d: d.doc_id) if wanted.matches(d)]
    page = selected[params.offset : params.offset + limit]
    return schemas.DocumentPage(
        total=len(selected), offset=params.offset, limit=limit, documents=[to_summary(d) for d in page]
    )


@router.get("/documents/{doc_id}", response_model=schemas.DocumentDetail, responses=ERRORS)
def get_document(doc_id: DOC_ID, searcher: SearcherDep) -> schemas.DocumentDetail:
    """Metadata and the cleaned text that every citation's char_start/char_end index."""
    document = find_document(searcher, doc_id)
    return schemas.DocumentDetail(
        **to_summary(document).model_dump(),
        text=document.text,
        page_starts=list(document.page_starts),
        ocr_pages=[facts.to_dict() for facts in document.ocr_pages],
        content_hash=document.content_hash,
        chunks=len(searcher.index.rows_of(doc_id)),
    )


@router.post(
    "/documents", status_code=202, response_model=schemas.Job,
    responses=schemas.error_responses(*WRITE_ERRORS, 408, 413, 503, 507),
)
def upload_documents(
    files: Annotated[list[UploadFile], File(description="PDF, DOCX, TXT/MD (any Chinese encoding), HTML")],
    service: ServiceDep,
    who: CallerDep,
    response: Response,
    replace: Annotated[bool, Query(description="replace an indexed document of the same name (admin role)")] = False,
) -> schemas.Job:
    """Store the files and index them in the background: 202 with a job (its URL in Location);
    GET /jobs/{job_id} tells when they are searchable and what became of each file. Needs a key with
    the write role; with replace=true, which removes the document it replaces, the admin role."""
    job = accept_uploads(service, files, replace, who["key"], who["client"])
    response.headers["Location"] = f"/jobs/{job.job_id}"
    return in_words(job)


@router.delete(
    "/documents/{doc_id}", response_model=schemas.DeleteResponse,
    responses=schemas.error_responses(404, 503, *WRITE_ERRORS, 507),
)
def delete_document(doc_id: DOC_ID, service: ServiceDep, who: CallerDep) -> schemas.DeleteResponse:
    """Remove a document and its uploaded original; re-indexing its folder does not bring it back
    (upload it again to restore it). Needs a key with the admin role."""
    document = find_document(get_searcher(service), doc_id)
    entry = {"doc_id": doc_id, "sha256": document.content_hash, "source": document.source}
    intent = service.jobs.begin_delete({**who, "doc_id": doc_id, "document": entry})  # audited however it ends
    try:
        with service.writing():
            before = get_searcher(service).index.documents
            document = find_document(get_searcher(service), doc_id)
            service.backend.remove([doc_id])
            service.reload()
            service.forget_upload(doc_id, before)
            total = len(service.searcher.index.documents)
        service.settle()
    except BaseException as error:
        if not isinstance(error, NotFound):
            service.audit_write(who, "delete", "failed", [entry], error=failure_message(error)[:300])
        intent.unlink(missing_ok=True)
        raise
    service.audit_write(who, "delete", "done", [entry])
    intent.unlink(missing_ok=True)
    return schemas.DeleteResponse(doc_id=doc_id, deleted=True, documents_total=total)
