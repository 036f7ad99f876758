"""Ranked, cited passages from an index: dense, lexical (BM25) or both fused.

Each retriever contributes its best ``max(100, 5 * top_k)`` candidates (hybrid: at least
``FUSION_DEPTH``); hybrid search fuses them by reciprocal rank (RRF), by a weighted sum of min-max
normalised scores, or (``fusion="learned"``) re-scores the top of that sum with the learned ranker of
``indexer.retrieval.rerank``. The default, ``auto``, is the learned ranker wherever the index keeps
sentence vectors (which it reads) and the weighted sum elsewhere.
Metadata filters select documents first; when the selection is small, its chunks are scored
exhaustively, so a restrictive filter never loses a match the unfiltered search would cut.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.embed import Embedder
from indexer.errors import BadInput
from indexer.index.base import ChunkIndex, LexicalQuery
from indexer.index.lexical import query_terms, tokenize
from indexer.index.manifest import check_model
from indexer.index.sentences import require_sentences
from indexer.models import Chunk, Document
from indexer.retrieval import confidence, fusion, rerank
from indexer.retrieval.citations import citation_of
from indexer.retrieval.filters import SearchFilters
from indexer.retrieval.questions import content_terms

# Defaults of hybrid fusion, chosen on the dev splits: the learned ranker where the index keeps sentence
# vectors (eval/results.md, section 23), else a 0.7/0.3 weighted sum of min-max normalised scores, the
# middle of the dense weights that score above both retrievers on both sets, which no RRF setting does
# (section 2).
DEFAULT_FUSION = "auto"  # "learned" where the index keeps sentence vectors, else "linear"
DEFAULT_DENSE_WEIGHT = 0.7  # share of the dense retriever in either fusion
DEFAULT_RRF_K = 60
MIN_DEPTH = 100  # candidates per retriever: max(MIN_DEPTH, DEPTH_FACTOR * top_k)
DEPTH_FACTOR = 5
# Hybrid search fuses at least this many candidates per retriever, whatever top_k: min-max scaling
# depends on the candidates it spans, and the dev figures were measured at this depth; fusing fewer for a
# small top_k scored lower (eval/results.md, section 8).
FUSION_DEPTH = 1500
MODES = ("hybrid", "dense", "lexical")
FUSIONS = ("auto", "rrf", "linear", "learned")


@dataclass
class Hit:
    rank: int
    score: float
    chunk: Chunk
    document: Document
    highlights: list[tuple[int, int]]  # offsets in chunk.text of query terms
    scores: dict[str, float] = field(default_factory=dict)  # dense, lexical (and fused) scores
    confidence: float | None = None  # calibrated probability of relevance (None: no calibration loaded)

    def citation(self) -> dict[str, Any]:
        return citation_of(self.chunk, self.document)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": self.score,
            "confidence": self.confidence,
            "chunk_id": self.chunk.chunk_id,
            "citation": self.citation(),
            "text": self.chunk.text,
            "highlights": [list(span) for span in self.highlights],
            "scores": self.scores,
        }


@dataclass
class DocumentHit:
    rank: int
    score: float  # the best passage's score
    document: Document
    hits: list[Hit]
    confidence: float | None = None  # calibrated probability that the document is relevant

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": self.score,
            "confidence": self.confidence,
            "doc_id": self.document.doc_id,
            "source": self.document.source,
            "meta": self.document.meta.to_dict(),
            "passages": [hit.to_dict() for hit in self.hits],
        }


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans of ``terms`` in ``text``, tolerant of spaces and bracket styles."""
    spans: list[tuple[int, int]] = []
    for term in terms:
        spans.extend(m.span() for m in _term_pattern(term).finditer(text) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@functools.lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    """A query term's pattern, compiled once: spaces allowed between its characters, any bracket style."""
    pattern = r"\s*".join(_char_pattern(ch) for ch in term)
    if term[0].isdigit():  # "3" must not light up inside 2023
        pattern = r"(?<!\d)" + pattern
    if term[-1].isdigit():
        pattern += r"(?!\d)"
    return re.compile(pattern, flags=re.IGNORECASE)


def _char_pattern(ch: str) -> str:
    if ch in "〔[(【（":
        return r"[〔\[(【（]"
    if ch in "〕])】）":
        return r"[〕\])】）]"
    return re.escape(ch)


class Searcher:
    """Searches one loaded index; safe to share between threads."""

    def __init__(
        self,
        index: ChunkIndex,
        embedder: Embedder | None = None,
        *,
        fusion: str = DEFAULT_FUSION,
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
        rrf_k: float = DEFAULT_RRF_K,
        calibration: confidence.Calibration | None = None,
    ) -> None:
        if fusion not in FUSIONS:
            raise BadInput(f"fusion must be one of {', '.join(FUSIONS)}, not {fusion!r}")
        if not 0.0 <= dense_weight <= 1.0:
            raise BadInput(f"dense_weight must lie in [0, 1], not {dense_weight}")
        if rrf_k <= 0:
            raise BadInput(f"rrf_k must be positive, not {rrf_k}")
        if embedder is not None:
            check_model(index.manifest, embedder.model_id, dim=embedder.dim, index_dir=index.generation)
        if fusion == "auto":
            fusion = "learned" if index.manifest.sentences else "linear"
        self.index = index
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self._embedder = embedder
        self._embedder_lock = threading.Lock()
        if fusion == "learned":
            require_sentences(index.manifest, index.generation)
        self._ranker = rerank.TreeRanker.load() if fusion == "learned" else None  # its compiled loop loaded too
        if fusion == "learned":
            rerank.compile_loops()  # the features' compiled loop: loaded here, never in a search
        if calibration is None and confidence.MODEL_FILE.exists():
            calibration = confidence.Calibration.load()
        # the calibration reads this model's cosines: with another model's it would mislead, so none
        self.calibration = calibration if calibration is not None and calibration.fits(index.manifest) else None

    def ranker_training(self) -> dict[str, Any]:
        """The learned ranker's training record (what it was trained on, its CV figures); {} without one."""
        return self._ranker.training if self._ranker is not None else {}

    @property
    def embedder(self) -> Embedder:
        """The index's own model, loaded on first dense query (lexical search never needs it)."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = self.index.manifest.load_embedder(cache=False)
            return self._embedder

    def search(
        self, query: str, top_k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None
    ) -> list[Hit]:
        """The ``top_k`` best passages, each with its calibrated confidence."""
        hits, signals = self.search_with_signals(query, top_k, mode, filters)
        if self.calibration is not None and hits:
            family = confidence.family_of(mode, self.fusion)
            if family == "hybrid-learned" and any("learned" not in hit.scores for hit in hits):
                family = "hybrid-linear"  # a filter left the model nothing to re-score
            x = confidence.passage_features(family, self.confidence_inputs(family, hits), signals)
            for hit, p in zip(hits, self.calibration.model(family).predict(x).tolist()):
                hit.confidence = p
        return hits[:top_k]

    def search_with_signals(
        self, query: str, top_k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None
    ) -> tuple[list[Hit], confidence.QuerySignals]:
        """At least ``confidence.CONTEXT_DEPTH`` ranked passages (more when ``top_k`` asks for more),
        without confidences, and how the query sits in the collection."""
        ranked, signals = self._ranked(query, max(top_k, confidence.CONTEXT_DEPTH), mode, filters)
        terms = query_terms(query)
        hits = []
        for rank, (row, score, scores) in enumerate(ranked, start=1):
            chunk = self.index.chunks[row]
            hits.append(Hit(rank, score, chunk, self.index.documents[chunk.doc_id],
                            highlight_spans(chunk.text, terms), scores))
        return hits, signals

    def confidence_inputs(self, family: str, hits: list[Hit]) -> list[confidence.Ranked]:
        """What confidence reads of each hit."""
        return [confidence.Ranked(confidence.native_score(family, hit.scores, hit.score), hit.scores,
                                  f"{hit.document.meta.title or ''} {hit.chunk.section} {hit.chunk.text}",
                                  hit.document.doc_id, len(self.index.rows_of(hit.document.doc_id))) for hit in hits]

    def search_documents(
        self, query: str, top_k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
        passages_per_doc: int = 3,
    ) -> list[DocumentHit]:
        """Documents ranked by their best passage, each with up to ``passages_per_doc`` passages."""
        if passages_per_doc < 1:
            raise BadInput(f"passages_per_doc must be at least 1, not {passages_per_doc}")
        total = len(self.index.chunks)
        wanted = min(top_k, len(self.index.documents))
        depth = min(total, max(MIN_DEPTH, top_k * passages_per_doc))
        while True:
            hits = self.search(query, depth, mode, filters)
            grouped: dict[str, list[Hit]] = {}
            for hit in hits:
                grouped.setdefault(hit.document.doc_id, []).append(hit)
            if len(grouped) >= wanted or len(hits) < depth or depth >= total:
                break
            depth = min(total, depth * 4)
        documents = []
        for rank, doc_hits in enumerate(list(grouped.values())[:wanted], start=1):
            kept = doc_hits[:passages_per_doc]
            for i, hit in enumerate(kept, start=1):
                hit.rank = i
            documents.append(DocumentHit(rank, kept[0].score, kept[0].document, kept, kept[0].confidence))
        return documents

    # ------------------------------------------------------------------ ranking

    def _ranked(
        self, query: str, top_k: int, mode: str, filters: SearchFilters | None
    ) -> tuple[list[tuple[int, float, dict[str, float]]], confidence.QuerySignals]:
        if mode not in MODES:
            raise BadInput(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not query or not query.strip():
            raise BadInput("query is empty")
        total = len(self.index.chunks)
        top_k = min(int(top_k), total)
        nothing = confidence.QuerySignals(None, None, None, (), len(query))
        if top_k <= 0:
            return [], nothing
        allowed = self.index.select(filters)
        if allowed is not None and len(allowed) == 0:
            return [], nothing
        pool = total if allowed is None else len(allowed)
        top_k = min(top_k, pool)
        depth = min(pool, max(MIN_DEPTH, DEPTH_FACTOR * top_k, FUSION_DEPTH if mode == "hybrid" else 0))

        query_vector = self.embedder.encode_queries([query])[0] if mode != "lexical" else None
        tokens = tokenize(query) if mode != "dense" else []
        lexical = self.index.lexical(tokens) if mode != "dense" else None
        dense_rows = self.index.dense_top_k(query_vector, depth, allowed) if query_vector is not None else None
        lexical_rows = lexical.top_k(depth, allowed) if lexical is not None else None

        fused: dict[int, float] | None = None
        learned: dict[int, float] = {}
        if dense_rows is not None and lexical_rows is not None:
            assert query_vector is not None and lexical is not None
            order, fused, learned = self._fuse(query, tokens, dense_rows, lexical_rows, query_vector, lexical)
        else:
            ranked_rows = dense_rows if dense_rows is not None else lexical_rows
            assert ranked_rows is not None
            order = ranked_rows.tolist()
        rows = np.asarray(order[:top_k], dtype=np.int64)
        dense = self.index.dense_scores(query_vector, rows) if query_vector is not None else None
        lexical_scores = lexical.scores(rows) if lexical is not None else None
        ranked = []
        for i, row in enumerate(rows.tolist()):
            scores: dict[str, float] = {}
            if dense is not None:
                scores["dense"] = float(dense[i])
            if lexical_scores is not None:
                scores["lexical"] = float(lexical_scores[i])
            if fused is not None:
                scores["fused"] = fused[row]
            if row in learned:
                scores["learned"] = learned[row]
            score = scores["fused"] if fused is not None else scores["dense" if mode == "dense" else "lexical"]
            ranked.append((row, score, scores))
        dense_top = (float(self.index.dense_scores(query_vector, dense_rows[:1])[0])
                     if dense_rows is not None and query_vector is not None and len(dense_rows) else None)
        lexical_top = (float(lexical.scores(lexical_rows[:1])[0])
                       if lexical_rows is not None and lexical is not None and len(lexical_rows) else None)
        return ranked, self._signals(query, dense_top, lexical_top, dense_rows, lexical_rows)

    def _signals(self, query: str, dense_top: float | None, lexical_top: float | None,
                 dense_rows: np.ndarray | None, lexical_rows: np.ndarray | None) -> confidence.QuerySignals:
        """Each retriever's best score and how far their top documents agree (hybrid search only)."""
        agreement = None
        if dense_rows is not None and lexical_rows is not None:
            def documents(rows: np.ndarray) -> set[str]:
                return {self.index.chunks[r].doc_id for r in rows[: rerank.AGREEMENT_DEPTH].tolist()}

            agreement = len(documents(dense_rows) & documents(lexical_rows)) / rerank.AGREEMENT_DEPTH
        return confidence.QuerySignals(dense_top, lexical_top, agreement, tuple(content_terms(query)), len(query))

    def _fuse(
        self, query: str, tokens: list[str], dense_rows: np.ndarray, lexical_rows: np.ndarray,
        query_vector: np.ndarray, lexical: LexicalQuery,
    ) -> tuple[list[int], dict[int, float], dict[int, float]]:
        """The fused order, each row's fused score and (learned fusion) the model's raw score of each
        row it re-scored."""
        learned_raw: dict[int, float] = {}
        if self.fusion == "rrf":
            fused = fusion.reciprocal_rank([dense_rows, lexical_rows], [self.dense_weight, 1.0 - self.dense_weight],
                                           self.rrf_k)
        else:
            candidates = rerank.Candidates.of(self.index, tokens, query_vector, lexical, dense_rows, lexical_rows)
            combined = fusion.linear(candidates.dense, candidates.lexical, self.dense_weight)
            fused = dict(zip(candidates.union.tolist(), combined.tolist()))
            if self._ranker is not None:
                # the learned model re-scores both retrievers' top candidates; its scores, mapped into
                # (1, 2) by arctan (order kept: a sigmoid rounds large scores to equal floats), rank
                # them above the rest of the linear order (in [0, 1])
                pool, x = rerank.features(self.index, query, query_vector, lexical, candidates)
                learned = self._ranker.score(x)
                fused.update(zip(pool.tolist(), (1.5 + np.arctan(learned) / np.pi).tolist()))
                learned_raw = dict(zip(pool.tolist(), learned.tolist()))
        return fusion.ranked_rows(fused), fused, learned_raw
