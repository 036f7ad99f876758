"""The audit log: who changed (or, when configured, searched) what, as append-only JSON lines.

One file per UTC day (``audit-YYYY-MM-DD.jsonl``), opened with O_APPEND for each record, so no
record is ever rewritten; files older than ``keep_days`` (at least 180: China's Cybersecurity
Law, art. 21, asks for six months of logs) are removed. ``zhengce audit`` reads them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PREFIX = "audit-"


class AuditLog:
    def __init__(self, folder: Path, keep_days: int) -> None:
        self.folder = folder
        self.keep_days = keep_days
        self._lock = threading.Lock()

    def record(self, *, key: str, client: str | None, action: str, outcome: str, **details: Any) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        entry = {"time": now.isoformat(timespec="milliseconds"), "key": key, "client": client,
                 "action": action, "outcome": outcome, **details}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / f"{PREFIX}{now.date().isoformat()}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def prune(self, today: dt.date | None = None) -> list[Path]:
        """Remove the day files older than ``keep_days``; returns what was removed."""
        today = today or dt.datetime.now(dt.timezone.utc).date()
        removed = []
        for path, day in day_files(self.folder):
            if (today - day).days > self.keep_days:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed


def query_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def day_files(folder: Path) -> list[tuple[Path, dt.date]]:
    found = []
    for path in sorted(folder.glob(f"{PREFIX}*.jsonl")):
        try:
            found.append((path, dt.date.fromisoformat(path.stem[len(PREFIX):])))
        except ValueError:
            continue
    return found


def read_entries(folder: Path, since: dt.date | None = None, until: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """Records of the day files from ``since`` to ``until`` (inclusive), oldest first."""
    for path, day in day_files(folder):
        if (since and day < since) or (until and day > until):
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
