"""Extractive answers: the sentences of the retrieved passages that best answer a question.

An answer is only ever a sentence copied from a document, with the offsets that locate it in
``Document.text``, so a reader can check every word against its source. Each sentence is scored
by how close its meaning is to the question (cosine of the question's query embedding and the
sentence's passage embedding, the same model as the index) plus how many of the question's
character bigrams it contains, which rewards sentences that repeat the question's own terms
(numbers, names) that a small embedding model blurs, less a little per place its passage ranks
below the top one (an index with sentence vectors, the default, already holds most sentences' vectors,
so only the others are embedded at question time). Two adjacent sentences are scored as one candidate
too, so an answer that runs across a sentence end is quoted whole, and a document's title is never quoted.

A close sentence is not yet an answer. Only a sentence that holds what the question asks for
(``indexer.retrieval.questions``: a number with the asked unit, a date, a body ...) from a document
about the places the question names may answer it, and the chosen one carries a calibrated
confidence (``indexer.retrieval.confidence``, model ``answer``): the probability that it holds the
right fact, from its score, how much of the question it and its document's title cover, and the
confidence of the passages read. No answer is given below the deployment's floor, nor when the best
sentence scores under the threshold measured on answerable and off-topic questions
(``answer_calibration.json``, written by ``eval.answer_threshold``): a wrong quote would look as
authoritative as a right one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.embed import Embedder
from indexer.embed.adapter import AdaptedEmbedder
from indexer.gongwen.sentences import MIN_SENTENCE_CHARS, matched_sentences, split_sentences
from indexer.index.base import ChunkIndex
from indexer.retrieval import fact_spans, questions
from indexer.retrieval.confidence import FAMILY_FEATURES, Calibration
from indexer.retrieval.search import Hit

CALIBRATION_FILE = Path(__file__).resolve().parent / "answer_calibration.json"

LEXICAL_WEIGHT = 0.5  # weight of bigram recall next to cosine similarity
MAX_SENTENCES = 3
# further sentences join the answer only when they score nearly as well as the best one
RELATIVE_MARGIN = 0.05
PASSAGE_RANK_PENALTY = 0.02  # per place a passage ranks below the top one (5-fold CV on NCPP dev)
_CONTINUES = ("：", ":", "；", ";", "，", ",")  # a sentence cut here runs on into the next one
_WORD_CHARS = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")


def bigrams(text: str) -> set[str]:
    """Character bigrams of the CJK/alphanumeric runs (single characters for one-character runs)."""
    grams: set[str] = set()
    for run in _WORD_CHARS.findall(text.lower()):
        grams.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return grams


def lexical_overlap(question: str, sentence: str) -> float:
    """Share of the question's bigrams that the sentence contains."""
    wanted = bigrams(question)
    return len(wanted & bigrams(sentence)) / len(wanted) if wanted else 0.0


@dataclass(frozen=True)
class ScoredSentence:
    text: str
    char_start: int  # offsets in the document's text
    char_end: int
    score: float
    hit: Hit  # the passage the sentence was read from
    cosine: float = 0.0  # the score's parts: cosine of question and sentence, and bigram recall
    lexical: float = 0.0


ANSWER_FEATURES = FAMILY_FEATURES["answer"]
# why a question got no answer
NOTHING_RETRIEVED, OFF_TOPIC, NOT_STATED, UNSURE = "nothing_retrieved", "off_topic", "not_stated", "low_confidence"


@dataclass(frozen=True)
class Answer:
    sentences: list[ScoredSentence]  # empty when no answer is given
    best_score: float | None  # the best sentence's score, answered or not (None: nothing to read)
    confidence: float | None = None  # of the best sentence that holds what was asked (None: none does)
    span: tuple[int, int] | None = None  # the asked fact in the first sentence, as offsets in its document
    reason: str | None = None  # why there is no answer (NOT_STATED: no sentence holds what was asked ...)

    @property
    def found(self) -> bool:
        return bool(self.sentences)


