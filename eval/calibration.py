"""Fit and check the calibrated confidence of results (indexer.retrieval.confidence).

    zhengce eval --dataset ../shared/eval/msgabench_govqa --json var/eval-msgabench.json   # each set, once
    python -m eval.calibration dump var/eval-msgabench.json var/eval-ncppolicies.json
    python -m eval.learn dump var/eval-msgabench.json; python -m eval.learn dump var/eval-ncppolicies.json
    python -m eval.calibration dump-learned --learn var/eval/learn/*.pkl -- var/eval-msgabench.json var/eval-ncppolicies.json
    python -m eval.calibration dump-similar          # eval/data/precedents over its documents and corpus/ alone
    python -m eval.calibration dump-answers var/eval-ncppolicies.json   # /ask: as asked, gold removed, answer removed
    python -m eval.calibration fit [--json var/calibration.json] [--write]

The dumps (``eval.confidence_dumps``) hold every dev query's top results per ranking family with
their features and judgements, also with the judged documents taken out of the index (the
yardstick of "nothing here answers"), and general-knowledge questions (cmrc2018) searched in each
set's index (an unrelated search). ``fit`` cross-validates one logistic model per family over all sets pooled, folds
by query, and reports per set the expected calibration error on the held-out folds and a
reliability table (eval/results.md, section 24); it then chooses each floor on the held-out
confidences: of those at which the negatives (``floor_negatives``) are "found" (their top result
clears it) at most ``--max-false-found`` of the time, the middle of the range that best separates
found dev queries from found negatives. ``--write`` fits every model on
all queries and writes the models and floors to ``indexer/retrieval/confidence_model.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from eval.confidence_dumps import DUMP_DIR, load
from indexer.retrieval import confidence

FOLDS = 5
BINS = 10  # equal-width confidence bins of the reliability table and the calibration error
REGULARISATION = 1.0  # sklearn's C on standardised features
ISOTONIC_ROWS = 2000  # fewer rows (the 26 precedent queries) keep the logistic curve alone: a map would fit noise
FLOOR_GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)
# the model whose floor each kind of result uses: passages and documents by the default ranking's
FLOOR_MODELS = {"passage": "hybrid-learned", "document": "hybrid-learned", "similar": "similar", "answer": "answer"}


def fit_logistic(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], isotonic: bool = True) -> confidence.Logistic:
    """Standardised logistic regression (Platt scaling over several signals), then an isotonic map of
    its probabilities fitted on the same rows: the logistic curve's shape is a guess, and on NCPP,
    where a long document's passages share its judgement, the map brings held-out error under 0.05."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=REGULARISATION, max_iter=2000)
    model.fit((x - mean) / scale, y)
    logistic = confidence.Logistic(features, mean, scale, model.coef_[0].astype(np.float64),
                                   float(model.intercept_[0]))
    if not isotonic or len(y) < ISOTONIC_ROWS:
        return logistic
    raw = logistic.predict(x)
    curve = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    knots = (np.asarray(curve.X_thresholds_, dtype=np.float64), np.asarray(curve.y_thresholds_, dtype=np.float64))
    return replace(logistic, knots=knots)


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Sum over equal-width bins of (share of results in the bin) x |observed rate - mean confidence|."""
    if len(p) == 0:
        return 0.0
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(float(y[inside].mean()) - float(p[inside].mean()))
    return float(error)


def reliability_table(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Per confidence bin: how many results, their mean confidence and the share judged relevant."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            rows.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "results": int(inside.sum()),
                         "confidence": float(p[inside].mean()), "relevant": float(y[inside].mean())})
    return rows


def folds_of(sets: list[dict[str, Any]], name: str, folds: int = FOLDS, seed: int = 0) -> dict[tuple[str, str], int]:
    """(dataset, query id) -> fold, each set dealt out on its own."""
    rng = np.random.default_rng(seed)
    fold = {}
    for data in sets:
        ids = sorted({r.query_id for r in data["families"][name]["kept"]})
        for position, i in enumerate(rng.permutation(len(ids))):
            fold[(data["dataset"], ids[i])] = position % folds
    return fold


def rows_of(data: dict[str, Any], name: str, part: str) -> list[Any]:
    """The dump's rows of ``part``, their features cut to the model's columns; rows without features
    (an answer no sentence could give) are left out."""
    family = data["families"][name]
    columns = [list(family["columns"]).index(f) for f in confidence.FAMILY_FEATURES[name]]
    rows = []
    for r in family[part]:
        x = np.asarray(r.x, dtype=np.float64)[:, columns]
        if len(x) and not np.isnan(x).any():
            rows.append((r, x))
    return rows


PARTS = ("kept", "removed", "cross")  # as asked; judged documents removed; another set's queries (unrelated)


def trained_parts(data: dict[str, Any], name: str) -> tuple[str, ...]:
    """What a model is fitted on: the queries as they are, and the unrelated searches (general-knowledge
    questions: none of their results is relevant; fitted on dev questions alone, the model trusted the
    learned ranker's relative scores and gave unrelated questions up to 0.99); the removed queries only
    where every document was judged (the precedents): elsewhere their results are unjudged (removing a
    MSGA question's one judged answer leaves its department's answers on the same matter), and serve
    only to measure the floor."""
    family = data["families"][name]
    return tuple(family.get("train", ("kept", "cross") if family.get("cross") else ("kept",)))


def floor_negatives(data: dict[str, Any], name: str) -> str:
    """What a floor must refuse: unrelated searches for passages and documents (removing the one judged
    answer of a MSGA question leaves its department's answers on the same matter, unjudged), the
    removed queries for precedents and answers (the issue's yardstick: the answer is not there)."""
    return "cross" if data["families"][name].get("cross") else "removed"


def fold_of(fold: dict[tuple[str, str], int], dataset: str, part: str, query_id: str) -> int:
    """A query's fold; another set's queries are dealt by their position (no dev query shares them)."""
    if part == "cross":
        return int(hashlib.sha1(query_id.encode()).hexdigest(), 16) % FOLDS
    return fold[(dataset, query_id)]


def fit_model(sets: list[dict[str, Any]], name: str, folds: set[int] | None = None,
              fold: dict[tuple[str, str], int] | None = None) -> confidence.Logistic:
    """The model ``name`` fitted on every set (on ``folds`` only, when given)."""
    train = [(r, x) for d in sets for part in trained_parts(d, name) for r, x in rows_of(d, name, part)
             if folds is None or fold is None or fold_of(fold, d["dataset"], part, r.query_id) in folds]
    return fit_logistic(np.vstack([x for _, x in train]), np.concatenate([r.labels for r, _ in train]),
                        confidence.FAMILY_FEATURES[name])


def cross_validate(sets: list[dict[str, Any]], name: str, *, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per set: every result's held-out confidence (by a model fitted on the other folds of all sets),
    the calibration error and reliability table over the dev queries as they are (documents too, by
    their best passage), and each query's top result (confidence, relevant) for each part."""
    fold = folds_of(sets, name, seed=seed)
    held: dict[str, dict[str, list[Any]]] = {d["dataset"]: {"p": [], "y": [], "docs": [], **{p: [] for p in PARTS}}
                                             for d in sets}
    for k in range(FOLDS):
        model = fit_model(sets, name, set(range(FOLDS)) - {k}, fold)
        for d in sets:
            for part in PARTS:
                if not d["families"][name].get(part):
                    continue
                for r, x in rows_of(d, name, part):
                    if fold_of(fold, d["dataset"], part, r.query_id) != k:
                        continue
                    p = model.predict(x)
                    if part == "kept" or (part == "removed" and part in trained_parts(d, name)):
                        held[d["dataset"]]["p"].append(p)
                        held[d["dataset"]]["y"].append(r.labels)
                        held[d["dataset"]]["docs"] += by_document(r.doc_ids, p, r.labels)
                    held[d["dataset"]][part].append((r.query_id, float(p.max()), int(r.labels.max())))
    report = {}
    for d in sets:
        h = held[d["dataset"]]
        p, y = np.concatenate(h["p"]), np.concatenate(h["y"])
        docs = np.array(h["docs"]).reshape(-1, 2)
        report[d["dataset"]] = {"ece": expected_calibration_error(p, y), "results": len(p),
                                "reliability": reliability_table(p, y),
                                "documents_ece": expected_calibration_error(docs[:, 0], docs[:, 1]),
                                "negatives": floor_negatives(d, name), **{part: h[part] for part in PARTS}}
    return report


def by_document(doc_ids: list[str], p: np.ndarray, labels: np.ndarray) -> list[tuple[float, int]]:
    """(confidence, relevant) of each document among one query's results, as by-document search gives
    it: the confidence of its best passage (a passage is relevant when its document is)."""
    best: dict[str, tuple[float, int]] = {}
    for doc_id, value, label in zip(doc_ids, p.tolist(), labels.tolist()):
        if doc_id not in best or value > best[doc_id][0]:
            best[doc_id] = (value, int(label))
    return list(best.values())


def found_curve(reports: dict[str, dict[str, Any]], floors: np.ndarray = FLOOR_GRID) -> list[dict[str, float]]:
    """At each floor, per set: the share of dev queries found (a result clears the floor), found with a
    relevant top result, and the share found of the removed and of the unrelated queries (wrongly:
    with no relevant result); ``false_found`` is the share of the set's floor negatives."""
    rows = []
    for floor in floors.tolist():
        row: dict[str, float] = {"floor": float(floor)}
        for name, r in reports.items():
            top = np.array([(p, y) for _, p, y in r["kept"]])
            row[f"{name}:found"] = float((top[:, 0] >= floor).mean())
            row[f"{name}:found_relevant"] = float(((top[:, 0] >= floor) & (top[:, 1] == 1)).mean())
            for part in ("removed", "cross"):
                tops = np.array([(p, y) for _, p, y in r[part]]).reshape(-1, 2)
                row[f"{name}:{part}_found"] = float(((tops[:, 0] >= floor) & (tops[:, 1] == 0)).mean()) \
                    if len(tops) else 0.0
            row[f"{name}:false_found"] = row[f"{name}:{r['negatives']}_found"]
        rows.append(row)
    return rows


def choose_floor(curve: list[dict[str, float]], sets: list[str], max_false: float) -> float:
    """Among the floors at which no set's floor negatives (``floor_negatives``) are found more often
    than ``max_false``, those that best separate (the share of queries found with a relevant top
    result less the share of negatives found, averaged over the sets); the middle one of them, so
    the floor sits in the middle of the best range rather than on its edge. The highest floor when
    none keeps to ``max_false``."""
    def separation(row: dict[str, float]) -> float:
        return float(np.mean([row[f"{s}:found_relevant"] - row[f"{s}:false_found"] for s in sets]))

    allowed = [row for row in curve if all(row[f"{s}:false_found"] <= max_false for s in sets)]
    if not allowed:
        return curve[-1]["floor"]
    best = max(separation(row) for row in allowed)
    tied = [row["floor"] for row in allowed if separation(row) >= best - 0.005]
    return tied[len(tied) // 2]


def format_report(name: str, reports: dict[str, dict[str, Any]]) -> str:
    lines = [f"{name}: expected calibration error on held-out folds"]
    for dataset, r in reports.items():
        lines.append(f"  {dataset}: ECE {r['ece']:.4f} over {r['results']} results "
                     f"(documents, by their best passage: {r['documents_ece']:.4f})")
        lines.append("    bin      results  confidence  relevant")
        lines += [f"    {row['bin']}  {row['results']:7d}  {row['confidence']:10.3f}  {row['relevant']:8.3f}"
                  for row in r["reliability"]]
    return "\n".join(lines)


def fit_all(sets: list[dict[str, Any]], max_false: float) -> tuple[dict[str, Any], dict[str, float]]:
    """Every model present in the dumps cross-validated: (summary by model, floor by kind)."""
    summary: dict[str, Any] = {}
    names = sorted({name for d in sets for name in d["families"]})
    for name in names:
        with_model = [d for d in sets if name in d["families"]]
        reports = cross_validate(with_model, name)
        curve = found_curve(reports)
        floor = choose_floor(curve, [d["dataset"] for d in with_model], max_false)
        summary[name] = {"sets": [d["dataset"] for d in with_model], "floor": floor, "curve": curve,
                         "reports": {n: {k: v for k, v in r.items() if k not in PARTS} for n, r in reports.items()}}
        print(format_report(name, reports))
        at = next(row for row in curve if row["floor"] == floor)
        print(f"  floor {floor:.2f}: "
              + "; ".join(f"{n} found {at[f'{n}:found']:.3f}, with a relevant top {at[f'{n}:found_relevant']:.3f}, "
                          f"removed found {at[f'{n}:removed_found']:.3f}, unrelated found {at[f'{n}:cross_found']:.3f}"
                          for n in summary[name]["sets"]))
    floors = {kind: summary[model]["floor"] for kind, model in FLOOR_MODELS.items() if model in summary}
    return summary, floors


def write(sets: list[dict[str, Any]], summary: dict[str, Any], floors: dict[str, float], max_false: float) -> Path:
    """Every model fitted on all queries, with the floors and the record of how they were measured."""
    models = {name: fit_model([d for d in sets if name in d["families"]], name) for name in summary}
    embedders = {d.get("model") for d in sets}
    if len(embedders) != 1 or None in embedders:
        raise SystemExit(f"the dumps come from indexes of different or unknown models: {embedders}")
    training = {
        "model": embedders.pop(),  # the cosines it reads are this model's; another model needs its own fit
        "fitted": date.today().isoformat(),
        "command": "python -m eval.calibration fit --write (after the three dump commands)",
        "floors": f"on {FLOOR_GRID[0]}..{FLOOR_GRID[-1]}, among floors at which the negatives (unrelated searches "
                  "for passages; the answer's or precedent's document removed for answers and precedents) are "
                  f"found at most {max_false:.0%} of the time, the middle of those that best separate dev queries "
                  "found with a relevant top result from negatives found (held-out confidences)",
        "models": {name: {"sets": s["sets"], "ece": {n: round(r["ece"], 4) for n, r in s["reports"].items()},
                          "documents_ece": {n: round(r["documents_ece"], 4) for n, r in s["reports"].items()}}
                   for name, s in summary.items()},
    }
    calibration = confidence.Calibration(models, floors, training)
    confidence.MODEL_FILE.write_text(json.dumps(calibration.to_dict(), ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    return confidence.MODEL_FILE


def main(argv: list[str] | None = None) -> int:
    from eval import confidence_dumps

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump", help="search every dev query of each zhengce eval --json run's index "
                                    "(and a sample of an unrelated set's questions)")
    d.add_argument("--unrelated", type=Path, default=Path("../shared/eval/cmrc2018"),
                   help="a BEIR set whose dev questions no policy collection answers (default: cmrc2018)")
    d.add_argument("results", nargs="+", type=Path)
    d.add_argument("--families", default=",".join(confidence_dumps.FAMILIES))
    sub.add_parser("dump-similar", help="/similar's documents for eval/data/precedents")
    a = sub.add_parser("dump-answers", help="/ask's answers on a set with gold spans, as asked, gold removed and "
                                            "every document stating the answer removed")
    a.add_argument("results", type=Path)
    a.add_argument("--fusion", choices=("linear", "learned"), default="linear")
    h = sub.add_parser("dump-learned", help="the learned family with held-out scores (after eval.learn dump)")
    h.add_argument("--learn", nargs="+", type=Path, required=True, help="eval.learn dumps (var/eval/learn/*.pkl)")
    h.add_argument("results", nargs="+", type=Path, help="the zhengce eval --json runs behind them")
    f = sub.add_parser("fit", help="cross-validate, report, and (--write) write the models")
    f.add_argument("dumps", nargs="*", type=Path)
    f.add_argument("--json", type=Path)
    f.add_argument("--write", action="store_true")
    f.add_argument("--max-false-found", type=float, default=0.10)
    args = parser.parse_args(argv)
    if args.command == "dump":
        for path in args.results:
            print(confidence_dumps.dump(path, families=tuple(args.families.split(",")), unrelated=args.unrelated))
        return 0
    if args.command == "dump-similar":
        print(confidence_dumps.dump_similar())
        return 0
    if args.command == "dump-answers":
        print(confidence_dumps.dump_answers(args.results, fusion=args.fusion))
        return 0
    if args.command == "dump-learned":
        print(*confidence_dumps.dump_learned(args.learn, args.results), sep="\n")
        return 0
    sets = load(args.dumps or sorted(DUMP_DIR.glob("*.pkl")))
    summary, floors = fit_all(sets, args.max_false_found)
    print("floors: " + ", ".join(f"{kind} {value:.2f}" for kind, value in floors.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"models": summary, "floors": floors}, ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")
    if args.write:
        print(write(sets, summary, floors, args.max_false_found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
