"""Ranking beyond a fixed blend: the paired significance test, the learned ranker's features and model."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from eval.significance import compare, load_per_query, randomisation_p
from indexer.errors import BadInput


def test_exact_randomisation_p_matches_hand_enumeration() -> None:
    differences = np.array([0.5, 0.25, 0.25, -0.1])
    observed = abs(differences.mean())
    assignments = list(itertools.product((1, -1), repeat=4))
    at_least = sum(abs(np.dot(signs, differences)) / 4 >= observed - 1e-12 for signs in assignments)
    p, exact = randomisation_p(differences)
    # as extreme: the observed signs, the -0.1 flipped (sum 1.1), and both of those negated
    assert exact and p == pytest.approx(at_least / 16) == pytest.approx(4 / 16)
    assert randomisation_p(np.zeros(5))[0] == 1.0  # no difference at all: every assignment is as extreme


def test_sampled_randomisation_p_separates_real_and_null_differences() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.3, 400)
    p_null, exact = randomisation_p(noise - noise.mean())  # centred noise: mean exactly 0
    assert not exact and p_null > 0.9
    p_real, _ = randomisation_p(noise - noise.mean() + 0.1)  # +0.1 on sd 0.3 over 400 queries: z = 6.7
    assert p_real == pytest.approx(1 / 10_001)  # never 0: the observed assignment counts once
    assert randomisation_p(noise, seed=3) == randomisation_p(noise, seed=3)  # seeded, repeatable


def results_file(path: Path, per_query: dict[str, dict[str, dict[str, float]]]) -> Path:
    retrievers = {name: {"metrics": {}, "per_query": scores} for name, scores in per_query.items()}
    path.write_text(json.dumps({"dataset": "tiny", "retrievers": retrievers}), encoding="utf-8")
    return path


def test_compare_pairs_queries_and_names_its_inputs(tmp_path: Path) -> None:
    a = {q: {"nDCG@10": v} for q, v in zip("abcd", (0.2, 0.4, 0.6, 0.8))}
    b = {q: {"nDCG@10": v} for q, v in zip("abcd", (0.7, 0.9, 0.6, 0.8))}
    result = compare(a, b, names=("x", "y"))
    assert (result.queries, result.difference, result.exact) == (4, pytest.approx(0.25), True)
    assert result.p_value == pytest.approx(8 / 16)  # +0.5, +0.5, 0, 0: extreme whenever the two 0.5s agree
    assert "difference +0.2500" in result.summary() and "p = 0.5000" in result.summary()
    with pytest.raises(BadInput, match="not run on the same queries"):
        compare(a, {q: b[q] for q in "abc"})
    with pytest.raises(BadInput, match="metric 'R@3'"):
        compare(a, b, metric="R@3")

    both = results_file(tmp_path / "run.json", {"dense": a, "hybrid": b})
    assert load_per_query(f"{both}:hybrid") == ("tiny:hybrid", b)
    with pytest.raises(BadInput, match="holds dense, hybrid: name one"):
        load_per_query(str(both))
    with pytest.raises(BadInput, match="no retriever 'rrf'"):
        load_per_query(f"{both}:rrf")
    with pytest.raises(BadInput, match="no such results file"):
        load_per_query(str(tmp_path / "missing.json"))


def test_cli_compare_prints_difference_and_p(tmp_path: Path, capsys) -> None:
    from indexer.cli import main

    a = {f"q{i}": {"nDCG@10": 0.5} for i in range(40)}
    b = {f"q{i}": {"nDCG@10": 0.5 + (0.2 if i % 2 else 0.0)} for i in range(40)}
    one = results_file(tmp_path / "a.json", {"hybrid": a})
    two = results_file(tmp_path / "b.json", {"dense": a, "learned": b})
    assert main(["eval", "--compare", str(one), f"{two}:learned"]) == 0
    printed = capsys.readouterr().out
    assert "tiny:hybrid 0.5000, tiny:learned 0.6000, difference +0.1000" in printed
    assert "p = 0.0001" in printed  # 20 queries all +0.2: no sign flip reaches the observed mean
    assert main(["eval", "--compare", str(one), str(two)]) == 2
    assert "name one" in capsys.readouterr().err
    assert main(["eval"]) == 2
    assert "--dataset is required" in capsys.readouterr().err


# ----------------------------------------------------------------------------- learned ranking

NOTICES = {
    "flood": ("防汛工作通知", "沪水务〔2024〕12号 各区要落实防汛值班制度，加强河道巡查和泵站检修。汛期来临前完成排水设施检查。"),
    "care": ("托育服务方案", "各街道推进社区宝宝屋建设，为3岁以下婴幼儿家庭提供每年12次免费托育服务。托育机构从业人员持证上岗。"),
    "school": ("招生工作意见", "义务教育阶段学校招生实行免试就近入学，严禁以考试方式选拔学生。民办学校招生纳入统一管理。"),
    "tax": ("减税政策说明", "对小型微利企业年应纳税所得额不超过一百万元的部分减按百分之二十五计入应纳税所得额。"),
}


@pytest.fixture(scope="module")
def notice_index(tmp_path_factory, stand_in):
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.index.settings import IndexSettings
    from indexer.update.folder import add_documents

    index_dir = tmp_path_factory.mktemp("notices") / "index"
    docs = [document_from_text(text, f"{key}.txt", title=title, doc_id=key) for key, (title, text) in NOTICES.items()]
    add_documents(index_dir, docs, IndexSettings(model=stand_in.model_id, sentences=True), embedder=stand_in,
                  progress=False)
    return LocalIndex.load(index_dir)


def _candidates(index, embedder, query: str):
    from indexer.index.lexical import tokenize
    from indexer.retrieval.rerank import Candidates

    vector = embedder.encode_queries([query])[0]
    tokens = tokenize(query)
    lexical = index.lexical(tokens)
    rows = np.arange(len(index.chunks))
    dense_rows = rows[np.argsort(-index.dense_scores(vector, rows), kind="stable")]
    return vector, lexical, Candidates.of(index, tokens, vector, lexical, dense_rows, lexical.top_k(len(rows)))


def test_passage_texts_are_kept_up_to_a_bound_the_least_recently_used_going_first(notice_index, monkeypatch) -> None:
    from indexer.retrieval import rerank_text

    monkeypatch.setattr(rerank_text, "ROWS_KEPT", 3)
    texts = rerank_text.RowTexts(notice_index)
    first = texts.of([0, 1, 2])
    assert [t.doc_id for t in first] == [notice_index.chunks[r].doc_id for r in (0, 1, 2)]
    assert texts.of([0])[0] is first[0]  # kept, and now the most recently used
    texts.of([3])  # over the bound: row 1, the least recently used, goes
    assert texts.of([0])[0] is first[0] and texts.of([2])[0] is first[2]
    again = texts.of([1])[0]
    assert again is not first[1] and (again.text, again.context) == (first[1].text, first[1].context)  # made again


def test_feature_columns_are_placed_by_name_and_a_missing_one_is_refused() -> None:
    from indexer.retrieval.rerank_features import FEATURES, _matrix

    named = {name: np.full(3, float(i)) for i, name in reversed(list(enumerate(FEATURES)))}  # computed in any order
    named["query_agreement"] = float(FEATURES.index("query_agreement"))  # a query-wide value
    assert (_matrix(named, 3) == np.arange(len(FEATURES))).all()  # each column where FEATURES puts its name
    del named["cover_text"]
    with pytest.raises(ValueError, match="cover_text"):
        _matrix(named, 3)
    with pytest.raises(ValueError, match="cover_txt"):
        _matrix({**named, "cover_txt": np.zeros(3)}, 3)


def test_features_describe_each_candidate(notice_index, stand_in) -> None:
    from indexer.retrieval.rerank import FEATURES, features

    query = "沪水务〔2024〕12号 防汛值班制度"
    vector, lexical, candidates = _candidates(notice_index, stand_in, query)
    rows, x = features(notice_index, query, vector, lexical, candidates)
    assert rows.tolist() == list(range(len(notice_index.chunks)))  # a small index: every chunk is a candidate
    assert x.shape == (len(rows), len(FEATURES)) and np.isfinite(x).all()
    column = {name: x[:, i] for i, name in enumerate(FEATURES)}
    doc_of = [notice_index.chunks[r].doc_id for r in rows]
    flood = [i for i, d in enumerate(doc_of) if d == "flood"]
    others = [i for i, d in enumerate(doc_of) if d != "flood"]
    assert (column["identifier_match"][flood] == 1.0).all() and (column["identifier_match"][others] == 0.0).all()
    assert (column["cover_text"][flood] == 1.0).all()  # every query term is in the flood notice
    assert (column["cover_text"][others] < 0.5).all()
    # the longest verbatim piece, punctuation aside: 沪水务〔2024〕12号 (10 of the query's 16 characters)
    assert column["longest_match"][flood].max() == pytest.approx(10 / 16)
    assert column["lexical_rank_log"][flood].min() == 0.0  # BM25's best candidate is the flood notice
    assert column["is_doc_best"].sum() == len(set(doc_of))  # one best candidate per document
    assert (column["question_x_dense"] == 0).all()  # keywords, not a question
    assert column["dense_wide_mm"].max() == 1.0 and column["lexical_wide_mm"][flood].max() == 1.0
    lengths = [len(notice_index.rows_of(d)) for d in doc_of]
    assert column["doc_chunks_log"].tolist() == pytest.approx(np.log1p(lengths).tolist())
    for name in FEATURES[FEATURES.index("query_agreement") : FEATURES.index("hybrid")]:  # one value per query
        assert len(set(column[name].tolist())) == 1, name
    # four documents, so at most four of the ten places are shared
    assert 0 < column["query_agreement"][0] <= 0.4
    hybrid_first = int(np.argmax(column["hybrid"]))
    assert column["hybrid_rank_log"][hybrid_first] == 0.0 and sorted(column["hybrid_rank_log"])[1] > 0
    # each chunk's best sentence, embedded here on its own, scaled into [0, 1] over the candidates
    from indexer.gongwen.sentences import matched_sentences

    best = [float((stand_in.encode_passages(matched_sentences(notice_index.chunks[r].text)) @ vector).max())
            for r in rows.tolist()]
    codes = notice_index.sentences.matrix  # 16-bit codes: each component within about half a step of its vector's
    assert column["sentence_best"].tolist() == pytest.approx(best, abs=0.51 * float(codes.scales.max()) * float(np.abs(vector).sum()))
    assert not np.allclose(column["sentence_best"], column["dense"])  # not the chunk's own cosine
    assert column["sentence_wide_mm"].min() == 0.0 and column["sentence_wide_mm"].max() == 1.0
    assert column["sentence_rank_log"][int(np.argmax(column["sentence_best"]))] == 0.0


def test_the_default_fusion_is_learned_where_the_index_keeps_sentence_vectors(tmp_path, notice_index, stand_in) -> None:
    """auto (the default): the learned ranker on an index with sentence vectors, linear 0.7 on one
    without; asking for the learned ranker there says how to get them."""
    from indexer.errors import IndexMismatch
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import add_documents

    assert Searcher(notice_index, stand_in).fusion == "learned"
    docs = [document_from_text(text, f"{key}.txt", title=title, doc_id=key) for key, (title, text) in NOTICES.items()]
    add_documents(tmp_path / "plain", docs, IndexSettings(model=stand_in.model_id, sentences=False), embedder=stand_in,
                  progress=False)
    plain = LocalIndex.load(tmp_path / "plain")
    searcher = Searcher(plain, stand_in)
    assert searcher.fusion == "linear" and all(0 <= h.score <= 1 for h in searcher.search("防汛值班", top_k=4))
    with pytest.raises(IndexMismatch, match="--sentences"):
        Searcher(plain, stand_in, fusion="learned")


def test_learned_fusion_ranks_with_the_shipped_model(notice_index, stand_in) -> None:
    from indexer.retrieval.rerank import MODEL_FILE, TreeRanker
    from indexer.retrieval.search import Searcher

    model = TreeRanker.load()
    assert model.training["rebuild"].startswith("python -m eval.learn")
    searcher = Searcher(notice_index, stand_in, fusion="learned")
    hits = searcher.search("小型微利企业应纳税所得额怎么计算", top_k=4)
    assert hits[0].document.doc_id == "tax"
    assert all(1.0 < h.scores["fused"] < 2.0 for h in hits)  # every candidate was in the re-scored pool
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert MODEL_FILE.stat().st_size < 300_000  # a small file


def test_the_learned_rankers_compiled_loops_load_with_the_searcher_not_in_a_search(notice_index) -> None:
    """numba compiles (or loads from its cache) on first call: in a fresh process the index and the
    Searcher make those calls, and a search then compiles nothing more (its arrays have the types the loops were loaded for)."""
    import subprocess
    import sys

    from conftest import REPO

    script = f"""
