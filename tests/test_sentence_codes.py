"""Sentence vectors kept as 16-bit codes (indexer/index/sentence_codes.py, issue 35): close to the
float32 vectors, stable across updates, and indexes written before them still served."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.index.sentence_codes import CODES, LEVELS, SCALES, SentenceCodes, encode

NOTICES = {
    "flood": ("防汛值班通知", "各单位汛期实行24小时值班。值班人员须坚守岗位，遇有险情立即报告。"),
    "care": ("托育服务方案", "普陀区宝宝屋覆盖10个街道镇16个社区。每月开展亲子活动不少于两次。"),
    "tax": ("减税政策说明", "对小型微利企业减按百分之二十五计入应纳税所得额。按百分之二十的税率缴纳企业所得税。"),
}


def _unit_rows(rng: np.random.Generator, n: int, dim: int = 384) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32) + 0.3  # a common part, as a real embedder's
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_codes_give_each_vector_within_half_a_step_and_its_cosines_within_the_steps_bound() -> None:
    rng = np.random.default_rng(35)
    vectors = _unit_rows(rng, 2000)
    vectors[5] = 0.0  # a zero vector codes as zeros
    codes = SentenceCodes.of(vectors)
    assert codes.codes.dtype == np.int16 and codes.codes.nbytes * 2 == vectors.nbytes
    steps = codes.scales[:, None]
    # half a step, and float32's rounding of the division (codes of up to 32,767 keep 3 binary places)
    assert np.all(np.abs(codes.vectors(np.arange(2000)) - vectors) <= 0.51 * steps)
    assert np.abs(codes.codes).max() == LEVELS and not codes.vectors(np.array([5])).any()

    query = _unit_rows(rng, 1)[0]
    numbers = rng.choice(2000, 700, replace=False)  # any sentences, in any order
    exact = vectors[numbers] @ query
    got = codes.scores(query, numbers)
    bound = 0.51 * codes.scales[numbers] * np.abs(query).sum() + 1e-6
    assert np.all(np.abs(got - exact) <= bound)
    assert np.abs(got - exact).max() < 1e-5  # a few millionths: what keeps the rankings unchanged
    np.testing.assert_allclose(got, codes.vectors(numbers) @ query, rtol=0, atol=1e-6)
    assert codes.scores(query, np.empty(0, np.int64)).shape == (0,)


def test_decoded_vectors_code_again_to_the_same_codes() -> None:
    """What an update does to the documents it leaves alone: decode from the live generation, code again."""
    vectors = _unit_rows(np.random.default_rng(7), 500)
    first = SentenceCodes.of(vectors)
    again = SentenceCodes.of(first.vectors(np.arange(500)))
    assert np.array_equal(first.codes, again.codes) and np.array_equal(first.scales, again.scales)
    codes, scales = encode(vectors[:3])
    assert np.array_equal(codes, first.codes[:3]) and np.array_equal(scales, first.scales[:3])


def _notices(stand_in, index_dir, keys):
    from indexer.gongwen.documents import document_from_text
    from indexer.index.settings import IndexSettings
    from indexer.update.folder import add_documents

    docs = [document_from_text(NOTICES[k][1], f"{k}.txt", title=NOTICES[k][0], doc_id=k) for k in keys]
    add_documents(index_dir, docs, IndexSettings(model=stand_in.model_id, sentences=True), embedder=stand_in,
                  progress=False)


def test_an_index_keeps_its_sentences_as_codes_and_an_update_leaves_the_others_codes_alone(tmp_path, stand_in):
    from indexer.gongwen.sentences import matched_sentences
    from indexer.index.local import SENTENCE_VECTORS, LocalIndex, current_generation

    index_dir = tmp_path / "index"
    _notices(stand_in, index_dir, ["flood", "care"])
    before = LocalIndex.load(index_dir)
    gen = index_dir / current_generation(index_dir)
    assert (gen / CODES).exists() and (gen / SCALES).exists() and not (gen / SENTENCE_VECTORS).exists()
    rows = before.records.doc_rows["care"]
    vectors, counts = before.sentence_vectors(np.arange(rows.start, rows.stop))
    texts = [t for r in range(rows.start, rows.stop) for t in matched_sentences(before.chunks[r].text)]
    assert counts.sum() == len(texts) == len(vectors) > 0
    np.testing.assert_allclose(vectors, stand_in.encode_passages(texts), rtol=0, atol=1e-4)
    kept = before.sentences.matrix.codes[before.sentences.bounds[rows.start] : before.sentences.bounds[rows.stop]].copy()

    _notices(stand_in, index_dir, ["tax"])
    after = LocalIndex.load(index_dir)
    rows = after.records.doc_rows["care"]
    assert np.array_equal(after.sentences.matrix.codes[after.sentences.bounds[rows.start] : after.sentences.bounds[rows.stop]], kept)


def test_an_index_written_with_float32_sentence_vectors_is_still_served_and_coded_at_its_next_update(tmp_path, stand_in):
    """Indexes written before the codes keep ``sentences.npy``: searched as they are, until a writer
    writes the next generation (in codes)."""
    from indexer.index.local import SENTENCE_VECTORS, LocalIndex, current_generation
    from indexer.retrieval.search import Searcher

    index_dir = tmp_path / "index"
    _notices(stand_in, index_dir, ["flood", "care"])
    coded = LocalIndex.load(index_dir)
    gen = index_dir / current_generation(index_dir)
    floats = coded.sentences.matrix.vectors(np.arange(len(coded.sentences.matrix)))
    np.save(gen / SENTENCE_VECTORS, floats)  # the generation as the previous version wrote it
    (gen / CODES).unlink()
    (gen / SCALES).unlink()

    old = LocalIndex.load(index_dir)
    assert isinstance(old.sentences.matrix, np.ndarray)
    query = "宝宝屋覆盖多少个街道"
    hits = Searcher(old, stand_in, fusion="learned").search(query, top_k=3)
    assert hits and hits[0].document.doc_id == "care"
    vector = stand_in.encode_queries([query])[0]
    rows = np.arange(len(old.chunks))
    old_scores, counts = old.sentence_scores(vector, rows)
    np.testing.assert_allclose(old_scores, coded.sentence_scores(vector, rows)[0], rtol=0, atol=1e-5)

    _notices(stand_in, index_dir, ["tax"])
    new = LocalIndex.load(index_dir)
    assert isinstance(new.sentences.matrix, SentenceCodes)
    care = new.records.doc_rows["care"]
    np.testing.assert_array_equal(
        new.sentence_vectors(np.arange(care.start, care.stop))[0],
        coded.sentence_vectors(np.arange(coded.records.doc_rows["care"].start, coded.records.doc_rows["care"].stop))[0])


@pytest.fixture(scope="module")
def stand_in():
    from standin import HashedNgramEmbedder

    return HashedNgramEmbedder()
