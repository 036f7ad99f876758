"""What the worker processes of one `zhengce serve --workers N` share, through files beside the jobs.

One Python process ranks on one core at a time (its ranking code holds the interpreter lock), so
a server uses every core by running one whole service per worker process: its own model, index
and upload-job thread. They coordinate through the upload folder:

- ``write.lock``: one writer at a time across all workers, held from the decision of what an
  upload or delete changes until its generation is live;
- ``served/<pid>.json``: the generation each live worker serves. A write reports done only when
  every live worker serves its generation (or a time limit passed), so a search sent right after
  a finished upload finds the document whichever worker answers it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from indexer.errors import IndexBusy

log = logging.getLogger("zhengce.api")
POLL_S = 0.1  # how often a finished write looks whether the other workers caught up


def process_identity(pid: int | None = None) -> dict[str, Any]:
    """A process as a record can name it: its pid and start time (a pid alone is reused)."""
    process = psutil.Process(pid or os.getpid())
    return {"pid": process.pid, "started": round(process.create_time(), 2)}


def is_alive(identity: Any) -> bool:
    """Whether the process a record names still runs (the same process, not a later one with its pid)."""
    try:
        return process_identity(int(identity["pid"])) == {"pid": int(identity["pid"]),
                                                          "started": float(identity["started"])}
    except (psutil.Error, KeyError, TypeError, ValueError):
        return False


class Workers:
    """This process's view of its sibling workers."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.identity = process_identity()
        self._lock = threading.Lock()  # this process's threads, before the file lock of all processes

    @contextmanager
    def writer(self, wait_s: float) -> Iterator[None]:
        """The one writer slot of every worker; IndexBusy when another holds it past ``wait_s``."""
        from filelock import FileLock, Timeout

        deadline = time.monotonic() + wait_s
        if not self._lock.acquire(timeout=wait_s):
            raise IndexBusy("an upload job is writing the index; try again when it has finished")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.folder / "write.lock")
            try:
                lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
            except Timeout:
                raise IndexBusy("another server worker is writing the index; try again when it has finished") from None
            try:
                yield
            finally:
                lock.release()
        finally:
            self._lock.release()

    def announce(self, generation: str) -> None:
        """Record the generation this worker serves now."""
        served = self.folder / "served"
        served.mkdir(parents=True, exist_ok=True)
        part = served / f".{self.identity['pid']}.tmp"
        part.write_text(json.dumps({**self.identity, "generation": generation}), encoding="utf-8")
        os.replace(part, served / f"{self.identity['pid']}.json")

    def withdraw(self) -> None:
        """This worker stops: nobody waits for it any more."""
        (self.folder / "served" / f"{self.identity['pid']}.json").unlink(missing_ok=True)

    def lagging(self, generation: str) -> list[int]:
        """Pids of live workers that serve a generation older than ``generation``; records of
        workers that are gone are removed."""
        behind = []
        for path in sorted((self.folder / "served").glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not is_alive(record):
                path.unlink(missing_ok=True)
            elif str(record.get("generation", "")) < generation:  # names are g000001, g000002, ...
                behind.append(int(record["pid"]))
        return behind

    def wait_served(self, generation: str, timeout_s: float) -> bool:
        """Wait until every live worker serves ``generation``; False (logged) when the time ran out."""
        deadline = time.monotonic() + timeout_s
        while behind := self.lagging(generation):
            if time.monotonic() > deadline:
                log.warning("workers %s still serve an older generation than %s after %.0f s", behind, generation,
                            timeout_s)
                return False
            time.sleep(POLL_S)
        return True
