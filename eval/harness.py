"""`zhengce eval`: index a dataset with the project's own pipeline, run every retriever, score them.

The corpus is indexed exactly as users' files are (documents -> chunks -> store), into a folder
keyed by dataset and index settings; the store's incremental update and the embedding cache make
a second run cost only the queries. Chunk hits are scored at the level the judgements were made:
corpus entry (BEIR), or judged passage / source file (judged-passage sets).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import Dataset, DatasetError, load_dataset, sample_query_ids
from eval.metrics import Qrels, Run, mean_over_queries, metric_names, per_query, write_trec_run
from eval.provenance import index_identity, index_key, versions
from eval.retrievers import Retriever, parse_retrievers
from indexer.errors import BadInput
from indexer.index.stores import collection_for
from indexer.progress import progress as bar
from indexer.update.backends import open_backend

DEFAULT_CACHE = Path("var/eval/indexes")
DEFAULT_RUNS = Path("var/eval/runs")
QUICK_DATASET = Path(__file__).parent / "data" / "seeds"  # `zhengce eval --quick`: the bundled staff questions
QUICK_RETRIEVERS = "bm25,dense,hybrid"
DEFAULT_DEPTH = 300  # chunks per query: enough distinct documents for Recall@100 after aggregation
# the code that turns text into indexed chunks and vectors (not embed/adapter.py: it never touches passages)


BASELINE = "hybrid-linear-0.7"  # the fixed blend every ranking change is compared with (eval/results.md)
DEFAULT_RETRIEVERS = f"bm25,dense,{BASELINE},hybrid"  # hybrid: the Searcher's default fusion


def run_eval(
    dataset_dir: Path,
    split: str = "dev",
    retrievers: str | list[Retriever] = DEFAULT_RETRIEVERS,
    level: str = "auto",
    max_queries: int | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    runs_dir: Path | None = DEFAULT_RUNS,
    *,
    seed: int = 0,
    depth: int = DEFAULT_DEPTH,
    settings: Any = None,
    embedder: Any = None,
    progress: bool = True,
    backend: str | None = None,
    milvus_uri: str | None = None,
) -> dict[str, Any]:
    """Evaluate each retriever on (a seeded sample of) the split; returns everything as plain data.

    ``settings`` are the store's IndexSettings (None: its defaults); ``embedder`` replaces the
    index model's own, e.g. to share one cached model between test runs.
    """
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.search import Searcher

    specs = parse_retrievers(retrievers) if isinstance(retrievers, str) else list(retrievers)
    full = load_dataset(Path(dataset_dir), split)
    query_ids = sample_query_ids(full, max_queries, seed)
    dataset = full.subset(query_ids)
    level = resolve_level(dataset, level)

    settings = settings if settings is not None else IndexSettings()
    if any(spec.fusion.get("fusion") == "learned" for spec in specs):
        settings = replace(settings, sentences=True)  # the learned ranker reads sentence vectors
    index_dir = Path(cache_dir) / index_key(full, settings)
    # ``backend``: local (default) or milvus, one collection per index key in ``milvus_uri``
    # (default: a Milvus Lite file in the cache folder)
    store = open_backend(backend, index_dir=index_dir, milvus_uri=milvus_uri or str(Path(cache_dir) / "milvus.db"),
                         collection=collection_for("eval_" + index_dir.name))
    report = build_index(dataset, store, settings, embedder=embedder, progress=progress)
    index = store.open()
    if dataset.is_passage_set:
        check_judgments_findable(dataset, index)
    qrels = judged_units(dataset, level)

    results: dict[str, Any] = {
        "dataset": dataset.name,
        "dataset_path": str(Path(dataset_dir).resolve()),
        "split": split,
        "level": level,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "queries": {
            "available": len(full.queries),
            "evaluated": len(query_ids),
            "sample_seed": seed if len(query_ids) < len(full.queries) else None,
            "ids": query_ids,
        },
        "index": {
            "dir": store.describe(),
            "settings": index_identity(settings),
            "manifest": {k: v for k, v in index.manifest.to_dict().items() if k != "sources"},
            "update": _report_summary(report),
        },
        "depth_chunks": depth,
        "retrievers": {},
        "versions": versions(),
    }
    if embedder is None:  # the cached model: each retriever and each later run reuses the query vectors
        embedder = index.manifest.load_embedder(cache=settings.embed_cache)
    results["query_adapter"] = query_adapter_of(embedder)
    base = Searcher(index, embedder)
    if any(spec.mode != "lexical" for spec in specs):
        # one batched pass fills the cache, so every retriever's latency is search time alone
        # (the model's own query time is measured by `zhengce bench`)
        embedder.encode_queries(list(dataset.queries.values()))
    for spec in specs:
        if spec.fusion:
            searcher = Searcher(index, base.embedder, **spec.fusion)
        else:
            searcher = base
        with bar(progress, total=len(dataset.queries), desc=f"searching ({spec.name})", unit="query") as shown:
            run, latencies = retrieve(searcher, dataset, spec, level, depth, done=lambda: shown.update(1))
        scores = per_query(run, qrels)
        entry: dict[str, Any] = {
            "mode": spec.mode,
            "trained_on_this_split": spec.mode == "hybrid" and searcher.fusion == "learned"
            and f"{split}," in str(searcher.ranker_training().get("trained_on", {}).get(dataset.name, "")),
            "fusion": {"fusion": searcher.fusion, "dense_weight": searcher.dense_weight, "rrf_k": searcher.rrf_k}
            if spec.mode == "hybrid" else None,
            "metrics": mean_over_queries(scores, metric_names()),
            "latency_ms": latency_summary(latencies),
            "per_query": scores,
        }
        if runs_dir is not None:
            run_file = Path(runs_dir) / f"{dataset.name}-{split}-{spec.name}.trec"
            write_trec_run(run, run_file, tag=spec.name)
            entry["run_file"] = str(run_file)
        results["retrievers"][spec.name] = entry
    return results


def query_adapter_of(embedder: Any) -> dict[str, Any] | None:
    """What moved the query vectors, if anything: the adapter's training set and rebuild command."""
    adapter = getattr(embedder, "adapter", None)
    if adapter is None:
        return None
    return {"model_id": adapter.model_id, "trained_on": adapter.record.get("trained_on"),
            "command": adapter.record.get("command")}


