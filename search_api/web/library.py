"""文档库's list and key check: documents found by words in their title, 文号, 发文机关 or file name,
filtered like searches, sorted by title, date or upload time, each with when and by whose key it
was uploaded (from the audit log); and what a key may do, checked before the page keeps it."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from search_api import request_schemas, schemas
from search_api.audit import day_files
from search_api.auth import SCOPE_KEY
from search_api.guards import StrictRoute
from search_api.responses import to_filters, to_summary
from search_api.sessions import configured_keys
from search_api.web.api import index_of

router = APIRouter(prefix="/web/api", tags=["web page"], route_class=StrictRoute)  # the API's JSON guard
MAX_PAGE = 100
NEW_IN_INDEX = ("added", "replaced", "deleted")  # upload outcomes that put the document into the index


class LibraryQuery(request_schemas.Filters):
    q: str | None = Field(None, max_length=200, description="words in the title, 文号, 发文机关 or file name")
    sort: Literal["title", "date", "uploaded", "source"] = "uploaded"
    order: Literal["asc", "desc"] = "desc"
    offset: int = Field(0, ge=0)
    limit: int = Field(20, ge=1, le=MAX_PAGE)


class LibraryEntry(schemas.DocumentSummary):
    uploaded_at: str | None = Field(description="when it was uploaded (ISO 8601); null: indexed from a folder")
    uploaded_by: str | None = Field(description="the name of the key that uploaded it")


class LibraryPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[LibraryEntry]


class Caller(BaseModel):
    uploads: bool = Field(description="whether the server accepts uploads at all (it has a key)")
    name: str | None = Field(description="the given key's name; null: no key, or a wrong one")
    role: Literal["read", "write", "admin"] | None


class UploadRecords:
    """doc_id -> (when, key) of the upload that put it into the index, read from the audit log's
    day files as they grow (each file from where the last read stopped)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._read_to: dict[Path, int] = {}
        self._found: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def latest(self) -> dict[str, tuple[str, str]]:
        with self._lock:
            for path, _ in day_files(self.folder):
                with path.open("rb") as handle:
                    handle.seek(self._read_to.get(path, 0))
                    chunk = handle.read()
                complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written is read next time
                self._read_to[path] = self._read_to.get(path, 0) + len(complete)
                for line in complete.decode("utf-8", "replace").splitlines():
                    self._take(line)
            return dict(self._found)

    def _take(self, line: str) -> None:
        try:
            entry = json.loads(line)
        except ValueError:
            return
        if entry.get("action") != "upload":
            return
        for item in entry.get("documents") or []:
            if item.get("doc_id") and item.get("status") in NEW_IN_INDEX:
                self._found[item["doc_id"]] = (entry.get("time", ""), entry.get("key", ""))


_records: dict[Path, UploadRecords] = {}
_records_lock = threading.Lock()


def upload_records(request: Request) -> UploadRecords:
    folder = Path(request.app.state.service.audit.folder)
    with _records_lock:
        return _records.setdefault(folder, UploadRecords(folder))


def _sort_key(sort: str, uploads: dict[str, tuple[str, str]]) -> Any:
    if sort == "title":
        return lambda d: (d.meta.title or d.source)
    if sort == "date":
        return lambda d: (d.meta.date or "")
    if sort == "source":
        return lambda d: d.source
    return lambda d: (uploads.get(d.doc_id, ("", ""))[0], d.doc_id)


@router.get("/library", response_model=LibraryPage)
def library(request: Request, params: Annotated[LibraryQuery, Query()]) -> LibraryPage:
    """One page of the document list."""
    uploads = upload_records(request).latest()
    wanted = to_filters(params)
    words = (params.q or "").split()
    selected = []
    for document in index_of(request).documents.values():
        meta = document.meta
        haystack = " ".join(filter(None, (meta.title, meta.doc_number, meta.issuer, document.source))).lower()
        if wanted.matches(document) and all(word.lower() in haystack for word in words):
            selected.append(document)
    selected.sort(key=_sort_key(params.sort, uploads), reverse=params.order == "desc")
    page = selected[params.offset : params.offset + params.limit]
    return LibraryPage(total=len(selected), offset=params.offset, limit=params.limit, documents=[
        LibraryEntry(**to_summary(d).model_dump(), uploaded_at=uploads.get(d.doc_id, (None, None))[0],
                     uploaded_by=uploads.get(d.doc_id, (None, None))[1]) for d in page])


@router.get("/whoami", response_model=Caller)
def whoami(request: Request) -> Caller:
    """What the caller may do: the key sent in X-API-Key, else the signed-in page's (none: no name, no role)."""
    uploads = bool(configured_keys(request.app.state.service.settings))
    caller = request.scope.get(SCOPE_KEY)
    if caller is None or caller.role is None:
        return Caller(uploads=uploads, name=None, role=None)
    return Caller(uploads=uploads, name=caller.name, role=caller.role)


FORMAT_WORDS = {"pdf": "PDF", "ofd": "OFD", "docx": "DOCX", "doc": "DOC", "wps": "WPS", "txt": "TXT",
                "html": "HTML", "image": "图片"}


def picker() -> dict[str, str]:
    """The upload picker's accept list and the formats named in its label, from what the readers read."""
    from indexer.ingest.files import FORMATS

    suffixes = sorted(FORMATS)
    kinds = list(dict.fromkeys(FORMATS[s] for s in (".pdf", ".ofd", ".docx", ".doc", ".wps", ".txt", ".html", ".png")
                               if s in FORMATS))
    kinds += [k for k in dict.fromkeys(FORMATS.values()) if k not in kinds]
    images = "、".join(s[1:].upper() for s in suffixes if FORMATS[s] == "image")
    named = [FORMAT_WORDS.get(k, k.upper()) + (f"（{images}）" if k == "image" else "") for k in kinds]
    return {"accept": ",".join(suffixes), "formats": "、".join(named)}
