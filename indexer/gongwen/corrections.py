"""Metadata that staff corrected by hand, kept beside the index and applied after metadata
extraction every time a file is read again (re-indexing, a new upload of the same file), so a
correction is never lost to the rules that got the field wrong.

One JSON file (``<index>/corrections.json``) keyed by the file's SHA-256: a correction belongs to
those bytes, and a changed file is a new document the rules read afresh. Each entry keeps the
corrected fields and their history (who, when, from what).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from filelock import FileLock

from indexer.errors import BadInput
from indexer.models import Document

FILE = "corrections.json"
CORRECTABLE = ("title", "doc_number", "issuer", "date", "doc_type", "region", "proposal_number")


class Corrections:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: tuple[tuple[int, int], dict[str, Any]] | None = None  # read once per version of the file

    @classmethod
    def of_index(cls, index_dir: Path | str) -> Corrections:
        return cls(Path(index_dir) / FILE)

    def read(self) -> dict[str, Any]:
        try:
            stat = self.path.stat()
            if self._seen is not None and self._seen[0] == (stat.st_mtime_ns, stat.st_size):
                return self._seen[1]
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise BadInput(f"{self.path}: not a corrections file ({error})") from None
        documents = data.get("documents", {}) if isinstance(data, dict) else {}
        self._seen = ((stat.st_mtime_ns, stat.st_size), documents)
        return documents

    def record(self, document: Document, fields: dict[str, str | None], who: str) -> dict[str, dict[str, str | None]]:
        """Keep ``fields`` (None or "" clears a field) for the document's file; returns each changed
        field as {"from", "to"}. Raises BadInput for a field that cannot be corrected."""
        unknown = sorted(set(fields) - set(CORRECTABLE))
        if unknown:
            raise BadInput(f"cannot correct {', '.join(unknown)}: correctable fields are {', '.join(CORRECTABLE)}")
        changed: dict[str, dict[str, str | None]] = {}
        for name, value in fields.items():
            new = (value or "").strip() or None
            old = getattr(document.meta, name)
            if new != old:
                changed[name] = {"from": old, "to": new}
        if not changed:
            return changed
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=30):
            documents = json.loads(json.dumps(self.read()))  # a copy: the cached version stays as read
            entry = documents.setdefault(document.content_hash, {"doc_id": document.doc_id, "fields": {}, "history": []})
            entry["source"] = document.source
            entry["fields"].update({name: change["to"] for name, change in changed.items()})
            entry["history"].append({"who": who, "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                     "changed": changed})
            part = self.path.with_suffix(f".{os.getpid()}.tmp")
            part.write_text(json.dumps({"version": 1, "documents": documents}, ensure_ascii=False, indent=1),
                            encoding="utf-8")
            os.replace(part, self.path)
        return changed

    def apply(self, document: Document, documents: dict[str, Any] | None = None) -> Document:
        """The document with its file's corrected fields over what the rules found."""
        entry = (documents if documents is not None else self.read()).get(document.content_hash)
        if not entry:
            return document
        for name, value in entry.get("fields", {}).items():
            if name in CORRECTABLE:
                setattr(document.meta, name, value)
                if name == "issuer":
                    document.meta.issuers = [part for part in (value or "").split("、") if part]
        return document

    def fields_of(self, content_hash: str) -> dict[str, Any]:
        """The corrected fields of a file (empty when none)."""
        return dict(self.read().get(content_hash, {}).get("fields", {}))
