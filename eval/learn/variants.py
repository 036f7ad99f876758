"""The variants tried under the same cross-validation (eval/results.md): a trainer and the feature
columns it sees."""

from __future__ import annotations

from eval.learn.crossval import Trainer
from eval.learn.lambdarank import fit_lambdarank, fit_lambdarank_best, fit_lambdarank_blend
from eval.learn.logistic import fit
from indexer.retrieval.rerank import CANDIDATE_FEATURES, SENTENCES, WIDE

DOCUMENT_AGGREGATES = tuple(f for f in CANDIDATE_FEATURES if f.startswith(("doc_", "is_doc")))
LAMBDARANK_TRAINERS = (fit_lambdarank, fit_lambdarank_best, fit_lambdarank_blend)  # the ones --write exports


def without(*dropped: tuple[str, ...]) -> tuple[str, ...]:
    """The candidate features and today's fusion score, less ``dropped`` (no sentence column)."""
    gone = {name for names in dropped for name in names}
    return tuple(c for c in CANDIDATE_FEATURES + WIDE if c not in gone)


VARIANTS: dict[str, tuple[Trainer, tuple[str, ...]]] = {
    "logistic": (fit, CANDIDATE_FEATURES),
    "logistic-no-doc": (fit, without(DOCUMENT_AGGREGATES, WIDE)),
    "logistic+hybrid": (fit, CANDIDATE_FEATURES + WIDE),
    "logistic+hybrid-no-doc": (fit, without(DOCUMENT_AGGREGATES)),
    "lambdarank": (fit_lambdarank, CANDIDATE_FEATURES),
    "lambdarank-no-doc": (fit_lambdarank, without(DOCUMENT_AGGREGATES, WIDE)),
    "lambdarank+hybrid": (fit_lambdarank, CANDIDATE_FEATURES + WIDE),
    "lambdarank+hybrid-no-doc": (fit_lambdarank, without(DOCUMENT_AGGREGATES)),
    "lambdarank-best-chunk": (fit_lambdarank_best, CANDIDATE_FEATURES),
    "lambdarank-best-chunk-no-doc": (fit_lambdarank_best, without(DOCUMENT_AGGREGATES, WIDE)),
    "lambdarank+hybrid-no-doc+sentences": (fit_lambdarank, without(DOCUMENT_AGGREGATES) + SENTENCES),
    "lambdarank+hybrid-no-doc+sentences+blend": (fit_lambdarank_blend, without(DOCUMENT_AGGREGATES) + SENTENCES),
}
