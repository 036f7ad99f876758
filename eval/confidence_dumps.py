"""What the confidence models are fitted on: every dev query's top results, as searched and with
its judged documents taken out (``Without``), for each ranking family; /similar's documents for the
precedent queries; /ask's best candidate for each question with a gold answer span.

Written by ``python -m eval.calibration dump|dump-similar|dump-answers`` into ``var/eval/calibration``.
"""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.index.base import ChunkIndex
from indexer.index.filters import SearchFilters, Selection
from indexer.models import Chunk, Document
from indexer.retrieval import confidence

if TYPE_CHECKING:
    from eval.learn.dumps import QueryCandidates
    from indexer.retrieval.search import Searcher

DUMP_DIR = Path("var/eval/calibration")
# searched as they are; the learned family is added with held-out scores (dump_learned)
FAMILIES = ("hybrid-linear", "hybrid-rrf", "dense", "lexical")
SEARCHER_OPTIONS = {"hybrid-learned": ("hybrid", "learned"), "hybrid-linear": ("hybrid", "linear"),
                    "hybrid-rrf": ("hybrid", "rrf"), "dense": ("dense", "linear"), "lexical": ("lexical", "linear")}


class Without:
    """An index's records with some documents taken out of every selection: a search of ``index``
    selects around them, as if they had never been indexed (BM25's statistics still count them, a
    negligible difference)."""

    def __init__(self, index: ChunkIndex, doc_ids: set[str] | None = None) -> None:
        self._records = index.records
        self.doc_ids = doc_ids or set()  # set per query
        self.index = ChunkIndex(index.manifest, index.generation, index.location, self, index.dense, index.bm25,
                                index.sentences)

    @property
    def documents(self) -> Mapping[str, Document]:
        return self._records.documents

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self._records.chunks

    def rows_of(self, doc_id: str) -> range:
        return self._records.rows_of(doc_id)

    def select(self, filters: SearchFilters | None) -> Selection:
        selection = self._records.select(filters)
        rows = np.arange(len(self.chunks)) if selection is None else selection.rows
        out = [self.rows_of(d) for d in self.doc_ids if d in self.documents]
        keep = np.ones(len(rows), dtype=bool)
        for r in out:
            keep &= (rows < r.start) | (rows >= r.stop)
        return Selection(rows[keep])  # no longer what the filters chose: searched by row


@dataclass
class Ranked:
    """One query's top results under one family: features, relevance labels and documents."""

    query_id: str
    x: np.ndarray
    labels: np.ndarray
    doc_ids: list[str]


def dump(results_path: Path, out_dir: Path = DUMP_DIR, families: tuple[str, ...] = FAMILIES,
         unrelated: Path | None = None) -> Path:
    """Every dev query's top results per family, as searched and with its judged documents removed;
    and (``cross``) the top results of a sample of the ``unrelated`` set's dev questions, which no
    policy collection answers (cmrc2018: general-knowledge questions on Wikipedia articles): the
    yardstick of an unrelated search, for every family, the learned one included. (The other policy
    set's questions are no such yardstick: Beijing residents asked about the COVID measures too.)"""
    from eval.datasets import load_dataset
    from eval.harness import judged_units, resolve_level
    from indexer.index.settings import IndexSettings
    from indexer.index.stores import open_store
    from indexer.retrieval.search import Searcher

    results = json.loads(Path(results_path).read_text(encoding="utf-8"))
    dataset = load_dataset(Path(results["dataset_path"]), results["split"])
    if dataset.is_passage_set:
        raise SystemExit("calibration is fitted on BEIR sets (corpus ids as units)")
    index = open_store("local", index_dir=results["index"]["dir"]).open()
    qrels = judged_units(dataset, resolve_level(dataset, "auto"))
    embedder = index.manifest.load_embedder(cache=IndexSettings().embed_cache)
    query_ids = sorted(dataset.queries)
    embedder.encode_queries([dataset.queries[q] for q in query_ids])  # one batched pass fills the cache
    out: dict[str, Any] = {"dataset": dataset.name, "split": results["split"], "model": index.manifest.model_id,
                           "families": {}}
    for family in families:
        mode, fusion = SEARCHER_OPTIONS[family]
        kept: list[Ranked] = []
        removed: list[Ranked] = []
        without = Without(index)
        for target, searched in ((kept, index), (removed, without.index)):
            searcher = Searcher(searched, embedder, fusion=fusion)
            for query_id in query_ids:
                relevant = {d for d, grade in qrels[query_id].items() if grade > 0}
                without.doc_ids = relevant
                target.append(_ranked(searcher, family, mode, query_id, dataset.queries[query_id], relevant))
        out["families"][family] = {"columns": confidence.FAMILY_FEATURES[family],
                                   "kept": [vars(r) for r in kept], "removed": [vars(r) for r in removed]}
        print(f"{dataset.name}: {family} dumped", file=sys.stderr)
    unrelated_queries = _unrelated_queries(unrelated) if unrelated is not None else {}
    embedder.encode_queries(list(unrelated_queries.values()))
    for family in (*families, "hybrid-learned"):
        mode, fusion = SEARCHER_OPTIONS[family]
        searcher = Searcher(index, embedder, fusion=fusion)
        cross = [_ranked(searcher, family, mode, query_id, text, set()) for query_id, text in unrelated_queries.items()]
        entry = out["families"].setdefault(family, {"columns": confidence.FAMILY_FEATURES[family]})
        entry["cross"] = [vars(r) for r in cross]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{dataset.name}-{results['split']}.pkl"
    with path.open("wb") as handle:
        pickle.dump(out, handle)
    return path