def candidate_sentences(hits: list[Hit]) -> list[tuple[str, int, int, Hit]]:
    """(text, start, end, hit) for each distinct sentence of the hits' chunks, in document offsets.

    The document's title is no answer: a sentence that begins with it (a news text runs its title
    into the first sentence with no full stop between) is read from where the title ends, since
    the title's terms match the question and would carry the opening sentence to the top."""
    seen: set[tuple[str, int, int]] = set()
    candidates = []
    for hit in hits:
        chunk = hit.chunk
        title_end = _title_end(hit)
        for span in split_sentences(chunk.text):
            start, end = chunk.char_start + span.start, chunk.char_start + span.end
            if start < title_end:
                start = min(end, title_end)
                while start < end and chunk.text[start - chunk.char_start].isspace():
                    start += 1
            if end - start < MIN_SENTENCE_CHARS:
                continue
            key = (chunk.doc_id, start, end)
            if key not in seen:
                seen.add(key)
                candidates.append((chunk.text[start - chunk.char_start : end - chunk.char_start], start, end, hit))
    return candidates


def _title_end(hit: Hit) -> int:
    """Where the document's title ends when its text opens with it (else 0)."""
    text, title = hit.document.text, (hit.document.meta.title or "").strip()
    start = len(text) - len(text.lstrip())
    return start + len(title) if title and text.startswith(title, start) else 0


def score_sentences(
    question: str, hits: list[Hit], embedder: Embedder, index: ChunkIndex | None = None
) -> list[ScoredSentence]:
    """Every candidate sentence of ``hits`` (and pair of adjacent ones) scored against ``question``,
    best first; ``index``, the one searched, supplies the sentence vectors it keeps."""
    candidates, query, vectors = sentence_inputs(question, hits, embedder, index)
    return rank_candidates(question, candidates, query, vectors) if candidates else []


def sentence_inputs(question: str, hits: list[Hit], embedder: Embedder, index: ChunkIndex | None = None
                    ) -> tuple[list[tuple[str, int, int, Hit]], np.ndarray, np.ndarray]:
    """What ``rank_candidates`` reads: the candidate sentences of ``hits``, the question's vector and theirs."""
    candidates = candidate_sentences(hits)
    if not candidates:
        return [], np.empty(0), np.empty((0, 0))
    # the model's own question vector: the query adapter was trained to find passages, and the
    # threshold was calibrated on plain cosines
    if isinstance(embedder, AdaptedEmbedder):
        embedder = embedder.inner
    query = embedder.encode_queries([question])[0]
    vectors = sentence_vectors(candidates, embedder, index)
    return candidates, np.asarray(query, dtype=float), np.asarray(vectors, dtype=float)


def sentence_vectors(candidates: list[tuple[str, int, int, Hit]], embedder: Embedder,
                     index: ChunkIndex | None) -> np.ndarray:
    """Each candidate's passage vector: the index's own where it keeps that very sentence of that
    chunk, the model's for the rest (a sentence cut after a title, an index without sentences)."""
    stored: dict[tuple[str, str], np.ndarray] = {}
    if index is not None and index.manifest.sentences:
        chunks = list({hit.chunk.chunk_id: hit.chunk for *_, hit in candidates}.values())
        rows = np.array([index.rows_of(chunk.doc_id).start + chunk.index for chunk in chunks], dtype=np.int64)
        found, counts = index.sentence_vectors(rows)
        at = 0
        for chunk, count in zip(chunks, counts.tolist()):
            texts = matched_sentences(chunk.text)
            if len(texts) == count:  # the stored split is today's
                stored.update(((chunk.chunk_id, text), found[at + i]) for i, text in enumerate(texts))
            at += count
    missing = [i for i, (text, *_, hit) in enumerate(candidates) if (hit.chunk.chunk_id, text) not in stored]
    computed = embedder.encode_passages([candidates[i][0] for i in missing]) if missing else np.empty((0, 0))
    vectors = [stored.get((hit.chunk.chunk_id, text)) for text, *_, hit in candidates]
    for i, vector in zip(missing, computed):
        vectors[i] = vector
    return np.asarray(vectors, dtype=np.float32)


