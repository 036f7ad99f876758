"""/ask's sentence choice learned from NCPP's gold spans, measured held out against the rule
(``indexer.retrieval.answers.rank_candidates``): eval/results.md, section 26.

    python -m eval.answer_select dump [--dataset ../shared/eval/ncppolicies] [--split dev]
    python -m eval.answer_select cv [--learners logistic ...] [--margins 0.5 1.0 ...] [--json OUT]

``dump`` asks every question with a gold span through /ask's retrieval twice, as asked and with every
document stating its answer taken out (``eval.answer_copies``), and keeps what the sentence scoring
reads (the passages, the question's vector, the candidates' vectors) in ``var/eval/answer-select``;
``cv`` runs from that file on the committed code, without a model call or a search. Every candidate
(sentence or pair of the top 5 passages) gets ``eval.answer_features``' signals and a label (it holds
the gold span as quoted; for LambdaRank also: it lies inside the span). The questions are dealt into
five folds by ``eval.calibration.folds_of``; each learner is fitted on four and orders the fifth's
candidates, and every question is then decided as /ask decides it (question rules, the shipped answer
confidence, the off-topic threshold, ``select``'s 1-3 sentences) from the rule's order and from the
learned one, as asked and with its answer's documents out. Reported at answer floors 0, 0.35 and the
shipped 0.45: contains gold, first in/around gold, first from the gold document, answered, unanswerable
answered (without the gold span) and answer length, each learner's shares with paired randomisation
tests per question against the rule; and where the first candidate holding the gold span ranks.
``--margins``: also choose 1-3 sentences by the learned score (those within the margin of the best),
a curve of length against contains gold to set beside the rule's own margins.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

DUMP_DIR = Path("var/eval/answer-select")
PARTS = ("asked", "unanswerable")  # as asked; every document stating the answer out
FLOORS = (0.0, 0.35, 0.45)  # the rules alone, the floor the calibration's rule chose held out (section 25), shipped
MEASURES = ("contains_gold", "first_overlaps_gold", "first_from_gold_doc", "answered", "unanswerable_answered")
RANK_BINS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 10_000))


def dump(dataset_dir: Path, split: str = "dev", fusion: str = "auto", out_dir: Path = DUMP_DIR) -> Path:
    """Every question's passages and vectors, as asked and with its answer's documents out."""
    from eval.answers import TOP_K, answer_index, answer_sources
    from eval.confidence_dumps import Without
    from eval.harness import DEFAULT_CACHE
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.answers import sentence_inputs
    from indexer.retrieval.search import Searcher

    settings = IndexSettings()
    if fusion == "learned":
        settings = replace(settings, sentences=True)
    full, gold, query_ids, index, embedder = answer_index(Path(dataset_dir), split, None, 0, DEFAULT_CACHE, settings,
                                                          None, None)
    stating = answer_sources(full, gold, query_ids)
    without = Without(index)
    out: dict[str, Any] = {"dataset": full.name, "split": split, "model": index.manifest.model_id,
                           "gold": {q: gold[q] for q in query_ids}, "questions": {q: full.queries[q] for q in query_ids},
                           "stating": {q: sorted(stating[q]) for q in query_ids}, "parts": {}}
    for part, searched in (("asked", index), ("unanswerable", without.index)):
        searcher = Searcher(searched, embedder, fusion=fusion)
        out["fusion"] = searcher.fusion
        rows = {}
        for n, query_id in enumerate(query_ids, start=1):
            question = full.queries[query_id]
            without.doc_ids = stating[query_id] if part == "unanswerable" else set()
            hits = searcher.search(question, top_k=TOP_K)
            candidates, query, vectors = sentence_inputs(question, hits, embedder, searched)
            rows[query_id] = {"hits": hits, "candidates": candidates, "query": query.astype(np.float32),
                              "vectors": vectors.astype(np.float32)}
            if n % 100 == 0:
                print(f"{part}: {n} of {len(query_ids)}", file=sys.stderr, flush=True)
        out["parts"][part] = rows
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{full.name}-{split}.pkl"
    with path.open("wb") as handle:
        pickle.dump(out, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load(path: Path) -> dict[str, Any]:
    with Path(path).open("rb") as handle:
        return pickle.load(handle)  # plain data written by ``dump``


@dataclass
class Question:
    """One question in one part: its candidates scored by the rule (best first), their features and
    labels (2: the candidate, as quoted, holds the gold span; 1: it lies inside the span; 0: neither)."""

    query_id: str
    question: str
    asked: Any
    hits: list[Any]
    scored: list[Any]
    x: np.ndarray
    labels: np.ndarray


def prepared(data: dict[str, Any], part: str) -> list[Question]:
    """Every question of ``part`` scored by the committed rule, with its candidates' features and labels."""
    from eval import answer_features
    from eval.datasets import comparable
    from indexer.retrieval import answers, questions

    out = []
    for query_id, row in data["parts"][part].items():
        question = data["questions"][query_id]
        asked = questions.analyse(question)
        scored = (answers.rank_candidates(question, row["candidates"], row["query"].astype(float),
                                          row["vectors"].astype(float)) if row["candidates"] else [])
        span = comparable(data["gold"][query_id][1])
        quoted = [comparable(answers.continued(s).text) for s in scored]
        labels = np.array([2 if span in q else 1 if q and q in span else 0 for q in quoted], dtype=np.int64)
        out.append(Question(query_id, question, asked, row["hits"], scored,
                            answer_features.features(question, asked, scored, row["hits"]), labels))
    return out


