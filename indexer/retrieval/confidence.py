"""Calibrated confidence: how likely a staff member is to judge a result relevant, in [0, 1].

Ranking scores cannot carry a floor: the learned ranker's are raw tree sums, linear fusion's are
min-max blends within one query's candidates, BM25's grow with the query's length, and the top
result of a query nothing answers still scores near the top of its own scale. So each result is
described by its score and where it sits among the query's results (its rank, its distance from
the top, the top's lead over the second) and by absolute signals of how the query sits in the
collection (the best cosine of any passage, the best BM25, whether dense and BM25 agree on the top
documents, how much of the query's content the passage holds) and by its document (how long it is,
how many of the top results it holds: a long 公文 is judged as a whole), and a small logistic model per
ranking family maps that to a probability. The models are fitted on the dev judgements with folds
by query (``python -m eval.calibration``), which also reports the expected calibration error and a
reliability table (eval/results.md, section 24), and are stored in ``confidence_model.json``.

Precedents (/similar) and answers (/ask) have their own models over their own signals, fitted the
same way: ``Calibration.model("similar")`` and ``Calibration.model("answer")``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ZhengceError
from indexer.index.lexical import normalize
from indexer.index.manifest import Manifest

MODEL_FILE = Path(__file__).resolve().parent / "confidence_model.json"
CONTEXT_DEPTH = 10  # results whose scores describe the query, whatever top_k is
# the words the page shows for a confidence: 较高 from HIGH up, 一般 from the deployment's floor
HIGH = 0.7
LEVELS = ("较低", "一般", "较高")

# the features each ranking family's model reads (names in ``passage_features``)
_RANKED = ("score", "score_gap_top", "top_gap", "rank_log", "cover", "query_chars_log", "doc_share", "doc_chunks_log")
FAMILY_FEATURES: dict[str, tuple[str, ...]] = {
    "hybrid-learned": _RANKED + ("dense", "dense_top", "lexical_log", "lexical_top_log", "agreement"),
    "hybrid-linear": _RANKED + ("dense", "dense_top", "lexical_log", "lexical_top_log", "agreement"),
    "hybrid-rrf": _RANKED + ("dense", "dense_top", "lexical_log", "lexical_top_log", "agreement"),
    "dense": _RANKED + ("dense_top",),
    "lexical": _RANKED + ("lexical_top_log",),
    # a precedent (indexer.retrieval.precedents.SIGNALS): how close in meaning its best passage is to
    # each part of the proposal, and how much of each part's content that passage holds
    "similar": ("cos_mean", "cover_mean"),
    # an answer (indexer.retrieval.answers.answer_features): the candidate sentence's score, how much of
    # the question it and its title cover, the confidence of its passage and of the top passage,
    # whether the question asks for a kind of fact, how far the candidate trails the best sentence, the
    # share of the question's numbers (years, counts) it states, and the share of the question's terms
    # around the asked fact in it (联系电话：…, 2022年5月1日起…施行)
    "answer": ("score", "lexical", "cover", "cover_context", "passage_confidence", "top_confidence", "typed", "gap",
               "numbers", "span_terms"),
}


@dataclass(frozen=True)
class QuerySignals:
    """How one query sits in the collection, read from both retrievers' candidates before ranking."""

    dense_top: float | None  # the best cosine of any candidate passage
    lexical_top: float | None  # the best BM25 score of any candidate passage
    agreement: float | None  # share of the top-10 documents that dense and BM25 both return (hybrid only)
    terms: tuple[str, ...]  # the query's content terms (indexer.retrieval.questions)
    query_chars: int


def family_of(mode: str, fusion: str) -> str:
    return f"hybrid-{fusion}" if mode == "hybrid" else mode


def native_score(family: str, scores: dict[str, float], score: float) -> float:
    """A result's score on its family's own scale: the learned model's raw sum (the Searcher ranks by
    an arctan of it), BM25 on a log scale, the rest as ranked."""
    if family == "hybrid-learned":
        return scores.get("learned", score)
    if family == "lexical":
        return math.log1p(max(score, 0.0))
    return score


def term_cover(terms: tuple[str, ...], text: str) -> float:
    """Share of ``terms`` found in ``text`` (1 when the query has none)."""
    if not terms:
        return 1.0
    normalized = normalize(text)
    return sum(term in normalized for term in terms) / len(terms)


@dataclass(frozen=True)
class Ranked:
    """What confidence reads of one ranked result."""

    score: float  # on its family's own scale (``native_score``)
    scores: dict[str, float]  # per retriever: dense, lexical ...
    text: str  # the passage with its document's title and its heading path
    doc_id: str
    doc_chunks: int  # how many passages its document has: a long 公文 is judged as a whole


