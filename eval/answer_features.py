"""What a learned sentence choice would read of each candidate answer sentence (or pair) of a question
(``eval.answer_select``: measured, not served).

The rule (``answers.rank_candidates``) sums two closeness signals, and on NCPP most of its misses quote
a sentence of the right passage ranked above the one that holds the gold span. So each candidate is
described by what /ask knows of it at serve time: its score and the score's parts and how far each
trails the question's best, where its passage ranks and how sure the passage's confidence is, whether
it holds the kind of fact asked (``fact_spans``) with the question's terms around it, from a document
about the places asked, how much of the question it and its heading cover, where it stands in its
document, its length, and whether it reads like a heading, a salutation or a question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from indexer.index.lexical import normalize
from indexer.retrieval import fact_spans, questions
from indexer.retrieval.answers import bigrams

if TYPE_CHECKING:
    from indexer.retrieval.answers import ScoredSentence
    from indexer.retrieval.search import Hit

FEATURES = (
    "score", "cosine", "lexical", "score_gap", "cosine_gap", "lexical_gap", "rule_rank_log",
    "passage_rank", "passage_confidence", "confidence_gap", "doc_hits", "pair", "chars_log",
    "opening", "doc_position", "holds", "typed_holds", "about", "near", "cover", "cover_context", "numbers",
    "counted", "enumerated", "unterminated", "addressed", "question_shaped", "digits", "colon_end",
    "precision", "novel_log", "prev_lexical", "prev_cosine", "next_lexical", "next_cosine",
    "lexical_idf", "lexical_idf_gap", "terms_idf", "terms_idf_gap",
)
NEAR_WINDOW = 15  # characters either side of a fact span in which the question's terms count for it

_SENTENCE_END = re.compile(r"[。！？；!?;]")
_ENUMERATED = re.compile(r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[章条节款部分]|[一二三四五六七八九十]+[、.．]|"
                         r"[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d))")
_TERMINATED = re.compile(r"[。！？；!?;”’」』）)…]\s*$")
_ADDRESSED = re.compile(r"^(?:各|尊敬的|亲爱的).{0,60}[：:]\s*$|(?:同志|单位|部门|朋友)们?[：:]\s*$")
_QUESTION = re.compile(r"[？?]|[吗呢][。！]?\s*$")
_DIGITS = re.compile(r"\d|[一二三四五六七八九十百千万两]+[个项条次家人元年月日天%]")


def features(question: str, asked: questions.Asked, scored: Sequence[ScoredSentence], hits: Sequence[Hit]) -> np.ndarray:
    """The (len(scored), len(FEATURES)) matrix of one question's candidates, ``scored`` best first by the rule."""
    if not scored:
        return np.empty((0, len(FEATURES)))
    best_score = max(s.score for s in scored)
    best_cosine = max(s.cosine for s in scored)
    best_lexical = max(s.lexical for s in scored)
    top_confidence = _confidence(hits[0]) if hits else 0.0
    doc_hits = [h.document.doc_id for h in hits]
    starts = {(s.hit.document.doc_id, s.char_start, s.char_end) for s in scored}
    typed = asked.kind is not None
    wanted = bigrams(question)
    neighbours = _neighbours(scored)
    grams = [bigrams(s.text) for s in scored]
    gram_weights = _local_idf(wanted, grams)
    normalized = [normalize(s.text) for s in scored]
    term_weights = _local_idf(set(asked.terms), [{t for t in asked.terms if t in n} for n in normalized])
    lexical_idf = np.array([_weighted(gram_weights, g) for g in grams])
    terms_idf = np.array([_weighted(term_weights, {t for t in asked.terms if t in n}) for n in normalized])
    rows = []
    for position, s in enumerate(scored):
        hit, text = s.hit, s.text
        document = hit.document
        spans = fact_spans.answer_spans(asked, text)
        holds = bool(spans) and _about_places(asked, hit)
        rows.append([
            s.score, s.cosine, s.lexical, best_score - s.score, best_cosine - s.cosine, best_lexical - s.lexical,
            math.log1p(position), hit.rank, _confidence(hit), top_confidence - _confidence(hit),
            doc_hits.count(document.doc_id) / max(1, len(doc_hits)),
            float(_is_pair(s, starts)), math.log1p(len(text)),
            float(not _SENTENCE_END.search(document.text[: s.char_start])), s.char_start / max(1, len(document.text)),
            float(bool(spans)), float(typed and bool(spans)), float(holds),
            _near(asked, text, spans) if typed else questions.coverage(asked, text),
            questions.coverage(asked, text),
            questions.coverage(asked, f"{document.meta.title or ''} {hit.chunk.section} {text}"),
            questions.number_cover(asked, text), _counted(asked, text),
            float(bool(_ENUMERATED.match(text))), float(not _TERMINATED.search(text)),
            float(bool(_ADDRESSED.search(text))), float(bool(_QUESTION.search(text))),
            float(bool(_DIGITS.search(text))), float(text.rstrip().endswith(("：", ":"))),
            *_overlap(wanted, text), *_around(neighbours, s),
            lexical_idf[position], lexical_idf.max() - lexical_idf[position],
            terms_idf[position], terms_idf.max() - terms_idf[position],
        ])
    return np.asarray(rows, dtype=np.float64)


