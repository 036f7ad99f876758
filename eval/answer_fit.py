"""/ask's answer model (``confidence`` model ``answer``) on its own: what it does to the answers along
the floor, held out, and whether that differs from another model's.

    python -m eval.calibration dump-answers var/eval-ncppolicies.json   # as asked; every document stating the answer out
    python -m eval.answer_fit [DUMP] [--json OUT] [--write]             # fitted with folds by query, held out
    python -m eval.answer_fit [DUMP] --model FILE [--json OUT]          # a fitted model (the shipped one) as it is
    python -m eval.answer_fit [DUMP] --against OTHER.json               # paired tests against another run

A question is answered at a floor when its best sentence that holds the asked fact has a confidence
there or above (its confidence from the model fitted on the other folds, as ``eval.calibration``
deals them), and its answer holds the gold span when the dump says so. Reported along the floor:
the share of questions answered, answered with the gold span, and the share of the unanswerable ones
(every document that states the answer taken out: ``eval.answer_copies``) answered. The floor is
chosen as ``eval.calibration`` chooses it. ``--write`` replaces the answer model (fitted on every
question) and its floor in ``confidence_model.json``, the other models and floors kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from eval.calibration import (
    FLOOR_GRID,
    choose_floor,
    cross_validate,
    expected_calibration_error,
    fit_model,
    found_curve,
)
from eval.confidence_dumps import DUMP_DIR, load
from eval.significance import randomisation_p
from indexer.retrieval import confidence
from indexer.retrieval.answers import OFF_TOPIC

NAME = "answer"
MAX_FALSE = 0.10  # unanswerable questions answered, at most, at the chosen floor (the target)
OUTCOMES = ("answered", "contains_gold", "unanswerable_answered")


def held_out(data: dict[str, Any]) -> tuple[dict[str, tuple[float, int]], dict[str, float], float, float]:
    """(question -> (held-out confidence, holds the gold span) as asked, question -> held-out confidence
    with its answer removed, the floor chosen on them, the calibration error as asked)."""
    report = cross_validate([data], NAME)[data["dataset"]]
    floor = choose_floor(found_curve({data["dataset"]: report}), [data["dataset"]], MAX_FALSE)
    return ({q: (p, y) for q, p, y in report["kept"]}, {q: p for q, p, _ in report["removed"]}, floor,
            report["ece"])


def applied(data: dict[str, Any], model: confidence.Logistic) -> tuple[dict[str, tuple[float, int]], dict[str, float]]:
    """The same two maps from a fitted model as it is (its features picked from the dump's by name)."""
    family = data["families"][NAME]
    columns = [list(family["columns"]).index(f) for f in model.features]
    parts: dict[str, dict[str, tuple[float, int]]] = {"kept": {}, "removed": {}}
    for part in parts:
        for r in family[part]:
            x = np.asarray(r.x, dtype=np.float64)[:, columns]
            if len(x) and not np.isnan(x).any():
                parts[part][r.query_id] = (float(model.predict(x).max()), int(r.labels.max()))
    return parts["kept"], {q: p for q, (p, _) in parts["removed"].items()}


def outcomes(data: dict[str, Any], kept: dict[str, tuple[float, int]], removed: dict[str, float],
             floor: float) -> dict[str, dict[str, float]]:
    """Per question, at ``floor``: answered, answered with the gold span, answered with its answer removed.
    A question whose best sentence scores under the off-topic threshold is not answered whatever its
    confidence (the dump records why /ask gave no answer)."""
    family = data["families"][NAME]
    questions = sorted(r.query_id for r in family["kept"])
    off_topic = {part: {r.query_id for r in family[part] if r.doc_ids and r.doc_ids[0] == OFF_TOPIC}
                 for part in ("kept", "removed")}

    def given(q: str) -> bool:
        return q in kept and q not in off_topic["kept"] and kept[q][0] >= floor

    return {q: {"answered": float(given(q)), "contains_gold": float(given(q) and kept[q][1] == 1),
                "unanswerable_answered": float(q in removed and q not in off_topic["removed"] and removed[q] >= floor)}
            for q in questions}


def curve(data: dict[str, Any], kept: dict[str, tuple[float, int]], removed: dict[str, float]) -> list[dict[str, float]]:
    rows = []
    for floor in [0.0, *FLOOR_GRID.tolist()]:
        per_query = outcomes(data, kept, removed, floor).values()
        rows.append({"floor": floor, **{o: float(np.mean([q[o] for q in per_query])) for o in OUTCOMES}})
    return rows


def compare(ours: dict[str, dict[str, float]], theirs: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Paired randomisation tests per outcome over the questions both runs hold."""
    common = sorted(set(ours) & set(theirs))
    tests = []
    for o in OUTCOMES:
        a, b = np.array([theirs[q][o] for q in common]), np.array([ours[q][o] for q in common])
        p, _ = randomisation_p(b - a)
        tests.append({"outcome": o, "questions": len(common), "other": float(a.mean()), "this": float(b.mean()),
                      "p": p})
    return tests


def write(data: dict[str, Any], floor: float, ece: float) -> Path:
    """The answer model fitted on every question, and its floor, into confidence_model.json."""
    stored = json.loads(confidence.MODEL_FILE.read_text(encoding="utf-8"))
    stored["models"][NAME] = fit_model([data], NAME).to_dict()
    stored["floors"][NAME] = floor
    training = stored.setdefault("training", {})
    training.setdefault("models", {})[NAME] = {"sets": [data["dataset"]], "ece": {data["dataset"]: round(ece, 4)},
                                               "documents_ece": {}}
    training["answer"] = {"fitted": date.today().isoformat(), "command": "python -m eval.answer_fit --write",
                          "negatives": "every document that states the answer removed (eval.answer_copies)",
                          "fusion": data.get("fusion", "linear")}
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
    parser.add_argument("--model", type=Path, help="a confidence_model.json whose answer model is applied as it is")
    parser.add_argument("--floor", type=float, help="the floor (default: the chosen one, or --model's)")
    parser.add_argument("--json", type=Path, help="write the curve and per-question outcomes")
    parser.add_argument("--against", type=Path, help="another run's --json: paired tests per outcome")
    parser.add_argument("--write", action="store_true", help="write the model fitted on every question")
    args = parser.parse_args(argv)
    (data,) = load([args.dump])
    if args.model:
        stored = json.loads(args.model.read_text(encoding="utf-8"))
        kept, removed = applied(data, confidence.Logistic.from_dict(stored["models"][NAME]))
        floor, how = float(stored["floors"][NAME]), f"{args.model} as it is"
        held = np.array(list(kept.values()), dtype=np.float64).reshape(-1, 2)
        ece = expected_calibration_error(held[:, 0], held[:, 1])
    else:
        kept, removed, floor, ece = held_out(data)
        how = "held out (5 folds by query)"
    floor = args.floor if args.floor is not None else floor
    rows = curve(data, kept, removed)
    per_query = outcomes(data, kept, removed, floor)
    print(f"{data['dataset']} {data.get('fusion', 'linear')} fusion, {len(per_query)} questions, {how}; "
          f"held-out calibration error {ece:.4f}; floor {floor:.2f}")
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
        print(write(data, floor, ece))
    return 0


if __name__ == "__main__":
    sys.exit(main())