Scorer = Callable[[np.ndarray], np.ndarray]


def fit_logistic(questions: list[Question], c: float = 1.0) -> Scorer:
    """Pointwise: standardised logistic regression on "holds the gold span"."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([q.x for q in questions if len(q.x)])
    y = np.concatenate([q.labels for q in questions if len(q.x)]) == 2
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=3000).fit((x - mean) / scale, y.astype(int))
    return lambda z: ((z - mean) / scale) @ model.coef_[0] + model.intercept_[0]


def fit_lambdarank(questions: list[Question], trees: int = 300, leaves: int = 15, min_rows: int = 20,
                   graded: bool = True) -> Scorer:
    """Listwise within each question: LightGBM LambdaRank (graded: inside the span counts a little)."""
    import lightgbm

    used = [q for q in questions if len(q.x)]
    y = np.concatenate([q.labels for q in used])
    model = lightgbm.LGBMRanker(objective="lambdarank", n_estimators=trees, learning_rate=0.05, num_leaves=leaves,
                                min_child_samples=min_rows, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                                label_gain=[0, 1, 3] if graded else [0, 0, 1], verbose=-1, n_jobs=1, random_state=0)
    model.fit(np.vstack([q.x for q in used]), y if graded else (y == 2) * 2, group=[len(q.x) for q in used])
    return lambda z: np.asarray(model.predict(z), dtype=np.float64)


LEARNERS: dict[str, Callable[[list[Question]], Scorer]] = {
    "logistic": fit_logistic,
    "logistic-c0.1": lambda qs: fit_logistic(qs, c=0.1),
    "lambdarank": fit_lambdarank,
    "lambdarank-small": lambda qs: fit_lambdarank(qs, trees=100, leaves=7, min_rows=50, graded=False),
}


def folds(questions: list[Question]) -> dict[str, int]:
    """question id -> fold, dealt as ``eval.calibration.folds_of`` deals a dump's questions."""
    from eval.calibration import folds_of

    rows = [SimpleNamespace(query_id=q.query_id) for q in questions]
    dealt = folds_of([{"dataset": "set", "families": {"answer": {"kept": rows}}}], "answer")
    return {query_id: k for (_, query_id), k in dealt.items()}