def _confidence(hit: Hit) -> float:
    return hit.confidence if hit.confidence is not None else 0.0


def _is_pair(s: ScoredSentence, spans: set[tuple[str, int, int]]) -> bool:
    """Whether the candidate is two sentences joined: another candidate of its document starts where it
    does and ends before it."""
    doc_id = s.hit.document.doc_id
    return any(d == doc_id and a == s.char_start and b < s.char_end for d, a, b in spans)


def _about_places(asked: questions.Asked, hit: Hit) -> bool:
    meta, document = hit.document.meta, hit.document
    context = f"{meta.title or ''} {meta.issuer or ''} {meta.region or ''} {meta.date or ''} {document.text}"
    return questions.places_present(asked, context) and questions.numbers_present(asked, context)


def _near(asked: questions.Asked, text: str, spans: list[tuple[int, int]]) -> float:
    """The largest share of the question's terms within ``NEAR_WINDOW`` characters of one fact span."""
    if not spans or not asked.terms:
        return 0.0 if not spans else 1.0
    return max(sum(term in text[max(0, a - NEAR_WINDOW): b + NEAR_WINDOW] for term in asked.terms)
               for a, b in spans) / len(asked.terms)


def _counted(asked: questions.Asked, text: str) -> float:
    """Whether the thing a count question counts (its noun or the words after the unit) is in ``text``;
    1 when the question counts nothing named."""
    named = [*(c for c in asked.counted if c), *([asked.noun] if asked.noun else [])]
    if not named:
        return 1.0
    normalized = normalize(text)
    return float(any(c in normalized for c in named))


def _overlap(wanted: set[str], text: str) -> tuple[float, float]:
    """Share of the candidate's bigrams that the question has, and how many it has that the question
    lacks (a sentence that only restates the question adds nothing)."""
    grams = bigrams(text)
    shared = len(grams & wanted)
    return shared / max(1, len(grams)), math.log1p(len(grams) - shared)


def _neighbours(scored: Sequence[ScoredSentence]) -> dict[tuple[str, int, int], ScoredSentence]:
    return {(s.hit.document.doc_id, s.char_start, s.char_end): s for s in scored}


def _around(neighbours: dict[tuple[str, int, int], ScoredSentence], s: ScoredSentence) -> tuple[float, ...]:
    """Bigram recall and cosine of the sentences just before and just after the candidate in its
    passage (0 where there is none): an answer often follows the sentence that the question restates."""
    doc_id = s.hit.document.doc_id
    before = [n for (d, _, b), n in neighbours.items() if d == doc_id and b <= s.char_start and s.char_start - b <= 3]
    after = [n for (d, a, _), n in neighbours.items() if d == doc_id and a >= s.char_end and a - s.char_end <= 3]
    prev = max(before, key=lambda n: n.char_start, default=None)
    nxt = min(after, key=lambda n: n.char_end, default=None)
    return (prev.lexical if prev else 0.0, prev.cosine if prev else 0.0,
            nxt.lexical if nxt else 0.0, nxt.cosine if nxt else 0.0)


def _local_idf(wanted: set[str], present: list[set[str]]) -> dict[str, float]:
    """Each wanted item's weight among this question's candidates: log((n + 1) / (df + 1)) + 1, so a
    term every candidate shares (the region, 疫情) counts less than one that few hold."""
    n = len(present)
    return {w: math.log((n + 1) / (sum(w in p for p in present) + 1)) + 1.0 for w in wanted}


def _weighted(weights: dict[str, float], found: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for item, w in weights.items() if item in found) / total if total else 0.0
