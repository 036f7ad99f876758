"""Evaluation: dataset loading, metric wiring against hand-computed values, and the quality gate."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.datasets import DatasetError, load_dataset, sample_query_ids
from eval.metrics import evaluate, per_query, read_trec_run, write_trec_run

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "eval" / "data" / "seeds"


def write_beir(folder: Path, corpus: list[dict], queries: list[dict], qrels: list[tuple[str, str, int]]) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus), "utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in queries), "utf-8")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{s}" for q, d, s in qrels]
    (folder / "qrels" / "dev.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


@pytest.fixture
def tiny_beir(tmp_path: Path) -> Path:
    corpus = [{"_id": f"d{i}", "title": f"标题{i}", "text": f"正文{i}"} for i in range(1, 16)]
    queries = [{"_id": q, "text": f"问题{q}"} for q in ("q1", "q2", "q3", "q4", "unjudged")]
    qrels = [("q1", "d1", 1), ("q2", "d2", 1), ("q2", "d3", 1), ("q3", "d4", 1), ("q4", "d5", 1), ("q4", "d6", 0)]
    return write_beir(tmp_path / "tiny", corpus, queries, qrels)


def ranking(*doc_ids: str) -> dict[str, float]:
    """Distinct descending scores, so the ranks are exactly the order given."""
    return {doc_id: 100.0 - rank for rank, doc_id in enumerate(doc_ids)}


def test_metrics_match_hand_computed_values(tiny_beir: Path) -> None:
    dataset = load_dataset(tiny_beir, "dev")
    fillers = [f"d{i}" for i in range(7, 16)]  # 9 irrelevant documents
    run = {
        "q1": ranking("d7", "d1", "d8"),  # the one relevant document at rank 2
        "q2": ranking("d2", *fillers[:9], "d8", "d3"),  # relevant at ranks 1 and 12
        # q3 retrieved nothing: it must count as zero, not be skipped
        "q4": ranking(*fillers[:9], "d6", "d5"),  # relevant at rank 11: inside R@100, outside MRR@10
    }
    scores = per_query(run, dataset.qrels)
    assert set(scores) == {"q1", "q2", "q3", "q4"}

    q1_ndcg = 1 / math.log2(3)
    q2_ndcg = 1 / (1 + 1 / math.log2(3))  # DCG 1 (rank 1); ideal has both relevant at ranks 1, 2
    assert scores["q1"]["nDCG@10"] == pytest.approx(q1_ndcg)
    assert scores["q1"]["MRR@10"] == pytest.approx(0.5)
    assert (scores["q1"]["R@1"], scores["q1"]["R@5"]) == (0.0, 1.0)
    assert scores["q2"]["nDCG@10"] == pytest.approx(q2_ndcg)
    assert [scores["q2"][m] for m in ("MRR@10", "R@1", "R@10", "R@100")] == [1.0, 0.5, 0.5, 1.0]
    assert all(value == 0.0 for value in scores["q3"].values())
    assert scores["q4"]["MRR@10"] == 0.0  # trec_eval's uncut recip_rank would give 1/11
    assert (scores["q4"]["R@10"], scores["q4"]["R@100"]) == (0.0, 1.0)

    means = evaluate(run, dataset.qrels)
    assert means["nDCG@10"] == pytest.approx((q1_ndcg + q2_ndcg + 0 + 0) / 4)
    assert means["MRR@10"] == pytest.approx((0.5 + 1 + 0 + 0) / 4)
    assert means["R@1"] == pytest.approx(0.5 / 4)
    assert means["R@100"] == pytest.approx(3 / 4)


def test_graded_relevance_and_custom_cutoffs() -> None:
    qrels = {"q": {"a": 2, "b": 1}}
    run = {"q": ranking("b", "x", "a")}
    dcg = 1 / math.log2(2) + 2 / math.log2(4)  # trec_eval's gain is the grade itself
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    scores = evaluate(run, qrels, ndcg_at=3, mrr_at=1, recall_at=(2,))
    assert scores == pytest.approx({"nDCG@3": dcg / ideal, "MRR@1": 1.0, "R@2": 0.5})


def test_trec_run_file_round_trip_ranks_like_trec_eval(tmp_path: Path) -> None:
    run = {"q2": {"b": 0.5, "a": 0.5, "c": 0.9}, "q1": {"x y.txt#片段": 1.0}}
    path = tmp_path / "runs" / "bm25.trec"
    write_trec_run(run, path, tag="bm25")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [
        "q1 Q0 x_y.txt#片段 1 1.000000 bm25",
        "q2 Q0 c 1 0.900000 bm25",
        "q2 Q0 b 2 0.500000 bm25",  # equal scores: trec_eval ranks the larger doc id first
        "q2 Q0 a 3 0.500000 bm25",
    ]
    assert read_trec_run(path)["q2"] == {"c": 0.9, "b": 0.5, "a": 0.5}


def test_beir_loader_keeps_only_judged_queries(tiny_beir: Path) -> None:
    dataset = load_dataset(tiny_beir)
    assert dataset.name == "tiny" and dataset.split == "dev"
    assert sorted(dataset.queries) == ["q1", "q2", "q3", "q4"]
    assert dataset.qrels["q4"] == {"d5": 1, "d6": 0}
    assert dataset.corpus["d3"].title == "标题3" and dataset.corpus["d3"].text == "正文3"
    assert not dataset.is_passage_set


def test_beir_loader_errors_name_file_and_reason(tiny_beir: Path) -> None:
    with pytest.raises(DatasetError, match=r"qrels/test\.tsv: no such split 'test' \(available: dev\)"):
        load_dataset(tiny_beir, "test")
    with pytest.raises(DatasetError, match="not a dataset folder"):
        load_dataset(tiny_beir / "missing")

    with (tiny_beir / "queries.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"_id": "q9"}\n')
    with pytest.raises(DatasetError, match=r"queries\.jsonl:6: missing field 'text'"):
        load_dataset(tiny_beir)

    (tiny_beir / "queries.jsonl").write_text('{"_id": "q1", "text": "问题"}\n{oops\n', "utf-8")
    with pytest.raises(DatasetError, match=r"queries\.jsonl:2: not valid JSON"):
        load_dataset(tiny_beir)

    (tiny_beir / "queries.jsonl").write_text('{"_id": "q1", "text": "问题"}\n', "utf-8")
    with pytest.raises(DatasetError, match=r"dev\.tsv: query 'q2' is not in queries\.jsonl"):
        load_dataset(tiny_beir)

    with (tiny_beir / "corpus.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"_id": "d2", "text": "again"}\n')
    with pytest.raises(DatasetError, match=r"corpus\.jsonl:16: duplicate _id 'd2'"):
        load_dataset(tiny_beir)

    (tiny_beir / "corpus.jsonl").unlink()
    with pytest.raises(DatasetError, match=r"corpus\.jsonl: file missing"):
        load_dataset(tiny_beir)


def test_qrels_must_have_header_and_integer_scores(tiny_beir: Path) -> None:
    qrels = tiny_beir / "qrels" / "dev.tsv"
    qrels.write_text("q1\td1\t1\n", "utf-8")
    with pytest.raises(DatasetError, match="header"):
        load_dataset(tiny_beir)
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\tyes\n", "utf-8")
    with pytest.raises(DatasetError, match=r"dev\.tsv:2: expected"):
        load_dataset(tiny_beir)
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td99\t1\n", "utf-8")
    with pytest.raises(DatasetError, match="'d99', not in corpus.jsonl"):
        load_dataset(tiny_beir)


def test_query_sample_is_seeded_and_sorted(tiny_beir: Path) -> None:
    dataset = load_dataset(tiny_beir)
    sample = sample_query_ids(dataset, 2, seed=7)
    assert sample == sample_query_ids(dataset, 2, seed=7) == sorted(sample)
    assert len(sample) == 2 and set(sample) <= set(dataset.queries)
    assert {tuple(sample_query_ids(dataset, 2, seed=s)) for s in range(20)} != {tuple(sample)}
    assert sample_query_ids(dataset, None) == sample_query_ids(dataset, 99) == ["q1", "q2", "q3", "q4"]
    with pytest.raises(DatasetError, match="at least 1"):
        sample_query_ids(dataset, 0)


def test_seed_set_judgements_point_at_real_text() -> None:
    dataset = load_dataset(SEEDS, "dev")
    assert dataset.is_passage_set and 15 <= len(dataset.queries) <= 25
    assert dataset.corpus_dir == REPO / "corpus"
    for judgment in dataset.judgments:
        text = (dataset.corpus_dir / judgment.source).read_text(encoding="utf-8")
        assert judgment.matches(judgment.source, text), judgment
    assert len(dataset.qrels["s24"]) == 3  # one question answered by three documents


def test_passage_set_errors(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.txt").write_text("普陀区宝宝屋全覆盖", "utf-8")
    folder = tmp_path / "set"
    (folder / "judgments").mkdir(parents=True)
    (folder / "dataset.json").write_text('{"corpus_dir": "../corpus"}', "utf-8")
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "宝宝屋"}\n', "utf-8")
    judgments = folder / "judgments" / "dev.jsonl"
    judgments.write_text('{"query_id": "q1", "source": "b.txt", "must_contain": "宝宝屋"}\n', "utf-8")
    with pytest.raises(DatasetError, match=r"dev\.jsonl:1: source 'b.txt' is not a file in"):
        load_dataset(folder)
    judgments.write_text('{"query_id": "q1", "source": "a.txt", "must_contain": " \\n"}\n', "utf-8")
    with pytest.raises(DatasetError, match="must_contain is empty"):
        load_dataset(folder)
    with pytest.raises(DatasetError, match=r"no such split 'test' \(available: dev\)"):
        load_dataset(folder, "test")
    judgments.write_text('{"query_id": "q1", "source": "a.txt", "must_contain": "宝宝 屋"}\n', "utf-8")
    dataset = load_dataset(folder)
    assert dataset.qrels == {"q1": {"a.txt#宝宝屋": 1}}


# ----------------------------------------------------------------------------- harness, on real indexes

FLOOR = REPO / "eval" / "quality_floor.json"

LONG_DOC = (
    "关于加强社区养老服务的实施意见。" + "各街道应当统筹社区养老服务设施布局，推进助餐点建设，完善老年人日间照料。" * 8
    + "\n" + "长者食堂每餐补贴三元，由区财政和街道按比例分担，经费纳入年度预算。" * 4
)
TINY_CORPUS = [
    {"_id": "care", "title": "养老服务意见", "text": LONG_DOC},
    {"_id": "flood", "title": "防汛通知", "text": "汛期来临，各单位要落实防汛值班制度，加强河道巡查和泵站检修。"},
    {"_id": "school", "title": "招生工作", "text": "义务教育阶段学校招生实行免试就近入学，严禁以考试选拔学生。"},
    {"_id": "tax", "title": "小微企业减税", "text": "对小型微利企业年应纳税所得额不超过一百万元的部分减按百分之二十五计入。"},
    {"_id": "park", "title": "公园开放", "text": "城市公园延长夜间开放时间，增设儿童游乐设施和无障碍通道。"},
]
TINY_QUERIES = [
    {"_id": "q-food", "text": "长者食堂每餐补贴多少"},
    {"_id": "q-flood", "text": "汛期防汛值班和泵站检修"},
    {"_id": "q-school", "text": "义务教育免试就近入学"},
    {"_id": "q-tax", "text": "小型微利企业应纳税所得额"},
]
TINY_QRELS = [("q-food", "care", 1), ("q-flood", "flood", 1), ("q-school", "school", 1), ("q-tax", "tax", 1)]


@pytest.fixture(scope="module")
def seeds_eval(tmp_path_factory, e5):
    """The seeds domain set over an index of corpus/, built once for the module."""
    from eval.harness import run_eval

    out = tmp_path_factory.mktemp("seeds-eval")
    results = run_eval(
        SEEDS, "dev", "bm25,dense,hybrid-linear-0.7,hybrid", cache_dir=out / "indexes", runs_dir=out / "runs",
        embedder=e5, progress=False,
    )
    return results, out


def test_quality_gate_seeds_ndcg_stays_above_recorded_floor(seeds_eval) -> None:
    results, _ = seeds_eval
    floor = json.loads(FLOOR.read_text(encoding="utf-8"))
    assert (results["dataset"], results["split"], results["level"]) == ("seeds", floor["split"], floor["level"])
    assert results["queries"]["evaluated"] == len(load_dataset(SEEDS).queries)
    for retriever, minimum in floor["nDCG@10"].items():
        measured = results["retrievers"][retriever]["metrics"]["nDCG@10"]
        assert measured >= minimum, (
            f"{retriever} nDCG@10 {measured:.4f} on the seeds set fell below the floor {minimum} in {FLOOR}"
        )


def test_passage_level_runs_name_judged_passages(seeds_eval) -> None:
    results, out = seeds_eval
    from indexer.index.local import LocalIndex

    dataset = load_dataset(SEEDS)
    index = LocalIndex.load(results["index"]["dir"])
    chunks = {chunk.chunk_id: chunk for chunk in index.chunks}
    run = read_trec_run(out / "runs" / "seeds-dev-hybrid.trec")
    assert set(run) == set(dataset.queries)
    for query_id, judged in dataset.qrels.items():
        units = run[query_id]
        assert set(judged) <= set(units)  # the index is smaller than the depth: everything is retrieved
        judgments = [j for j in dataset.judgments if j.query_id == query_id]
        for unit in set(units) - set(judged):
            chunk = chunks[unit]  # anything else is a plain chunk, and one that answers no judgement
            source = index.documents[chunk.doc_id].source
            assert not any(j.matches(source, chunk.text) for j in judgments), (query_id, unit)
    entry = results["retrievers"]["hybrid"]
    assert entry["run_file"].endswith("seeds-dev-hybrid.trec")
    assert set(entry["per_query"]) == set(dataset.queries)
    assert entry["fusion"]["fusion"] == "learned"  # the default, on an index with sentence vectors
    assert results["retrievers"]["hybrid-linear-0.7"]["fusion"]["fusion"] == "linear"
    assert entry["trained_on_this_split"] is False  # the ranker never saw the seeds questions
    assert results["retrievers"]["bm25"]["fusion"] is None
    assert entry["latency_ms"]["p95"] >= entry["latency_ms"]["p50"] > 0


def test_seeds_document_level_reuses_the_index(seeds_eval, e5) -> None:
    from eval.harness import run_eval

    first, out = seeds_eval
    assert first["index"]["manifest"]["sentences"] is True  # the default
    again = run_eval(SEEDS, "dev", "bm25", "document", cache_dir=out / "indexes", runs_dir=None,
                     embedder=e5, progress=False)
    assert again["index"]["dir"] == first["index"]["dir"]
    assert again["index"]["update"]["rebuilt"] is False and again["index"]["update"]["chunks_embedded"] == 0
    assert again["level"] == "document"
    scores = again["retrievers"]["bm25"]["per_query"]
    assert set(scores) == set(first["queries"]["ids"])
    # a file is relevant wherever the passage sits in it, so document level is at least as lenient
    assert again["retrievers"]["bm25"]["metrics"]["R@5"] >= first["retrievers"]["bm25"]["metrics"]["R@5"]


def test_judgement_split_by_chunking_is_reported(seeds_eval) -> None:
    from eval.datasets import Judgment
    from eval.harness import check_judgments_findable
    from indexer.index.local import LocalIndex

    results, _ = seeds_eval
    index = LocalIndex.load(results["index"]["dir"])
    first, second = index.chunks[0], index.chunks[1]
    assert first.doc_id == second.doc_id
    source = index.documents[first.doc_id].source
    straddling = first.text.strip()[-6:] + second.text.strip()[:6]
    dataset = load_dataset(SEEDS)
    dataset.judgments = [Judgment("s01", source, straddling)]
    with pytest.raises(DatasetError, match=f"s01: {source} must contain"):
        check_judgments_findable(dataset, index)


def test_cli_eval_on_beir_aggregates_chunks_to_documents(tmp_path, monkeypatch, capsys, embed_cache_path) -> None:
    from indexer.cli import main

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(embed_cache_path))
    folder = write_beir(tmp_path / "tinygov", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    common = ["eval", "--dataset", str(folder), "--cache", str(tmp_path / "cache"), "--runs-dir", str(tmp_path / "runs")]
    assert main([*common, "--json", str(tmp_path / "out.json")]) == 0
    table = capsys.readouterr().out
    assert "tinygov dev: 4 of 4 queries, document level" in table
    assert "nDCG@10  MRR@10     R@1     R@5    R@10   R@100  p50 ms  p95 ms" in table
    assert [line.split()[0] for line in table.splitlines()[3:7]] == ["bm25", "dense", "hybrid-linear-0.7", "hybrid"]

    results = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert results["index"]["manifest"]["chunks"] > len(TINY_CORPUS)  # the long document was split
    assert results["retrievers"]["hybrid"]["fusion"]["fusion"] == "learned"
    assert "in-sample" not in table  # the ranker was not trained on tinygov
    from eval.harness import format_table

    results["retrievers"]["hybrid"]["trained_on_this_split"] = True  # as on the dev splits it learnt from
    assert "hybrid: in-sample, the learned ranker was trained on these queries" in format_table(results)
    assert results["queries"]["sample_seed"] is None
    assert results["versions"]["pytrec-eval-terrier"]
    assert results["retrievers"]["bm25"]["metrics"]["MRR@10"] == 1.0  # each query names its document's words
    for name in ("bm25", "dense", "hybrid"):
        lines = (tmp_path / "runs" / f"tinygov-dev-{name}.trec").read_text(encoding="utf-8").splitlines()
        run = read_trec_run(tmp_path / "runs" / f"tinygov-dev-{name}.trec")
        per_query_lines = {q: [line for line in lines if line.startswith(q + " ")] for q in run}
        for query_id, docs in run.items():
            assert set(docs) <= {row["_id"] for row in TINY_CORPUS}
            assert len(per_query_lines[query_id]) == len(docs)  # one line per document, chunks merged

    # a second run over the same cache re-embeds nothing; a sample is seeded and recorded
    assert main([*common, "--max-queries", "2", "--seed", "3", "--retrievers", "bm25", "--json",
                 str(tmp_path / "again.json")]) == 0
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert again["index"]["update"]["chunks_embedded"] == 0 and again["index"]["update"]["rebuilt"] is False
    assert again["queries"]["ids"] == sample_query_ids(load_dataset(folder), 2, seed=3)
    assert again["queries"]["sample_seed"] == 3 and list(again["retrievers"]) == ["bm25"]


def test_cli_eval_rejects_bad_requests_clearly(tmp_path, capsys) -> None:
    from indexer.cli import main

    folder = write_beir(tmp_path / "tinygov", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    assert main(["eval", "--dataset", str(folder), "--split", "test"]) == 2
    assert "qrels/test.tsv: no such split 'test'" in capsys.readouterr().err
    assert main(["eval", "--dataset", str(folder), "--level", "passage", "--cache", str(tmp_path / "c")]) == 2
    assert "only document level applies" in capsys.readouterr().err
    assert main(["eval", "--dataset", str(folder), "--retrievers", "bm25,hybrid-mean"]) == 2
    assert "unknown hybrid variant 'mean'" in capsys.readouterr().err


def test_retriever_names_select_fusion_settings() -> None:
    from eval.retrievers import parse_retrievers

    parsed = parse_retrievers("bm25, dense,hybrid,hybrid-rrf-k30,hybrid-rrf-w0.7,hybrid-linear-0.3")
    assert [(r.name, r.mode) for r in parsed][:3] == [("bm25", "lexical"), ("dense", "dense"), ("hybrid", "hybrid")]
    assert [r.fusion for r in parsed[3:]] == [
        {"fusion": "rrf", "rrf_k": 30.0}, {"fusion": "rrf", "dense_weight": 0.7},
        {"fusion": "linear", "dense_weight": 0.3},
    ]
    for bad, reason in (("bm25-rrf", "only hybrid has variants"), ("sparse", "unknown retriever"),
                        ("hybrid-linear-heavy", "cannot read 'heavy'"), ("bm25,bm25", "named twice")):
        with pytest.raises(ValueError, match=reason):
            parse_retrievers(bad)


def test_precedent_set_is_complete_and_judges_real_files() -> None:
    from eval.precedents import PRECEDENTS, load_set
    from indexer.errors import NotFound

    try:
        files, queries, qrels = load_set(PRECEDENTS)
    except NotFound as missing:
        pytest.skip(f"precedent corpus absent: {missing}")
    assert len(queries) >= 20 and set(qrels) == set(queries)
    assert len(files) == 32  # corpus/ (5 seeds) + ../shared/corpus/pages (27 replies)
    for query_id, judged in qrels.items():
        assert set(judged) <= set(files), query_id  # every judgement names a document of the corpus
        assert 2 in judged.values(), query_id  # at least one document handles the very matter


def test_realfiles_counts_page_numbers_not_lines_about_a_page() -> None:
    from eval.realfiles import page_number_remnants

    text = "\n".join(["— 3 —", "第 2 页 共 9 页", "第1页：填写用户信息，使用范围、气价、表具信息；", "合同一式两份。— 3 —", "12"])
    assert page_number_remnants(text) == ["— 3 —", "第 2 页 共 9 页", "合同一式两份。— 3 —"]


def test_realfiles_broken_lines_are_cut_paragraphs_not_entries_of_a_list() -> None:
    """A reference list ("[4]……，2001：179-193." over "[5]……"), numbered sections ("2.1……" over "2.2……")
    and contents entries ending in leader dots are whole lines; a paragraph or an entry cut at a
    line's end is still broken."""
    from eval.realfiles import broken_lines

    whole = [
        "[4]余敏.出版集团研究[M].北京：中国书籍出版社，2001：179-193.",
        "[5]昂温G，昂温P S.外国出版国史[M].陈生铮，译.北京：中国书籍出版社，1988.",
        "2.1文字、标点符号和数字..........................5",
        "2.2密级标注、页眉和页码…………………………5",
        "3.1.1湍流模型、燃烧模型和辐射传热模型",
        "3.1.2燃烧模型",
    ]
    assert broken_lines("\n".join(whole)) == []
    cut = ["[6]程根伟.1998年长江洪水的成因与减灾对策[M]//许厚泽，赵其国.长江流域洪涝灾害与科技对", "策.北京：科学出版社，1999：32-36.",
           "描述气体湍流流动的湍流模型很多，但目前工程上常用的是双方程模型。本", "文也采用该模型进行数值模拟。"]
    assert broken_lines("\n".join(cut)) == [(cut[0], cut[1]), (cut[2], cut[3])]