def resolve_level(dataset: Dataset, level: str) -> str:
    if level == "auto":
        return "passage" if dataset.is_passage_set else "document"
    if level not in {"passage", "document"}:
        raise BadInput(f"unknown level {level!r}: use auto, passage or document")
    if level == "passage" and not dataset.is_passage_set:
        raise DatasetError(
            f"{dataset.path}: BEIR qrels judge whole corpus entries, so only document level applies "
            "(a corpus of passages, like msgabench_govqa, is already evaluated per passage)"
        )
    return level


def build_index(dataset: Dataset, backend: Any, settings: Any, *, embedder: Any = None, progress: bool = True) -> Any:
    """Bring the cached index up to date; unchanged documents are neither re-chunked nor re-embedded."""
    from indexer.gongwen import documents

    if dataset.is_passage_set:
        return backend.update([dataset.corpus_dir], settings, prune=True, embedder=embedder, progress=progress)
    docs = (
        documents.document_from_text(entry.text, entry.doc_id, title=entry.title or None, doc_id=entry.doc_id)
        for entry in dataset.corpus.values()
    )
    return backend.add(docs, settings, embedder=embedder, progress=progress)


def hybrid_candidates(index: Any, texts: list[str], vectors: np.ndarray,
                      depth: int = DEFAULT_DEPTH) -> Iterator[tuple[Any, Any]]:
    """Each query's lexical scorer and the candidates hybrid search fuses for it (both retrievers' top
    rows and the raw scores of their union), as the Searcher computes them for a top ``depth``: what
    the learned ranker and the sentence experiments re-score."""
    from indexer.index.lexical import tokenize
    from indexer.retrieval.rerank import Candidates
    from indexer.retrieval.search import DEPTH_FACTOR, FUSION_DEPTH, MIN_DEPTH

    retrieved = min(len(index.chunks), max(MIN_DEPTH, DEPTH_FACTOR * depth, FUSION_DEPTH))
    for text, vector in zip(texts, vectors):
        tokens = tokenize(text)
        lexical = index.lexical(tokens)
        yield lexical, Candidates.of(index, tokens, vector, lexical, index.dense_top_k(vector, retrieved),
                                     lexical.top_k(retrieved))


def check_judgments_findable(dataset: Dataset, index: Any) -> None:
    """A judged passage that no chunk contains whole (split by chunking, or edited) could never be found."""
    by_source: dict[str, list[str]] = {}
    for chunk in index.chunks:
        by_source.setdefault(index.documents[chunk.doc_id].source, []).append(chunk.text)
    lost = [
        j for j in dataset.judgments
        if not any(j.matches(j.source, text) for text in by_source.get(j.source, []))
    ]
    if lost:
        listed = "; ".join(f"{j.query_id}: {j.source} must contain {j.must_contain!r}" for j in lost)
        raise DatasetError(f"{dataset.path}: no indexed chunk contains these judged passages whole: {listed}")