def rank_candidates(
    question: str, candidates: list[tuple[str, int, int, Hit]], query: np.ndarray, vectors: np.ndarray,
) -> list[ScoredSentence]:
    """The candidates (rows of ``vectors``) and each pair of adjacent ones, scored and sorted best first.

    A sentence's score is its cosine plus ``LEXICAL_WEIGHT`` x bigram recall, less
    ``PASSAGE_RANK_PENALTY`` per place its passage ranks below the top one (the top passage is
    the likeliest source). A pair of adjacent sentences of one passage is scored the same way on
    their joined text, with the normalised sum of their vectors for its embedding (no model call):
    a span that runs across a sentence end is then quoted whole."""
    def scored(text: str, start: int, end: int, hit: Hit, cosine: float) -> ScoredSentence:
        lexical = lexical_overlap(question, text)
        score = cosine + LEXICAL_WEIGHT * lexical - PASSAGE_RANK_PENALTY * (hit.rank - 1)
        return ScoredSentence(text, start, end, score, hit, cosine, lexical)

    cosines = vectors @ query
    result = [scored(*candidate, float(cos)) for candidate, cos in zip(candidates, cosines)]
    for i in range(len(candidates) - 1):
        (_, start, _, hit), (_, _, end, next_hit) = candidates[i], candidates[i + 1]
        if next_hit is not hit:
            continue
        pair = vectors[i] + vectors[i + 1]
        cosine = float(pair @ query) / max(float(np.linalg.norm(pair)), 1e-12)
        text = hit.chunk.text[start - hit.chunk.char_start : end - hit.chunk.char_start]
        result.append(scored(text, start, end, hit, cosine))
    return sorted(result, key=lambda s: s.score, reverse=True)


def continued(sentence: ScoredSentence) -> ScoredSentence:
    """The sentence with the next one of its passage when it stops at a colon, semicolon or comma
    (a list after 如下：, a clause cut for length), so a span across the cut is quoted whole."""
    if not sentence.text.endswith(_CONTINUES):
        return sentence
    chunk = sentence.hit.chunk
    for span in split_sentences(chunk.text):
        start = chunk.char_start + span.start
        if start >= sentence.char_end:
            end = chunk.char_start + span.end
            text = chunk.text[sentence.char_start - chunk.char_start : span.end]
            return ScoredSentence(text, sentence.char_start, end, sentence.score, sentence.hit, sentence.cosine,
                                  sentence.lexical)
    return sentence


def select(scored: list[ScoredSentence], threshold: float) -> list[ScoredSentence]:
    """The 1-3 best of ``scored`` (best first) when the best reaches ``threshold``; else none."""
    if not scored or scored[0].score < threshold:
        return []
    floor = max(threshold, scored[0].score - RELATIVE_MARGIN)
    chosen = [continued(s) for s in scored[:MAX_SENTENCES] if s.score >= floor]
    kept: list[ScoredSentence] = []
    for sentence in chosen:
        if not any(_overlaps(sentence, other) for other in kept):
            kept.append(sentence)
    return kept


def _overlaps(sentence: ScoredSentence, other: ScoredSentence) -> bool:
    """Whether ``other`` already quotes part of ``sentence`` (a pair or a continued sentence took it in)."""
    return (sentence.hit.chunk.doc_id == other.hit.chunk.doc_id
            and sentence.char_start < other.char_end and other.char_start < sentence.char_end)


def extract_answer(question: str, hits: list[Hit], embedder: Embedder, threshold: float,
                   index: ChunkIndex | None = None, calibration: Calibration | None = None,
                   floor: float | None = None) -> Answer:
    """The 1-3 best sentences that hold what ``question`` asks, when the best reaches ``threshold``
    and (with a calibration) its confidence reaches ``floor``; otherwise no sentences and the reason."""
    return decide(question, score_sentences(question, hits, embedder, index), hits, threshold, calibration, floor)


