"""`zhengce eval --answers --dataset DIR`: how often /ask quotes the gold answer, and how often it
answers when the gold document is gone, along the answer floor.

A BEIR set with ``answers/<split>.jsonl`` ({query-id, corpus-id, answer}: the gold span, a
substring of the gold document) is indexed like ``zhengce eval`` indexes it; each question goes
through /ask's own retrieval and sentence selection (``indexer.retrieval.answers``). Reported, over
all questions: the share whose answer sentences contain the gold span (adjacent answer sentences
read as one quote, since a span can run across a sentence end), the share whose first sentence
lies inside the gold span or contains it, the share whose first sentence comes from the gold
document, the share left unanswered and the mean length of an answer; the same at each threshold
on a grid, so the threshold is chosen on a curve.

The same questions are asked twice more: with the gold document taken out (answers without the gold
span counted false, the yardstick kept from before), and with every document that states the answer
taken out (``eval.answer_copies``: the gold document and its copies), where any answer is false: the
question is then unanswerable, which the gold document alone gone often leaves it not.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.answer_copies import Copies
from eval.datasets import DatasetError, comparable, load_dataset, sample_query_ids
from eval.harness import DEFAULT_CACHE, build_index
from eval.provenance import index_key
from indexer.update.backends import open_backend

if TYPE_CHECKING:
    from indexer.embed import Embedder
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.answers import Answer, ScoredSentence

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


def quotes(sentences: list[ScoredSentence]) -> list[str]:
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


def judge(sentences: list[ScoredSentence], gold_doc: str, gold_span: str) -> dict[str, bool]:
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


def answer_index(dataset_dir: Path, split: str, max_queries: int | None, seed: int, cache_dir: Path,
                 settings: IndexSettings, index_dir: Path | None, embedder: Embedder | None) -> tuple[Any, ...]:
    """(dataset, gold answers, the sampled questions that have one, the dataset's index, its embedder):
    ``index_dir`` read as built, else the dataset's cached index brought up to date."""
    full = load_dataset(Path(dataset_dir), split)
    gold = load_answers(dataset_dir, split)
    query_ids = [q for q in sample_query_ids(full, max_queries, seed) if q in gold]
    backend = open_backend("local", index_dir=index_dir or Path(cache_dir) / index_key(full, settings))
    if index_dir is None:
        build_index(full, backend, settings, embedder=embedder, progress=False)
    index = backend.open()
    if embedder is None:
        embedder = index.manifest.load_embedder(cache=settings.embed_cache)
    return full, gold, query_ids, index, embedder


def run_answer_eval(
    dataset_dir: Path, split: str = "dev", max_queries: int | None = None, cache_dir: Path = DEFAULT_CACHE, *,
    seed: int = 0, settings: IndexSettings | None = None, embedder: Embedder | None = None, floors: list[float] | None = None,
    index_dir: Path | None = None, fusion: str = "auto", threshold: float | None = None,
) -> dict[str, Any]:
    """/ask's answers over (a seeded sample of) the split, as asked and with each question's gold
    document taken out of the index, at the shipped answer floor and along the floor.

    ``index_dir``: read this built index (e.g. the one a ``zhengce eval --json`` run names)
    instead of bringing the dataset's cached index up to date. ``fusion``: the hybrid fusion of
    the retrieval behind the answers (the API's ``ZHENGCE_FUSION``); ``threshold``: the off-topic
    threshold instead of the measured one."""
    from eval.confidence_dumps import Without
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.answers import decide, load_threshold, score_sentences
    from indexer.retrieval.search import Searcher

    settings = settings if settings is not None else IndexSettings()
    if fusion == "learned":
        settings = replace(settings, sentences=True)  # the learned ranker reads sentence vectors
    full, gold, query_ids, index, embedder = answer_index(dataset_dir, split, max_queries, seed, cache_dir, settings,
                                                          index_dir, embedder)
    threshold = load_threshold() if threshold is None else threshold
    stating = answer_sources(full, gold, query_ids)
    without = Without(index)
    answered: dict[str, dict[str, Any]] = {part: {} for part in PARTS}
    for part, searched in (("asked", index), ("removed", without.index), ("unanswerable", without.index)):
        searcher = Searcher(searched, embedder, fusion=fusion)
        calibration = searcher.calibration
        for query_id in query_ids:
            question = full.queries[query_id]
            without.doc_ids = stating[query_id] if part == "unanswerable" else {gold[query_id][0]}
            hits = searcher.search(question, top_k=TOP_K)
            answered[part][query_id] = decide(question, score_sentences(question, hits, embedder, searched), hits,
                                              threshold, calibration)
    floor = calibration.floor("answer") if calibration is not None else 0.0
    grid = floors or sorted({round(float(f), 2) for f in np.arange(0.0, 0.91, 0.05)} | {floor})
    curve = [{"floor": f, **_at_floor(answered, gold, query_ids, f)} for f in grid]
    at_floor = _at_floor(answered, gold, query_ids, floor)
    return {
        "dataset": full.name, "split": split, "questions": len(query_ids), "available": len(gold),
        "sample_seed": seed if len(query_ids) < len(gold) else None, "passages_read": TOP_K, "fusion": searcher.fusion,
        "threshold": threshold, "floor": floor, "at_floor": at_floor, "curve": curve,
        "with_copies": sum(len(stating[q]) > 1 for q in query_ids),
        "per_query": {q: {**judge(_given(answered["asked"][q], floor), *gold[q]),
                          "confidence": answered["asked"][q].confidence, "reason": answered["asked"][q].reason,
                          "copies": sorted(stating[q] - {gold[q][0]}),
                          **{f"{part}_{key}": value for part in ("removed", "unanswerable")
                             for key, value in _read(answered[part][q], floor).items()}}
                      for q in query_ids},
    }


PARTS = ("asked", "removed", "unanswerable")  # as asked; the gold document out; every document stating the answer out


def answer_sources(dataset: Any, gold: dict[str, tuple[str, str]], query_ids: list[str]) -> dict[str, set[str]]:
    """query id -> the documents that state its gold answer: its gold document and their copies."""
    copies = Copies({doc_id: f"{entry.title}\n{entry.text}" for doc_id, entry in dataset.corpus.items()})
    return {q: copies.stating(gold[q][1], gold[q][0]) for q in query_ids}


def _read(answer: Answer, floor: float) -> dict[str, Any]:
    """What a reader checks of an answer given at ``floor``: whether there is one, its confidence, its
    first quote and the document it is from."""
    given = _given(answer, floor)
    return {"answered": bool(given), "confidence": answer.confidence,
            "answer": quotes(given)[0][:300] if given else None,
            "doc": given[0].hit.document.doc_id if given else None}


def _given(answer: Answer, floor: float) -> list[ScoredSentence]:
    """The answer's sentences when it is given at ``floor`` (its confidence reaches it), else none."""
    if not answer.found or (answer.confidence is not None and answer.confidence < floor):
        return []
    return answer.sentences


def _at_floor(answered: dict[str, dict[str, Any]], gold: dict[str, tuple[str, str]], query_ids: list[str],
              floor: float) -> dict[str, float]:
    """The shares over the questions as asked, and the false-answer rate with the gold document removed
    (an answer that still holds the gold span, from a document saying the same, is not false) and with
    every document stating the answer removed (where no answer can hold it)."""
    chosen = [_given(answered["asked"][q], floor) for q in query_ids]
    shares = _shares([judge(c, *gold[q]) for c, q in zip(chosen, query_ids)], chosen)
    for part, key in (("removed", "removed_false_answer"), ("unanswerable", "unanswerable_answered")):
        judged = [judge(_given(answered[part][q], floor), *gold[q]) for q in query_ids]
        shares[key] = float(np.mean([j["answered"] and not j["contains_gold"] for j in judged])) if judged else 0.0
    return shares


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
    """The curve, one row per answer floor, the shipped floor marked."""
    sample = f", sample seed {results['sample_seed']}" if results["sample_seed"] is not None else ""
    lines = [f"{results['dataset']} {results['split']}: {results['questions']} of {results['available']} questions"
             f"{sample}, top {results['passages_read']} passages, {results.get('fusion', 'auto')} fusion, "
             f"threshold {results['threshold']:.4f}",
             "floor  contains gold  first in/around gold  first from gold doc  answered  gold removed: false answers"
             "  all stating removed: answered"]
    for row in results["curve"]:
        mark = " *" if row["floor"] == results["floor"] else ""
        lines.append(f"{row['floor']:5.2f}  {row['contains_gold']:13.3f}  {row['first_overlaps_gold']:20.3f}  "
                     f"{row['first_from_gold_doc']:19.3f}  {1 - row['unanswered']:8.3f}  "
                     f"{row['removed_false_answer']:26.3f}  {row['unanswerable_answered']:29.3f}{mark}")
    lines.append("* the answer floor /ask uses now (indexer/retrieval/confidence_model.json)")
    lines.append(f"{results['with_copies']} of {results['questions']} questions have their answer in another document "
                 "too (eval.answer_copies); all stating removed: every one of them and the gold document out")
    return "\n".join(lines)