def held_out(prep: dict[str, list[Question]], fold: dict[str, int], learner: str) -> dict[str, dict[str, np.ndarray]]:
    """part -> question -> its candidates' scores from the learner fitted on the other folds' questions as asked."""
    from eval.calibration import FOLDS

    scores: dict[str, dict[str, np.ndarray]] = {part: {} for part in prep}
    for k in range(FOLDS):
        scorer = LEARNERS[learner]([q for q in prep["asked"] if fold[q.query_id] != k])
        for part, questions in prep.items():
            for q in questions:
                if fold[q.query_id] == k and len(q.x):
                    scores[part][q.query_id] = scorer(q.x)
    return scores


def decided(prep: dict[str, list[Question]], scores: dict[str, dict[str, np.ndarray]] | None,
            margin: float | None = None) -> dict[str, dict[str, Any]]:
    """part -> question -> /ask's answer from the candidates in the rule's order (``scores`` None) or in
    the learned order; ``margin``: the 1-3 sentences are those within it of the best learned score
    (else ``select`` picks them by the rule's score, as /ask does)."""
    from indexer.retrieval import answers, confidence

    calibration, threshold = confidence.Calibration.load(), answers.load_threshold()
    out: dict[str, dict[str, Any]] = {part: {} for part in prep}
    for part, questions in prep.items():
        for q in questions:
            scored = q.scored
            if scores is not None and len(q.x):
                scored = [q.scored[i] for i in np.argsort(-scores[part][q.query_id], kind="stable")]
            answer = answers.decide(q.question, scored, q.hits, threshold, calibration)
            if margin is not None and scores is not None and answer.found:
                learned = {id(s): float(v) for s, v in zip(q.scored, scores[part][q.query_id])}
                answer = replace(answer, sentences=_within(answers.candidates_holding(q.asked, scored), learned, margin))
            out[part][q.query_id] = answer
    return out


def _within(eligible: list[Any], learned: dict[int, float], margin: float) -> list[Any]:
    """``select``'s rule on the learned score: the first 3 within ``margin`` of the best, continued, not overlapping."""
    from indexer.retrieval import answers

    best = learned[id(eligible[0])]
    kept: list[Any] = []
    for s in eligible[: answers.MAX_SENTENCES]:
        if learned[id(s)] >= best - margin:
            s = answers.continued(s)
            if not any(answers._overlaps(s, other) for other in kept):
                kept.append(s)
    return kept


def judged(prep: dict[str, list[Question]], answered: dict[str, dict[str, Any]], gold: dict[str, tuple[str, str]],
           floor: float) -> dict[str, np.ndarray | float]:
    """Per question (in ``prep``'s order), at ``floor``: the five ``MEASURES``; and the mean answer length."""
    from eval.answers import _given, judge, quotes

    ids = [q.query_id for q in prep["asked"]]
    given = {part: {q: _given(answered[part][q], floor) for q in ids} for part in PARTS}
    asked = [judge(given["asked"][q], *gold[q]) for q in ids]
    gone = [judge(given["unanswerable"][q], *gold[q]) for q in ids]
    out: dict[str, np.ndarray | float] = {m: np.array([j[m] for j in asked], dtype=float) for m in MEASURES[:4]}
    out["unanswerable_answered"] = np.array([j["answered"] and not j["contains_gold"] for j in gone], dtype=float)
    lengths = [sum(len(quote) for quote in quotes(c)) for c in given["asked"].values() if c]
    out["answer_chars"] = float(np.mean(lengths)) if lengths else 0.0
    return out


def gold_ranks(prep: dict[str, list[Question]], scores: dict[str, dict[str, np.ndarray]] | None) -> list[int]:
    """Questions by where their first candidate holding the gold span ranks (``RANK_BINS``, then none)."""
    counts = [0] * (len(RANK_BINS) + 1)
    for q in prep["asked"]:
        order = np.arange(len(q.labels)) if scores is None or not len(q.x) else np.argsort(
            -scores["asked"][q.query_id], kind="stable")
        where = np.flatnonzero(q.labels[order] == 2)
        rank = int(where[0]) + 1 if len(where) else None
        counts[next((i for i, (a, b) in enumerate(RANK_BINS) if rank is not None and a <= rank <= b), len(RANK_BINS))] += 1
    return counts


