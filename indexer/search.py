"""Ranked, cited passages from an index: dense, lexical (BM25) or both fused.

Each retriever contributes its best ``max(100, 5 * top_k)`` candidates; hybrid search fuses
them either by reciprocal rank (RRF) or by a weighted sum of min-max normalised scores.
Metadata filters select documents first; when the selection is small, its chunks are scored
exhaustively, so a restrictive filter never loses a match the unfiltered search would cut.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import Embedder, load_embedder
from indexer.lexical import normalize_doc_number, query_terms, tokenize
from indexer.models import Chunk, Document
from indexer.store import Index, check_model

# Defaults of hybrid fusion, chosen on the dev splits (eval/results.md): a 0.7/0.3 weighted sum of
# min-max normalised scores, the middle of the dense weights 0.65-0.75 that score above both BM25
# and dense on both sets (nDCG@10 MSGA 0.790 vs dense 0.779, NCPP 0.875 vs BM25 0.869); no RRF
# setting does.
DEFAULT_FUSION = "linear"  # "rrf" | "linear"
DEFAULT_DENSE_WEIGHT = 0.7  # share of the dense retriever in either fusion
DEFAULT_RRF_K = 60
MIN_DEPTH = 100  # candidates per retriever: max(MIN_DEPTH, DEPTH_FACTOR * top_k)
DEPTH_FACTOR = 5
EXACT_FILTER_ROWS = 50_000  # filtered selections up to this many chunks are scored exhaustively
MODES = ("hybrid", "dense", "lexical")
FUSIONS = ("rrf", "linear")


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
                raise ValueError(f"filter {name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"filter date_from {self.date_from} is after date_to {self.date_to}")

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


@dataclass
class Hit:
    rank: int
    score: float
    chunk: Chunk
    document: Document
    highlights: list[tuple[int, int]]  # offsets in chunk.text of query terms
    scores: dict[str, float] = field(default_factory=dict)  # dense, lexical (and fused) scores

    def citation(self) -> dict[str, Any]:
        meta = self.document.meta
        return {
            "doc_id": self.document.doc_id,
            "source": self.document.source,
            "title": meta.title,
            "doc_number": meta.doc_number,
            "issuer": meta.issuer,
            "date": meta.date,
            "section": self.chunk.section,
            "page": self.chunk.page,
            "char_start": self.chunk.char_start,
            "char_end": self.chunk.char_end,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": self.score,
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": self.score,
            "doc_id": self.document.doc_id,
            "source": self.document.source,
            "meta": self.document.meta.to_dict(),
            "passages": [hit.to_dict() for hit in self.hits],
        }


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans of ``terms`` in ``text``, tolerant of spaces and bracket styles."""
    spans: list[tuple[int, int]] = []
    for term in terms:
        pattern = r"\s*".join(_char_pattern(ch) for ch in term)
        if term[0].isdigit():  # "3" must not light up inside 2023
            pattern = r"(?<!\d)" + pattern
        if term[-1].isdigit():
            pattern += r"(?!\d)"
        spans.extend(m.span() for m in re.finditer(pattern, text, flags=re.IGNORECASE) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


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
        index: Index,
        embedder: Embedder | None = None,
        *,
        fusion: str = DEFAULT_FUSION,
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
        rrf_k: float = DEFAULT_RRF_K,
    ) -> None:
        if fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {', '.join(FUSIONS)}, not {fusion!r}")
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"dense_weight must lie in [0, 1], not {dense_weight}")
        if rrf_k <= 0:
            raise ValueError(f"rrf_k must be positive, not {rrf_k}")
        if embedder is not None:
            check_model(index.manifest, embedder.model_id, dim=embedder.dim, index_dir=index.path)
        self.index = index
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self._embedder = embedder
        self._embedder_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        """The index's own model, loaded on first dense query (lexical search never needs it)."""
        with self._embedder_lock:
            if self._embedder is None:
                manifest = self.index.manifest
                self._embedder = load_embedder(
                    manifest["model"], query_prefix=manifest.get("query_prefix"),
                    passage_prefix=manifest.get("passage_prefix"), cache=False,
                )
            return self._embedder

    def search(
        self, query: str, top_k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None
    ) -> list[Hit]:
        ranked = self._ranked(query, top_k, mode, filters)
        terms = query_terms(query)
        hits = []
        for rank, (row, score, scores) in enumerate(ranked, start=1):
            chunk = self.index.chunks[row]
            hits.append(Hit(rank, score, chunk, self.index.documents[chunk.doc_id],
                            highlight_spans(chunk.text, terms), scores))
        return hits

    def search_documents(
        self, query: str, top_k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
        passages_per_doc: int = 3,
    ) -> list[DocumentHit]:
        """Documents ranked by their best passage, each with up to ``passages_per_doc`` passages."""
        if passages_per_doc < 1:
            raise ValueError(f"passages_per_doc must be at least 1, not {passages_per_doc}")
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
            documents.append(DocumentHit(rank, kept[0].score, kept[0].document, kept))
        return documents

    # ------------------------------------------------------------------ ranking

    def _ranked(
        self, query: str, top_k: int, mode: str, filters: SearchFilters | None
    ) -> list[tuple[int, float, dict[str, float]]]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not query or not query.strip():
            raise ValueError("query is empty")
        total = len(self.index.chunks)
        top_k = min(int(top_k), total)
        if top_k <= 0:
            return []
        allowed = self._allowed_rows(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        pool = total if allowed is None else len(allowed)
        top_k = min(top_k, pool)
        depth = min(pool, max(MIN_DEPTH, DEPTH_FACTOR * top_k))

        query_vector = self.embedder.encode_queries([query])[0] if mode != "lexical" else None
        lexical_scores = self.index.lexical.scores(tokenize(query)) if mode != "dense" else None
        dense_rows = self._dense_candidates(query_vector, depth, allowed) if query_vector is not None else None
        lexical_rows = _top_positive(lexical_scores, depth, allowed) if lexical_scores is not None else None

        if mode == "dense":
            order = dense_rows
            fused = None
        elif mode == "lexical":
            order = lexical_rows
            fused = None
        else:
            order, fused = self._fuse(dense_rows, lexical_rows, query_vector, lexical_scores)
        ranked = []
        for row in order[:top_k]:
            scores: dict[str, float] = {}
            if query_vector is not None:
                scores["dense"] = float(np.dot(self.index.embeddings[row], query_vector))
            if lexical_scores is not None:
                scores["lexical"] = float(lexical_scores[row])
            if fused is not None:
                scores["fused"] = fused[row]
            score = scores["fused"] if fused is not None else scores["dense" if mode == "dense" else "lexical"]
            ranked.append((int(row), score, scores))
        return ranked

    def _allowed_rows(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        rows = [
            np.arange(self.index.doc_rows[doc_id].start, self.index.doc_rows[doc_id].stop)
            for doc_id, doc in self.index.documents.items()
            if doc_id in self.index.doc_rows and filters.matches(doc)
        ]
        return np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)

    def _dense_candidates(self, query_vector: np.ndarray, depth: int, allowed: np.ndarray | None) -> np.ndarray:
        """Rows by descending similarity; exhaustive over a small filtered selection."""
        if allowed is not None and len(allowed) <= EXACT_FILTER_ROWS:
            similarities = np.asarray(self.index.embeddings[allowed]) @ query_vector
            best = _top_indices(similarities, depth)
            return allowed[best]
        import faiss

        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            ivf = faiss.try_extract_index_ivf(self.index.dense)  # IVF takes only its own parameter type
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf is not None
                      else faiss.SearchParameters(sel=selector))
        with faiss_single_thread():
            _, ids = self.index.dense.search(query_vector.reshape(1, -1).astype(np.float32), depth, params=params)
        return ids[0][ids[0] >= 0]

    def _fuse(
        self, dense_rows: np.ndarray, lexical_rows: np.ndarray, query_vector: np.ndarray, lexical_scores: np.ndarray
    ) -> tuple[list[int], dict[int, float]]:
        weights = (self.dense_weight, 1.0 - self.dense_weight)
        fused: dict[int, float] = {}
        if self.fusion == "rrf":
            for weight, rows in zip(weights, (dense_rows, lexical_rows)):
                for position, row in enumerate(rows.tolist(), start=1):
                    fused[row] = fused.get(row, 0.0) + weight / (self.rrf_k + position)
        else:
            union = np.unique(np.concatenate([dense_rows, lexical_rows])).astype(np.int64)
            dense = np.asarray(self.index.embeddings[union]) @ query_vector
            combined = weights[0] * _min_max(dense) + weights[1] * _min_max(lexical_scores[union])
            fused = dict(zip(union.tolist(), combined.tolist()))
        order = sorted(fused, key=lambda row: (-fused[row], row))
        return order, fused


