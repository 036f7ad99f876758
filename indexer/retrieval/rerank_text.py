"""The learned ranker's text features of candidate passages, for a whole pool at once.

What a passage's text gives (its normalised text and title/heading context, their letters and digits
only, its identifiers) does not depend on the query, so it is derived once per passage and kept for
the index generation (``RowTexts``); per query only the matching is left. The longest stretch of the
query found verbatim in each passage is one vectorised pass over all of them (``longest_runs``), not a
binary search of Python substring tests per passage: the same lengths, about 50 times less work.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.index.lexical import identifier_tokens, normalize

NON_WORD = re.compile(r"\W+")  # verbatim matching ignores spaces, punctuation and bracket styles
ROWS_KEPT = 65_536  # passages whose derived text is kept per index generation (about 40 MB at 600 characters)


@dataclass(frozen=True)
class RowText:
    """What one passage's text gives the features, whatever the query."""

    doc_id: str
    doc_chunks: int  # chunks of its document
    chars: int  # characters of the passage
    text: str  # normalised passage text
    context: str  # normalised "title section"
    letters: np.ndarray  # text + context, letters and digits only, as code points (verbatim runs are matched in it)
    identifiers: frozenset[str]  # 文号, 提案号, 《》 titles, counts found in text + context


class RowTexts:
    """Each row's ``RowText``, made on first use and kept (the oldest made go first past ``ROWS_KEPT``)."""

    def __init__(self, index: Any) -> None:
        self._index = index
        self._rows: dict[int, RowText] = {}
        self._lock = threading.Lock()

    def of(self, rows: list[int]) -> list[RowText]:
        found = [self._rows.get(row) for row in rows]  # a dict read needs no lock
        if all(value is not None for value in found):
            return found  # type: ignore[return-value]
        made = {row: self._make(row) for row, value in zip(rows, found) if value is None}
        with self._lock:
            self._rows.update(made)
            while len(self._rows) > ROWS_KEPT:
                del self._rows[next(iter(self._rows))]
        return [value if value is not None else made[row] for value, row in zip(found, rows)]

    def _make(self, row: int) -> RowText:
        chunk = self._index.chunks[row]
        document = self._index.documents[chunk.doc_id]
        text = normalize(chunk.text)
        context = normalize(f"{document.meta.title or ''} {chunk.section}")
        return RowText(chunk.doc_id, len(self._index.rows_of(chunk.doc_id)), len(chunk.text), text, context,
                       code_points(NON_WORD.sub("", text + context)), frozenset(identifier_tokens(text + " " + context)))


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


_CACHES_LOCK = threading.Lock()


def row_texts(index: Any) -> RowTexts:
    """The ``RowTexts`` of an index generation, kept on the index object itself (a generation is
    immutable, and its cache goes with it)."""
    with _CACHES_LOCK:
        cache = getattr(index, "_row_texts", None)
        if cache is None:
            cache = RowTexts(index)
            object.__setattr__(index, "_row_texts", cache)  # frozen dataclasses too
        return cache


def coverage(terms: list[str], texts: list[str]) -> np.ndarray:
    """Share of ``terms`` found in each text (0 without terms)."""
    if not terms:
        return np.zeros(len(texts))
    return np.array([sum(term in text for term in terms) for text in texts], dtype=np.float64) / len(terms)


def identifier_share(wanted: set[str], found: list[frozenset[str]]) -> np.ndarray:
    """Share of the query's identifiers each passage holds (0 when the query has none)."""
    if not wanted:
        return np.zeros(len(found))
    return np.array([len(wanted & have) for have in found], dtype=np.float64) / len(wanted)


def longest_runs(query: str, texts: list[np.ndarray]) -> np.ndarray:
    """For each text (code points), the length of the longest piece of ``query`` found in it verbatim.

    One pass over the query: a run ends at the current query character and at each position of
    all texts joined (0 between them: no text or query holds it) that holds that character, and is
    one longer than the run that ended at the position before with the query character before.
    That is the longest-common-substring recurrence, kept only where characters match.
    """
    best = np.zeros(len(texts), dtype=np.int64)
    if not query or not texts:
        return best
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    codes = np.concatenate([part for t in texts for part in (t, _SEPARATOR)])
    wanted = code_points(query)
    table = np.zeros(int(max(codes.max(), wanted.max())) + 1, dtype=bool)  # a lookup table: faster than isin
    table[wanted] = True
    keep = np.flatnonzero(table[codes])  # positions holding some character of the query
    kept = codes[keep]
    order = np.argsort(kept, kind="stable")
    by_char, char_positions = kept[order], keep[order]
    lows = np.searchsorted(by_char, wanted, "left")
    highs = np.searchsorted(by_char, wanted, "right")
    previous = np.empty(0, dtype=np.int64)
    previous_runs = np.empty(0, dtype=np.int64)
    ends, lengths_found = [], []
    for low, high in zip(lows.tolist(), highs.tolist()):
        positions = char_positions[low:high]  # sorted: the stable sort kept position order
        runs = np.ones(len(positions), dtype=np.int64)
        if len(previous) and len(positions):
            at = np.searchsorted(previous, positions - 1)
            found = at < len(previous)
            found[found] &= previous[at[found]] == positions[found] - 1
            runs[found] += previous_runs[at[found]]
        ends.append(positions)
        lengths_found.append(runs)
        previous, previous_runs = positions, runs
    if ends:
        owners = np.searchsorted(starts, np.concatenate(ends), "right") - 1
        np.maximum.at(best, owners, np.concatenate(lengths_found))
    return best


_SEPARATOR = np.zeros(1, dtype=np.uint32)
