"""Measure the /ask threshold: the best-sentence score that separates answerable questions from
questions the corpus has nothing on.

Method: index ``corpus/`` (the five seed documents: 托育, 妇女权益, 全职妈妈), run every question
below through the same retrieval and sentence scoring as /ask, and record the best sentence score.
``RELEVANT`` questions are answered by a sentence of a seed (the note says where); ``IRRELEVANT``
ones are everyday questions (weather, sport, cooking ...) that no seed answers. The threshold is
the midpoint of the gap between the lowest relevant and the highest irrelevant score when the two
sets separate, else the cut with the highest balanced accuracy. The scores, the gap and the
accuracy are written to ``indexer/retrieval/answer_calibration.json``.

    python -m eval.answer_threshold --index var/index     # the index must hold corpus/
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from indexer.retrieval.answers import CALIBRATION_FILE, LEXICAL_WEIGHT, PASSAGE_RANK_PENALTY, score_sentences

TOP_K = 5  # /ask's default number of passages read

RELEVANT = {  # question -> where the answer is
    "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务": "000: 一年12次的免费社区托育服务",
    "普陀区社区宝宝屋覆盖了多少个街道镇": "000: 10个街道镇16个社区",
    "职业教育法从什么时候开始施行": "000: 2022年5月1日起施行",
    "普陀区教育局如何为新就业形态女性提供技能培训": "000: 综合素养与学力提升培训",
    "静安区如何推进生育友好岗试点": "001: 扩大生育友好岗试点",
    "反家庭暴力工作中需要哪些部门协作": "001: 法院、公安、司法、妇联",
    "静安区如何保障女性消费者的合法权益": "001: 优化消费领域市场环境",
    "市妇联2018年对多少户家庭开展了入户调查": "002: 9504户家庭",
    "2019年市政府实事项目新增多少个普惠性托育点": "002: 新增50个普惠性托育点",
    "白玉兰开心家园心理咨询热线电话是多少": "002: 64319532",
    "市妇联每年争取多少政府财政用于购买妇女儿童家庭服务项目": "002: 1200万元",
    "武汉市普惠性托育机构有多少家": "003: 普惠性托育机构328家",
    "普惠性托育建设项目每新增一个托位补助多少钱": "003: 每新增1个托位补助1万元",
    "鼓励用人单位将女职工产假延长到多久": "003: 延长至6个月以上",
    "武汉城市职业学院幼儿发展与健康管理专业招生多少人": "003: 招生72人",
    "浦东新区托育从业人员每年要完成多少课时的综合技能培训": "004: 不少于72课时",
    "浦东新区每个街镇配备几个家庭科学育儿指导站": "004: 每个街镇配备1个",
    "浦东新区要打造多少分钟的社区托育服务圈": "004: 15分钟社区托育服务圈",
    "科学育儿指导站每年为婴幼儿家庭提供多少次公益指导服务": "004: 每年不少于6次",
    "托育机构从业人员持证上岗率要达到多少": "004: 持证上岗率达100%",
}

IRRELEVANT = [
    "明天上海的天气怎么样",
    "今年世界杯冠军是哪支球队",
    "红烧肉怎么做才好吃",
    "如何学习Python编程",
    "苹果手机电池不耐用怎么办",
    "周末去哪里爬山比较好",
    "今天股票市场涨了多少",
    "感冒发烧应该吃什么药",
    "怎样训练小狗定点上厕所",
    "北京到上海的高铁要多长时间",
    "电影院最近上映了哪些电影",
    "篮球比赛一节有多少分钟",
    "阳台上怎么种番茄",
    "太阳系有几颗行星",
    "如何自己更换汽车轮胎",
    "成都最好吃的火锅店在哪里",
    "马拉松全程是多少公里",
    "怎么用手冲壶煮咖啡",
    "钢琴初学者应该先练什么曲子",
    "月球离地球有多远",
]


def best_sentence(searcher, embedder, question: str) -> tuple[float, str]:
    """The best sentence's score and "source: sentence", exactly as /ask would pick it."""
    hits = searcher.search(question, top_k=TOP_K, mode="hybrid")
    scored = score_sentences(question, hits, embedder)
    if not scored:
        return float("-inf"), ""
    return scored[0].score, f"{scored[0].hit.document.source}: {scored[0].text}"


def choose_threshold(relevant: list[float], irrelevant: list[float]) -> tuple[float, float]:
    """(threshold, balanced accuracy): the gap's midpoint, or the best cut between sorted scores."""
    if min(relevant) > max(irrelevant):
        return (min(relevant) + max(irrelevant)) / 2, 1.0
    values = sorted(set(relevant) | set(irrelevant))
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:])]

    def accuracy(cut: float) -> float:
        hit = sum(s >= cut for s in relevant) / len(relevant)
        reject = sum(s < cut for s in irrelevant) / len(irrelevant)
        return (hit + reject) / 2

    best = max(cuts, key=accuracy)
    return best, accuracy(best)


def measure(index_dir: Path) -> dict:
    from indexer.index.stores import open_store
    from indexer.retrieval.search import Searcher

    index = open_store("local", index_dir=index_dir).open()
    embedder = index.manifest.load_embedder()
    searcher = Searcher(index, embedder)
    relevant = {q: best_sentence(searcher, embedder, q) for q in RELEVANT}
    irrelevant = {q: best_sentence(searcher, embedder, q) for q in IRRELEVANT}
    relevant_scores = [score for score, _ in relevant.values()]
    irrelevant_scores = [score for score, _ in irrelevant.values()]
    threshold, accuracy = choose_threshold(relevant_scores, irrelevant_scores)
    return {
        "threshold": round(threshold, 4),
        "balanced_accuracy": accuracy,
        "gap": [round(max(irrelevant_scores), 4), round(min(relevant_scores), 4)],
        "method": __doc__.split("\n\n")[1].replace("\n", " "),
        "score": (f"cosine(query embedding, sentence embedding) + {LEXICAL_WEIGHT} * question-bigram recall"
                  f" - {PASSAGE_RANK_PENALTY} * (passage rank - 1); a pair of adjacent sentences is scored on its"
                  " joined text with the normalised sum of their embeddings; the title is cut from the opening"),
        "model": index.manifest.model_id,
        "index_documents": sorted(d.source for d in index.documents.values()),
        "passages_read": TOP_K,
        "relevant": {q: {"score": round(s, 4), "expected": RELEVANT[q], "best_sentence": t} for q, (s, t) in relevant.items()},
        "irrelevant": {q: {"score": round(s, 4), "best_sentence": t} for q, (s, t) in irrelevant.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index built from corpus/")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args(argv)
    result = measure(args.index)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"threshold {result['threshold']} (balanced accuracy {result['balanced_accuracy']:.2f}, "
          f"irrelevant max {result['gap'][0]}, relevant min {result['gap'][1]}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