def cross_validate(data: dict[str, Any], learners: list[str], margins: list[float]) -> dict[str, Any]:
    """Every learner (and the learned margins of the first) held out against the rule: shares and p."""
    from eval.significance import randomisation_p

    prep = {part: prepared(data, part) for part in PARTS}
    fold = folds(prep["asked"])
    systems: dict[str, tuple[dict[str, Any], list[int]]] = {"rule": (decided(prep, None), gold_ranks(prep, None))}
    for learner in learners:
        scores = held_out(prep, fold, learner)
        systems[learner] = (decided(prep, scores), gold_ranks(prep, scores))
        if learner == learners[0]:
            for margin in margins:
                systems[f"{learner}, margin {margin:g}"] = (decided(prep, scores, margin), systems[learner][1])
    rows = []
    for floor in FLOORS:
        base = judged(prep, systems["rule"][0], data["gold"], floor)
        for name, (answered, ranks) in systems.items():
            shares = judged(prep, answered, data["gold"], floor)
            row: dict[str, Any] = {"system": name, "floor": floor, "answer_chars": shares["answer_chars"],
                                   "gold_rank": ranks}
            for m in MEASURES:
                row[m] = float(np.mean(shares[m]))
                if name != "rule":
                    row[f"p_{m}"] = randomisation_p(np.asarray(shares[m]) - np.asarray(base[m]))[0]
            rows.append(row)
    return {"dataset": data["dataset"], "split": data["split"], "fusion": data.get("fusion"),
            "questions": len(prep["asked"]), "learners": learners, "rank_bins": [list(b) for b in RANK_BINS],
            "rows": rows}


def format_table(result: dict[str, Any]) -> str:
    lines = [f"{result['dataset']} {result['split']}: {result['questions']} questions, {result['fusion']} fusion, "
             "held out (5 folds by question); p: paired randomisation against the rule",
             "system                        floor  contains gold (p)  first in/around (p)  from gold doc (p)  "
             "answered (p)  unanswerable answered (p)  chars"]
    for r in result["rows"]:
        cells = [f"{r[m]:.3f}" + (f" ({r['p_' + m]:.4f})" if "p_" + m in r else " " * 9) for m in MEASURES]
        lines.append(f"{r['system']:29s} {r['floor']:5.2f}  {cells[0]:17s}  {cells[1]:19s}  {cells[2]:17s}  "
                     f"{cells[3]:12s}  {cells[4]:25s}  {r['answer_chars']:5.0f}")
    bins = ", ".join(f"{a}" if a == b else f"{a}-{b}" if b < 10_000 else f">{a - 1}" for a, b in result["rank_bins"])
    lines.append(f"first candidate holding the gold span at rank {bins}, none:")
    lines.extend(f"  {r['system']:29s} {r['gold_rank']}" for r in result["rows"] if r["floor"] == 0.0)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.answer_select", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--dataset", type=Path, default=Path("../shared/eval/ncppolicies"))
    d.add_argument("--split", default="dev")
    d.add_argument("--fusion", default="auto")
    c = sub.add_parser("cv")
    c.add_argument("dump", type=Path, nargs="?", default=DUMP_DIR / "ncppolicies-dev.pkl")
    c.add_argument("--learners", nargs="+", choices=sorted(LEARNERS), default=list(LEARNERS))
    c.add_argument("--margins", nargs="*", type=float, default=[], help="learned-score margins for the first learner")
    c.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        print(dump(args.dataset, args.split, args.fusion))
        return 0
    result = cross_validate(load(args.dump), args.learners, args.margins)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
