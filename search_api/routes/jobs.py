"""Upload jobs: where a POST /documents stands, and what became of each of its files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from indexer.errors import NotFound
from search_api import schemas, words
from search_api.deps import CallerDep, ServiceDep
from search_api.guards import StrictRoute

router = APIRouter(tags=["documents"], route_class=StrictRoute)
JOB_ID = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$", description="job_id from POST /documents")]


@router.get("/jobs/{job_id}", response_model=schemas.Job, responses={
    401: {"model": schemas.Error}, 403: {"model": schemas.Error}, 404: {"model": schemas.Error}})
def get_job(job_id: JOB_ID, service: ServiceDep, who: CallerDep) -> schemas.Job:
    """Progress and per-file outcomes of an upload. Needs a key with the write role."""
    job = service.jobs.get(job_id)
    if job is None:
        raise NotFound(f"no upload job {job_id}")
    return in_words(job)


def in_words(job: schemas.Job) -> schemas.Job:
    """The job with each refused file's reason, and the job's error, in words for staff."""
    for outcome in job.files:
        outcome.message = words.for_file(outcome.reason)
    job.message = words.for_job(job.error)
    return job


@router.delete("/jobs/{job_id}", response_model=schemas.Job, status_code=202, responses={
    401: {"model": schemas.Error}, 403: {"model": schemas.Error}, 404: {"model": schemas.Error}})
def cancel_job(job_id: JOB_ID, service: ServiceDep, who: CallerDep) -> schemas.Job:
    """Cancel an upload that has not started writing the index: it stops before its next file or
    page, and its files are removed (GET /jobs/{job_id} says cancelled). A job that finished, or is
    writing, is left as it is. Needs a key with the write role."""
    job = service.jobs.cancel(job_id)
    if job is None:
        raise NotFound(f"no upload job {job_id}")
    service.audit_write(who, "cancel", "requested" if job.state in ("queued", "running") else "finished",
                        [], job_id=job_id)
    return job
