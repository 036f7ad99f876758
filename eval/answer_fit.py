"""/ask's answer model (``confidence`` model ``answer``) on its own: what it does to the answers along
the floor, held out, and whether that differs from another model's.

    python -m eval.calibration dump-answers var/eval-ncppolicies.json   # as asked, gold removed, answer removed
    python -m eval.answer_fit [DUMP] [--train-on removed|unanswerable] [--floor F] [--json OUT] [--write]
    python -m eval.answer_fit [DUMP] --model FILE [--json OUT]          # a fitted model (the shipped one) as it is
    python -m eval.answer_fit [DUMP] ... --against OTHER.json           # paired tests against another run

A question is answered at a floor when its best sentence that holds the asked fact has a confidence
there or above (from the model fitted on the other folds, folds by query as ``eval.calibration``
deals them) and its best sentence reaches the off-topic threshold; its answer holds the gold span
when the dump says so. Reported along the floor: the share of questions answered, answered with the
gold span, and the share of the unanswerable ones (every document that states the answer taken out:
``eval.answer_copies``) answered. The model is fitted on the questions as asked and on ``--train-on``
(``removed``, the gold document alone out, as shipped; or ``unanswerable``); the floor is chosen as
``eval.calibration`` chooses it, with the unanswerable questions as the negatives. ``--write``
replaces the answer model (fitted on every question) and its floor in ``confidence_model.json``, the
other models and floors kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from eval.calibration import FLOOR_GRID, FOLDS, choose_floor, expected_calibration_error, fit_model, folds_of
from eval.confidence_dumps import DUMP_DIR, load
from eval.significance import randomisation_p
from indexer.retrieval import confidence
from indexer.retrieval.answers import OFF_TOPIC

NAME = "answer"
MAX_FALSE = 0.10  # unanswerable questions answered, at most, at the chosen floor (the target)
OUTCOMES = ("answered", "contains_gold", "unanswerable_answered")
MEASURED = ("kept", "unanswerable")  # as asked; every document stating the answer out

Scores = dict[str, dict[str, tuple[float, int]]]  # part -> question -> (confidence, holds the gold span)


def trained_on(data: dict[str, Any], negatives: str) -> dict[str, Any]:
    """The dump with ``negatives`` as the part the model is fitted on besides the questions as asked."""
    family = dict(data["families"][NAME], removed=data["families"][NAME][negatives], train=("kept", "removed"))
    return {**data, "families": {NAME: family}}


def usable(data: dict[str, Any], part: str) -> list[tuple[Any, np.ndarray]]:
    """The part's rows that have features (a sentence holds the asked fact), as (row, features)."""
    rows = []
    for r in data["families"][NAME].get(part, []):
        x = np.asarray(r.x, dtype=np.float64)
        if len(x) and not np.isnan(x).any():
            rows.append((r, x))
    return rows


def held_out(data: dict[str, Any], negatives: str = "removed") -> tuple[Scores, float]:
    """Every measured question's confidence from the model fitted on the other folds (on the questions
    as asked and ``negatives``), and the calibration error over what it was fitted on, held out."""
    training = trained_on(data, negatives)
    fold = folds_of([training], NAME)
    scores: Scores = {part: {} for part in (*MEASURED, "trained")}
    for k in range(FOLDS):
        model = fit_model([training], NAME, set(range(FOLDS)) - {k}, fold)
        for part, source in (("kept", "kept"), ("unanswerable", "unanswerable"), ("trained", negatives)):
            for r, x in usable(data, source):
                if fold[(data["dataset"], r.query_id)] == k:
                    scores[part][r.query_id] = (float(model.predict(x).max()), int(r.labels.max()))
    return scores, _ece(scores, "trained")


def applied(data: dict[str, Any], model: confidence.Logistic) -> tuple[Scores, float]:
    """The same from a fitted model as it is (its features picked from the dump's by name)."""
    columns = [list(data["families"][NAME]["columns"]).index(f) for f in model.features]
    scores: Scores = {part: {r.query_id: (float(model.predict(x[:, columns]).max()), int(r.labels.max()))
                             for r, x in usable(data, part)} for part in (*MEASURED, "removed")}
    return scores, _ece(scores, "removed")


def _ece(scores: Scores, negatives: str) -> float:
    held = np.array([*scores["kept"].values(), *scores[negatives].values()], dtype=np.float64).reshape(-1, 2)
    return expected_calibration_error(held[:, 0], held[:, 1])


def outcomes(data: dict[str, Any], scores: Scores, floor: float) -> dict[str, dict[str, float]]:
    """Per question, at ``floor``: answered, answered with the gold span, answered with its answer
    removed. A question whose best sentence scores under the off-topic threshold is not answered,
    whatever its confidence (the dump records why /ask gave no answer)."""
    family = data["families"][NAME]
    off_topic = {part: {r.query_id for r in family[part] if r.doc_ids and r.doc_ids[0] == OFF_TOPIC} for part in MEASURED}

    def given(part: str, q: str) -> bool:
        return q in scores[part] and q not in off_topic[part] and scores[part][q][0] >= floor

    return {q: {"answered": float(given("kept", q)), "contains_gold": float(given("kept", q) and scores["kept"][q][1]),
                "unanswerable_answered": float(given("unanswerable", q) and not scores["unanswerable"][q][1])}
            for q in sorted(r.query_id for r in family["kept"])}


