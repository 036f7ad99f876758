"""The citation check on hand-written model outputs, and the fallbacks that need no model: every
wrong fact is caught with its reason, every right one (however written) passes."""

from __future__ import annotations

import json
import shutil
import socket
import threading

import pytest

from indexer.generation.answer import generate_answer, judged
from indexer.generation.check import check_answer, split_generated
from indexer.generation.client import ChatClient
from indexer.generation.facts import normalise
from indexer.generation.prompt import Source

NOTICE = ("《关于推进社区宝宝屋建设的通知》（沪府办〔2024〕12号，上海市普陀区教育局，2024-03-05）\n"
          "全区已建成宝宝屋30个，覆盖全区10个街道镇。1-3岁婴幼儿家庭每年可享受十二次免费托育服务，"
          "服务费用由区财政承担95%。张伟局长表示，自2024年4月1日起施行《普陀区托育服务管理办法》。")
HEALTH = "市卫生健康委员会负责业务指导，会同区妇联开展家长课堂。"
PASSAGES = [NOTICE, HEALTH]


def verdicts(text: str) -> tuple[list[str], list[str]]:
    result = check_answer(text, PASSAGES)
    return [s.text for s in result.kept], [d.code for d in result.dropped]


@pytest.mark.parametrize("sentence", [
    "全区已建成宝宝屋30个，覆盖10个街道镇[1]。",
    "1-3岁婴幼儿家庭每年可享受12次免费托育服务[1]。",  # 十二次 in the passage
    "每年可享受十二次免费托育服务【1】。",  # a full-width marker, the numeral as written
    "依据沪府办[2024]12号，全区已建成宝宝屋30个[1]。",  # brackets of another style
    "依据沪府办（2024）第12号，服务费用由区财政承担95%[1]。",
    "张伟局长表示，自二〇二四年四月一日起施行《普陀区托育服务管理办法》[1]。",
    "上海市普陀区教育局印发通知，全区已建成宝宝屋30个[1]。",  # the issuer from the passage's header
    "市卫生健康委员会负责业务指导，会同区妇联开展家长课堂[2]。",
    "全区已建成宝宝屋30个[1]，市卫生健康委员会负责业务指导[2]。",
])
def test_a_right_sentence_passes(sentence: str) -> None:
    assert verdicts(sentence) == ([sentence], [])


@pytest.mark.parametrize(("sentence", "code"), [
    ("全区已建成宝宝屋35个，覆盖10个街道镇[1]。", "unsupported_number"),  # wrong number
    ("每年可享受十五次免费托育服务[1]。", "unsupported_number"),  # wrong, and in Chinese numerals
    ("服务费用由区财政承担90%[1]。", "unsupported_number"),
    ("依据沪府办〔2023〕12号，全区已建成宝宝屋30个[1]。", "unsupported_doc_number"),  # wrong year
    ("依据沪府办〔2024〕21号，全区已建成宝宝屋30个[1]。", "unsupported_doc_number"),  # wrong number
    ("依据区府办〔2024〕12号，全区已建成宝宝屋30个[1]。", "unsupported_doc_number"),  # another issuer
    ("自2024年5月1日起施行管理办法[1]。", "unsupported_date"),
    ("李明局长表示全区已建成宝宝屋30个[1]。", "unsupported_person"),
    ("静安区教育局表示全区已建成宝宝屋30个[1]。", "unsupported_organisation"),
    ("区卫生健康委员会负责业务指导[2]。", "unsupported_organisation"),  # the passage says 市
    ("自2024年4月1日起施行《上海市托育服务条例》[1]。", "unsupported_quote"),
    ("全区已建成宝宝屋30个，覆盖10个街道镇[3]。", "marker_out_of_range"),  # marker out of range
    ("全区已建成宝宝屋30个，覆盖10个街道镇[0]。", "marker_out_of_range"),
    ("全区已建成宝宝屋30个，覆盖10个街道镇。", "no_marker"),
    ("市卫生健康委员会负责业务指导[1]。", "unsupported_organisation"),  # right, but not in the passage it cites
    ("宝宝屋的服务很好，家长都很满意[1]。", "weak_support"),  # no checkable fact, not what the passage says
    ("家长可以通过手机应用随时预约上门早教老师[1]。", "weak_support"),
])
def test_a_wrong_sentence_is_dropped_with_its_reason(sentence: str, code: str) -> None:
    kept, dropped = verdicts(sentence)
    assert (kept, dropped) == ([], [code])


def test_each_sentence_is_judged_alone_and_markers_stay_with_their_sentence() -> None:
    text = "全区已建成宝宝屋30个。[1]\n每年可享受20次免费服务[1]。覆盖10个街道镇[1][2]。"
    assert split_generated(text) == ["全区已建成宝宝屋30个。[1]", "每年可享受20次免费服务[1]。", "覆盖10个街道镇[1][2]。"]
    kept, dropped = verdicts(text)
    assert kept == ["全区已建成宝宝屋30个。[1]", "覆盖10个街道镇[1][2]。"] and dropped == ["unsupported_number"]
    reason = check_answer(text, PASSAGES).dropped[0].reason
    assert "20" in reason and "找不到" in reason  # a reason a staff member can read