@contextmanager
def faiss_single_thread() -> Iterator[None]:
    """One query, one OpenMP thread: FAISS's threads cost more than they save on a single query
    (zhengce bench: exact search over 100k chunks 5.7 ms on one thread, 15.5 ms on two); a server
    gets its parallelism from concurrent requests. The setting is per calling thread."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def _top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values, best first, without sorting everything."""
    k = min(k, len(values))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    part = np.argpartition(-values, k - 1)[:k] if k < len(values) else np.arange(len(values))
    return part[np.lexsort((part, -values[part]))]


def _top_positive(scores: np.ndarray, depth: int, allowed: np.ndarray | None) -> np.ndarray:
    """Rows with a positive BM25 score (some query term occurs), best first."""
    rows = allowed if allowed is not None else np.arange(len(scores))
    candidate_scores = scores[rows]
    positive = candidate_scores > 0
    rows, candidate_scores = rows[positive], candidate_scores[positive]
    return rows[_top_indices(candidate_scores, depth)]


def _min_max(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12:
        return np.ones_like(values) if high > 0 else np.zeros_like(values)
    return (values - low) / (high - low)


# ----------------------------------------------------------------------------- CLI


def parse_filters(items: list[str]) -> SearchFilters:
    """``["issuer=教育局", "date_from=2024-01-01"]`` -> SearchFilters (ValueError on bad input)."""
    known = {f.name for f in fields(SearchFilters)}
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ValueError(f"filter {item!r}: expected FIELD=VALUE with FIELD one of {', '.join(sorted(known))}")
        values[name] = value.strip()
    return SearchFilters(**values)


def main_search(args: Any) -> int:
    """`zhengce search QUERY --index DIR [--top-k N] [--mode M] [--by-document] [--filter F=V] [--json]`."""
    try:
        filters = parse_filters(args.filter)
        index = Index.load(Path(args.index_dir), expect_model=args.model)
        searcher = Searcher(index)
        if args.by_document:
            results: list[Any] = searcher.search_documents(args.query, args.top_k, args.mode, filters)
        else:
            results = searcher.search(args.query, args.top_k, args.mode, filters)
    except (ValueError, FileNotFoundError) as error:
        print(f"zhengce search: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
        return 0
    if not results:
        print("no results")
    for result in results:
        if isinstance(result, DocumentHit):
            meta = result.document.meta
            print(f"{result.rank}. [{result.score:.4f}] {meta.title or result.document.source}")
            for hit in result.hits:
                print(_format_hit(hit, indent="    "))
        else:
            print(_format_hit(result))
    return 0


def _format_hit(hit: Hit, indent: str = "") -> str:
    cite = hit.citation()
    where = " · ".join(
        str(part) for part in (
            cite["doc_number"], cite["issuer"], cite["date"], cite["section"] or None,
            f"p.{cite['page']}" if cite["page"] else None, f"chars {cite['char_start']}-{cite['char_end']}",
        ) if part
    )
    quote = _quote(hit)
    return f"{indent}{hit.rank}. [{hit.score:.4f}] {cite['title'] or cite['source']}\n{indent}   {where}\n{indent}   「{quote}」"


def _quote(hit: Hit, width: int = 120) -> str:
    """A window of the passage around its first highlight, with highlights in 【】."""
    text = hit.chunk.text
    start = max(0, hit.highlights[0][0] - 20) if hit.highlights else 0
    end = min(len(text), start + width)
    pieces, cursor = [], start
    for span_start, span_end in hit.highlights:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces += [text[cursor:span_start], "【", text[span_start:span_end], "】"]
        cursor = span_end
    pieces.append(text[cursor:end])
    quote = "".join(pieces).replace("\n", " ")
    return ("…" if start > 0 else "") + quote + ("…" if end < len(text) else "")
