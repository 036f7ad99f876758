"""Metadata corrections by staff with the write role: kept in the corrections file beside the index,
applied to the live index at once (the document is embedded again: its title is part of what is
embedded) and after every later reading of the same file, and audited."""

from __future__ import annotations

from fastapi import APIRouter

from indexer.gongwen.corrections import Corrections
from indexer.models import Document
from search_api import request_schemas, schemas
from search_api.deps import DOC_ID, CallerDep, ServiceDep, find_document, get_searcher
from search_api.guards import StrictRoute
from search_api.responses import to_summary

router = APIRouter(tags=["documents"], route_class=StrictRoute)


@router.patch("/documents/{doc_id}/metadata", response_model=schemas.CorrectedDocument,
              responses=schemas.error_responses(401, 403, 404, 409, 503, 507))
def correct_metadata(doc_id: DOC_ID, body: request_schemas.MetadataCorrection, service: ServiceDep,
                     who: CallerDep) -> schemas.CorrectedDocument:
    """Correct 标题, 文号, 发文机关, 成文日期, 文种, 地区 or 提案/建议号 of a document; fields left out stay,
    "" clears one. Needs a key with the write role."""
    fields = body.model_dump(exclude_unset=True)  # at least one: the schema says so
    corrections = Corrections.of_index(service.settings.index_dir)
    with service.writing():
        document = find_document(get_searcher(service), doc_id)
        changed = corrections.record(document, fields, who.get("key", "anonymous"))
        if changed:
            corrected = corrections.apply(Document.from_dict(document.to_dict()))  # the served generation stays as it is
            service.backend.add([corrected], embedder=service.embedder, progress=False)
            service.reload()
        current = find_document(get_searcher(service), doc_id)
    if changed:
        service.settle()
        service.audit_write(who, "correct", "done", [{"doc_id": doc_id, "sha256": document.content_hash,
                                                      "source": document.source}], fields=changed)
    return schemas.CorrectedDocument(**to_summary(current).model_dump(),
                                     corrected={name: schemas.FieldChange(**change) for name, change in changed.items()})
