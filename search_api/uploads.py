"""An upload request: safe names, limits, the files saved one folder per content hash, a job queued."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from fastapi import HTTPException, UploadFile

from search_api import schemas
from search_api.errors import invalid
from search_api.originals import originals_lock
from search_api.service import Service

_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # controls, format characters, surrogates, separators


def safe_filename(name: str | None) -> str:
    """The last path component of a client's file name, with nothing that could leave a folder.

    Chinese characters and spaces stay (people recognise their files by them); directories,
    drive letters, control characters and leading dots ("..", hidden files) go, and so do invisible
    characters (U+200B) and direction overrides (U+202E makes "exe.txt" read as "txt.exe").
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE).strip().lstrip(".").strip()
    if len(name.encode("utf-8")) > 200:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix[:16] if dot else ""
        name = stem.encode("utf-8")[: 180].decode("utf-8", "ignore") + (f".{keep}" if keep else "")
    return name or "upload"


class TooLarge(Exception):
    """An upload over the per-file limit (answered 413 by ``ingest_uploads``)."""


def receive_upload(upload: UploadFile, upload_dir: Path, max_bytes: int) -> tuple[Path, str]:
    """Copy an upload into a partial file in ``upload_dir``; (the partial file, its SHA-256 hex).

    Raises TooLarge if the file is over ``max_bytes`` (and removes what was copied).
    """
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
    return Path(part.name), digest.hexdigest()


def place_upload(part: Path, digest: str, name: str, upload_dir: Path) -> Path:
    """Move a received file to ``upload_dir/<sha256[:16]>/<name>``: one folder per content."""
    folder = upload_dir / digest[:16]
    folder.mkdir(exist_ok=True)
    target = folder / name
    os.replace(part, target)
    return target


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
    outcomes, received = [], []
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
                part, digest = receive_upload(upload, settings.upload_dir, settings.max_upload_bytes)
            except TooLarge as error:
                raise HTTPException(413, f"{name}: {error}") from None
            outcomes.append(schemas.FileOutcome(file=name, status="pending"))
            received.append((part, digest, name))
        # placed and claimed by the job under one lock: a deletion's clean-up never sees them unclaimed
        with originals_lock(settings.upload_dir):
            saved: list[Path] = []
            try:
                saved.extend(place_upload(part, digest, name, settings.upload_dir) for part, digest, name in received)
                return service.jobs.submit(outcomes, saved, {"replace": replace, "key": caller, "client": client})
            except BaseException:
                for path in saved:
                    service.release_upload(path, locked=True)
                raise
    finally:
        for part, _, _ in received:
            part.unlink(missing_ok=True)  # placed files are gone from here already