UNRELATED_QUERIES = 300  # sampled from the unrelated set


def _unrelated_queries(dataset_dir: Path, seed: int = 0) -> dict[str, str]:
    """A seeded sample of a dataset's dev questions, keyed ``set:id``."""
    from eval.datasets import load_dataset, sample_query_ids

    other = load_dataset(Path(dataset_dir), "dev")
    return {f"{other.name}:{q}": other.queries[q] for q in sample_query_ids(other, UNRELATED_QUERIES, seed)}


def _ranked(searcher: Searcher, family: str, mode: str, query_id: str, text: str, relevant: set[str]) -> Ranked:
    hits, signals = searcher.search_with_signals(text, confidence.CONTEXT_DEPTH, mode)
    hits = hits[: confidence.CONTEXT_DEPTH]
    if family == "hybrid-learned" and any("learned" not in h.scores for h in hits):
        family = "hybrid-linear"
    x = confidence.passage_features(family, searcher.confidence_inputs(family, hits), signals)
    labels = np.array([1 if h.document.doc_id in relevant else 0 for h in hits])
    return Ranked(query_id, x, labels, [h.document.doc_id for h in hits])


SHIPPED_VARIANT = "lambdarank+hybrid-no-doc+sentences+blend"  # the learned ranker indexer/retrieval ships


def dump_learned(learn_dumps: list[Path], results_paths: list[Path], out_dir: Path = DUMP_DIR,
                 variant: str = SHIPPED_VARIANT, seed: int = 0) -> list[Path]:
    """The learned family's top results with held-out scores, added to each set's dump from ``dump``:
    each dev query ranked as the Searcher ranks (pool by the model's score) by the shipped variant
    trained on eval.learn's folds without it. The shipped model was trained on these very queries and
    ranks them far better than new ones (nDCG@10 0.86 / 0.95 in-sample against 0.79 / 0.89 held out,
    eval/results.md section 14), so its own scores would calibrate confidence for memorised queries.
    With the judged documents removed, their candidates are dropped from the pool before ranking."""
    from eval.datasets import load_dataset
    from eval.learn.crossval import FOLDS, folds_of
    from eval.learn.dumps import load as load_candidates
    from eval.learn.variants import VARIANTS
    from indexer.index.stores import open_store
    from indexer.retrieval.rerank import FEATURES

    sets = load_candidates(learn_dumps)
    runs = {run["dataset"]: run for run in (json.loads(Path(p).read_text(encoding="utf-8")) for p in results_paths)}
    trainer, columns = VARIANTS[variant]
    fold = folds_of(sets, FOLDS, seed)
    held: dict[tuple[str, str], np.ndarray] = {}
    for k in range(FOLDS):
        model = trainer([q for d in sets for q in d["queries"] if fold[(d["dataset"], q.query_id)] != k],
                        [FEATURES.index(c) for c in columns])
        for d in sets:
            for q in d["queries"]:
                if fold[(d["dataset"], q.query_id)] == k:
                    held[(d["dataset"], q.query_id)] = model.score(q.x)
    dense_col, lexical_col = FEATURES.index("dense"), FEATURES.index("lexical_log")
    paths = []
    for d in sets:
        run = runs[d["dataset"]]
        queries = load_dataset(Path(run["dataset_path"]), run["split"]).queries
        index = open_store("local", index_dir=run["index"]["dir"]).open()
        parts: dict[str, list[dict[str, Any]]] = {"kept": [], "removed": []}
        for q in d["queries"]:
            if len(q.rows) != len(q.units):
                raise SystemExit(f"{d['dataset']}: the eval.learn dump holds no rows; dump it again")
            relevant = {u for u, label in zip(q.units, q.labels.tolist()) if label}
            for part, keep in (("kept", [True] * len(q.units)), ("removed", [u not in relevant for u in q.units])):
                pool = np.flatnonzero(keep)
                if len(pool):
                    ranked = _held_out_ranked(index, q, pool, held[(d["dataset"], q.query_id)],
                                              queries[q.query_id], dense_col, lexical_col)
                    parts[part].append(vars(ranked))
        path = out_dir / f"{d['dataset']}-{d['split']}.pkl"
        with path.open("rb") as handle:
            data = pickle.load(handle)
        data["families"].setdefault("hybrid-learned", {}).update(
            columns=confidence.FAMILY_FEATURES["hybrid-learned"], held_out=f"{variant}, {FOLDS} folds, seed {seed}",
            **parts)
        with path.open("wb") as handle:
            pickle.dump(data, handle)
        paths.append(path)
    return paths