import sys
sys.path.insert(0, {str(REPO / "tests")!r})
from standin import HashedNgramEmbedder
from indexer.index.local import LocalIndex
from indexer.index import sentence_codes
from indexer.retrieval import rerank_text, trees
from indexer.retrieval.search import Searcher
loops = (trees._leaf_values, rerank_text._runs, rerank_text._terms_found, sentence_codes._code_products)
assert not any(loop.signatures for loop in loops)
searcher = Searcher(LocalIndex.load({str(notice_index.path)!r}), HashedNgramEmbedder(), fusion="learned")
loaded = [len(loop.signatures) for loop in loops]
assert all(loaded), loaded
searcher.search("沪水务〔2024〕12号 防汛值班制度", top_k=4)
searcher.search("小型微利企业应纳税所得额怎么计算？" * 3, top_k=4)
assert [len(loop.signatures) for loop in loops] == loaded
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_loop_with_nowhere_to_cache_its_machine_code_is_still_compiled() -> None:
    """numba refuses cache=True for a function whose source has no cache folder (here: no file at all,
    as a read-only install and home would leave it); the loop is then compiled per process."""
    from indexer.compiled import compiled

    namespace: dict[str, object] = {}
    exec("def twice(x):\n    return 2 * x\n", namespace)  # noqa: S102 - a function with no source file
    assert compiled(namespace["twice"])(21) == 42


