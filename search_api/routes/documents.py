"""The indexed documents: list, read, upload, delete."""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse

from search_api import schemas
from search_api.deps import DOC_ID, SearcherDep, ServiceDep, check_top_k, find_document, get_searcher, require_api_key
from search_api.responses import to_filters, to_summary
from search_api.uploads import ingest_uploads, upload_folder

router = APIRouter(tags=["documents"])
ERRORS = {404: {"model": schemas.Error}, 503: {"model": schemas.Error}}
WRITE_ERRORS = {401: {"model": schemas.Error}, 403: {"model": schemas.Error}, 409: {"model": schemas.Error}}


@router.get("/documents", response_model=schemas.DocumentPage, responses={503: {"model": schemas.Error}})
def list_documents(
    params: Annotated[schemas.DocumentQuery, Query()], service: ServiceDep, searcher: SearcherDep
) -> schemas.DocumentPage:
    """Indexed documents in id order, filtered by metadata, one page at a time."""
    check_top_k(params.limit, service.settings, ("query", "limit"))
    wanted = to_filters(params)
    selected = [d for d in sorted(searcher.index.documents.values(), key=lambda d: d.doc_id) if wanted.matches(d)]
    page = selected[params.offset : params.offset + params.limit]
    return schemas.DocumentPage(
        total=len(selected), offset=params.offset, limit=params.limit, documents=[to_summary(d) for d in page]
    )


@router.get("/documents/{doc_id}", response_model=schemas.DocumentDetail, responses=ERRORS)
def get_document(doc_id: DOC_ID, searcher: SearcherDep) -> schemas.DocumentDetail:
    """Metadata and the cleaned text that every citation's char_start/char_end index."""
    document = find_document(searcher, doc_id)
    return schemas.DocumentDetail(
        **to_summary(document).model_dump(),
        text=document.text,
        page_starts=list(document.page_starts),
        content_hash=document.content_hash,
        chunks=len(searcher.index.rows_of(doc_id)),
    )


@router.post(
    "/documents", response_model=schemas.UploadResponse,
    responses={**WRITE_ERRORS, 413: {"model": schemas.Error}}, dependencies=[Depends(require_api_key)],
)
def upload_documents(
    files: Annotated[list[UploadFile], File(description="PDF, DOCX, TXT/MD (any Chinese encoding), HTML")],
    service: ServiceDep,
) -> JSONResponse:
    """Store and index the files; they are searchable when this returns. Needs X-API-Key."""
    return ingest_uploads(service, files)


@router.delete(
    "/documents/{doc_id}", response_model=schemas.DeleteResponse, responses={**ERRORS, **WRITE_ERRORS},
    dependencies=[Depends(require_api_key)],
)
def delete_document(doc_id: DOC_ID, service: ServiceDep) -> schemas.DeleteResponse:
    """Remove a document from the index (and its uploaded original). Needs X-API-Key."""
    with service.write_lock:
        document = find_document(get_searcher(service), doc_id)
        service.backend.remove([doc_id])
        service.reload()
        folder = upload_folder(document, service.settings)
        if folder is not None and not any(
            d.content_hash == document.content_hash for d in service.searcher.index.documents.values()
        ):
            shutil.rmtree(folder, ignore_errors=True)
        total = len(service.searcher.index.documents)
    return schemas.DeleteResponse(doc_id=doc_id, deleted=True, documents_total=total)