def judged_units(dataset: Dataset, level: str) -> Qrels:
    """Qrels in the units the run will name: judged passages, source files, or corpus ids."""
    if dataset.is_passage_set and level == "document":
        return {q: {j.source: 1 for j in dataset.judgments if j.query_id == q} for q in dataset.queries}
    return dataset.qrels


def retrieve(searcher: Any, dataset: Dataset, spec: Retriever, level: str, depth: int,
             done: Callable[[], None] | None = None) -> tuple[Run, list[float]]:
    """Search every query; chunk scores become unit scores by max, so each unit is ranked once.
    ``done`` is called after each query (progress)."""
    judgments_of: dict[str, list] = {}
    for judgment in dataset.judgments:
        judgments_of.setdefault(judgment.query_id, []).append(judgment)
    first = next(iter(dataset.queries.values()), None)
    if first is not None:  # load models and warm caches outside the timed loop
        searcher.search(first, top_k=depth, mode=spec.mode)
    run: Run = {}
    latencies = []
    for query_id, text in dataset.queries.items():
        started = time.perf_counter()
        hits = searcher.search(text, top_k=depth, mode=spec.mode)
        latencies.append((time.perf_counter() - started) * 1000)
        scores: dict[str, float] = {}
        for hit in hits:
            for unit in unit_ids(hit, level, judgments_of.get(query_id, []), dataset.is_passage_set):
                scores[unit] = max(scores.get(unit, float("-inf")), float(hit.score))
        run[query_id] = scores
        if done is not None:
            done()
    return run, latencies


def unit_ids(hit: Any, level: str, judgments: list, passage_set: bool) -> list[str]:
    if not passage_set:
        return [hit.document.doc_id]
    if level == "document":
        return [hit.document.source]
    matched = [j.key for j in judgments if j.matches(hit.document.source, hit.chunk.text)]
    return matched or [hit.chunk.chunk_id]


def latency_summary(latencies_ms: list[float]) -> dict[str, float]:
    if not latencies_ms:
        return {"p50": 0.0, "p95": 0.0, "mean": 0.0}
    values = np.asarray(latencies_ms)
    return {
        "p50": round(float(np.percentile(values, 50)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "mean": round(float(values.mean()), 1),
    }


def format_table(results: dict[str, Any]) -> str:
    """One row per retriever: the metrics, then query latency."""
    names = metric_names()
    header = ["retriever", *names, "p50 ms", "p95 ms"]
    rows = [header]
    for name, entry in results["retrievers"].items():
        metrics = [f"{entry['metrics'][m]:.4f}" for m in names]
        latency = [f"{entry['latency_ms']['p50']:.1f}", f"{entry['latency_ms']['p95']:.1f}"]
        rows.append([name, *metrics, *latency])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    queries = results["queries"]
    sample = f", sample seed {queries['sample_seed']}" if queries["sample_seed"] is not None else ""
    title = (f"{results['dataset']} {results['split']}: {queries['evaluated']} of {queries['available']} queries"
             f"{sample}, {results['level']} level, {results['index']['manifest']['chunks']} chunks")
    notes = [f"{name}: in-sample, the learned ranker was trained on these queries (its cross-validated figures:"
             " eval/results.md, python -m eval.learn)" for name, entry in results["retrievers"].items()
             if entry.get("trained_on_this_split")]
    return "\n".join([title, lines[0], "  ".join("-" * w for w in widths), *lines[1:], *notes])


def baseline_per_query(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per-query figures of the linear 0.7 blend in a ``run_eval`` result (``BASELINE``, or a hybrid
    run that used it), what learned rankings are tested against."""
    for entry in results["retrievers"].values():
        fusion = entry.get("fusion") or {}
        if fusion.get("fusion") == "linear" and fusion.get("dense_weight") == 0.7:
            return entry["per_query"]
    raise SystemExit(f"{results['dataset']}: no linear 0.7 run in these results; "
                     f"run zhengce eval --retrievers ...,{BASELINE}")


def _report_summary(report: Any) -> dict[str, Any]:
    """The store's update report, without the (long) lists of document names."""
    data = report.to_dict()
    for name in ("added", "updated", "removed"):
        data[name] = len(data[name])
    return data
