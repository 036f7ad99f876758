"""Is the process up, and which index generation does it serve."""

from __future__ import annotations

import os

from fastapi import APIRouter

from search_api import schemas
from search_api.deps import SearcherDep
from search_api.guards import StrictRoute

router = APIRouter(tags=["status"], route_class=StrictRoute)


@router.get("/healthz", response_model=schemas.Health)
def healthz() -> schemas.Health:
    """The process is up (it may still be loading the index)."""
    return schemas.Health(status="ok")


@router.get("/readyz", response_model=schemas.Readiness, responses={503: {"model": schemas.Error}})
def readyz(searcher: SearcherDep) -> schemas.Readiness:
    """The index is loaded and searchable: which model, how many documents, when built."""
    index = searcher.index
    return schemas.Readiness(
        status="ready",
        model=index.manifest.model_id,
        documents=len(index.documents),
        chunks=len(index.chunks),
        generation=index.generation,
        built_at=index.manifest.built_at,
        worker_pid=os.getpid(),
    )