def test_realfiles_fetch_takes_each_file_out_of_its_commit_and_checks_its_bytes(tmp_path: Path, capsys) -> None:
    """The labelled real files come from clones of their repositories, at the labelled commit, and a
    file whose bytes differ from its label (a later commit, another file) is refused, not written."""
    import hashlib
    import json
    import subprocess

    from eval.realfiles_fetch import main

    clone = tmp_path / "clones" / "gov+files"
    clone.mkdir(parents=True)
    (clone / "通知.doc").write_bytes(b"first")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(clone), *args], capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    git("add", "通知.doc")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    first = git("rev-parse", "HEAD")
    (clone / "通知.doc").write_bytes(b"second")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "two")
    labels = tmp_path / "labels.json"
    good = {"split": "t", "file": "t/gov/通知.doc", "sha256": hashlib.sha256(b"first").hexdigest(),
            "source": {"repo": "gov/files", "commit": first, "path": "通知.doc"}}
    stale = dict(good, file="t/gov/新.doc", source=dict(good["source"], commit=git("rev-parse", "HEAD")))
    labels.write_text(json.dumps({"files": [good, stale]}, ensure_ascii=False), encoding="utf-8")
    root = tmp_path / "real"
    assert main(["--clones", str(tmp_path / "clones"), "--root", str(root), "--labels", str(labels)]) == 1
    assert (root / "t/gov/通知.doc").read_bytes() == b"first"
    assert not (root / "t/gov/新.doc").exists()
    assert "sha256 differs" in capsys.readouterr().err
