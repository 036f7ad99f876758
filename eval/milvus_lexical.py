"""Lexical retrieval on each backend, and the choice of lexical scoring for Milvus: the project's
BM25 over its own tokens (stored as sparse vectors) or Milvus's own BM25 function (jieba analyzer).

``python -m eval.milvus_lexical --dataset ../shared/eval/msgabench_govqa`` indexes the split's
corpus exactly as ``zhengce eval`` does, but with a zero-vector stand-in model (lexical scores do
not read vectors, and embedding a dev corpus takes minutes), into the local backend and into a
Milvus Lite file; then it scores every query of the split with each lexical retriever as
``zhengce eval`` scores ``bm25`` (chunk hits -> judged units by max):

- local: bm25s over the project's tokens (the local backend);
- milvus: the same tokens' BM25 weights as sparse vectors in Milvus (the Milvus backend);
- Milvus BM25 function, jieba exact / search: Milvus's server-side BM25 over the passage text
  (title, heading path, text: what the project's tokens are made from), queried with the raw text.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import load_dataset
from eval.harness import DEFAULT_DEPTH, build_index, judged_units, resolve_level, retrieve
from eval.metrics import mean_over_queries, metric_names, per_query
from eval.retrievers import Retriever
from indexer.gongwen.documents import passage_text
from indexer.index.base import ChunkIndex
from indexer.index.settings import IndexSettings
from indexer.retrieval.search import Hit, Searcher
from indexer.update.backends import open_backend

JIEBA_MODES = ("exact", "search")
BATCH = 512


class ZeroEmbedder:
    """Stands in for the model where only lexical scores are measured: every vector is zero."""

    model_id = "zero-vectors"
    dim = 8

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), self.dim), dtype=np.float32)

    encode_passages = encode_queries


@dataclass
class MilvusBM25Searcher:
    """Lexical search by Milvus's BM25 function over the raw query text; Milvus Lite returns BM25
    scores negated, so their magnitude is the score."""

    client: Any
    collection: str
    index: ChunkIndex

    def search(self, query: str, top_k: int, mode: str = "lexical") -> list[Hit]:
        found = self.client.search(self.collection, data=[query], anns_field="sparse", limit=min(top_k, 16_384),
                                   output_fields=["row"], search_params={"metric_type": "BM25"})[0]
        hits = []
        for rank, hit in enumerate(found, start=1):
            chunk = self.index.chunks[int(hit["row"])]
            hits.append(Hit(rank, abs(float(hit["distance"])), chunk, self.index.documents[chunk.doc_id], []))
        return hits


def build_bm25_collection(client: Any, name: str, index: ChunkIndex, mode: str) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                     analyzer_params={"tokenizer": {"type": "jieba", "mode": mode}})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    params = client.prepare_index_params()
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
    heading = index.manifest.chunk.heading_path
    records = [{"row": row, "text": passage_text(index.documents[chunk.doc_id], chunk, heading)}
               for row, chunk in enumerate(index.chunks)]
    for start in range(0, len(records), BATCH):
        client.insert(name, records[start : start + BATCH])


def compare(dataset_dir: Path, split: str, work: Path) -> dict[str, Any]:
    from pymilvus import MilvusClient

    dataset = load_dataset(dataset_dir, split)
    level = resolve_level(dataset, "auto")
    qrels = judged_units(dataset, level)
    settings = IndexSettings(model=ZeroEmbedder.model_id, embed_cache=False)
    uri = str(work / "milvus.db")
    searchers: dict[str, Any] = {}
    for name in ("local", "milvus"):
        backend = open_backend(name, index_dir=work / "local", milvus_uri=uri, collection="lexical")
        build_index(dataset, backend, settings, embedder=ZeroEmbedder(), progress=False)
        searchers[name] = Searcher(backend.open(), ZeroEmbedder())
    index = searchers["local"].index
    client = MilvusClient(str(work / "bm25-function.db"))
    for mode in JIEBA_MODES:
        build_bm25_collection(client, f"bm25_{mode}", index, mode)
        searchers[f"Milvus BM25 function, jieba {mode}"] = MilvusBM25Searcher(client, f"bm25_{mode}", index)
    spec = Retriever("bm25", "lexical")
    results = {}
    for name, searcher in searchers.items():
        run, latencies = retrieve(searcher, dataset, spec, level, DEFAULT_DEPTH)
        results[name] = {**mean_over_queries(per_query(run, qrels), metric_names()),
                         "p50_ms": float(np.percentile(latencies, 50))}
    return {"dataset": dataset.name, "split": split, "level": level, "queries": len(dataset.queries),
            "chunks": len(index.chunks), "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--json", dest="json_out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="milvus-lexical-") as work:
        report = compare(args.dataset, args.split, Path(work))
    print(f"{report['dataset']} {report['split']}: {report['queries']} queries, {report['chunks']} chunks")
    for name, metrics in report["results"].items():
        print(f"  {name:<36} nDCG@10 {metrics['nDCG@10']:.3f}  MRR@10 {metrics['MRR@10']:.3f}  "
              f"R@10 {metrics['R@10']:.3f}  R@100 {metrics['R@100']:.3f}  p50 {metrics['p50_ms']:.1f} ms")
    if args.json_out:
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