def test_term_coverage_counts_what_python_finds_in_each_text() -> None:
    """The compiled coverage against ``term in text`` on random texts over a small alphabet (many
    overlaps), with repeated and empty terms, a character outside the basic plane and a lone surrogate."""
    import random

    from indexer.retrieval.rerank_text import coverage

    rng = random.Random(7)
    alphabet = "托育服务普惠a1\U00020000，\ud800"
    for _ in range(2_000):
        texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 30))) for _ in range(rng.randint(0, 8))]
        terms = ["".join(rng.choices(alphabet, k=rng.randint(0, 4))) for _ in range(rng.randint(1, 6))]
        terms += terms[: rng.randint(0, 2)]
        want = np.array([sum(term in text for term in terms) for text in texts], dtype=np.float64) / len(terms)
        assert np.array_equal(coverage(terms, texts), want), (terms, texts)
    assert not coverage([], ["托育"]).any()


def test_the_lowest_possible_leaf_is_found_for_every_bit_whatever_lies_above_it() -> None:
    from indexer.retrieval.trees import _DE_BRUIJN, _LOWEST_BIT

    rng = np.random.default_rng(0)
    for bit in range(64):
        above = rng.integers(0, 2**63, 50, dtype=np.uint64) << np.uint64(1) << np.uint64(bit)
        left = above | np.uint64(1 << bit)
        with np.errstate(over="ignore"):
            found = _LOWEST_BIT[((left ^ (left - np.uint64(1))) * _DE_BRUIJN) >> np.uint64(58)]
        assert (found == bit).all(), bit


