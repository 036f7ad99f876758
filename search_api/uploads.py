"""Uploaded originals: safe names, one folder per content hash, parsing and indexing a request's files."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from fastapi import HTTPException, UploadFile

from indexer.errors import UnreadableFile, ZhengceError
from search_api import schemas
from search_api.errors import failure_message, invalid
from search_api.jobs import remove_upload
from search_api.service import Service

log = logging.getLogger("zhengce.api")
JOB_WAIT_S = 3600.0  # an upload job waits this long for another worker's write before it fails
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')


def safe_filename(name: str | None) -> str:
    """The last path component of a client's file name, with nothing that could leave a folder.

    Chinese characters and spaces stay (people recognise their files by them); directories,
    drive letters, control characters and leading dots ("..", hidden files) go.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip().lstrip(".").strip()
    if len(name.encode("utf-8")) > 200:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix[:16] if dot else ""
        name = stem.encode("utf-8")[: 180].decode("utf-8", "ignore") + (f".{keep}" if keep else "")
    return name or "upload"


class TooLarge(Exception):
    """An upload over the per-file limit (answered 413 by ``ingest_uploads``)."""


def save_upload(upload: UploadFile, upload_dir: Path, max_bytes: int) -> tuple[str, Path]:
    """Copy an upload to ``upload_dir/<sha256[:16]>/<safe name>``: one folder per content.

    Returns the safe name and the saved path. Raises TooLarge if the file is over ``max_bytes``.
    """
    name = safe_filename(upload.filename)
    upload_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=upload_dir, prefix=".part-", delete=False) as part:
        try:
            while block := upload.file.read(1 << 20):
                size += len(block)
                if size > max_bytes:
                    raise TooLarge(f"file is larger than the upload limit of {max_bytes} bytes")
                digest.update(block)
                part.write(block)
        except BaseException:
            part.close()
            os.unlink(part.name)
            raise
    folder = upload_dir / digest.hexdigest()[:16]
    folder.mkdir(exist_ok=True)
    target = folder / name
    os.replace(part.name, target)
    return name, target


def accept_uploads(service: Service, files: list[UploadFile], replace: bool, caller: str, client: str | None) -> schemas.Job:
    """Check the request's limits, save the files, and queue a job that indexes them.

    413 when a file is over the size limit (nothing of that request is kept); files of an
    unsupported type are listed as rejected at once.
    """
    from indexer.ingest import SUPPORTED_SUFFIXES

    settings = service.settings
    if len(files) > settings.max_upload_files:
        raise invalid(("body", "files"), f"{len(files)} files sent; the limit is {settings.max_upload_files} per request")
    for upload in files:
        if upload.size is not None and upload.size > settings.max_upload_bytes:
            raise HTTPException(
                413, f"{safe_filename(upload.filename)}: file is {upload.size} bytes; the limit is {settings.max_upload_bytes}"
            )
    outcomes, saved = [], []
    try:
        for upload in files:
            name = safe_filename(upload.filename)
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                outcomes.append(schemas.FileOutcome(
                    file=name, status="rejected",
                    reason=f"unsupported file type; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}",
                ))
                continue
            try:
                name, path = save_upload(upload, settings.upload_dir, settings.max_upload_bytes)
            except TooLarge as error:
                raise HTTPException(413, f"{name}: {error}") from None
            outcomes.append(schemas.FileOutcome(file=name, status="pending"))
            saved.append(path)
    except BaseException:
        for path in saved:
            if not service.uses_upload(path):
                remove_upload(path)
        raise
    return service.jobs.submit(outcomes, saved, {"replace": replace, "key": caller, "client": client})


def run_upload_job(service: Service, job: schemas.Job, paths: list[Path], options: dict[str, Any]) -> None:
    """Parse the job's files and index the good ones (the worker thread calls this, one job at a time).

    One bad file is reported by name and never stops the others. A file named like an indexed,
    different document is a conflict unless the upload said replace=true.
    """
    from indexer.gongwen import documents as docs
    from indexer.ingest.limits import check_text_size, check_zip

    settings = service.settings
    job.state = "running"
    service.jobs.save(job, paths)
    pending = [f for f in job.files if f.status == "pending"]
    parsed = []
    for outcome, path in zip(pending, paths):
        try:
            check_zip(path, max_bytes=settings.max_unzipped_bytes)
            document = docs.load_document(path, source=outcome.file)
            check_text_size(path, document.text, settings.max_document_chars)
        except UnreadableFile as error:
            outcome.status, outcome.reason = "rejected", error.reason
            log.warning("upload job %s: %s not indexed: %s", job.job_id, outcome.file, error.reason)
            if not service.uses_upload(path):
                remove_upload(path)
            continue
        outcome.doc_id, outcome.title = document.doc_id, document.meta.title
        parsed.append((outcome, path, document))
    try:
        with service.writing(JOB_WAIT_S):
            current = service.searcher.index.documents if service.searcher is not None else {}
            by_source = {d.source: d for d in current.values()}
            deleted = service.deleted_ids()
            adding = []
            for outcome, path, document in parsed:
                other = by_source.get(document.source)
                if document.doc_id in current:
                    outcome.status = "unchanged"
                elif other is not None and not options.get("replace"):
                    outcome.status = "conflict"
                    outcome.reason = (f"a different document named {document.source} is indexed (doc_id {other.doc_id}); "
                                      "upload again with replace=true to replace it, or rename the file")
                    remove_upload(path)
                else:
                    outcome.status = "replaced" if other is not None else ("deleted" if document.doc_id in deleted else "added")
                    outcome.replaced_doc_id = other.doc_id if other is not None else None
                    adding.append(document)
            if adding:
                service.backend.add(adding, embedder=service.embedder, progress=False)
                service.reload()
                for outcome in job.files:
                    if outcome.replaced_doc_id:
                        service.forget_upload(outcome.replaced_doc_id, current)
            job.documents_total = len(service.searcher.index.documents) if service.searcher is not None else 0
        if adding:
            service.settle()
    except (ZhengceError, OSError) as error:
        job.state, job.error = "failed", failure_message(error)
        for outcome, path, _ in parsed:
            if outcome.status in ("added", "replaced", "deleted") and not service.uses_upload(path):
                remove_upload(path)
            outcome.status, outcome.reason = "rejected", job.error
        return
    job.state = "done"
    service.audit_write(options, "upload", "done", [
        {"file": f.file, "status": f.status, "doc_id": f.doc_id, "replaced_doc_id": f.replaced_doc_id}
        for f in job.files
    ], job_id=job.job_id)
