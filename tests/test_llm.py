"""Generated answers against a real OpenAI-compatible server (`transformers serve` on SmolLM2-135M,
started by the ``llm_server`` fixture): streaming, timeouts, a model that writes no markers, and the
rule that no sentence failing the check reaches a reader, re-checked independently (eval.generate.recheck)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eval.generate import recheck
from indexer.errors import ModelUnavailable
from indexer.generation.answer import judged
from indexer.generation.client import ChatClient
from indexer.generation.prompt import sources_of

from conftest import INDEXED_SEEDS

QUESTION = "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务"
MAX_TOKENS = 64  # the tiny model rambles until the limit; a short limit keeps each call to seconds


@pytest.fixture(scope="module")
def app_settings(llm_server, seed_index_dir, tmp_path_factory):
    url, model = llm_server
    index = tmp_path_factory.mktemp("llm-app") / "index"
    shutil.copytree(seed_index_dir, index)
    return {"index_dir": index, "upload_dir": index.parent / "uploads", "llm_base_url": url, "llm_model": model,
            "llm_max_tokens": MAX_TOKENS, "llm_timeout": 300}


def cited_text(client, citation: dict) -> str:
    """What a citation names, read back from the API: the document's header fields and the cited passage."""
    document = client.get(f"/documents/{citation['doc_id']}").json()
    header = " ".join(str(document[k]) for k in ("title", "doc_number", "issuer", "date") if document[k])
    return header + "\n" + document["text"][citation["char_start"]:citation["char_end"]]


def assert_checked(client, body: dict) -> None:
    """No sentence that fails the independent re-check is in the answer, and the answer is exactly
    the sentences that passed."""
    generated = body["generated"]
    assert generated is not None and generated["model"]
    for sentence in generated["sentences"]:
        passages = [cited_text(client, c) for c in sentence["citations"]]
        renumbered = sentence["text"]
        for new, old in enumerate(sentence["markers"], start=1):  # the re-check reads [1..k] as the k citations
            renumbered = renumbered.replace(f"[{old}]", f"[#{new}]")
        assert recheck(renumbered.replace("[#", "["), passages) == [], sentence
    if body["mode"] == "generated":
        assert body["answer"] == "".join(s["text"] for s in generated["sentences"]) and body["why"] is None
        assert all(d["text"] not in body["answer"] for d in generated["dropped"])
    else:
        assert body["why"] == "too_little_checked" and body["answer"] == "".join(s["text"] for s in body["sentences"])
    assert all(d["reason"] and d["code"] for d in generated["dropped"])


def test_the_client_streams_pieces_from_a_real_server(llm_server) -> None:
    url, model = llm_server
    with ChatClient(url, model, timeout=300) as client:
        pieces = list(client.stream([{"role": "user", "content": "用一句话介绍上海。"}], max_tokens=24))
    assert len(pieces) > 3 and "".join(pieces).strip()


def test_a_slow_model_times_out(llm_server) -> None:
    url, model = llm_server
    with ChatClient(url, model, timeout=0.5) as client, pytest.raises(ModelUnavailable) as caught:
        client.complete([{"role": "user", "content": "请详细介绍上海的历史，越长越好。"}], max_tokens=400)
    assert caught.value.why == "timeout"


def test_a_model_that_writes_no_markers_is_not_shown(llm_server, seed_searcher) -> None:
    url, model = llm_server
    with ChatClient(url, model, timeout=300) as client:
        text = client.complete([{"role": "user", "content": "用一句话介绍上海。"}], max_tokens=40)
    assert "[" not in text and text.strip()
    outcome = judged(text, sources_of(seed_searcher.search(QUESTION, top_k=5)))
    assert outcome.mode == "extractive" and outcome.why == "too_little_checked" and outcome.answer is None
    assert outcome.check.kept == [] and {d.code for d in outcome.check.dropped} == {"no_marker"}