def _held_out_ranked(index: ChunkIndex, q: QueryCandidates, pool: np.ndarray, scores: np.ndarray, text: str,
                     dense_col: int, lexical_col: int) -> Ranked:
    """The top results of ``pool`` (positions in the query's candidates) by held-out ``scores``, with
    the query's signals read from the same candidates (they hold both retrievers' top 100)."""
    from indexer.retrieval.questions import content_terms
    from indexer.retrieval.rerank import AGREEMENT_DEPTH

    rows = np.asarray(q.rows)[pool]
    dense, bm25 = q.x[pool, dense_col], np.expm1(q.x[pool, lexical_col])
    order = np.lexsort((rows, -scores[pool]))[: confidence.CONTEXT_DEPTH]

    def documents(values: np.ndarray) -> set[str]:
        return {q.units[pool[i]] for i in np.lexsort((rows, -values))[:AGREEMENT_DEPTH].tolist()}

    agreement = len(documents(dense) & documents(bm25)) / AGREEMENT_DEPTH
    signals = confidence.QuerySignals(float(dense.max()), float(bm25.max()), agreement,
                                      tuple(content_terms(text)), len(text))
    results = []
    for i in order.tolist():
        chunk = index.chunks[int(rows[i])]
        context = f"{index.documents[chunk.doc_id].meta.title or ''} {chunk.section} {chunk.text}"
        results.append(confidence.Ranked(float(scores[pool[i]]), {"dense": float(dense[i]), "lexical": float(bm25[i])},
                                         context, chunk.doc_id, len(index.rows_of(chunk.doc_id))))
    x = confidence.passage_features("hybrid-learned", results, signals)
    return Ranked(q.query_id, x, q.labels[pool][order], [q.units[pool[i]] for i in order.tolist()])


def dump_similar(out_dir: Path = DUMP_DIR) -> Path:
    """/similar's documents for each query of eval/data/precedents, over its 32 documents and over
    corpus/ alone (the published pages taken out, so many proposals have no precedent), with their
    features and whether each is judged to handle the matter (grade >= 1)."""
    from eval.precedents import load_set, precedent_index
    from indexer.retrieval.precedents import SIGNALS, find_precedents, input_parts, similar_features

    files, queries, qrels = load_set()
    index, embedder, corpus_id = precedent_index(files)
    pages = {doc_id for doc_id, name in corpus_id.items() if name.startswith("pages/")}
    out: dict[str, Any] = {"dataset": "precedents", "model": index.manifest.model_id,
                           # judged by reading every document, so the corpus/-only searches are judged too
                           "families": {"similar": {"columns": SIGNALS, "train": ("kept", "removed"),
                                                    "kept": [], "removed": []}}}
    for part, searched in (("kept", index), ("removed", Without(index, pages).index)):
        for query_id, text in sorted(queries.items()):
            parts = input_parts(text, searched)
            texts = [text[p.char_start : p.char_end] for p in parts]
            found = find_precedents(searched, parts, texts, embedder.encode_queries(texts), top_k=len(index.documents))
            labels = np.array([1 if qrels[query_id].get(corpus_id[p.document.doc_id], 0) > 0 else 0 for p in found])
            ranked = Ranked(query_id, similar_features(found), labels, [p.document.doc_id for p in found])
            out["families"]["similar"][part].append(vars(ranked))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "precedents.pkl"
    with path.open("wb") as handle:
        pickle.dump(out, handle)
    return path


