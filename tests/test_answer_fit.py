"""The answer model's held-out curve, its comparison with another run, and writing it alone
(eval.answer_fit), on a dump made here: the dump's shape is eval.confidence_dumps.dump_answers'."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from eval import answer_fit
from eval.confidence_dumps import Ranked
from indexer.retrieval import confidence
from indexer.retrieval.answers import ANSWER_FEATURES, OFF_TOPIC


def _dump(questions: int = 80, seed: int = 0) -> dict:
    """Questions whose answer holds the gold span score high on the first feature, the rest and the
    unanswerable ones low; one question is off topic (no answer, whatever its features say), one has
    no sentence that holds the asked fact, and one unanswerable answer holds the gold span anyway
    (a short span another document states: not a false answer)."""
    rng = np.random.default_rng(seed)
    width = len(ANSWER_FEATURES)
    parts: dict[str, list[Ranked]] = {"kept": [], "removed": [], "unanswerable": []}
    for i in range(questions):
        right = i % 4 != 0
        x = rng.normal(size=(1, width))
        x[0, 0] += 2.5 if right else -1.0
        parts["kept"].append(Ranked(f"q{i}", x, np.array([int(right)]), [OFF_TOPIC if i == 1 else "answered"]))
        for part in ("removed", "unanswerable"):
            z = rng.normal(size=(1, width))
            z[0, 0] -= 1.5 if i != 2 else -4.0
            parts[part].append(Ranked(f"q{i}", z, np.array([int(i == 2)]), ["answered"]))
    parts["kept"].append(Ranked("q-none", np.full((1, width), np.nan), np.array([0]), ["not_stated"]))
    return {"dataset": "made", "split": "dev", "model": "m", "fusion": "linear",
            "families": {"answer": {"columns": ANSWER_FEATURES, "train": ("kept", "removed"), **parts}}}


@pytest.mark.parametrize("negatives", ["removed", "unanswerable"])
def test_held_out_answers_along_the_floor(negatives) -> None:
    data = _dump()
    scores, ece = answer_fit.held_out(data, negatives)
    assert "q-none" not in scores["kept"] and len(scores["kept"]) == 80 and len(scores["unanswerable"]) == 80
    rows = answer_fit.curve(data, scores)
    assert rows[0]["floor"] == 0.0 and rows[0]["answered"] == pytest.approx(79 / 81)  # off topic and q-none not
    assert rows[0]["unanswerable_answered"] == pytest.approx(79 / 81)  # q2's answer holds the gold span
    answered = [r["answered"] for r in rows]
    assert answered == sorted(answered, reverse=True)  # a higher floor never answers more
    floor = answer_fit.chosen_floor(rows)
    at = answer_fit.outcomes(data, scores, floor)
    assert np.mean([q["unanswerable_answered"] for q in at.values()]) <= answer_fit.MAX_FALSE
    assert np.mean([q["contains_gold"] for q in at.values()]) > 0.5
    assert at["q1"]["answered"] == 0.0  # off topic: refused at any floor
    assert 0.0 <= ece < 0.2


def test_a_model_applied_as_it_is_and_compared() -> None:
    data = _dump()
    model = answer_fit.fit_model([data], "answer")
    scores, _ = answer_fit.applied(data, model)
    ours = answer_fit.outcomes(data, scores, 0.5)
    theirs = answer_fit.outcomes(data, scores, 0.0)  # rules only: answers everything it can
    tests = {t["outcome"]: t for t in answer_fit.compare(ours, theirs)}
    assert tests["unanswerable_answered"]["other"] == pytest.approx(79 / 81)
    assert tests["unanswerable_answered"]["this"] < 0.2 and tests["unanswerable_answered"]["p"] < 0.01
    assert tests["answered"]["questions"] == 81


def test_writing_the_answer_model_keeps_the_others(tmp_path, monkeypatch) -> None:
    path = tmp_path / "confidence_model.json"
    shutil.copy(confidence.MODEL_FILE, path)
    monkeypatch.setattr(confidence, "MODEL_FILE", path)
    before = json.loads(path.read_text(encoding="utf-8"))
    answer_fit.write(_dump(), "unanswerable", 0.4, 0.03)
    after = json.loads(path.read_text(encoding="utf-8"))
    assert after["floors"]["answer"] == 0.4 and after["models"]["answer"] != before["models"]["answer"]
    assert {k: v for k, v in after["models"].items() if k != "answer"} == \
        {k: v for k, v in before["models"].items() if k != "answer"}
    assert {k: v for k, v in after["floors"].items() if k != "answer"} == \
        {k: v for k, v in before["floors"].items() if k != "answer"}
    assert confidence.Calibration.load(path).model("answer").features == ANSWER_FEATURES
