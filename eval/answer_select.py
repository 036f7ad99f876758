"""/ask's sentence choice, learned and measured against the rule (``indexer.retrieval.answers``).

    python -m eval.answer_select dump [--dataset ../shared/eval/ncppolicies] [--split dev]
    python -m eval.answer_select cv [--learner logistic|lambdarank] [--json OUT] [--against OTHER.json]
    python -m eval.answer_select write [--learner ...]     # fitted on every question, into indexer/retrieval

``dump`` asks every question with a gold span through /ask's retrieval twice, as asked and with every
document stating its answer taken out (``eval.answer_copies``), and keeps what the sentence scoring
reads (the passages, the question's vector, the candidates' vectors) in ``var/eval/answer-select``:
everything after it runs from that file on the committed code, without a model call or a search.
``cv`` deals the questions into the calibration's five folds (``eval.calibration.folds_of``'s rule),
fits the sentence model on four and lets it choose on the fifth, then decides every question as /ask
does (question rules, answer confidence, floor) with the rule's choice and with the learned one:
contains gold, first in/around gold, first from the gold document, answered, and the unanswerable
questions answered, along the answer floor, with paired randomisation tests per question.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

DUMP_DIR = Path("var/eval/answer-select")
PARTS = ("asked", "unanswerable")  # as asked; every document stating the answer out


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.answer_select", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--dataset", type=Path, default=Path("../shared/eval/ncppolicies"))
    d.add_argument("--split", default="dev")
    d.add_argument("--fusion", default="auto")
    args = parser.parse_args(argv)
    if args.command == "dump":
        print(dump(args.dataset, args.split, args.fusion))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
