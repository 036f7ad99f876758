"""What an upload job does, on the worker thread, one job at a time: read each file under the caps,
decide what each becomes, write the index once, and say so truthfully (the job record, the audit).

One bad file is reported by name and never stops the others; a bug reading one is that file's
failure. A file named like an indexed, different document is a conflict unless the upload said
replace=true, and so is the second of two different files of one name in one upload. Every ending
(done, failed, cancelled) is audited with each file's outcome. Until the index is written a job
can be cancelled; its files are then removed and nothing changes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from indexer.errors import Cancelled, UnreadableFile, ZhengceError
from search_api import schemas, words
from search_api.errors import failure_message
from search_api.jobs import file_entries
from search_api.service import Service

log = logging.getLogger("zhengce.api")
JOB_WAIT_S = 3600.0  # an upload job waits this long for another worker's write before it fails


def run_upload_job(service: Service, job: schemas.Job, paths: list[Path], options: dict[str, Any]) -> None:
    """Read the job's files and index the good ones; audit how the job ended, whatever it was."""
    job.state = "running"
    service.jobs.save(job, paths)
    try:
        parsed = _read(service, job, paths)
        _write(service, job, paths, parsed, options)
    except Cancelled:
        job.state, job.error = "cancelled", words.CANCELLED
        for outcome in job.files:
            if outcome.status == "pending":
                outcome.status, outcome.reason = "cancelled", words.CANCELLED
        for path in paths:
            service.release_upload(path, job.job_id)
    finally:
        service.audit_write(options, "upload", job.state if job.state != "running" else "failed",
                            file_entries(job), job_id=job.job_id)


def _read(service: Service, job: schemas.Job, paths: list[Path]) -> list[tuple[schemas.FileOutcome, Path, Any]]:
    """Each pending file as a document, under the service's caps and the job's cancel flag."""
    from indexer.errors import defect_reason
    from indexer.gongwen import documents as docs
    from indexer.ingest.limits import IngestLimits, applied, checkpoint

    settings = service.settings
    limits = IngestLimits.from_environment().but(max_unzipped_bytes=settings.max_unzipped_bytes,
                                                 max_document_chars=settings.max_document_chars)
    pending = [f for f in job.files if f.status == "pending"]
    parsed = []
    with applied(limits, lambda: service.jobs.cancel_requested(job.job_id)):
        for outcome, path in zip(pending, paths):
            checkpoint()
            try:
                document = docs.load_document(path, source=outcome.file)
            except UnreadableFile as error:
                outcome.status, outcome.reason = "rejected", error.reason
                log.warning("upload job %s: %s not indexed: %s", job.job_id, outcome.file, error.reason)
            except Cancelled:
                raise
            except Exception as error:  # a bug reading one file fails that file, not the job
                log.exception("upload job %s: reading %s", job.job_id, outcome.file)
                outcome.status, outcome.reason = "rejected", defect_reason(error)
            else:
                outcome.doc_id, outcome.title = document.doc_id, document.meta.title
                parsed.append((outcome, path, document))
                continue
            service.release_upload(path, job.job_id)
        checkpoint()
    return parsed


def _write(service: Service, job: schemas.Job, paths: list[Path], parsed: list[tuple[schemas.FileOutcome, Path, Any]],
           options: dict[str, Any]) -> None:
    """Decide each document's outcome against the live index and write the index once."""
    adding: list[Any] = []
    try:
        with service.writing(JOB_WAIT_S):
            if service.jobs.cancel_requested(job.job_id):
                raise Cancelled(words.CANCELLED)
            current = service.searcher.index.documents if service.searcher is not None else {}
            by_source = {d.source: d for d in current.values()}
            deleted = service.deleted_ids()
            named: dict[str, str] = {}  # source -> doc_id, of this job's files
            for outcome, path, document in parsed:
                other = by_source.get(document.source)
                earlier = named.setdefault(document.source, document.doc_id)
                if document.doc_id in current or any(d.doc_id == document.doc_id for d in adding):
                    outcome.status = "unchanged"  # indexed already, or the same file twice in this upload
                elif earlier != document.doc_id:
                    outcome.status, outcome.reason = "conflict", words.SAME_NAME_TWICE.format(name=document.source)
                    service.release_upload(path, job.job_id)
                elif other is not None and not options.get("replace"):
                    outcome.status, outcome.reason = "conflict", words.NAME_TAKEN.format(doc_id=other.doc_id)
                    service.release_upload(path, job.job_id)
                else:
                    outcome.status = "replaced" if other is not None else ("deleted" if document.doc_id in deleted else "added")
                    outcome.replaced_doc_id = other.doc_id if other is not None else None
                    adding.append(document)
            if adding:
                service.jobs.save(job, paths)  # what each file becomes, before the index says so
                service.backend.add(adding, embedder=service.embedder, progress=False)
                service.reload()
                for outcome in job.files:
                    if outcome.replaced_doc_id:
                        service.forget_upload(outcome.replaced_doc_id, current)
            job.documents_total = len(service.searcher.index.documents) if service.searcher is not None else 0
        if adding:
            service.settle()
    except (ZhengceError, OSError) as error:
        if isinstance(error, Cancelled):
            raise
        job.state, job.error = "failed", failure_message(error)
        for outcome, path, _ in parsed:
            if outcome.status in ("added", "replaced", "deleted", "pending"):
                outcome.status, outcome.reason = "rejected", job.error
                service.release_upload(path, job.job_id)
        return
    job.state = "done"
