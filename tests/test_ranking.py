"""Ranking beyond a fixed blend: the paired significance test, the learned ranker's features and model."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from eval.significance import compare, load_per_query, randomisation_p
from indexer.errors import BadInput


def test_exact_randomisation_p_matches_hand_enumeration() -> None:
    differences = np.array([0.5, 0.25, 0.25, -0.1])
    observed = abs(differences.mean())
    assignments = list(itertools.product((1, -1), repeat=4))
    at_least = sum(abs(np.dot(signs, differences)) / 4 >= observed - 1e-12 for signs in assignments)
    p, exact = randomisation_p(differences)
    # as extreme: the observed signs, the -0.1 flipped (sum 1.1), and both of those negated
    assert exact and p == pytest.approx(at_least / 16) == pytest.approx(4 / 16)
    assert randomisation_p(np.zeros(5))[0] == 1.0  # no difference at all: every assignment is as extreme


def test_sampled_randomisation_p_separates_real_and_null_differences() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.3, 400)
    p_null, exact = randomisation_p(noise - noise.mean())  # centred noise: mean exactly 0
    assert not exact and p_null > 0.9
    p_real, _ = randomisation_p(noise - noise.mean() + 0.1)  # +0.1 on sd 0.3 over 400 queries: z = 6.7
    assert p_real == pytest.approx(1 / 10_001)  # never 0: the observed assignment counts once
    assert randomisation_p(noise, seed=3) == randomisation_p(noise, seed=3)  # seeded, repeatable


def results_file(path: Path, per_query: dict[str, dict[str, dict[str, float]]]) -> Path:
    retrievers = {name: {"metrics": {}, "per_query": scores} for name, scores in per_query.items()}
    path.write_text(json.dumps({"dataset": "tiny", "retrievers": retrievers}), encoding="utf-8")
    return path


def test_compare_pairs_queries_and_names_its_inputs(tmp_path: Path) -> None:
    a = {q: {"nDCG@10": v} for q, v in zip("abcd", (0.2, 0.4, 0.6, 0.8))}
    b = {q: {"nDCG@10": v} for q, v in zip("abcd", (0.7, 0.9, 0.6, 0.8))}
    result = compare(a, b, names=("x", "y"))
    assert (result.queries, result.difference, result.exact) == (4, pytest.approx(0.25), True)
    assert result.p_value == pytest.approx(8 / 16)  # +0.5, +0.5, 0, 0: extreme whenever the two 0.5s agree
    assert "difference +0.2500" in result.summary() and "p = 0.5000" in result.summary()
    with pytest.raises(BadInput, match="not run on the same queries"):
        compare(a, {q: b[q] for q in "abc"})
    with pytest.raises(BadInput, match="metric 'R@3'"):
        compare(a, b, metric="R@3")

    both = results_file(tmp_path / "run.json", {"dense": a, "hybrid": b})
    assert load_per_query(f"{both}:hybrid") == ("tiny:hybrid", b)
    with pytest.raises(BadInput, match="holds dense, hybrid: name one"):
        load_per_query(str(both))
    with pytest.raises(BadInput, match="no retriever 'rrf'"):
        load_per_query(f"{both}:rrf")
    with pytest.raises(BadInput, match="no such results file"):
        load_per_query(str(tmp_path / "missing.json"))


def test_cli_compare_prints_difference_and_p(tmp_path: Path, capsys) -> None:
    from indexer.cli import main

    a = {f"q{i}": {"nDCG@10": 0.5} for i in range(40)}
    b = {f"q{i}": {"nDCG@10": 0.5 + (0.2 if i % 2 else 0.0)} for i in range(40)}
    one = results_file(tmp_path / "a.json", {"hybrid": a})
    two = results_file(tmp_path / "b.json", {"dense": a, "learned": b})
    assert main(["eval", "--compare", str(one), f"{two}:learned"]) == 0
    printed = capsys.readouterr().out
    assert "tiny:hybrid 0.5000, tiny:learned 0.6000, difference +0.1000" in printed
    assert "p = 0.0001" in printed  # 20 queries all +0.2: no sign flip reaches the observed mean
    assert main(["eval", "--compare", str(one), str(two)]) == 2
    assert "name one" in capsys.readouterr().err
    assert main(["eval"]) == 2
    assert "--dataset is required" in capsys.readouterr().err