def test_model_file_must_match_the_features(tmp_path: Path) -> None:
    from indexer.errors import ZhengceError
    from indexer.retrieval.rerank import MODEL_FILE, TreeRanker

    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    stale = tmp_path / "model.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ZhengceError, match="other features"):
        TreeRanker.load(stale)


def test_exported_trees_score_exactly_as_lightgbm(tmp_path: Path) -> None:
    """The Searcher scores with numpy what LightGBM trained: every split, leaf and tie on a
    threshold must route the same way."""
    pytest.importorskip("lightgbm")
    from eval.learn.export import trees_of
    from eval.learn.lambdarank import fit_lambdarank
    from indexer.retrieval.rerank import FEATURES, TreeRanker

    sets = _signal_sets(len(FEATURES), FEATURES.index("cover_text"))
    columns = [c for c in range(len(FEATURES)) if c != FEATURES.index("dense")]  # a variant leaving one out
    scorer = fit_lambdarank([q for s in sets for q in s["queries"]], columns)
    ranker = TreeRanker(FEATURES, trees_of(scorer.model.booster_, columns), {})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(ranker.to_dict()), encoding="utf-8")
    loaded = TreeRanker.load(path)
    x = np.random.default_rng(1).normal(size=(500, len(FEATURES)))
    tree = next(t for t in loaded.trees if len(t["feature"]))
    x[:50, tree["feature"][0]] = tree["threshold"][0]  # exactly on a threshold: LightGBM goes left
    assert not any(tree["feature"].tolist().count(FEATURES.index("dense")) for tree in loaded.trees)
    assert np.allclose(loaded.score(x[:, : len(FEATURES)]), scorer.score(x), atol=1e-12)


