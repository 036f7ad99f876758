"""Upload jobs: indexed one at a time by a background thread, each recorded in a JSON file.

A job survives nothing but finishes or fails cleanly: a server that starts finds the jobs a
process that is gone left unfinished, marks them failed and removes their files (unless an
indexed document uses them); the jobs of a sibling worker that still runs are left to it. The
janitor removes upload files that no job and no document claims.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search_api import schemas
from search_api.workers import is_alive, process_identity

log = logging.getLogger("zhengce.api")
JOBS_DIR = ".jobs"
KEEP_FINISHED_S = 7 * 24 * 3600  # finished job records are kept a week


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class Jobs:
    """The job records and the one worker thread that runs them in order."""

    def __init__(self, upload_dir: Path, run: Callable[[schemas.Job, list[Path], dict[str, Any]], None]) -> None:
        self.folder = upload_dir / JOBS_DIR
        self._run = run
        self._queue: queue.SimpleQueue[tuple[schemas.Job, list[Path], dict[str, Any]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._owner = process_identity()  # the process whose thread runs the jobs it accepted

    def start(self) -> None:
        self._worker = threading.Thread(target=self._loop, name="zhengce-upload-jobs", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._queue.put(None)

    def submit(self, files: list[schemas.FileOutcome], paths: list[Path], options: dict[str, Any]) -> schemas.Job:
        job = schemas.Job(job_id=uuid.uuid4().hex[:16], state="queued", created_at=now(), files=files)
        self.save(job, paths)
        self._queue.put((job, paths, options))
        return job

    def get(self, job_id: str) -> schemas.Job | None:
        try:
            record = json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return schemas.Job.model_validate(record["job"])

    def save(self, job: schemas.Job, paths: list[Path]) -> None:
        """Write the record atomically (a reader never sees half of it)."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            part = self.folder / f".{job.job_id}.tmp"
            record = {"job": job.model_dump(), "paths": [str(p) for p in paths], "owner": self._owner}
            part.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(part, self.folder / f"{job.job_id}.json")

    def claimed_paths(self) -> set[Path]:
        """Files of jobs not finished yet: the janitor leaves them alone."""
        claimed: set[Path] = set()
        for record in self._records():
            if record["job"]["state"] in ("queued", "running"):
                claimed.update(Path(p) for p in record["paths"])
        return claimed

    def recover(self, in_use: Callable[[Path], bool]) -> list[str]:
        """Mark the jobs that a process no longer running left unfinished failed; remove their unused files."""
        failed = []
        for record in self._records():
            job = schemas.Job.model_validate(record["job"])
            if job.state in ("queued", "running") and not is_alive(record.get("owner")):
                job.state, job.finished_at = "failed", now()
                job.error = "the server stopped before this job finished; upload the files again"
                for path in map(Path, record["paths"]):
                    if not in_use(path):
                        remove_upload(path)
                self.save(job, [])
                failed.append(job.job_id)
            elif job.finished_at and time.time() - _mtime(self.folder / f"{job.job_id}.json") > KEEP_FINISHED_S:
                (self.folder / f"{job.job_id}.json").unlink(missing_ok=True)
        return failed

    def _records(self) -> list[dict[str, Any]]:
        records = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                records.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return records

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            job, paths, options = item
            try:
                self._run(job, paths, options)
            except Exception:  # a bug: the job fails with a log line, the worker lives on
                log.exception("upload job %s failed", job.job_id)
                job.state, job.error = "failed", "internal error; the server log has the details"
            if job.state not in ("done", "failed"):
                job.state = "done"
            job.finished_at = now()
            self.save(job, paths if job.state != "failed" else [])


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def remove_upload(path: Path) -> None:
    """Remove one saved original and its content folder when that is left empty."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: another name of the same content is kept
        path.parent.rmdir()


def sweep_orphans(upload_dir: Path, keep: set[str], claimed: set[Path], older_than_s: float) -> list[Path]:
    """Remove upload files older than ``older_than_s`` in content folders no document uses
    (``keep``: folder names) and that no unfinished job claims; also stale partial files."""
    removed: list[Path] = []
    if not upload_dir.is_dir():
        return removed
    cutoff = time.time() - older_than_s
    for entry in upload_dir.iterdir():
        if entry.name == JOBS_DIR or entry.name in keep:
            continue
        if entry.is_file() and entry.name.startswith(".part-") and _mtime(entry) < cutoff:
            entry.unlink(missing_ok=True)
            removed.append(entry)
        elif entry.is_dir() and not any(p in claimed or _mtime(p) >= cutoff for p in entry.iterdir()):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
