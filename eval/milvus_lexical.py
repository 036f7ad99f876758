"""Which lexical scoring the Milvus backend uses: Milvus's own BM25 function (jieba analyzer, on the
server) or the project's BM25 over its own tokens, stored as sparse vectors.

``python -m eval.milvus_lexical --dataset ../shared/eval/msgabench_govqa`` reads the local eval
index that ``zhengce eval`` built for the split, writes its passages (title, heading path, text:
what the project's BM25 reads) into a Milvus Lite collection with a BM25 function per jieba mode,
and scores every dev query with each, beside the project's BM25 on the same chunks, as
``zhengce eval`` scores its ``bm25`` retriever (chunk hits -> judged units by max).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import load_dataset
from eval.harness import DEFAULT_CACHE, DEFAULT_DEPTH, Retriever, index_key, judged_units, resolve_level, retrieve
from eval.metrics import mean_over_queries, metric_names, per_query
from indexer.gongwen.documents import passage_text
from indexer.index.local import LocalIndex
from indexer.index.settings import IndexSettings
from indexer.retrieval.search import Hit, Searcher

JIEBA_MODES = ("exact", "search")
BATCH = 512


@dataclass
class MilvusBM25Searcher:
    """Lexical search by Milvus's BM25 function over the raw query text (what a Milvus-native
    deployment would do); scores come back negated on Milvus Lite, so they are negated again."""

    client: Any
    collection: str
    index: LocalIndex

    def search(self, query: str, top_k: int, mode: str = "lexical") -> list[Hit]:
        found = self.client.search(self.collection, data=[query], anns_field="sparse", limit=min(top_k, 16_384),
                                   output_fields=["row"], search_params={"metric_type": "BM25"})[0]
        hits = []
        for rank, hit in enumerate(found, start=1):
            chunk = self.index.chunks[int(hit["row"])]
            hits.append(Hit(rank, abs(float(hit["distance"])), chunk, self.index.documents[chunk.doc_id], []))
        return hits


def build_collection(client: Any, name: str, index: LocalIndex, mode: str) -> None:
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


def compare(dataset_dir: Path, split: str, cache_dir: Path) -> dict[str, Any]:
    from pymilvus import MilvusClient

    dataset = load_dataset(dataset_dir, split)
    level = resolve_level(dataset, "auto")
    index = LocalIndex.load(cache_dir / index_key(dataset, IndexSettings()))
    qrels = judged_units(dataset, level)
    spec = Retriever("bm25", "lexical")
    scored: dict[str, Any] = {"project tokens (bm25s, sparse vectors in Milvus)": Searcher(index)}
    work = tempfile.mkdtemp(prefix="milvus-lexical-")
    client = MilvusClient(str(Path(work) / "lexical.db"))
    for mode in JIEBA_MODES:
        build_collection(client, f"bm25_{mode}", index, mode)
        scored[f"Milvus BM25 function, jieba {mode}"] = MilvusBM25Searcher(client, f"bm25_{mode}", index)
    results = {}
    for name, searcher in scored.items():
        run, _ = retrieve(searcher, dataset, spec, level, DEFAULT_DEPTH)
        results[name] = mean_over_queries(per_query(run, qrels), metric_names())
    return {"dataset": dataset.name, "split": split, "queries": len(dataset.queries), "chunks": len(index.chunks),
            "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where zhengce eval keeps its indexes")
    parser.add_argument("--json", dest="json_out", type=Path, default=None)
    args = parser.parse_args()
    report = compare(args.dataset, args.split, args.cache)
    for name, metrics in report["results"].items():
        print(f"{name:<52} nDCG@10 {metrics['nDCG@10']:.3f}  R@10 {metrics['R@10']:.3f}")
    if args.json_out:
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
