"""The staff page to the standard of an office's daily tool (issue 32), in Debian's Chromium driven by
Playwright against a live `zhengce serve` over corpus/ with three keys (admin, write, read).

Every error kind a person can meet reaches the page as Chinese words, the technical reason folded
behind 详情; states are done properly (busy, cancel, stale results cleared, dates as 2024年3月20日, a
short keyboard path); 原文 keeps its header in view, marks the terms, hands out the original and shows
the printed page with the cited lines boxed, and takes corrections from the write role; 文档库 lists
every chosen file with its state; 评测 runs a 命中测试 and the office's judged set. Where the server
cannot be made to fail for real (no connection, a proxy's page), the browser's request is answered by
Playwright instead, and the test says so. Screenshots go to docs/screenshots.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CORPUS
from filegen import make_corrupt_pdf, make_docx, make_ofd, make_pdf
from livepage import Live, checked_page, live_server
from test_web import CHROMIUM, browser, cards, screenshot, search  # noqa: F401

pytest.importorskip("playwright", reason="playwright is a test dependency: pip install -e '.[dev]'")
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium: apt-get install chromium fonts-noto-cjk")

ADMIN_KEY = "office-admin-key-5150-qwerty"
EDITOR_KEY = "office-editor-key-8086-asdfgh"
READER_KEY = "office-reader-key-6502-zxcvbn"
CJK = re.compile(r"[\u3400-\u9fff]")
PDF_TEXT = ["关于做好托育补贴发放工作的通知\n各街道办事处：\n为减轻婴幼儿家庭负担，现就托育补贴发放工作通知如下。\n"
            "一、补贴对象为本区户籍的三岁以下婴幼儿家庭。\n二、登记编号为ZCWEBPDF1的补贴请在三月底前发放完毕。\n三、各街道要做好政策宣传。"]


@pytest.fixture(scope="module")
def live(tmp_path_factory, corpus_index_dir, embed_cache_path) -> Iterator[Live]:
    """`zhengce serve --index var/index --corpus corpus/` with an admin key and named write and read keys."""
    keys = {"editor": {"key": EDITOR_KEY, "role": "write"}, "reader": {"key": READER_KEY, "role": "read"}}
    with live_server(tmp_path_factory.mktemp("office"), corpus_index_dir, embed_cache_path, ZHENGCE_API_KEY=ADMIN_KEY,
                     ZHENGCE_API_KEYS=json.dumps(keys)) as server:
        yield server


@pytest.fixture
def page(browser, live) -> Iterator[Page]:  # noqa: F811
    """A fresh browser session (no sign-in) that fails the test on any script error."""
    with checked_page(browser, live.url, 30_000) as tab:
        yield tab


def sign_in(page: Page, key: str, name: str, then: str = "/") -> None:
    page.goto(f"/web/signin?next={then}")
    page.get_by_label("密钥", exact=True).fill(key)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#signed-in")).to_contain_text(name)


def in_words(locator, expected: str) -> str:
    """The error a person reads once it says ``expected``: Chinese on every line, the technical reason
    folded behind 详情."""
    expect(locator).to_contain_text(expected)
    text = locator.inner_text()  # a closed <details> shows its summary only
    for line in filter(str.strip, text.splitlines()):
        assert CJK.search(line), f"a line without Chinese reaches the page: {line!r} in {text!r}"
    return text


def upload_via_api(live: Live, name: str, data: bytes) -> dict:
    with live.client() as client:
        job = client.post("/documents", files={"files": (name, data)}, headers={"X-API-Key": EDITOR_KEY}).json()
        for _ in range(600):
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
            job = client.get(f"/jobs/{job['job_id']}", headers={"X-API-Key": EDITOR_KEY}).json()
    assert job["state"] == "done" and job["files"][0]["status"] in ("added", "unchanged"), job
    return job["files"][0]


# ------------------------------------------------------------------ every error kind, in words


def test_every_error_kind_reaches_the_page_in_chinese(page, live, tmp_path):
    status = page.locator("#status")
    seen: dict[str, str] = {}

    # a refused field (422): the dates in the wrong order
    page.goto("/")
    page.get_by_label("检索内容").fill("托育")
    page.get_by_label("起始日期").fill("2024年12月31日")
    page.get_by_label("截止日期").fill("2024年1月1日")
    page.get_by_label("检索内容").press("Enter")
    seen["field"] = in_words(status, "起始日期晚于截止日期")
    status.locator("details summary").click()  # the technical reason, one click away
    expect(status.locator("details code")).to_contain_text("HTTP 422")
    screenshot(page, "error-words")

    # something that is not there (404)
    page.goto("/web/doc/0000000000000000")
    seen["not found"] = in_words(status, "找不到这份文件")

    # no connection to the server: Playwright fails the browser's request, as a cable pulled out would
    page.goto("/")
    page.route("**/search", lambda route: route.abort("connectionrefused"))
    page.get_by_label("检索内容").fill("托育")
    page.get_by_label("检索内容").press("Enter")
    seen["network"] = in_words(status, "无法连接服务器")
    page.unroute("**/search")

    # a proxy's error page instead of the server's answer (Playwright answers for the proxy)
    page.route("**/search", lambda route: route.fulfill(status=502, body="<html>502 Bad Gateway</html>",
                                                        content_type="text/html"))
    page.get_by_role("button", name="检索", exact=True).click()
    seen["unreadable"] = in_words(status, "服务器的回答无法读取")
    page.unroute("**/search")

    # no sign-in (401), and a key whose role is too low (403): deleting from the list
    page.goto("/web/library")
    row = page.locator("#doc-rows tr").first
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile("^删除")).click()
    seen["sign-in"] = in_words(status, "需要登录")
    sign_in(page, READER_KEY, "reader", "/web/library")
    page.locator("#doc-rows tr").first.get_by_role("button", name=re.compile("^删除")).click()
    seen["role"] = in_words(status, "没有这项操作的权限")

    # a wrong key at the sign-in
    page.goto("/web/signin")
    page.get_by_label("密钥", exact=True).fill("not-the-key-of-anyone-1234")
    page.get_by_role("button", name="登录").click()
    seen["wrong key"] = in_words(page.locator("#signin-error"), "密钥不正确")

    # a file a reader refuses
    sign_in(page, EDITOR_KEY, "editor", "/web/library")
    make_corrupt_pdf(tmp_path / "半截的文件.pdf")
    page.locator("#files").set_input_files([tmp_path / "半截的文件.pdf"])
    page.get_by_role("button", name="上传", exact=True).click()
    outcome = page.locator("#uploads li .outcome")
    expect(outcome).to_contain_text("失败：", timeout=60_000)
    seen["file"] = in_words(outcome, "无法读取这个 PDF")

    # a correction the server refuses (a date that does not exist)
    doc_id = page.locator("#doc-rows tr a").first.get_attribute("href").rsplit("/", 1)[1]
    page.goto(f"/web/doc/{doc_id}")
    page.get_by_role("button", name="更正文件信息").click()
    page.get_by_label("成文日期").fill("2024年13月45日")
    page.get_by_role("button", name="保存更正").click()
    seen["correction"] = in_words(status, "成文日期不是有效的日期")
    assert len(seen) == 9


# ------------------------------------------------------------------ 检索 and 找先例 states


def test_search_states_busy_cancel_stale_dates_and_keyboard(page, live):
    status = page.locator("#status")
    search(page, "宝宝屋")
    card = cards(page).filter(has_text="普教办〔2024〕3号").first
    expect(card.locator(".date")).to_have_text("2024年3月20日")

    # a search held by the network: the button waits, 取消 ends it, the page says so
    held = []
    page.route("**/search", lambda route: held.append(route))
    page.get_by_label("检索内容").fill("托育服务")
    page.get_by_label("检索内容").press("Enter")
    expect(page.get_by_role("button", name="检索", exact=True)).to_be_disabled()
    expect(page.locator("#results")).to_have_attribute("aria-busy", "true")
    page.get_by_role("button", name="取消").click()
    expect(status).to_have_text("已取消。")
    expect(page.get_by_role("button", name="检索", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="取消")).to_be_hidden()
    page.unroute("**/search")

    # a failed search takes the old results and 更多结果 with it
    search(page, "宝宝屋")
    expect(page.locator("#more")).to_be_visible()
    page.route("**/search", lambda route: route.abort("connectionrefused"))
    page.get_by_role("button", name="检索", exact=True).click()
    expect(status.locator(".error-text")).to_contain_text("无法连接服务器")
    expect(cards(page)).to_have_count(0)
    expect(page.locator("#more")).to_be_hidden()
    page.unroute("**/search")

    # dates typed as staff write them, sent as ISO, shown back in Chinese
    page.get_by_label("起始日期").fill("2024-3-1")
    page.get_by_label("起始日期").press("Tab")
    expect(page.get_by_label("起始日期")).to_have_value("2024年3月1日")
    expect(status).to_contain_text("条结果")
    assert "date_from=2024-03-01" in page.url
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", d) for d in cards(page).locator(".date").all_inner_texts())

    # the name a mark needs: the red request goes once a mark is made
    sign_in(page, EDITOR_KEY, "editor", "/?q=%E5%AE%9D%E5%AE%9D%E5%B1%8B")
    expect(cards(page).first).to_be_visible()
    page.get_by_label("评判人").fill("")
    cards(page).first.get_by_role("button", name="相关", exact=True).click()
    expect(status).to_have_class(re.compile("error"))
    expect(status).to_contain_text("请先填写评判人姓名")
    page.get_by_label("评判人").fill("李四")
    cards(page).first.get_by_role("button", name="相关", exact=True).click()
    expect(cards(page).first.get_by_role("button", name="相关", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(status).not_to_have_class(re.compile("error"))
    expect(status).to_contain_text("条结果")

    # from the box to the first result: the skip link after the button
    page.goto("/")
    page.keyboard.type("宝宝屋")
    page.keyboard.press("Enter")
    expect(cards(page).first).to_be_visible()
    page.get_by_label("检索内容").focus()
    first_link = cards(page).first.locator("h2 a")
    presses = 0
    while not first_link.evaluate("a => a === document.activeElement"):
        focused = page.evaluate("document.activeElement.id")
        page.keyboard.press("Enter" if focused == "to-results" else "Tab")
        presses += 1
        assert presses <= 6, f"{presses} key presses and the first result still not reached"
    assert presses <= 5
    screenshot(page, "search-keyboard")


def test_precedents_busy_cancel_and_one_quote_per_passage(page, live):
    page.goto("/web/precedents")
    button = page.get_by_role("button", name="查找先例")
    held = []
    page.route("**/similar", lambda route: held.append(route))
    page.get_by_label("新提案或答复稿（粘贴全文）").fill("关于发展托育服务的提案\n\n" + "增加社区托育点。" * 2000)
    button.click()
    expect(button).to_be_disabled()
    expect(page.locator("#status")).to_contain_text("需要的时间较长，可随时取消")
    page.get_by_role("button", name="取消").click()
    expect(page.locator("#status")).to_have_text("已取消。")
    expect(button).to_be_enabled()
    page.unroute("**/similar")

    same = "增加普惠性托育机构和托位供给，推进社区托育点建设，减轻婴幼儿家庭负担。"
    page.get_by_label("新提案或答复稿（粘贴全文）").fill(f"关于托育服务的提案\n\n一、{same}\n\n二、{same}")
    button.click()
    found = page.locator("#precedents > li")
    expect(found.first).to_be_visible()
    for document in found.all():
        quoted = [(q.get_attribute("data-doc-id"), q.get_attribute("data-start")) for q in document.locator("li.card").all()]
        assert len(quoted) == len(set(quoted)), quoted  # a passage matching both parts is quoted once
    assert any(re.search(r"对应新稿第 \d+、\d+ 部分", part) for part in found.locator(".part").all_inner_texts())
    screenshot(page, "precedents-once")


# ------------------------------------------------------------------ 原文


def test_viewer_keeps_its_header_marks_terms_hands_out_the_original_and_goes_back(page, live):
    search(page, "宝宝屋")
    results_url = page.url
    cards(page).filter(has_text="普教办〔2024〕3号").first.locator("h2 a").click()
    cited = page.locator("#doc-text mark.cited")
    expect(cited).to_be_visible()
    title = page.locator("#doc-title")
    assert title.evaluate("h => { const r = h.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    expect(page.locator("#doc-facts")).to_contain_text("普教办〔2024〕3号")
    expect(page.locator("#doc-facts")).to_contain_text("2024年3月20日")
    terms = page.locator("#doc-text mark.term").all_inner_texts()
    assert len(terms) >= 2 and all(term in "宝宝屋" for term in terms), terms

    with page.expect_download() as download:
        page.get_by_role("button", name="下载原件").click()
    source = page.locator("#doc-meta dd").last.text_content()  # 文件信息 is folded
    assert Path(download.value.path()).read_bytes() == (CORPUS / source).read_bytes()
    assert download.value.suggested_filename == source
    expect(page.get_by_role("button", name="查看原页")).to_be_hidden()  # a text file has no printed pages

    page.get_by_role("link", name="← 返回检索结果").click()
    assert page.url == results_url
    expect(cards(page).first).to_be_visible()


def test_viewer_shows_the_printed_page_with_the_cited_lines_boxed(page, live, tmp_path):
    make_pdf(tmp_path / "托育补贴通知.pdf", PDF_TEXT)
    upload_via_api(live, "托育补贴通知.pdf", (tmp_path / "托育补贴通知.pdf").read_bytes())
    page.goto("/?q=ZCWEBPDF1&mode=lexical")
    card = cards(page).first
    expect(card).to_contain_text("ZCWEBPDF1")
    card.locator("h2 a").click()
    page.get_by_role("button", name="查看原页").click()
    image = page.locator("#page-image")
    expect(image).to_have_attribute("src", re.compile("^blob:"))
    page.wait_for_function("() => document.getElementById('page-image').naturalWidth > 0")
    boxes = page.locator("#page-boxes .line-box")
    expect(boxes.first).to_be_visible()
    expect(page.locator("#page-note")).to_contain_text("框出的是引用段落所在的")
    # each box is drawn where the server says the line is printed, as a share of the picture: the
    # line holding the code among them (positions from the PDF's text layer)
    doc_id = page.locator("#viewer").get_attribute("data-doc-id")
    with live.client() as client:
        text = client.get(f"/documents/{doc_id}").json()["text"]
        lines = client.get(f"/web/api/documents/{doc_id}/pages/1").json()["lines"]
    code_at = text.index("ZCWEBPDF1")
    holding = next(line for line in lines if line["char_start"] <= code_at < line["char_end"])
    sheet = image.evaluate("i => { const r = i.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }")
    drawn = [box.evaluate("b => { const r = b.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }")
             for box in boxes.all()]

    def on_picture(fraction_box):
        x0, y0, x1, y1 = fraction_box
        return [sheet[0] + x0 * sheet[2], sheet[1] + y0 * sheet[3], sheet[0] + x1 * sheet[2], sheet[1] + y1 * sheet[3]]

    expected = on_picture(holding["box"])
    assert any(all(abs(a - b) <= 3 for a, b in zip(box, expected)) for box in drawn), (expected, drawn)
    assert "ZCWEBPDF1" in page.locator("#doc-text mark.cited").inner_text()
    screenshot(page, "document-page")


def test_viewer_says_in_words_which_pages_were_not_read(page, live, tmp_path):
    """A page whose text is drawn as outlines is indexed without it: the 原文 page says so, in Chinese."""
    make_ofd(tmp_path / "防汛通知.ofd", [
        {"lines": [(30, 40, 5.6, "关于做好防汛工作的通知", False), (30, 60, 5.6, "各街道：登记编号为ZCUNREAD1的泵站请检修。", False)]},
        {"outlines": 60},
    ])
    upload_via_api(live, "防汛通知.ofd", (tmp_path / "防汛通知.ofd").read_bytes())
    page.goto("/?q=ZCUNREAD1&mode=lexical")
    cards(page).first.locator("h2 a").click()
    notice = page.locator("#unread-pages")
    expect(notice).to_be_visible()
    text = in_words(notice, "第 2 页")
    assert "曲线" in text and "第 1 页" not in text
    notice.locator("summary").first.click()
    expect(notice.locator("code")).to_contain_text("outlines")


def test_the_write_role_corrects_metadata_and_the_page_says_it_is_kept(page, live):
    with live.client() as client:
        doc = next(d for d in client.get("/documents", params={"limit": 100}).json()["documents"]
                   if d["source"] == sorted(p.name for p in CORPUS.glob("001_*.txt"))[0])
    page.goto(f"/web/doc/{doc['doc_id']}")
    page.get_by_role("button", name="更正文件信息").click()
    expect(page.locator("#meta-signin")).to_be_visible()  # not signed in: told how, not let try
    expect(page.get_by_role("button", name="保存更正")).to_be_disabled()

    sign_in(page, EDITOR_KEY, "editor", f"/web/doc/{doc['doc_id']}")
    page.get_by_role("button", name="更正文件信息").click()
    expect(page.locator("#meta-signin")).to_be_hidden()
    page.get_by_label("文号").fill("沪妇〔2023〕7号")
    page.get_by_label("成文日期").fill("2023年5月8日")
    page.get_by_role("button", name="保存更正").click()
    expect(page.locator("#status")).to_contain_text("已更正：文号、成文日期。更正已保存，重新索引后仍然有效")
    expect(page.locator("#doc-facts")).to_contain_text("沪妇〔2023〕7号")
    expect(page.locator("#doc-facts")).to_contain_text("2023年5月8日")
    expect(page.locator("#doc-meta dd[data-field=doc_number] .corrected")).to_have_text("人工更正")
    screenshot(page, "document-corrected")
    with live.client() as client:
        shown = client.get(f"/documents/{doc['doc_id']}").json()
        assert (shown["doc_number"], shown["date"]) == ("沪妇〔2023〕7号", "2023-05-08")
        history = client.get(f"/web/api/documents/{doc['doc_id']}/view").json()["correction"]["history"]
        assert history[-1]["who"] == "editor" and set(history[-1]["changed"]) == {"doc_number", "date"}


# ------------------------------------------------------------------ 文档库


def test_library_lists_every_chosen_file_with_its_state_and_finds_sorts_and_names(page, live, tmp_path):
    page.goto("/web/library")
    expect(page.locator("#key-state")).to_contain_text("上传和删除需要登录")
    expect(page.get_by_role("button", name="上传", exact=True)).to_be_disabled()
    accept = set(page.locator("#files").get_attribute("accept").split(","))
    assert {".pdf", ".ofd", ".docx", ".doc", ".wps", ".txt", ".html", ".png", ".jpg", ".tif"} <= accept
    expect(page.locator("label[for=files]").first).to_contain_text("OFD")

    sign_in(page, EDITOR_KEY, "editor", "/web/library")
    expect(page.locator("#key-state")).to_have_text("已登录：editor（可上传、可更正）")
    good = tmp_path / "河道治理通知.txt"
    good.write_text("关于加强河道治理的通知\n\n各街道：本通知的登记编号为ZCLIBRARY1，请按时完成。\n", encoding="utf-8")
    word = make_docx(tmp_path / "老年助餐方案.docx", ["关于推进老年助餐服务的实施方案", "各街道：登记编号为ZCLIBRARY2。"])
    bad = make_corrupt_pdf(tmp_path / "坏的扫描件.pdf")
    page.locator("#files").set_input_files([good, word, bad])
    expect(page.locator("#chosen")).to_contain_text("已选 3 个文件")
    page.get_by_role("button", name="上传", exact=True).click()
    rows = page.locator("#uploads li")
    expect(rows).to_have_count(3)  # every chosen file is listed before the first is done
    states = page.evaluate("() => [...document.querySelectorAll('#uploads li')].map((li) => li.dataset.state)")
    assert len(states) == 3
    for name, state, words in ((good.name, "done", "完成：关于加强河道治理的通知"), (word.name, "done", "完成："),
                               (bad.name, "failed", "失败：无法读取这个 PDF")):
        row = page.locator("#uploads li", has_text=name)
        expect(row).to_have_attribute("data-state", state, timeout=120_000)
        expect(row.locator(".outcome")).to_contain_text(words)
        expect(row.locator("progress")).to_have_class(state)
    expect(page.locator("#status")).to_contain_text("上传完成：2 个文件已编入索引，1 个失败")
    screenshot(page, "library-upload")

    page.get_by_label("查找").fill("河道")
    listed = page.locator("#doc-rows tr")
    expect(listed).to_have_count(1)
    expect(listed.first.locator("td.uploader")).to_have_text("editor")
    expect(listed.first.locator("td.uploaded")).to_have_text(re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$"))
    page.get_by_label("查找").fill("")
    page.get_by_label("排序").select_option("title:asc")
    expect(page.locator("#page-info")).to_contain_text("共")
    titles = page.locator("#doc-rows tr td:first-child").all_inner_texts()
    assert titles == sorted(titles)
    assert "目录索引" in page.locator("#doc-rows td.uploaded").all_inner_texts()  # corpus/ was indexed from its folder
    screenshot(page, "library-list")


# ------------------------------------------------------------------ 评测


def test_evaluation_hit_test_and_the_judged_set_run_from_the_page(page, live):
    page.goto("/web/evaluation")
    assert "zhengce" not in page.locator("main").inner_text()  # the command line is folded away for admins
    page.get_by_label("问题").fill("普陀区社区宝宝屋覆盖了多少个街道镇")
    page.get_by_role("button", name="测试", exact=True).click()
    columns = page.locator("#hit-results .hit-column")
    expect(columns).to_have_count(3)
    expect(columns.locator("h3")).to_have_text(["关键词（BM25）", "语义（向量）", "综合（本系统默认）"])
    for column in columns.all():
        expect(column.locator("li.card").first).to_contain_text("宝宝屋")
    expect(page.locator("#hit-results [data-retriever=hybrid] li.card").first.locator(".confidence")).to_contain_text("相关程度：")
    screenshot(page, "evaluation-hit-test", full_page=True)

    marks_before = int(page.locator("#mark-count").inner_text())  # the search test marked one
    with live.client() as client:
        key = {"X-API-Key": EDITOR_KEY}
        for query in ("宝宝屋", "1-3岁婴幼儿家庭每年几次免费托育服务", "全职妈妈心理咨询热线"):
            hit = client.post("/search", json={"query": query, "top_k": 1}).json()["passages"][0]["citation"]
            marked = client.post("/web/api/judgments", headers=key, json={
                "query": query, "doc_id": hit["doc_id"], "char_start": hit["char_start"], "char_end": hit["char_end"],
                "relevant": True, "who": "王五"})
            assert marked.status_code == 201, marked.text
    page.reload()
    expect(page.locator("#mark-count")).to_have_text(str(marks_before + 3))
    page.get_by_role("button", name="用这些标记评测各检索方式").click()
    expect(page.locator("#eval-table")).to_be_visible(timeout=180_000)  # the page reloads with the result
    expect(page.locator("#eval-summary")).to_contain_text("3 个问题")
    expect(page.locator("#eval-summary")).to_contain_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    expect(page.locator("#metric-words dd").first).to_contain_text("前 10 条结果的排序质量")
    assert all(CJK.search(text) for text in page.locator("#metric-words dd").all_inner_texts())
    screenshot(page, "evaluation-run", full_page=True)
