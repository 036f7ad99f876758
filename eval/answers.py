"""`zhengce eval --answers`: how often /ask quotes the gold answer, at every threshold.

A BEIR set with ``answers/<split>.jsonl`` ({query-id, corpus-id, answer}: the gold span, a
substring of the gold document) is indexed like ``zhengce eval`` indexes it; each question goes
through /ask's own retrieval and sentence selection (``indexer.retrieval.answers``). Reported, over
all questions: the share whose answer sentences contain the gold span (adjacent answer sentences
read as one quote, since a span can run across a sentence end), the share whose first sentence
lies inside the gold span or contains it, the share whose first sentence comes from the gold
document, the share left unanswered and the mean length of an answer; the same at each threshold
on a grid, so the threshold is chosen on a curve.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import DatasetError, comparable, load_dataset, sample_query_ids
from eval.harness import DEFAULT_CACHE, build_index, index_key
from indexer.index.backends import open_backend

TOP_K = 5  # /ask's default number of passages read
ADJACENT_GAP = 2  # characters between two answer sentences that still read as one quote


def load_answers(dataset_dir: Path, split: str) -> dict[str, tuple[str, str]]:
    """query id -> (gold corpus id, gold span)."""
    path = Path(dataset_dir) / "answers" / f"{split}.jsonl"
    if not path.is_file():
        raise DatasetError(f"{path}: no gold answers for split {split!r} (answers/<split>.jsonl)")
    gold = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold[str(row["query-id"])] = (str(row["corpus-id"]), str(row["answer"]))
        except (json.JSONDecodeError, KeyError) as exc:
            raise DatasetError(f"{path}:{line_no}: expected {{query-id, corpus-id, answer}} ({exc})") from None
    return gold


def quotes(sentences: list[Any]) -> list[str]:
    """The answer as the reader sees it: sentences of one document that touch are one quote."""
    ordered = sorted(sentences, key=lambda s: (s.hit.document.doc_id, s.char_start))
    merged: list[list[Any]] = []
    for s in ordered:
        last = merged[-1] if merged else None
        if last and last[0] == s.hit.document.doc_id and s.char_start - last[2] <= ADJACENT_GAP:
            last[2] = max(last[2], s.char_end)
        else:
            merged.append([s.hit.document.doc_id, s.char_start, s.char_end, s.hit.document.text])
    return [text[start:end] for _, start, end, text in merged]


def judge(sentences: list[Any], gold_doc: str, gold_span: str) -> dict[str, bool]:
    """What one answer (possibly empty) got right."""
    if not sentences:
        return {"answered": False, "contains_gold": False, "first_overlaps_gold": False, "first_from_gold_doc": False}
    span = comparable(gold_span)
    first = comparable(sentences[0].text)
    return {
        "answered": True,
        "contains_gold": any(span in comparable(quote) for quote in quotes(sentences)),
        "first_overlaps_gold": bool(first) and (first in span or span in first),
        "first_from_gold_doc": sentences[0].hit.document.doc_id == gold_doc,
    }


def run_answer_eval(
    dataset_dir: Path, split: str = "dev", max_queries: int | None = None, cache_dir: Path = DEFAULT_CACHE, *,
    seed: int = 0, settings: Any = None, embedder: Any = None, thresholds: list[float] | None = None,
    index_dir: Path | None = None, fusion: str = "auto",
) -> dict[str, Any]:
    """Answer accuracy of /ask's selection over (a seeded sample of) the split, per threshold.

    ``index_dir``: read this built index (e.g. the one a ``zhengce eval --json`` run names)
    instead of bringing the dataset's cached index up to date. ``fusion``: the hybrid fusion of
    the retrieval behind the answers (the API's ``ZHENGCE_FUSION``)."""
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.answers import load_threshold, score_sentences, select
    from indexer.retrieval.search import Searcher

    settings = settings if settings is not None else IndexSettings()
    if fusion == "learned":
        settings = replace(settings, sentences=True)  # the learned ranker reads sentence vectors
    full = load_dataset(Path(dataset_dir), split)
    gold = load_answers(dataset_dir, split)
    query_ids = [q for q in sample_query_ids(full, max_queries, seed) if q in gold]
    backend = open_backend("local", index_dir=index_dir or Path(cache_dir) / index_key(full, settings))
    if index_dir is None:
        build_index(full, backend, settings, embedder=embedder, progress=False)
    index = backend.open()
    if embedder is None:
        embedder = index.manifest.load_embedder(cache=settings.embed_cache)
    searcher = Searcher(index, embedder, fusion=fusion)
    scored = {}
    for query_id in query_ids:
        question = full.queries[query_id]
        scored[query_id] = score_sentences(question, searcher.search(question, top_k=TOP_K), embedder, index)
    current = load_threshold()
    best = [s[0].score for s in scored.values() if s]
    grid = thresholds or sorted({round(float(t), 3) for t in np.quantile(best, np.linspace(0, 0.9, 10))} | {current})
    curve = []
    for threshold in grid:
        chosen = [select(scored[q], threshold) for q in query_ids]
        judged = [judge(c, *gold[q]) for c, q in zip(chosen, query_ids)]
        curve.append({"threshold": threshold, **_shares(judged, chosen)})
    chosen = [select(scored[q], current) for q in query_ids]
    at_current = [judge(c, *gold[q]) for c, q in zip(chosen, query_ids)]
    return {
        "dataset": full.name, "split": split, "questions": len(query_ids), "available": len(gold),
        "sample_seed": seed if len(query_ids) < len(gold) else None, "passages_read": TOP_K, "fusion": searcher.fusion,
        "threshold": current, "at_threshold": _shares(at_current, chosen), "curve": curve,
        "per_query": {q: {**j, "best_score": scored[q][0].score if scored[q] else None}
                      for q, j in zip(query_ids, at_current)},
    }


def _shares(judged: list[dict[str, bool]], chosen: list[list[Any]]) -> dict[str, float]:
    """The shares over all questions, and the mean length of an answer (a longer quote contains
    the gold span more often, so a gain in the shares is read next to what it cost in length)."""
    names = ("contains_gold", "first_overlaps_gold", "first_from_gold_doc")
    shares = {name: float(np.mean([j[name] for j in judged])) if judged else 0.0 for name in names}
    shares["unanswered"] = float(np.mean([not j["answered"] for j in judged])) if judged else 0.0
    lengths = [sum(len(quote) for quote in quotes(c)) for c in chosen if c]
    shares["answer_chars"] = float(np.mean(lengths)) if lengths else 0.0
    return shares


def format_answer_table(results: dict[str, Any]) -> str:
    """The curve, one row per threshold, the current threshold marked."""
    sample = f", sample seed {results['sample_seed']}" if results["sample_seed"] is not None else ""
    lines = [f"{results['dataset']} {results['split']}: {results['questions']} of {results['available']} questions"
             f"{sample}, top {results['passages_read']} passages, {results.get('fusion', 'linear')} fusion",
             "threshold  contains gold  first in/around gold  first from gold doc  unanswered  answer chars"]
    for row in results["curve"]:
        mark = " *" if row["threshold"] == results["threshold"] else ""
        lines.append(f"{row['threshold']:9.3f}  {row['contains_gold']:13.3f}  {row['first_overlaps_gold']:20.3f}  "
                     f"{row['first_from_gold_doc']:19.3f}  {row['unanswered']:10.3f}  {row['answer_chars']:12.1f}{mark}")
    lines.append("* the threshold /ask uses now (indexer/retrieval/answer_calibration.json)")
    return "\n".join(lines)
