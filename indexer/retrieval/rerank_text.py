"""The learned ranker's text features of candidate passages, for a whole pool at once.

What a passage's text gives (its normalised text and title/heading context, their letters and digits
only, its identifiers) does not depend on the query, so it is derived once per passage and kept for
the index generation (``RowTexts``); per query only the matching is left. The longest stretch of the
query found verbatim in each passage is one compiled pass over all of them (``longest_runs``), not a
binary search of Python substring tests per passage: the same lengths, far less work
(docs/performance.md).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.compiled import compiled
from indexer.index.base import ChunkIndex
from indexer.index.lexical import identifier_tokens, normalize

NON_WORD = re.compile(r"\W+")  # verbatim matching ignores spaces, punctuation and bracket styles
ROWS_KEPT = 65_536  # passages whose derived text is kept per index generation (about 40 MB at 600 characters)


@dataclass(frozen=True)
class RowText:
    """What one passage's text gives the features, whatever the query."""

    doc_id: str
    doc_first_row: int  # its document's first row: a number for the document
    doc_chunks: int  # chunks of its document
    chars: int  # characters of the passage
    text: str  # normalised passage text
    context: str  # normalised "title section"
    letters: np.ndarray  # text + context, letters and digits only, as code points (verbatim runs are matched in it)

    @functools.cached_property
    def identifiers(self) -> frozenset[str]:
        """文号, 提案号, 《》 titles, counts found in text + context: read only for a query that has some."""
        return frozenset(identifier_tokens(self.text + " " + self.context))


class RowTexts:
    """Each row's ``RowText``, made on first use and kept (the least recently used go first past
    ``ROWS_KEPT``; functools' cache is thread-safe: two threads may both make a row, and either copy is right)."""

    def __init__(self, index: ChunkIndex) -> None:
        self._index = index
        self._row = functools.lru_cache(maxsize=ROWS_KEPT)(self._make)

    def of(self, rows: list[int]) -> list[RowText]:
        return list(map(self._row, rows))

    def _make(self, row: int) -> RowText:
        chunk = self._index.chunks[row]
        document = self._index.documents[chunk.doc_id]
        text = normalize(chunk.text)
        context = normalize(f"{document.meta.title or ''} {chunk.section}")
        rows = self._index.rows_of(chunk.doc_id)  # a document's chunks are consecutive rows
        return RowText(chunk.doc_id, rows.start, len(rows), len(chunk.text), text, context,
                       code_points(NON_WORD.sub("", text + context)))


def code_points(text: str) -> np.ndarray:
    """One uint32 per character (a lone surrogate keeps its own number)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_CACHES_LOCK = threading.Lock()


def row_texts(index: ChunkIndex) -> RowTexts:
    """The ``RowTexts`` of an index generation, kept on the index object itself (a generation is
    immutable, and its cache goes with it)."""
    with _CACHES_LOCK:
        cache = getattr(index, "_row_texts", None)
        if cache is None:
            cache = RowTexts(index)
            object.__setattr__(index, "_row_texts", cache)  # frozen dataclasses too
        return cache


def coverage(terms: list[str], texts: list[str]) -> np.ndarray:
    """Share of ``terms`` found in each text (0 without terms): ``sum(term in text for term in terms) /
    len(terms)``, for all texts in one compiled pass over their code points (``_terms_found``)."""
    if not terms:
        return np.zeros(len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=starts[1:])
    words = [term for term in terms if term]  # "" is in every text
    term_starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), out=term_starts[1:])
    found = np.zeros(len(texts), dtype=np.int64)
    _terms_found(code_points("".join(words)), term_starts, code_points("".join(texts)), starts, found)
    return (found + (len(terms) - len(words))).astype(np.float64) / len(terms)


@compiled
def _terms_found(term_codes: np.ndarray, term_starts: np.ndarray, codes: np.ndarray, starts: np.ndarray,
                 found: np.ndarray) -> None:
    """``found[t]``: how many of the terms (``term_codes[term_starts[k]:term_starts[k + 1]]``, none empty)
    occur in text ``t`` (``codes[starts[t]:starts[t + 1]]``). A text position whose character starts
    no term is passed over after one look in a table; a term found once in a text is not looked for again."""
    terms = len(term_starts) - 1
    firsts = term_codes[term_starts[:-1]]
    starts_a_term = np.zeros(65_536, dtype=np.bool_)  # the first characters in the basic plane
    for k in range(terms):
        if firsts[k] < 65_536:
            starts_a_term[firsts[k]] = True
    seen_in = np.full(terms, -1, dtype=np.int64)  # the last text each term was found in
    for text in range(len(starts) - 1):
        end = starts[text + 1]
        count = 0
        for at in range(starts[text], end):
            code = codes[at]
            if code < 65_536 and not starts_a_term[code]:
                continue
            for k in range(terms):
                first, length = term_starts[k], term_starts[k + 1] - term_starts[k]
                if firsts[k] != code or seen_in[k] == text or at + length > end:
                    continue
                matched = 1
                while matched < length and codes[at + matched] == term_codes[first + matched]:
                    matched += 1
                if matched == length:
                    seen_in[k] = text
                    count += 1
        found[text] = count


def identifier_share(wanted: set[str], texts: Sequence[RowText]) -> np.ndarray:
    """Share of the query's identifiers each passage holds (0 when the query has none)."""
    if not wanted:
        return np.zeros(len(texts))
    return np.array([len(wanted & text.identifiers) for text in texts], dtype=np.float64) / len(wanted)


