"""Staff judgments: the JSONL log, its BEIR export (read back by the evaluation's own loader), the
`zhengce judgments export` command, and the judgments API of the web router on the real app."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from eval.datasets import load_dataset
from eval.judgments import JudgmentLog, StaffJudgment, export_beir, query_id
from indexer.errors import BadInput
from indexer.gongwen.documents import document_from_text

TEXTS = {
    "a": "关于社区宝宝屋建设的通知\n\n各街道：全区建成16个社区宝宝屋，为1-3岁婴幼儿家庭提供一年12次免费托育服务。",
    "b": "关于垃圾分类工作的通知\n\n各街道：全面推进生活垃圾分类，做好分类投放和分类收运。",
    "c": "关于河道治理的通知\n\n各街道：加强河道日常养护，确保水质达标。",
}


@pytest.fixture
def documents():
    return {doc_id: document_from_text(text, f"{doc_id}.txt", doc_id=doc_id) for doc_id, text in TEXTS.items()}


def mark(query: str, doc_id: str, relevant: bool, who: str = "张三", start: int = 0, end: int = 10) -> StaffJudgment:
    return StaffJudgment(query=query, doc_id=doc_id, char_start=start, char_end=end, relevant=relevant, who=who)


def test_the_log_keeps_every_mark_and_the_latest_wins(tmp_path):
    log = JudgmentLog(tmp_path / "var" / "judgments.jsonl")
    assert log.read() == []
    log.append(mark("宝宝屋", "a", False))
    log.append(mark("宝宝屋", "a", True))  # the judge changed their mind
    log.append(mark("宝宝屋", "a", False, who="李四"))  # another judge, kept separately
    assert [m.relevant for m in log.read()] == [False, True, False]
    latest = log.latest()
    assert [(m.who, m.relevant) for m in latest] == [("张三", True), ("李四", False)]
    assert all(m.when.endswith("+00:00") for m in latest)
    line = json.loads((tmp_path / "var" / "judgments.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert set(line) == {"query", "doc_id", "char_start", "char_end", "relevant", "who", "when", "api_key"}


def test_an_unfinished_last_line_is_ignored_and_a_corrupt_one_named(tmp_path):
    path = tmp_path / "judgments.jsonl"
    log = JudgmentLog(path)
    log.append(mark("宝宝屋", "a", True))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"query": "宝宝')  # a crash in the middle of a write
    assert len(log.read()) == 1
    path.write_text(path.read_text(encoding="utf-8") + '"}\n' + json.dumps(mark("x", "b", True).__dict__) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"judgments.jsonl:2: not a judgment record"):
        log.read()


def test_export_is_a_beir_set_the_evaluation_loader_reads(tmp_path, documents):
    marks = [
        mark("宝宝屋有多少个", "a", True),
        mark("宝宝屋有多少个", "b", False),
        mark("宝宝屋有多少个", "a", False, start=20, end=30),  # another passage of a: a stays relevant
        mark("垃圾怎么分类", "b", True),
        mark("河道", "c", False),  # only 不相关: exported, but there is nothing to score it on
        mark("宝宝屋有多少个", "gone", True),  # a document deleted since
    ]
    summary = export_beir(marks, documents, tmp_path / "set")
    assert (summary.queries, summary.relevant, summary.not_relevant, summary.corpus) == (2, 2, 2, 3)
    assert summary.missing == ["gone"]
    dataset = load_dataset(tmp_path / "set", "dev")
    assert dataset.queries == {query_id("宝宝屋有多少个"): "宝宝屋有多少个", query_id("垃圾怎么分类"): "垃圾怎么分类"}
    assert dataset.qrels[query_id("宝宝屋有多少个")] == {"a": 1, "b": 0}
    assert set(dataset.corpus) == {"a", "b", "c"} and dataset.corpus["a"].text == documents["a"].text


def test_export_without_a_relevant_mark_writes_nothing(tmp_path, documents):
    with pytest.raises(BadInput, match="no query has a document marked 相关"):
        export_beir([mark("河道", "c", False)], documents, tmp_path / "set")
    assert not (tmp_path / "set").exists()


# ------------------------------------------------------------------ the API and the command, on a real index


JUDGE_KEY = "judge-one-key-0123456789"


@pytest.fixture(scope="module")
def judged_app(seed_index_dir, e5, tmp_path_factory):
    from search_api.app import create_app
    from search_api.settings import Settings

    var = tmp_path_factory.mktemp("judged") / "var"
    shutil.copytree(seed_index_dir, var / "index")
    settings = Settings(index_dir=var / "index", upload_dir=var / "uploads",
                        api_keys={"judge-1": {"key": JUDGE_KEY, "role": "read"}})
    with TestClient(create_app(settings, embedder=e5), headers={"X-API-Key": JUDGE_KEY}) as client:  # marks name a key
        yield client, var


def test_marks_from_the_api_export_with_the_command(judged_app, tmp_path):
    from indexer.cli import main

    client, var = judged_app
    passages = client.post("/search", json={"query": "宝宝屋", "top_k": 2}).json()["passages"]
    for passage, relevant in zip(passages, (True, False), strict=True):
        cite = passage["citation"]
        body = {"query": " 宝宝屋 ", "doc_id": cite["doc_id"], "char_start": cite["char_start"],
                "char_end": cite["char_end"], "relevant": relevant, "who": "张三"}
        made = client.post("/web/api/judgments", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["query"] == "宝宝屋"
    stored = [json.loads(line) for line in (var / "judgments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [s["relevant"] for s in stored] == [True, False]
    assert client.get("/web/api/judgments", params={"query": "宝宝屋"}).json()[0]["doc_id"] == passages[0]["citation"]["doc_id"]

    assert main(["judgments", "export", str(tmp_path / "set"), "--index", str(var / "index")]) == 0
    dataset = load_dataset(tmp_path / "set", "dev")
    assert dataset.qrels[query_id("宝宝屋")][passages[0]["citation"]["doc_id"]] == 1


@pytest.mark.parametrize("change, status", [
    ({"doc_id": "no-such-document"}, 404),
    ({"char_end": 10**7}, 422),  # past the end of the document
    ({"char_start": 50, "char_end": 40}, 422),
    ({"who": "   "}, 422),
    ({"relevant": "maybe"}, 422),
    ({"extra": 1}, 422),
])
def test_a_bad_mark_is_refused_and_nothing_is_stored(judged_app, change, status):
    client, var = judged_app
    cite = client.post("/search", json={"query": "宝宝屋", "top_k": 1}).json()["passages"][0]["citation"]
    before = client.get("/web/api/judgments").json()
    body = {"query": "宝宝屋", "doc_id": cite["doc_id"], "char_start": 0, "char_end": 10, "relevant": True, "who": "张三"}
    refused = client.post("/web/api/judgments", json={**body, **change})
    assert refused.status_code == status, refused.text
    assert client.get("/web/api/judgments").json() == before


def test_the_command_says_when_there_is_nothing_to_export(tmp_path, capsys):
    from indexer.cli import main

    assert main(["judgments", "export", str(tmp_path / "set"), "--index", str(tmp_path / "index")]) == 2
    assert "no judgments yet" in capsys.readouterr().err
