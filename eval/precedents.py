"""The precedent yardstick: /similar and by-document search on eval/data/precedents.

Queries are new proposals (a title, or the concern in a proposer's words); qrels (BEIR
``qrels/dev.tsv``, graded 2 = handles the same matter, 1 = in part) name documents as
``<folder>/<file>`` of the folders in ``corpus.json``, read in place (``corpus/`` and
``../shared/corpus/pages``), so nothing is copied into the repository.

    python -m eval.precedents [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.harness import DEFAULT_CACHE
from eval.metrics import Qrels, mean_over_queries, per_query
from eval.provenance import pipeline_digest
from eval.significance import compare
from indexer.errors import NotFound

if TYPE_CHECKING:
    from indexer.embed import Embedder
    from indexer.index.base import ChunkIndex

PRECEDENTS = Path(__file__).resolve().parent / "data" / "precedents"
METRICS = ("nDCG@10", "R@5")


def load_set(folder: Path = PRECEDENTS) -> tuple[dict[str, Path], dict[str, str], Qrels]:
    """(corpus id -> file, query id -> text, qrels); NotFound when a corpus folder is absent."""
    manifest = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    files: dict[str, Path] = {}
    for name, relative in manifest["corpus_dirs"].items():
        directory = (folder / relative).resolve()
        if not directory.is_dir():
            raise NotFound(f"{folder / 'corpus.json'}: corpus folder {directory} is absent")
        files.update({f"{name}/{path.name}": path for path in sorted(directory.glob(manifest["corpus_glob"]))})
    queries = {}
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            queries[row["_id"]] = row["text"]
    qrels: Qrels = {}
    with (folder / "qrels" / "dev.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)
        for query_id, doc, grade in rows:
            qrels.setdefault(query_id, {})[doc] = int(grade)
    return files, queries, qrels


def run_precedent_eval(folder: Path = PRECEDENTS, cache_dir: Path = DEFAULT_CACHE, *, embedder: Embedder | None = None,
                       fusion: str | None = None) -> dict[str, Any]:
    """Per-query and mean nDCG@10 / R@5 of /similar and of by-document hybrid search."""
    from indexer.retrieval.precedents import find_precedents, input_parts
    from indexer.retrieval.search import Searcher

    files, queries, qrels = load_set(folder)
    index, embedder, corpus_id = precedent_index(files, cache_dir, embedder)
    searcher = Searcher(index, embedder, fusion=fusion) if fusion else Searcher(index, embedder)
    similar, by_document = {}, {}
    for query_id, text in queries.items():
        parts = input_parts(text, index)
        texts = [text[p.char_start : p.char_end] for p in parts]
        found = find_precedents(index, parts, texts, embedder.encode_queries(texts), top_k=len(index.documents))
        similar[query_id] = {corpus_id[p.document.doc_id]: p.score for p in found}
        documents = searcher.search_documents(text, top_k=len(index.documents))
        by_document[query_id] = {corpus_id[d.document.doc_id]: d.score for d in documents}
    results: dict[str, Any] = {"dataset": "precedents", "queries": len(queries), "documents": len(index.documents),
                               "retrievers": {}}
    for name, run in (("similar", similar), ("by-document", by_document)):
        scores = per_query(run, qrels)
        results["retrievers"][name] = {"metrics": mean_over_queries(scores, list(METRICS)), "per_query": scores}
    return results


def precedent_index(files: dict[str, Path], cache_dir: Path = DEFAULT_CACHE, embedder: Embedder | None = None
                    ) -> tuple[ChunkIndex, Embedder, dict[str, str]]:
    """The index of the set's documents (built once, then reused), its embedder, doc_id -> corpus id."""
    from indexer.index.settings import IndexSettings
    from indexer.update.backends import open_backend

    settings = IndexSettings()  # sentence vectors included, so the default ranking is the learned ranker
    key = hashlib.sha1(json.dumps([sorted(files), pipeline_digest(), settings.sentences]).encode()).hexdigest()[:12]
    backend = open_backend("local", index_dir=Path(cache_dir) / f"precedents-{key}")
    backend.update(list(files.values()), settings, prune=True, embedder=embedder, progress=False)
    index = backend.open()
    if embedder is None:
        embedder = index.manifest.load_embedder(cache=settings.embed_cache)
    id_of = {index.documents[doc_id].source: doc_id for doc_id in index.documents}
    return index, embedder, {id_of[path.name]: name for name, path in files.items() if path.name in id_of}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", dest="json_out", type=Path, default=None)
    parser.add_argument("--fusion", default=None, help="the Searcher's fusion for by-document search")
    args = parser.parse_args(argv)
    results = run_precedent_eval(fusion=args.fusion)
    print(f"precedents: {results['queries']} queries over {results['documents']} documents")
    for name, entry in results["retrievers"].items():
        print(f"{name:12s} " + "  ".join(f"{m} {entry['metrics'][m]:.4f}" for m in METRICS))
    runs = results["retrievers"]
    print(compare(runs["similar"]["per_query"], runs["by-document"]["per_query"],
                  names=("similar", "by-document")).summary())
    if args.json_out:
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