def test_train_writes_the_model_where_the_command_line_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m eval.learn train ... --write PATH`` writes the trees to PATH and leaves the shipped
    model alone; a bare ``--write`` means the source checkout's model, refused where there is none."""
    pytest.importorskip("lightgbm")
    import pickle

    from eval.learn.cli import main
    from eval.learn.crossval import fixed_scores
    from indexer.retrieval.rerank import FEATURES, MODEL_FILE, TreeRanker

    sets = _signal_sets(len(FEATURES), FEATURES.index("cover_text"))
    dumps = []
    for data in sets:
        today = fixed_scores(data, lambda x: x[:, FEATURES.index("dense")])
        dumps.append(tmp_path / f"{data['dataset']}.pkl")
        dumps[-1].write_bytes(pickle.dumps({**data, "columns": list(FEATURES), "hybrid_per_query": today,
                                            "queries": [vars(q) for q in data["queries"]], "folds": None}))
    shipped = MODEL_FILE.read_bytes()
    monkeypatch.chdir(tmp_path)  # no source checkout here
    train = ["train", *map(str, dumps), "--variants", "lambdarank"]
    with pytest.raises(SystemExit, match="no folder indexer/retrieval"):
        main([*train, "--write"])
    out = tmp_path / "models" / "ranker.json"
    out.parent.mkdir()
    assert main([*train, "--write", str(out)]) == 0
    written = TreeRanker.load(out)
    assert written.training["rebuild"].endswith(f"--variants lambdarank --write {out}")
    assert set(written.training["cross_validated"]) == {"a", "b"}
    held = sets[0]["queries"][0]
    assert np.argmax(written.score(held.x)) == held.labels.argmax()  # it learned the signal
    assert MODEL_FILE.read_bytes() == shipped


