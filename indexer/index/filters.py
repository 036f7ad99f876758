"""Metadata filters: which documents a search may return; applied before ranking, by every backend.

A store turns filters into a ``Selection`` (``ChunkIndex.select``): the rows they allow and the filters
themselves, so that a backend able to apply them in its engine (Milvus) does so instead of listing rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from indexer.errors import BadInput
from indexer.gongwen.numbers import normalize_doc_number
from indexer.models import Document


@dataclass(frozen=True)
class SearchFilters:
    """Document metadata constraints; issuer and region match substrings, the rest exactly."""

    issuer: str | None = None
    doc_type: str | None = None
    region: str | None = None
    doc_number: str | None = None  # any bracket style: 普教办[2024]3号 == 普教办〔2024〕3号
    date_from: str | None = None  # ISO YYYY-MM-DD, inclusive
    date_to: str | None = None

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                date.fromisoformat(value)
            except (TypeError, ValueError):
                raise BadInput(f"filter {name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadInput(f"filter date_from {self.date_from} is after date_to {self.date_to}")

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in fields(self))

    def matches(self, doc: Document) -> bool:
        meta = doc.meta
        if self.issuer and self.issuer not in (meta.issuer or ""):
            return False
        if self.region and self.region not in (meta.region or ""):
            return False
        if self.doc_type and self.doc_type != meta.doc_type:
            return False
        if self.doc_number and normalize_doc_number(self.doc_number) != normalize_doc_number(meta.doc_number or ""):
            return False
        if self.date_from and not (meta.date and meta.date >= self.date_from):
            return False
        if self.date_to and not (meta.date and meta.date <= self.date_to):
            return False
        return True


@dataclass(frozen=True, eq=False)
class Selection:
    """Rows a search may return, in row order, and the filters that chose them; ``filters`` is None
    for rows chosen any other way (a document left out, a held-out set): those are searched by row."""

    rows: np.ndarray
    filters: SearchFilters | None = None

    def __len__(self) -> int:
        return len(self.rows)


def rows_matching(documents: Mapping[str, Document], doc_rows: Mapping[str, range],
                  filters: SearchFilters) -> np.ndarray:
    """Rows of the documents ``filters`` allow, in row order."""
    rows = [np.arange(r.start, r.stop) for doc_id, doc in documents.items()
            if filters.matches(doc) and len(r := doc_rows.get(doc_id, range(0)))]
    return np.sort(np.concatenate(rows)) if rows else np.empty(0, dtype=np.int64)
