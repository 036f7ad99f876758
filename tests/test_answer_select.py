"""The learned sentence choice's measurement (eval.answer_select, eval.answer_features) on a made index:
a dump of the shape ``dump`` writes, built here from a real search and real sentence scoring."""

from __future__ import annotations

import numpy as np
import pytest

from eval import answer_features, answer_select
from indexer.retrieval import answers, confidence, questions

NOTICE = (
    "关于做好托育服务的通知\n"
    "各区人民政府，市政府各委、办、局：\n"
    "一、服务内容。社区宝宝屋为婴幼儿家庭提供免费托育服务，家长可以预约。"
    "每个家庭每年享有12次免费服务。服务时间为2024年3月1日起。\n"
    "宝宝屋如何收费？宝宝屋的托育服务不收取费用。\n"
)
QUESTIONS = {"count": ("每个家庭每年享有几次免费服务", "12次免费服务"),
             "date": ("服务从什么时候开始", "2024年3月1日")}


@pytest.fixture(scope="module")
def made(tmp_path_factory, stand_in) -> dict:
    """``answer_select.dump``'s data for two questions over one notice, both parts searched as asked."""
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import add_documents

    index_dir = tmp_path_factory.mktemp("notice") / "index"
    add_documents(index_dir, [document_from_text(NOTICE, "notice.txt", doc_id="notice")], embedder=stand_in,
                  progress=False)
    searcher = Searcher(LocalIndex.load(index_dir), stand_in)
    rows = {}
    for query_id, (question, _) in QUESTIONS.items():
        hits = searcher.search(question, top_k=5)
        candidates, query, vectors = answers.sentence_inputs(question, hits, stand_in)
        rows[query_id] = {"hits": hits, "candidates": candidates, "query": query, "vectors": vectors}
    return {"dataset": "made", "split": "dev", "questions": {q: text for q, (text, _) in QUESTIONS.items()},
            "gold": {q: ("notice", span) for q, (_, span) in QUESTIONS.items()},
            "parts": dict.fromkeys(answer_select.PARTS, rows)}


def test_candidates_are_described_as_read(made) -> None:
    question = QUESTIONS["count"][0]
    row = made["parts"]["asked"]["count"]
    scored = answers.rank_candidates(question, row["candidates"], row["query"], row["vectors"])
    x = answer_features.features(question, questions.analyse(question), scored, row["hits"])
    assert x.shape == (len(scored), len(answer_features.FEATURES))
    f = {name: i for i, name in enumerate(answer_features.FEATURES)}
    by_text = {s.text: x[i] for i, s in enumerate(scored)}
    count = by_text["每个家庭每年享有12次免费服务。"]
    assert count[f["holds"]] == 1.0 and count[f["typed_holds"]] == 1.0 and count[f["pair"]] == 0.0
    assert count[f["lexical"]] == pytest.approx(answers.lexical_overlap(question, "每个家庭每年享有12次免费服务。"))
    assert by_text["服务时间为2024年3月1日起。"][f["holds"]] == 0.0  # no count of 次 in it
    assert by_text["各区人民政府，市政府各委、办、局："][f["addressed"]] == 1.0
    assert by_text["宝宝屋如何收费？"][f["question_shaped"]] == 1.0
    assert by_text["一、服务内容。"][f["enumerated"]] == 1.0
    pair = by_text["每个家庭每年享有12次免费服务。服务时间为2024年3月1日起。"]
    assert pair[f["pair"]] == 1.0
    # the sentence after the count reads the count as its neighbour before
    assert by_text["服务时间为2024年3月1日起。"][f["prev_lexical"]] == pytest.approx(count[f["lexical"]])
    assert np.isfinite(x).all()


def test_labels_and_decisions_follow_the_order_given(made) -> None:
    prep = {part: answer_select.prepared(made, part) for part in answer_select.PARTS}
    count = next(q for q in prep["asked"] if q.query_id == "count")
    texts = [answers.continued(s).text for s in count.scored]
    assert all(label == (2 if "12次免费服务" in text else 1 if text in "12次免费服务" else 0)
               for label, text in zip(count.labels, texts))
    # the rule's order gives /ask's own answer
    rule = answer_select.decided(prep, None)
    direct = answers.decide(count.question, count.scored, count.hits, answers.load_threshold(),
                            confidence.Calibration.load())
    assert [s.text for s in rule["asked"]["count"].sentences] == [s.text for s in direct.sentences]
    # a learned order that prefers the pair holding the count quotes it first; the date sentence it
    # prefers more holds no count, and the question rules still leave it out
    wanted = texts.index("每个家庭每年享有12次免费服务。服务时间为2024年3月1日起。")
    date = texts.index("服务时间为2024年3月1日起。")
    scores = {part: {q.query_id: -np.arange(len(q.x), dtype=float) for q in prep[part]} for part in prep}
    for part in prep:
        scores[part]["count"] = np.select([np.arange(len(count.x)) == date, np.arange(len(count.x)) == wanted],
                                          [20.0, 10.0], 0.0)
    learned = answer_select.decided(prep, scores)
    assert learned["asked"]["count"].sentences[0].text == texts[wanted]
    assert learned["asked"]["count"].confidence is not None
    # within a learned margin only the preferred candidate is close enough to be quoted
    alone = answer_select.decided(prep, scores, margin=1.0)
    assert [s.text for s in alone["asked"]["count"].sentences] == [texts[wanted]]
    shares = answer_select.judged(prep, learned, made["gold"], 0.0)
    assert np.asarray(shares["contains_gold"])[[q.query_id for q in prep["asked"]].index("count")] == 1.0
    assert answer_select.gold_ranks({"asked": [count]}, scores) == [0, 1, 0, 0, 0, 0]  # after the date sentence