def _signal_sets(width: int, useful: int) -> list[dict]:
    """Two tiny sets of 30 queries whose relevant candidate stands out in one column only."""
    from eval.learn.dumps import QueryCandidates

    rng = np.random.default_rng(0)
    sets = []
    for name in ("a", "b"):
        queries = []
        for q in range(30):
            x = rng.normal(size=(12, width))
            labels = np.zeros(12, dtype=int)
            labels[q % 12] = 1
            x[:, useful] = labels * 2.0 + rng.normal(scale=0.3, size=12)
            queries.append(QueryCandidates(f"q{q}", [f"{name}{q}-{i}" for i in range(12)], x, labels, []))
        qrels = {q.query_id: {q.units[q.labels.argmax()]: 1} for q in queries}
        sets.append({"dataset": name, "split": "dev", "qrels": qrels, "queries": queries})
    return sets


def test_training_folds_never_share_a_query_and_learn_the_signal() -> None:
    from eval.learn.crossval import cross_validate, folds_of
    from eval.learn.logistic import fit
    from indexer.retrieval.rerank import FEATURES

    useful = FEATURES.index("cover_text")
    sets = _signal_sets(len(FEATURES), useful)
    fold = folds_of(sets, 5, seed=0)
    assert len(fold) == 60 and set(fold.values()) == set(range(5))
    for k in range(5):  # each fold holds a fifth of each set
        assert [sum(1 for (d, _), f in fold.items() if d == name and f == k) for name in "ab"] == [6, 6]
    model = fit([q for s in sets for q in s["queries"]], list(range(len(FEATURES))))
    assert np.argmax(model.weights) == useful and model.weights[useful] > 0
    held_out = cross_validate(sets, list(range(len(FEATURES))))
    assert set(held_out) == {"a", "b"}
    assert np.mean([s["nDCG@10"] for s in held_out["a"].values()]) > 0.95  # learned from the other folds


def test_folds_carried_by_the_dumps_are_the_folds_of_cross_validation() -> None:
    """eval.adapt's dumps carry its folds, so the ranker is held out on the same queries as the adapter."""
    from eval.learn.crossval import cross_validate
    from eval.learn.logistic import fit
    from indexer.retrieval.rerank import FEATURES

    sets = _signal_sets(len(FEATURES), FEATURES.index("cover_text"))
    for data in sets:  # three folds, dealt by query number rather than at random
        data["folds"] = {q.query_id: int(q.query_id[1:]) % 3 for q in data["queries"]}
    trained_on: list[set[str]] = []

    def recording(queries, columns):
        trained_on.append({q.query_id for q in queries})
        return fit(queries, columns)

    held_out = cross_validate(sets, list(range(len(FEATURES))), trainer=recording)
    assert len(trained_on) == 3 and set(held_out["a"]) == {f"q{i}" for i in range(30)}
    for k, training in enumerate(trained_on):
        assert training == {f"q{i}" for i in range(30) if i % 3 != k}


def test_lambdarank_learns_the_signal_under_cross_validation() -> None:
    pytest.importorskip("lightgbm")  # eval.learn's LambdaRank variants only; the Searcher never needs it
    from eval.learn.crossval import cross_validate
    from eval.learn.lambdarank import fit_lambdarank
    from indexer.retrieval.rerank import FEATURES

    useful = FEATURES.index("longest_match")
    sets = _signal_sets(len(FEATURES), useful)
    held_out = cross_validate(sets, list(range(len(FEATURES))), trainer=fit_lambdarank)
    assert np.mean([s["nDCG@10"] for s in held_out["b"].values()]) > 0.95
    noise = [c for c in range(len(FEATURES)) if c != useful]  # without the one useful column: chance
    assert np.mean([s["nDCG@10"] for s in cross_validate(sets, noise, trainer=fit_lambdarank)["b"].values()]) < 0.7


