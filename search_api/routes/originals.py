"""A document's original file, as uploaded or as the indexed folder holds it: the same key as reads."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse

from indexer.errors import NotFound
from search_api import schemas
from search_api.deps import DOC_ID, SearcherDep, ServiceDep, find_document
from search_api.guards import StrictRoute
from search_api.originals import original_file

router = APIRouter(tags=["documents"], route_class=StrictRoute)
MEDIA_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd", "txt": "text/plain; charset=utf-8",
               "html": "text/html; charset=utf-8", "docx": "application/vnd.openxmlformats-officedocument"
               ".wordprocessingml.document", "doc": "application/msword", "wps": "application/vnd.ms-works"}


@router.get("/documents/{doc_id}/original", response_class=FileResponse,
            responses={200: {"content": {kind.split(";")[0]: {} for kind in (*MEDIA_TYPES.values(), "application/octet-stream")}},
                       **schemas.error_responses(401, 404, 503)})
def download_original(doc_id: DOC_ID, service: ServiceDep, searcher: SearcherDep) -> FileResponse:
    """The file the document was read from, byte for byte (404 when it is no longer at hand, e.g. the
    indexed folder's file was moved or edited since)."""
    document = find_document(searcher, doc_id)
    path = original_file(service, document)
    if path is None:
        raise NotFound(f"the original file of {doc_id} ({document.source}) is no longer on the server")
    name = path.name
    disposition = f"attachment; filename=\"original{path.suffix.lower()}\"; filename*=UTF-8''{quote(name)}"
    media = MEDIA_TYPES.get(document.format, "application/octet-stream")
    # a text or HTML original is sent as a download, never shown as a page of this site
    return FileResponse(path, media_type=media, headers={"Content-Disposition": disposition,
                                                         "X-Content-Type-Options": "nosniff",
                                                         "Content-Security-Policy": "sandbox; default-src 'none'"})