def test_normal_form() -> None:
    assert normalise("沪府办［２０２４］１２号 ") == normalise("沪府办〔2024〕12号") == "沪府办(2024)12号"
    assert normalise("二〇二四年三月五日") == "2024年3月5日"
    assert normalise("第十二条、一百零五人、百分之五十") == "第12条、105人、50%"
    assert normalise("统一标准，一律免费") == "统一标准,一律免费"  # 一 that is no number stays


def sources(*texts: str) -> list[Source]:
    return [Source(n, text, None) for n, text in enumerate(texts, start=1)]


def test_a_generated_answer_is_shown_only_when_enough_of_it_passes() -> None:
    good = judged("全区已建成宝宝屋30个[1]。每年可享受12次免费托育服务[1]。每年可享受15次[1]。", sources(*PASSAGES))
    assert good.mode == "generated" and good.why is None
    assert good.answer == "全区已建成宝宝屋30个[1]。每年可享受12次免费托育服务[1]。"  # the failed sentence is gone
    assert [d.code for d in good.check.dropped] == ["unsupported_number"]
    poor = judged("全区已建成宝宝屋30个[1]。每年可享受15次免费托育服务，由市财政全额承担费用[1]。", sources(*PASSAGES))
    assert poor.mode == "extractive" and poor.why == "too_little_checked" and poor.answer is None
    assert "1/2" in poor.message
    none = judged("资料中没有找到答案。", sources(*PASSAGES))
    assert none.mode == "extractive" and none.why == "too_little_checked"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_no_model_call_when_ask_has_no_answer() -> None:
    # a server that cannot be reached: had the model been called, the reason would be "unreachable"
    with ChatClient(f"http://127.0.0.1:{closed_port()}/v1", "m", timeout=2) as client:
        assert generate_answer("问题", [], client, answered=False).why == "no_answer"
        assert generate_answer("问题", [], None, answered=True).why == "no_model"


def test_a_server_that_is_down_gives_the_extractive_answer(seed_searcher) -> None:
    hits = seed_searcher.search("宝宝屋免费托育服务", top_k=3)
    with ChatClient(f"http://127.0.0.1:{closed_port()}/v1", "m", timeout=2) as client:
        outcome = generate_answer("宝宝屋提供几次免费托育服务", hits, client, answered=True)
    assert (outcome.mode, outcome.why) == ("extractive", "unreachable")
    assert outcome.message.startswith("无法连接语言模型")


def test_a_server_that_never_answers_times_out(seed_searcher) -> None:
    """A real socket that accepts the request and then says nothing: the deadline ends the wait."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    hits = seed_searcher.search("宝宝屋免费托育服务", top_k=3)
    try:
        with ChatClient(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "m", timeout=1.0) as client:
            outcome = generate_answer("宝宝屋提供几次免费托育服务", hits, client, answered=True)
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert (outcome.mode, outcome.why) == ("extractive", "timeout")


def test_a_stream_outlives_the_body_deadline(open_app, seed_index_dir, tmp_path) -> None:
    """/ask/stream keeps its response open while the model writes; the 408 deadline is for a body that
    stops arriving, not for a response that takes its time (it once ended every stream after body_timeout_s)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    index = tmp_path / "index"
    shutil.copytree(seed_index_dir, index)
    client = open_app(index_dir=index, upload_dir=tmp_path / "up", body_timeout_s=0.5, llm_timeout=2.0,
                      llm_base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1", llm_model="m")
    try:
        with client.stream("POST", "/ask/stream", json={"question": "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务"}) as response:
            blocks = response.read().decode("utf-8").strip().split("\n\n")
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert [b.split("\n")[0] for b in blocks] == ["event: passages", "event: answer"]
    answer = json.loads(blocks[-1].split("\n")[1].removeprefix("data: "))
    assert (answer["mode"], answer["why"]) == ("extractive", "timeout") and answer["answer"]


def test_the_ask_page_offers_the_model_only_when_one_is_configured(open_app, seed_index_dir, tmp_path) -> None:
    plain = open_app(index_dir=seed_index_dir, upload_dir=tmp_path / "up1").get("/web/ask").text
    configured = open_app(index_dir=seed_index_dir, upload_dir=tmp_path / "up2", llm_base_url="http://127.0.0.1:9/v1",
                          llm_model="m").get("/web/ask").text
    assert 'id="generate"' not in plain and 'id="generate"' in configured
    script = open_app(index_dir=seed_index_dir, upload_dir=tmp_path / "up3").get("/web/static/ask_generate.js")
    assert script.status_code == 200 and "/ask/stream" in script.text