def test_ask_with_generate_returns_only_checked_sentences(open_app, app_settings) -> None:
    client = open_app(**app_settings)
    body = client.post("/ask", json={"question": QUESTION, "generate": True}).json()
    assert not body["no_answer"]
    assert_checked(client, body)
    plain = client.post("/ask", json={"question": QUESTION}).json()
    assert plain["mode"] == "extractive" and plain["generated"] is None and plain["why"] is None


def test_ask_stream_sends_passages_then_deltas_then_the_checked_answer(open_app, app_settings) -> None:
    client = open_app(**app_settings)
    with client.stream("POST", "/ask/stream", json={"question": QUESTION}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = [(block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
                  for block in response.read().decode("utf-8").strip().split("\n\n")]
    names = [name for name, _ in events]
    assert names[0] == "passages" and names[-1] == "answer" and set(names[1:-1]) == {"delta"} and len(names) > 3
    assert events[0][1]["passages"] and events[0][1]["generated"] is None  # the extractive response first
    assert "".join(data["text"] for name, data in events if name == "delta").strip()
    assert_checked(client, events[-1][1])


def test_fallbacks_over_http(open_app, app_settings, tmp_path) -> None:
    unanswerable = {"question": "火星基地的氧气配给标准是多少", "generate": True}
    client = open_app(**app_settings)
    body = client.post("/ask", json=unanswerable).json()
    assert body["no_answer"] and (body["mode"], body["why"]) == ("extractive", "no_answer") and body["generated"] is None
    slow = open_app(**{**app_settings, "upload_dir": tmp_path / "up", "llm_timeout": 0.2, "llm_max_tokens": 400})
    body = slow.post("/ask", json={"question": QUESTION, "generate": True}).json()
    assert (body["mode"], body["why"]) == ("extractive", "timeout") and body["answer"] and body["why_message"]
    none = open_app(index_dir=app_settings["index_dir"], upload_dir=tmp_path / "up2")
    body = none.post("/ask", json={"question": QUESTION, "generate": True}).json()
    assert (body["mode"], body["why"]) == ("extractive", "no_model") and body["sentences"]


def test_eval_generate_finds_no_kept_sentence_failing_the_recheck(llm_server, e5, tmp_path: Path) -> None:
    """`zhengce eval --answers --generate` on a small BEIR set of the seed documents: every model
    answer is checked, and the independent re-check finds no kept sentence that fails."""
    from eval.generate import format_generate_table, run_generate_eval
    from indexer.index.settings import IndexSettings

    folder = tmp_path / "qa"
    (folder / "qrels").mkdir(parents=True)
    (folder / "answers").mkdir()
    texts = {seed.stem: seed.read_text("utf-8") for seed in INDEXED_SEEDS[:1]}
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": k, "title": "", "text": v}, ensure_ascii=False) + "\n"
                                                 for k, v in texts.items()), "utf-8")
    doc = next(iter(texts))
    # two questions seed 000 answers, one it does not (it states no opening hours): /ask's own decision
    # comes first, so the model is called for the first two only
    questions = {"q1": QUESTION, "q2": "普陀区社区宝宝屋覆盖了多少个街道镇", "q3": "宝宝屋每天几点开门"}
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}, ensure_ascii=False) + "\n"
                                                  for q, t in questions.items()), "utf-8")
    (folder / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{doc}\t1\n" for q in questions))
    (folder / "answers" / "dev.jsonl").write_text("".join(json.dumps({"query-id": q, "corpus-id": doc, "answer": "宝宝屋"},
                                                                     ensure_ascii=False) + "\n" for q in questions))
    url, model = llm_server
    with ChatClient(url, model, timeout=300) as client:
        results = run_generate_eval(folder, "dev", None, client, cache_dir=tmp_path / "cache", embedder=e5,
                                    settings=IndexSettings(model=e5.model_id), threshold=-10.0, max_tokens=MAX_TOKENS)
    assert results["questions"] == 3 and results["model_calls"] == 2
    sentences = results["sentences"]
    assert sentences["generated"] == sentences["kept"] + sentences["dropped"] > 0
    assert results["kept_sentences_failing_recheck"] == 0
    assert "kept sentences failing the independent re-check: 0" in format_generate_table(results)
