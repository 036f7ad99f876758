"""Metadata filters: which documents a search may return; applied before ranking, by every backend."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import BadInput
from indexer.gongwen.numbers import normalize_doc_number
from indexer.models import Document

if TYPE_CHECKING:
    from indexer.index.base import ChunkIndex


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


def rows_matching(index: ChunkIndex, filters: SearchFilters | None) -> np.ndarray | None:
    """Rows of the documents ``filters`` allow, in row order; None when nothing is filtered."""
    if filters is None or filters.is_empty():
        return None
    rows = [np.arange(r.start, r.stop) for doc_id, doc in index.documents.items()
            if filters.matches(doc) and len(r := index.rows_of(doc_id))]
    return np.sort(np.concatenate(rows)) if rows else np.empty(0, dtype=np.int64)


def parse_filters(items: list[str]) -> SearchFilters:
    """``["issuer=教育局", "date_from=2024-01-01"]`` -> SearchFilters (BadInput on bad input)."""
    known = {f.name for f in fields(SearchFilters)}
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise BadInput(f"filter {item!r}: expected FIELD=VALUE with FIELD one of {', '.join(sorted(known))}")
        values[name] = value.strip()
    return SearchFilters(**values)