def test_best_chunk_labels_keep_one_passage_per_relevant_unit() -> None:
    from eval.learn.dumps import QueryCandidates
    from eval.learn.lambdarank import best_chunk_labels
    from indexer.retrieval.rerank import FEATURES

    x = np.zeros((5, len(FEATURES)))
    x[:, FEATURES.index("hybrid")] = [0.2, 0.9, 0.5, 0.7, 0.1]
    query = QueryCandidates("q", ["rel", "rel", "rel2", "other", "other"], x, np.array([1, 1, 1, 0, 0]), ["t"])
    (kept,) = best_chunk_labels([query])
    # the relevant unit's weaker chunk is left out; every non-relevant chunk stays as a negative
    assert kept.units == ["rel", "rel2", "other", "other"] and kept.labels.tolist() == [1, 1, 0, 0]
    assert kept.x[:, FEATURES.index("hybrid")].tolist() == [0.9, 0.5, 0.7, 0.1] and kept.tail == ["t"]


def test_dumps_of_other_features_are_refused(tmp_path: Path) -> None:
    import pickle

    from eval.learn.dumps import load

    stale = tmp_path / "old.pkl"
    stale.write_bytes(pickle.dumps({"dataset": "a", "split": "dev", "qrels": {}, "queries": []}))
    with pytest.raises(SystemExit, match="dump it again"):
        load([stale])


def test_hybrid_top_10_is_the_top_of_the_ranking_the_eval_measures(tmp_path: Path, stand_in) -> None:
    """Min-max fusion depends on the candidates it spans: a top 10 fused over 100 + 100 candidates
    ranked differently from the top 300 the dev figures come from (fused over 1,500 + 1,500)."""
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import add_documents

    rng = np.random.default_rng(7)
    words = ["托育", "养老", "防汛", "招生", "减税", "公交", "停车", "垃圾", "电梯", "河道", "补贴", "社区",
             "街道", "服务", "建设", "管理", "资金", "学校", "企业", "居民"]
    docs = []
    for d in range(150):
        sentences = ["".join(rng.choice(words, size=8)) + "。" for _ in range(60)]
        docs.append(document_from_text("\n\n".join(sentences), f"d{d}.txt", doc_id=f"d{d}"))
    add_documents(tmp_path / "index", docs, embedder=stand_in, progress=False)
    searcher = Searcher(LocalIndex.load(tmp_path / "index"), stand_in)
    assert len(searcher.index.chunks) > 300  # more than the 100 + 100 a top 10 used to fuse
    for query in ("托育服务补贴", "社区停车管理", "河道防汛资金", "学校招生"):
        top = [h.chunk.chunk_id for h in searcher.search(query, top_k=10)]
        assert top == [h.chunk.chunk_id for h in searcher.search(query, top_k=300)][:10], query


def test_learned_retriever_name_takes_no_parameters() -> None:
    from eval.retrievers import parse_retrievers

    assert parse_retrievers("hybrid-learned")[0].fusion == {"fusion": "learned"}
    with pytest.raises(BadInput, match="takes no parameters"):
        parse_retrievers("hybrid-learned-0.5")


def test_repeated_deals_average_each_query_before_the_paired_test() -> None:
    from eval.learn.report import repeated

    today = {f"q{i}": {"nDCG@10": 0.5, "R@10": 1.0} for i in range(40)}
    lucky = {q: {"nDCG@10": 0.9 if i % 2 else 0.5, "R@10": 1.0} for i, q in enumerate(today)}  # half the queries gain
    unlucky = {q: {"nDCG@10": 0.5 if i % 2 else 0.2, "R@10": 1.0} for i, q in enumerate(today)}  # the others lose
    reports = [{"today": {"set": today}, "variants": {"v": {"set": {"per_query": run}}}} for run in (lucky, unlucky)]
    row = repeated(reports, "v")["set"]
    # each query's mean over the two deals: 0.7 or 0.35, so the mean gain is +0.025 and every query moved
    assert row["deals"] == 2 and row["means"]["nDCG@10"] == pytest.approx(0.525)
    assert row["nDCG@10"]["difference"] == pytest.approx(0.025) and row["nDCG@10"]["deals_above"] == 1
    assert row["nDCG@10"]["p"] > 0.2  # +0.2 on half the queries, -0.15 on the rest: no sure gain
    assert row["R@10"]["difference"] == 0.0 and row["R@10"]["p"] == 1.0