def curve(data: dict[str, Any], scores: Scores) -> list[dict[str, float]]:
    rows = []
    for floor in [0.0, *FLOOR_GRID.tolist()]:
        per_query = outcomes(data, scores, floor).values()
        rows.append({"floor": floor, **{o: float(np.mean([q[o] for q in per_query])) for o in OUTCOMES}})
    return rows


def chosen_floor(rows: list[dict[str, float]]) -> float:
    """``eval.calibration``'s rule: of the floors that answer at most ``MAX_FALSE`` of the unanswerable
    questions, the middle of those that best separate answers holding the gold span from them."""
    as_found = [{"floor": r["floor"], "ncpp:found_relevant": r["contains_gold"],
                 "ncpp:false_found": r["unanswerable_answered"]} for r in rows if r["floor"] > 0]
    return choose_floor(as_found, ["ncpp"], MAX_FALSE)


def compare(ours: dict[str, dict[str, float]], theirs: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Paired randomisation tests per outcome over the questions both runs hold."""
    common = sorted(set(ours) & set(theirs))
    tests = []
    for o in OUTCOMES:
        a, b = np.array([theirs[q][o] for q in common]), np.array([ours[q][o] for q in common])
        p, _ = randomisation_p(b - a)
        tests.append({"outcome": o, "questions": len(common), "other": float(a.mean()), "this": float(b.mean()), "p": p})
    return tests


def write(data: dict[str, Any], negatives: str, floor: float, ece: float) -> Path:
    """The answer model fitted on every question, and its floor, into confidence_model.json."""
    stored = json.loads(confidence.MODEL_FILE.read_text(encoding="utf-8"))
    stored["models"][NAME] = fit_model([trained_on(data, negatives)], NAME).to_dict()
    stored["floors"][NAME] = floor
    training = stored.setdefault("training", {})
    training.setdefault("models", {})[NAME] = {"sets": [data["dataset"]], "ece": {data["dataset"]: round(ece, 4)},
                                               "documents_ece": {}}
    training["answer"] = {"fitted": date.today().isoformat(), "command": f"python -m eval.answer_fit --train-on "
                          f"{negatives} --write", "fusion": data.get("fusion", "linear")}
    confidence.MODEL_FILE.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return confidence.MODEL_FILE


def format_curve(rows: list[dict[str, float]], floor: float) -> str:
    lines = ["floor  answered  contains gold  unanswerable answered"]
    lines += [f"{r['floor']:5.2f}  {r['answered']:8.3f}  {r['contains_gold']:13.3f}  {r['unanswerable_answered']:21.3f}"
              + (" *" if abs(r["floor"] - floor) < 1e-9 else "") for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", nargs="?", type=Path, default=DUMP_DIR / "ncppolicies-dev-answers.pkl")
    parser.add_argument("--train-on", choices=("removed", "unanswerable"), default="removed",
                        help="the negatives the model is fitted on besides the questions as asked")
    parser.add_argument("--model", type=Path, help="a confidence_model.json whose answer model is applied as it is")
    parser.add_argument("--floor", type=float, help="the floor (default: the chosen one, or --model's)")
    parser.add_argument("--json", type=Path, help="write the curve and per-question outcomes")
    parser.add_argument("--against", type=Path, help="another run's --json: paired tests per outcome")
    parser.add_argument("--write", action="store_true", help="write the model fitted on every question")
    args = parser.parse_args(argv)
    (data,) = load([args.dump])
    if args.model:
        stored = json.loads(args.model.read_text(encoding="utf-8"))
        scores, ece = applied(data, confidence.Logistic.from_dict(stored["models"][NAME]))
        default_floor, how = float(stored["floors"][NAME]), f"{args.model} as it is"
    else:
        scores, ece = held_out(data, args.train_on)
        default_floor, how = None, f"fitted on kept + {args.train_on}, held out ({FOLDS} folds by query)"
    rows = curve(data, scores)
    floor = args.floor if args.floor is not None else default_floor if default_floor is not None else chosen_floor(rows)
    per_query = outcomes(data, scores, floor)
    print(f"{data['dataset']} {data.get('fusion', 'linear')} fusion, {len(per_query)} questions, {how}; "
          f"calibration error {ece:.4f}; floor {floor:.2f}")
    print(format_curve(rows, floor))
    result: dict[str, Any] = {"how": how, "floor": floor, "ece": ece, "curve": rows, "per_query": per_query}
    if args.against:
        other = json.loads(args.against.read_text(encoding="utf-8"))
        result["tests"] = compare(per_query, other["per_query"])
        for t in result["tests"]:
            print(f"{t['outcome']}: this {t['this']:.3f}, {args.against} {t['other']:.3f} over {t['questions']} "
                  f"questions, p = {t['p']:.4f} (paired randomisation, two-sided)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.write:
        if args.model:
            raise SystemExit("--write fits a model: leave out --model")
        print(write(data, args.train_on, floor, ece))
    return 0


if __name__ == "__main__":
    sys.exit(main())
