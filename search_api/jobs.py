"""Upload jobs and deletions in progress: indexed one at a time by a background thread, each recorded
in a JSON file beside the uploads, so that what a job says is what the index holds.

A job is saved when it is accepted, again when it has decided what each file becomes (just before
the index is written) and when it ends. A server that starts finds what a process that is gone left
unfinished and settles it against the index: a file whose document is indexed is reported with the
outcome decided for it, the others fail and their files go (unless a document uses them); a deletion
whose intent was recorded is audited as done or not done. The jobs of a sibling worker that still
runs are left to it. A job can be cancelled (``DELETE /jobs/{id}``) until it starts writing: a flag
file its worker reads between files and between pages, in whichever worker process runs it.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from search_api import schemas, words
from search_api.originals import remove_upload
from search_api.workers import is_alive, process_identity

log = logging.getLogger("zhengce.api")
JOBS_DIR = ".jobs"
KEEP_FINISHED_S = 7 * 24 * 3600  # finished job records are kept a week
UNFINISHED = ("queued", "running")


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
        self.save(job, paths, options)
        self._queue.put((job, paths, options))
        return job

    def get(self, job_id: str) -> schemas.Job | None:
        record = self._record(job_id)
        return None if record is None else schemas.Job.model_validate(record["job"])

    def save(self, job: schemas.Job, paths: list[Path], options: dict[str, Any] | None = None) -> None:
        """Write the record atomically (a reader never sees half of it)."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            part = self.folder / f".{job.job_id}.tmp"
            who = {k: options[k] for k in ("key", "client") if k in options} if options else None
            record = {"job": job.model_dump(), "paths": [str(p) for p in paths], "owner": self._owner,
                      **({"who": who} if who is not None else self._who(job.job_id))}
            part.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(part, self.folder / f"{job.job_id}.json")

    def _who(self, job_id: str) -> dict[str, Any]:
        record = self._record(job_id)
        return {"who": record["who"]} if record and "who" in record else {}

    # ------------------------------------------------------------------ cancelling

    def cancel(self, job_id: str) -> schemas.Job | None:
        """Ask a queued or running job to stop (the worker that runs it reads the flag); None: no such job."""
        job = self.get(job_id)
        if job is not None and job.state in UNFINISHED:
            (self.folder / f"{job_id}.cancel").touch()
        return job

    def cancel_requested(self, job_id: str) -> bool:
        return (self.folder / f"{job_id}.cancel").exists()

    # ------------------------------------------------------------------ deletions in progress

    def begin_delete(self, entry: dict[str, Any]) -> Path:
        """Record a deletion about to be applied, so a restart can audit it however it ended."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"delete-{uuid.uuid4().hex[:16]}.json"
        path.write_text(json.dumps({**entry, "owner": self._owner}, ensure_ascii=False), encoding="utf-8")
        return path

    # ------------------------------------------------------------------ restart

    def claimed_paths(self, except_job: str | None = None) -> set[Path]:
        """Files of jobs not finished yet: the janitor and a deletion's clean-up leave them alone."""
        claimed: set[Path] = set()
        for record in self._records():
            if record["job"]["state"] in UNFINISHED and record["job"]["job_id"] != except_job:
                claimed.update(Path(p) for p in record["paths"])
        return claimed

    def recover(self, indexed: Callable[[Path], bool], gone: Callable[[str], bool],
                audit: Callable[[dict[str, Any], str, str, list[dict[str, Any]]], None]) -> list[str]:
        """Settle what processes no longer running left unfinished, against the index: ``indexed(path)``
        tells whether an upload's document is served, ``gone(doc_id)`` whether a document is not;
        each settled job or deletion gets its audit line (``audit(who, action, outcome, documents)``)."""
        settled = []
        for record in self._records():
            job = schemas.Job.model_validate(record["job"])
            if job.state in UNFINISHED and not is_alive(record.get("owner")):
                paths = list(map(Path, record["paths"]))
                self._settle(job, paths, indexed)
                audit(record.get("who", {}), "upload", job.state, file_entries(job))
                self.save(job, [path for path in paths if indexed(path)])
                settled.append(job.job_id)
            elif job.finished_at and time.time() - _mtime(self.folder / f"{job.job_id}.json") > KEEP_FINISHED_S:
                (self.folder / f"{job.job_id}.json").unlink(missing_ok=True)
                (self.folder / f"{job.job_id}.cancel").unlink(missing_ok=True)
        for path in sorted(self.folder.glob("delete-*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not is_alive(entry.get("owner")):
                done = gone(entry["doc_id"])
                audit({"key": entry.get("key", "anonymous"), "client": entry.get("client")},
                      "delete", "done" if done else "failed", [entry["document"]])
                path.unlink(missing_ok=True)
                settled.append(path.stem)
        return settled

    def _settle(self, job: schemas.Job, paths: list[Path], indexed: Callable[[Path], bool]) -> None:
        pending = [f for f in job.files if f.status not in ("rejected", "conflict", "unchanged", "cancelled")]
        by_file = dict(zip([f.file for f in pending], paths))
        kept = False
        for outcome in pending:
            path = by_file.get(outcome.file)
            if path is not None and indexed(path):
                outcome.status = "added" if outcome.status == "pending" else outcome.status
                kept = True
            else:
                outcome.status, outcome.reason = "rejected", words.STOPPED
                if path is not None:
                    remove_upload(path)
        job.state = "done" if kept else "failed"
        job.error = words.RECOVERED if kept else words.STOPPED
        job.finished_at = now()

    def _record(self, job_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _records(self) -> list[dict[str, Any]]:
        records = []
        for path in sorted(self.folder.glob("*.json")):
            if path.name.startswith("delete-"):
                continue
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
                job.state, job.error = "failed", words.INTERNAL
            if job.state in UNFINISHED:
                job.state = "done"
            job.finished_at = now()
            self.save(job, paths if job.state == "done" else [])


def file_entries(job: schemas.Job) -> list[dict[str, Any]]:
    """The job's files as the audit log records them."""
    return [{"file": f.file, "status": f.status, "doc_id": f.doc_id, "replaced_doc_id": f.replaced_doc_id}
            for f in job.files]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()
