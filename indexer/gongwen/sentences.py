"""Where a sentence of cleaned 公文 text ends: one rule for chunking and for answer quotes.

A sentence ends after a run of 。！？；!?; together with the closing quotes or brackets that
follow it (…。” and …。）end the sentence they close), and at a line break. A sentence too long to
keep whole (a list run without full stops) is cut after its last clause mark (，、：) that fits,
or hard at the limit when there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_SENTENCE_CHARS = 6  # shorter pieces (headings such as "一、总则") match or answer nothing
SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*|\n+")
CLAUSE_END = re.compile(r"[，,、：:]")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """[start, end) cut after each sentence end; the pieces cover it exactly (whitespace kept)."""
    end = len(text) if end is None else end
    cuts = [m.end() for m in SENTENCE_END.finditer(text, start, end) if m.end() < end]
    return [(a, b) for a, b in zip([start, *cuts], [*cuts, end]) if b > a]


def clause_spans(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """[start, end) in pieces of at most ``max_chars``, each cut after the last clause mark that fits."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cuts = [m.end() for m in CLAUSE_END.finditer(text, start, start + max_chars)]
        cut = cuts[-1] if cuts else start + max_chars
        pieces.append((start, cut))
        start = cut
    if end > start:
        pieces.append((start, end))
    return pieces


def split_sentences(text: str, max_chars: int = 240) -> list[Span]:
    """Sentences of ``text`` with surrounding whitespace trimmed, none over ``max_chars`` (longer
    runs are cut at clauses); offsets index ``text``. Empty sentences are dropped."""
    spans: list[Span] = []
    for start, end in sentence_spans(text):
        start, end = _trimmed(text, start, end)
        pieces = [(start, end)] if end - start <= max_chars else clause_spans(text, start, end, max_chars)
        spans.extend(Span(*piece) for piece in (_trimmed(text, a, b) for a, b in pieces) if piece[1] > piece[0])
    return spans


def matched_sentences(text: str) -> list[str]:
    """The sentences of a chunk that are embedded on their own (an index's sentence vectors): those
    of ``split_sentences`` at least ``MIN_SENTENCE_CHARS`` long."""
    return [text[s.start : s.end] for s in split_sentences(text) if s.end - s.start >= MIN_SENTENCE_CHARS]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