def dump_answers(results_path: Path, out_dir: Path = DUMP_DIR, fusion: str = "linear") -> Path:
    """/ask's answer to every question of a set with gold answer spans (NCPP), as asked (``kept``), with
    the gold document taken out (``removed``: what the answer model is fitted on besides, as it was
    shipped) and with every document that states the answer taken out (``unanswerable``: the gold
    document and its copies, ``eval.answer_copies``; with the gold document alone out, a copy often
    still answers rightly; ``eval.answer_fit`` measures on it): the answer features of the best
    sentence that holds the asked fact, and whether /ask's answer would contain the gold span (no
    features: no sentence holds it). Run after the passage models are written (the answer features
    read the passages' confidence).

    ``fusion`` linear: the shipped learned ranker was trained on these questions and would retrieve
    for them better than for new ones (held out, /ask's answers through it and through linear 0.7
    are level: eval/results.md section 14)."""
    from eval.answers import TOP_K, answer_sources, judge, load_answers
    from eval.datasets import load_dataset
    from indexer.index.settings import IndexSettings
    from indexer.index.stores import open_store
    from indexer.retrieval import answers, questions
    from indexer.retrieval.search import Searcher

    results = json.loads(Path(results_path).read_text(encoding="utf-8"))
    dataset = load_dataset(Path(results["dataset_path"]), results["split"])
    gold = load_answers(Path(results["dataset_path"]), results["split"])
    index = open_store("local", index_dir=results["index"]["dir"]).open()
    embedder = index.manifest.load_embedder(cache=IndexSettings().embed_cache)
    threshold = answers.load_threshold()
    without = Without(index)
    query_ids = sorted(q for q in dataset.queries if q in gold)
    stating = answer_sources(dataset, gold, query_ids)
    out: dict[str, Any] = {"dataset": dataset.name, "split": results["split"], "model": index.manifest.model_id,
                           "fusion": fusion,
                           # fitted on both: an answer's confidence is for a world where some questions have none
                           "families": {"answer": {"columns": answers.ANSWER_FEATURES, "train": ("kept", "removed")}}}
    for part, searched in (("kept", index), ("removed", without.index), ("unanswerable", without.index)):
        searcher = Searcher(searched, embedder, fusion=fusion)  # the passages' confidence needs the passage models
        if searcher.calibration is None:
            raise SystemExit("fit the passage models first: python -m eval.calibration fit --write")
        rows = []
        for query_id in query_ids:
            question = dataset.queries[query_id]
            without.doc_ids = stating[query_id] if part == "unanswerable" else {gold[query_id][0]}
            hits = searcher.search(question, top_k=TOP_K)
            scored = answers.score_sentences(question, hits, embedder, index)
            plain = answers.decide(question, scored, hits, threshold)  # no floor: every candidate answers
            asked = questions.analyse(question)
            eligible = answers.candidates_holding(asked, scored)
            x = (answers.answer_features(asked, eligible[0], scored[0].score, hits) if eligible
                 else np.full(len(answers.ANSWER_FEATURES), np.nan))
            label = judge(plain.sentences, *gold[query_id])["contains_gold"]
            rows.append(vars(Ranked(query_id, x[None, :], np.array([int(label)]), [plain.reason or "answered"])))
        out["families"]["answer"][part] = rows
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{dataset.name}-{results['split']}-answers.pkl"
    with path.open("wb") as handle:
        pickle.dump(out, handle)
    return path


def load(paths: list[Path]) -> list[dict[str, Any]]:
    """The dumps, their rows as ``Ranked``."""
    sets = []
    for path in paths:
        with Path(path).open("rb") as handle:
            data = pickle.load(handle)  # plain data, written by this module
        for family in data["families"].values():
            for part in ("kept", "removed", "cross", "unanswerable"):
                if part in family:
                    family[part] = [Ranked(**r) for r in family[part]]
        sets.append(data)
    return sets
