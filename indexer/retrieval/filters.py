"""Metadata filters as users write them (``issuer=教育局``): parsed into ``SearchFilters``, which the
index applies before ranking (``indexer.index.filters``)."""

from __future__ import annotations

from dataclasses import fields

from indexer.errors import BadInput
from indexer.index.filters import SearchFilters

__all__ = ["SearchFilters", "parse_filters"]  # SearchFilters: the name callers above the index import


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