def decide(question: str, scored: list[ScoredSentence], hits: list[Hit], threshold: float,
           calibration: Calibration | None = None, floor: float | None = None) -> Answer:
    """The answer to ``question`` from its scored sentences (in the order preferred, by the rule best
    first): only sentences that hold the asked fact, from a document about the places asked, are candidates."""
    if not scored:
        return Answer([], None, reason=NOTHING_RETRIEVED)
    best_score = max(s.score for s in scored)
    if best_score < threshold:
        return Answer([], best_score, reason=OFF_TOPIC)
    asked = questions.analyse(question)
    eligible = candidates_holding(asked, scored)
    if not eligible:
        return Answer([], best_score, reason=NOT_STATED)
    confidence = None
    if calibration is not None:
        x = answer_features(asked, eligible[0], best_score, hits)
        confidence = float(calibration.model("answer").predict(x[None, :])[0])
        if floor is not None and confidence < floor:
            return Answer([], best_score, confidence, reason=UNSURE)
    # the threshold keeps off-topic questions out (above); the sentence that holds the asked fact may
    # score under it (联系电话：… is short and shares few words), its confidence then decides
    chosen = select(eligible, min(threshold, eligible[0].score))
    span = answer_span(asked, chosen[0])
    return Answer(chosen, best_score, confidence, span)


def candidates_holding(asked: questions.Asked, scored: list[ScoredSentence]) -> list[ScoredSentence]:
    """The scored sentences that hold the asked fact, from documents that name the places and numbers asked."""
    return [s for s in scored if answer_span(asked, s) is not None and _about_places(asked, s)]


def answer_span(asked: questions.Asked, sentence: ScoredSentence) -> tuple[int, int] | None:
    """Where the asked fact is in ``sentence`` (document offsets): of the spans that hold it, the one
    with the most question terms around it; None when the sentence holds none."""
    spans = fact_spans.answer_spans(asked, sentence.text)
    if not spans:
        return None
    if asked.kind is None:
        return sentence.char_start, sentence.char_end

    best = max(spans, key=lambda span: (_terms_near(asked, sentence.text, span), -span[0]))
    start, end = fact_spans.widened(asked, sentence.text, best)
    return sentence.char_start + start, sentence.char_start + end


def _terms_near(asked: questions.Asked, text: str, span: tuple[int, int]) -> int:
    """How many of the question's terms stand within ``SPAN_WINDOW`` characters of ``span``."""
    window = text[max(0, span[0] - SPAN_WINDOW): span[1] + SPAN_WINDOW]
    return sum(term in window for term in asked.terms)


SPAN_WINDOW = 15  # characters either side of a candidate span in which question terms count for it


def _about_places(asked: questions.Asked, sentence: ScoredSentence) -> bool:
    """Whether the sentence's document names the places and the numbers (years, counts) the question does."""
    document = sentence.hit.document
    meta = document.meta
    context = f"{meta.title or ''} {meta.issuer or ''} {meta.region or ''} {meta.date or ''} {document.text}"
    return questions.places_present(asked, context) and questions.numbers_present(asked, context)


def answer_features(asked: questions.Asked, sentence: ScoredSentence, best_score: float,
                    hits: list[Hit]) -> np.ndarray:
    """``ANSWER_FEATURES`` of the candidate sentence the answer would start with."""
    hit = sentence.hit
    context = f"{hit.document.meta.title or ''} {hit.chunk.section} {sentence.text}"
    span = answer_span(asked, sentence)
    near = 1.0
    if span is not None and asked.kind is not None and asked.terms:  # the fact labelled by the question's words
        local = (span[0] - sentence.char_start, span[1] - sentence.char_start)
        near = _terms_near(asked, sentence.text, local) / len(asked.terms)
    return np.array([
        sentence.score,
        lexical_overlap(" ".join(asked.terms), sentence.text),
        questions.coverage(asked, sentence.text),
        questions.coverage(asked, context),
        hit.confidence if hit.confidence is not None else 0.0,
        hits[0].confidence if hits and hits[0].confidence is not None else 0.0,
        1.0 if asked.kind is not None else 0.0,
        best_score - sentence.score,
        questions.number_cover(asked, sentence.text),
        near if asked.kind is not None else questions.coverage(asked, sentence.text),
    ], dtype=np.float64)


def load_threshold(path: Path = CALIBRATION_FILE) -> float:
    """The measured threshold; run ``python -m eval.answer_threshold`` to measure it again."""
    return float(json.loads(path.read_text(encoding="utf-8"))["threshold"])
