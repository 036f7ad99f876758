"""`zhengce bench` on a tiny corpus: every section and figure reaches the report (no timing asserted)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from eval import bench
from indexer.cli import main

from conftest import CORPUS

# sizes a few hundred chunks, latency budgets of a few calls: the whole run takes seconds
TINY = dataclasses.replace(
    bench.QUICK, corpus_docs=None, sample_docs=1, sample_max_chars=1500, sizes=(60, 300), hnsw_max_size=60,
    queries=3, latency_seconds=0.01, ef_search=(128,), nprobe=(1, 4), http_clients=(1, 3), http_requests=4,
    http_seconds=5.0, name="tiny",
)
STAGES = ["read + clean", "chunk + tokenize", "embed", "FAISS add", "BM25 build", "write"]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    """The five seed files as JSONL, plus one short document: the only one the real model embeds."""
    rows = [{"id": path.stem, "title": path.stem, "text": path.read_text(encoding="utf-8")}
            for path in sorted(CORPUS.glob("*.txt"))]
    rows.append({"id": "short", "title": "短文", "text": rows[1]["text"][:700]})
    path = tmp_path_factory.mktemp("bench") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report(tiny_corpus, e5_model) -> dict:
    return bench.run(TINY, bench.SECTIONS, tiny_corpus, bench.Progress(quiet=True), e5_model)


def check_latency(row: dict) -> None:
    assert row["n"] >= 1
    assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]


def test_indexing_section_has_every_stage_and_rerun(report):
    ix = report["indexing"]
    assert ix["documents"] == 6 and ix["chunks"] > 20
    whole, sample = ix["whole_corpus"], ix["sample"]
    assert list(whole["stages_s"]) == STAGES and list(sample["stages_s"]) == STAGES
    assert sample["documents"] == 1 and sample["chunks"] >= 2
    assert sample["first_run"]["chunks_embedded"] == sample["chunks"]
    # the unchanged re-run embeds nothing; the 1% re-run only the revised document's new chunks
    assert sample["unchanged_rerun"]["chunks_embedded"] == 0 and not sample["unchanged_rerun"]["rebuilt"]
    assert 1 <= sample["changed_1pct_rerun"]["chunks_embedded"] < sample["chunks"]
    assert whole["unchanged_rerun"]["chunks_embedded"] == 0
    assert whole["changed_1pct_rerun"]["updated"] == whole["documents_changed"] == 1
    assert sample["embed_characters_per_second"] > 0
    assert whole["projected_total_s"] > whole["seconds_outside_embedding"] > 0
    assert 0 < whole["projected_share_outside_embedding"] < 1
    check_latency(ix["query_embedding"]["one_at_a_time"])


def test_query_section_covers_each_size_mode_and_factory(report):
    q = report["queries"]
    for size in TINY.sizes:
        rows = [r for r in q["search"] if r["size"] == size]
        assert {r["mode"] for r in rows} == {"lexical", "dense", "hybrid", "hybrid+query embedding"}
        for row in rows:
            check_latency(row)
        factories = {r["factory"] for r in q["dense"] if r["size"] == size}
        assert "Flat" in factories and any(f.startswith("IVF") for f in factories)
        assert ("HNSW32" in factories) == (size <= TINY.hnsw_max_size)
        for row in (r for r in q["dense"] if r["size"] == size):
            check_latency(row)
            assert 0 <= row["recall_at_10"] <= 1
            assert row["bytes_per_vector"] >= 384 * 4
        flat = next(r for r in q["dense"] if r["size"] == size and r["factory"] == "Flat")
        assert flat["recall_at_10"] == 1.0
        check_latency(flat["one_thread"])
    assert q["search"][-1]["repeats"] > 1  # 300 chunks need the tiny corpus cycled
    assert any("HNSW32 at 300" in note for note in q["skipped"])
    check = q["proxy_check"]
    assert check["vectors"] == report["indexing"]["sample"]["chunks"]
    assert all(set(v) == {"real", "synthetic"} for v in check["settings"].values())


def test_ranker_section_measures_the_default_beside_linear_and_langchain(report):
    r = report["ranker"]
    assert [s["size"] for s in r["sizes"]] == list(TINY.sizes)
    for size in r["sizes"]:
        assert size["sentences_per_chunk"] > 1 and size["sentences"] > size["size"]
        for name in ("learned", "linear"):
            check_latency(size[name]["warm"])
            check_latency(size[name]["cold"])
        assert size["learned_over_linear_p50"]["warm"] > 0 and size["learned_over_linear_p50"]["cold"] > 0
        for name in ("learned", "linear"):  # the same index with every vector memory-mapped, cold
            check_latency(size["mapped"][name]["cold"])
        # as served, the tiny index's sentence codes are held in memory and its chunk vectors are the
        # exact FAISS index's own
        assert size["resident"]["sentence_vectors"] >= size["disk_bytes"]["sentence_codes.npy"] - 256
        assert size["resident"]["chunk_vectors"] == size["size"] * 384 * 4
        assert 0 <= size["vectors_load_cold_s"] < 60
        # 16-bit codes and a float32 scale per sentence, as the store writes them
        assert size["disk_bytes"]["sentence_codes.npy"] >= size["sentences"] * 384 * 2
        assert size["disk_bytes"]["sentence_scales.npy"] >= size["sentences"] * 4
        assert size["disk_bytes_per_chunk"]["sentence_codes.npy"] > size["disk_bytes_per_chunk"]["embeddings.npy"]
        assert "warm" in size["langchain"] or "not installed" in size["langchain"]["skipped"]
        if "warm" in size["langchain"]:
            check_latency(size["langchain"]["warm"])
    ranker_targets = [name for name in report["targets"] if name.startswith("default ranker within")]
    assert len(ranker_targets) == 2 * len(TINY.sizes)  # warm and cold
    assert "Default ranker (learned, sentence vectors)" in bench.format_table(report)


def test_memory_and_http_sections(report):
    m = report["memory"]
    assert m["chunks"] == report["indexing"]["chunks"]
    assert {"dense.faiss", "embeddings.npy", "chunks.jsonl", "tokens.jsonl"} <= set(m["files"])
    assert m["files"]["embeddings.npy"]["bytes_per_chunk"] >= 384 * 4
    assert m["rss_loaded_mib"] > 0 and "mib_per_100k_chunks" in m
    h = report["http"]
    assert h["index_chunks"] == m["chunks"]
    assert [level["clients"] for level in h["levels"]] == sorted({1, 8, *TINY.http_clients})  # 8 vs 1: the ratio
    rate = {level["clients"]: level["requests_per_second"] for level in h["levels"]}
    assert h["scaling_8_vs_1"] == round(rate[8] / rate[1], 2)
    assert (h["workers"], h["other_workers"]) == (TINY.http_workers[0], [])  # the default: 1 process
    check = report["targets"][f"throughput 8 clients / 1 client ({h['workers']} worker processes)"]
    assert check == {"value": h["scaling_8_vs_1"], "met": h["scaling_8_vs_1"] >= 1.7}
    for level in h["levels"]:
        assert level["ok"] == level["requests"] >= 1 and level["outcomes"] == {"200": level["ok"]}
        assert level["requests_per_second"] > 0
        check_latency(level)


def test_conclusion_targets_and_table(report):
    conclusion = report["conclusion"]
    largest = max(TINY.sizes)
    measured = {r["factory"] for r in report["queries"]["dense"] if r["size"] == largest}
    assert conclusion["size"] == largest and conclusion["default_factory_large"] in measured - {"Flat"}
    assert conclusion["rule"] and conclusion["store_rule"].startswith("auto: Flat up to")
    assert isinstance(conclusion["store_follows"], bool)
    assert all(isinstance(check["met"], bool) for check in report["targets"].values())
    assert any(name.startswith("share outside embedding") for name in report["targets"])
    # at the tiny plan's largest size both the latency and the large-index targets are checked
    assert {name.split(":")[0] for name in report["targets"]} >= {"latency", "large index"}
    json.dumps(report)  # the report is plain JSON
    table = bench.format_table(report)
    for heading in ("Indexing", "Searcher.search latency", "FAISS alone", "Memory", "HTTP", "Default FAISS factory"):
        assert heading in table


@pytest.mark.parametrize("argv, reason", [
    (["--sections", "queries,bogus"], "unknown section(s) bogus"),
    (["--sample-docs", "0"], "--sample-docs must be at least 1"),
    (["--corpus", "/nonexistent/corpus.jsonl"], "benchmark corpus not found"),
])
def test_bad_arguments_exit_2_naming_the_reason(argv, reason, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["bench", "--quick", "--out", str(out), *argv]) == 2
    assert reason in capsys.readouterr().err
    assert not out.exists()


def test_the_learned_and_linear_searchers_each_go_first_on_half_the_queries():
    """Whoever searches a query first warms what both read; the bench takes turns at that."""
    from eval.bench.ranker import in_turn

    firsts = [in_turn({"learned": 1, "linear": 2}, number)[0][0] for number in range(10)]
    assert firsts.count("learned") == firsts.count("linear") == 5
    assert all(len(in_turn({"learned": 1, "linear": 2}, number)) == 2 for number in range(10))