def longest_runs(query: str, texts: list[np.ndarray]) -> np.ndarray:
    """For each text (code points), the length of the longest piece of ``query`` found in it verbatim.

    The longest-common-substring recurrence, kept only where characters match: a run ends at a
    text position and a query position holding the same character, one longer than the run that
    ended one position before in both. Each text position is looked up in a table of the query's
    characters, so a position holding none of them costs one lookup (``_runs``, compiled).
    """
    best = np.zeros(len(texts), dtype=np.int64)
    if not query or not texts:
        return best
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)), out=starts[1:])
    wanted = code_points(query)
    distinct, group = np.unique(wanted, return_inverse=True)
    # the query's positions by character, each character's last first (see _runs), and where each one's begin
    positions = np.lexsort((-np.arange(len(wanted)), group)).astype(np.int64)
    group_starts = np.searchsorted(group[positions], np.arange(len(distinct) + 1)).astype(np.int64)
    slot_of = np.zeros(int(distinct[-1]) + 1, dtype=np.int64)  # 1 + a character's group; 0: not in the query
    slot_of[distinct] = np.arange(1, len(distinct) + 1)
    _runs(slot_of, positions, group_starts, np.concatenate(texts), starts, best)
    return best


@compiled
def _runs(slot_of: np.ndarray, positions: np.ndarray, group_starts: np.ndarray, codes: np.ndarray,
          starts: np.ndarray, best: np.ndarray) -> None:
    """``best[t]``: the longest run of text ``t`` (``codes[starts[t]:starts[t + 1]]``). ``run[i]`` is
    the length of the run ending at query position ``i`` and text position ``ended[i]``; a
    character's query positions are visited last first, so ``run[i - 1]`` still holds the text
    position before when position ``i`` reads it."""
    run = np.zeros(len(positions), dtype=np.int64)
    ended = np.full(len(positions), -2, dtype=np.int64)
    for text in range(len(starts) - 1):
        first = starts[text]
        longest = 0
        for at in range(first, starts[text + 1]):
            code = codes[at]
            if code >= len(slot_of) or slot_of[code] == 0:
                continue
            group = slot_of[code] - 1
            for k in range(group_starts[group], group_starts[group + 1]):
                i = positions[k]
                length = 1
                if i > 0 and at > first and ended[i - 1] == at - 1:
                    length = run[i - 1] + 1
                run[i] = length
                ended[i] = at
                longest = max(longest, length)
        best[text] = longest


def compile_loops() -> None:
    """Load (or, the first time on a machine, compile) ``_runs`` and ``_terms_found`` now, not in a search."""
    longest_runs("a", [code_points("ba")])
    coverage(["ab"], ["cab"])