def passage_features(family: str, results: list[Ranked], signals: QuerySignals) -> np.ndarray:
    """The (len(results), len(FAMILY_FEATURES[family])) matrix of ranked results, best first.
    Query-level columns (the top's lead, the best cosine ...) and each result's share of the top
    results from its own document read the first ``CONTEXT_DEPTH`` results."""
    names = FAMILY_FEATURES[family]
    if not results:
        return np.empty((0, len(names)))
    native = np.array([r.score for r in results], dtype=np.float64)
    head = native[:CONTEXT_DEPTH]
    head_docs = [r.doc_id for r in results[:CONTEXT_DEPTH]]
    top = float(head.max())
    second = float(np.sort(head)[-2]) if len(head) > 1 else top
    columns: dict[str, Any] = {
        "score": native,
        "score_gap_top": top - native,
        "top_gap": np.full(len(results), top - second),
        "rank_log": np.log(np.arange(1, len(results) + 1)),
        "cover": np.array([term_cover(signals.terms, r.text) for r in results]),
        "query_chars_log": np.full(len(results), math.log1p(signals.query_chars)),
        "doc_share": np.array([head_docs.count(r.doc_id) / len(head_docs) for r in results]),
        "doc_chunks_log": np.log1p([r.doc_chunks for r in results]),
        "dense": np.array([r.scores.get("dense", 0.0) for r in results]),
        "dense_top": np.full(len(results), signals.dense_top or 0.0),
        "lexical_log": np.log1p(np.maximum([r.scores.get("lexical", 0.0) for r in results], 0.0)),
        "lexical_top_log": np.full(len(results), math.log1p(max(signals.lexical_top or 0.0, 0.0))),
        "agreement": np.full(len(results), signals.agreement or 0.0),
    }
    return np.column_stack([columns[name] for name in names]).astype(np.float64)


@dataclass(frozen=True)
class Logistic:
    """p = sigmoid(coef . (x - mean) / scale + intercept), then the isotonic map (``knots``) when fitted."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    knots: tuple[np.ndarray, np.ndarray] | None = None  # (raw probabilities, calibrated), increasing

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.empty(0)
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.coef + self.intercept
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        if self.knots is not None:
            p = np.interp(p, self.knots[0], self.knots[1])
        return np.clip(p, 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept,
                "knots": [k.tolist() for k in self.knots] if self.knots is not None else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Logistic:
        knots = data.get("knots")
        return cls(tuple(data["features"]), np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64), np.asarray(data["coef"], dtype=np.float64),
                   float(data["intercept"]),
                   (np.asarray(knots[0], dtype=np.float64), np.asarray(knots[1], dtype=np.float64)) if knots else None)


@dataclass(frozen=True)
class Calibration:
    """The fitted models by name (ranking families, ``similar``, ``answer``), the measured floors
    and what they were fitted on."""

    models: dict[str, Logistic]
    floors: dict[str, float]
    training: dict[str, Any]

    def model(self, name: str) -> Logistic:
        try:
            return self.models[name]
        except KeyError:
            raise ZhengceError(f"{MODEL_FILE.name} has no confidence model for {name!r} on today's features; "
                               "rebuild it with make calibrate (python -m eval.calibration)") from None

    def fits(self, manifest: Manifest) -> bool:
        """Whether it was fitted with the model that built this index (cosines differ by model)."""
        fitted = self.training.get("model")
        return fitted is None or fitted == manifest.model_id

    def floor(self, kind: str) -> float:
        """The measured default floor of ``passage``, ``document``, ``similar`` or ``answer``."""
        return self.floors[kind]

    def to_dict(self) -> dict[str, Any]:
        return {"models": {name: m.to_dict() for name, m in self.models.items()}, "floors": self.floors,
                "training": self.training}

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Calibration:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        models = {name: Logistic.from_dict(m) for name, m in data["models"].items()}
        # a model fitted on other features than today's is left out: asking for it names the rebuild
        # command, and the others (fitted before it, as eval.calibration fits answers last) still serve
        current = {name: model for name, model in models.items() if model.features == FAMILY_FEATURES.get(name)}
        return cls(current, {k: float(v) for k, v in data["floors"].items()}, data.get("training", {}))


def level(confidence: float, floor: float) -> str:
    """较高 / 一般 / 较低: what the page says instead of a number."""
    if confidence >= max(HIGH, floor):
        return LEVELS[2]
    return LEVELS[1] if confidence >= floor else LEVELS[0]
