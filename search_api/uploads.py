"""Uploaded originals: safe names, one folder per content hash, parsing and indexing a request's files."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from fastapi import HTTPException, UploadFile
from fastapi.responses import JSONResponse

from indexer.errors import UnreadableFile
from search_api import schemas
from search_api.errors import invalid
from search_api.service import Service
from search_api.settings import Settings

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


def upload_folder(document: Any, settings: Settings) -> Path | None:
    """The folder an uploaded document's original lives in (None if it was not uploaded here)."""
    folder = settings.upload_dir / document.content_hash[:16]
    return folder if folder.is_dir() else None


def ingest_uploads(service: Service, files: list[UploadFile]) -> JSONResponse:
    """Save, parse and index the uploads; bad files are reported by name and skipped.

    200 when at least one file is indexed, 422 when none could be (all reasons listed), 413 when
    a file is over the size limit (nothing from that request is indexed).
    """
    from indexer.gongwen import documents as docs
    from indexer.ingest import SUPPORTED_SUFFIXES

    settings = service.settings
    if len(files) > settings.max_upload_files:
        raise invalid(("body", "files"), f"{len(files)} files sent; the limit is {settings.max_upload_files} per request")
    for upload in files:
        if upload.size is not None and upload.size > settings.max_upload_bytes:
            raise HTTPException(
                413, f"{safe_filename(upload.filename)}: file is {upload.size} bytes; the limit is {settings.max_upload_bytes}"
            )
    parsed, rejected = [], []
    for upload in files:
        name = safe_filename(upload.filename)
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            rejected.append(schemas.RejectedFile(
                file=name, reason=f"unsupported file type; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
            ))
            continue
        try:
            name, saved = save_upload(upload, settings.upload_dir, settings.max_upload_bytes)
        except TooLarge as error:
            raise HTTPException(413, f"{name}: {error}") from None
        try:
            parsed.append((name, docs.load_document(saved, source=name)))
        except UnreadableFile as error:
            rejected.append(schemas.RejectedFile(file=name, reason=error.reason))
            saved.unlink(missing_ok=True)  # the folder is per content: an indexed twin may live there
            with contextlib.suppress(OSError):
                saved.parent.rmdir()
    indexed = []
    with service.write_lock:
        known = set(service.searcher.index.documents) if service.searcher is not None else set()
        if parsed:
            service.backend.add([d for _, d in parsed], embedder=service.embedder, progress=False)
            service.reload()
        for name, document in parsed:
            status = "unchanged" if document.doc_id in known else "added"
            indexed.append(schemas.UploadedDocument(
                file=name, doc_id=document.doc_id, title=document.meta.title, status=status
            ))
        total = len(service.searcher.index.documents) if service.searcher is not None else 0
    report = schemas.UploadResponse(indexed=indexed, rejected=rejected, documents_total=total)
    return JSONResponse(report.model_dump(), status_code=200 if indexed or not rejected else 422)
