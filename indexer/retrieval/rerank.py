"""Learned ranking of hybrid candidates: a small tree ensemble over signals the engine already has.

A fixed blend weighs dense and BM25 the same for every query, but a question in citizens' words
wants meaning while a string of place names and policy terms wants exact words, and a short answer
is matched differently from one passage of a long notice. The candidates are the union of the dense
and BM25 top ``POOL`` passages; each is described by the features of ``rerank_features`` (both
retrievers' scores and ranks, today's min-max blend, query-term coverage of the passage and of its
title and heading path, the longest stretch of the query found verbatim, identifier matches, its
document's other candidates and length, and how the query sits in the collection: how far the
retrievers agree, how confident each is, how long the query is and whether it is a question; and its
best sentence, read from the index's sentence vectors, so the learned ranker needs an index built
with them) and scored by LightGBM LambdaRank trees trained on the dev splits (``python -m
eval.learn``, folds by query). The trees are stored as plain arrays and evaluated by a loop
compiled with numba (``trees``), so serving needs no LightGBM. The features of a passage never depend on how many
results were asked for, so what was trained is what runs.

This module is the learned ranker's interface: the Searcher calls ``features`` through it.
"""

from __future__ import annotations

from indexer.retrieval.rerank_features import (
    AGREEMENT_DEPTH,
    BLEND,
    BLENDED,
    CANDIDATE_FEATURES,
    FEATURES,
    POOL,
    SENTENCES,
    WIDE,
    Candidates,
    features,
    with_blend,
)
from indexer.retrieval.rerank_text import compile_loops
from indexer.retrieval.trees import MODEL_FILE, TreeRanker

__all__ = ["AGREEMENT_DEPTH", "BLEND", "BLENDED", "CANDIDATE_FEATURES", "FEATURES", "MODEL_FILE", "POOL", "SENTENCES",
           "WIDE", "Candidates", "TreeRanker", "compile_loops", "features", "with_blend"]
