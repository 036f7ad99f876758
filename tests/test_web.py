"""The staff web page in a real browser: Playwright drives Debian's Chromium against a live
`zhengce serve` on 127.0.0.1 over corpus/, as `make serve` runs it.

One server for the module (its index starts as a copy of the session's corpus index, so serving
embeds nothing); the scenarios run in file order, and those that add documents come last. Each
page docs/web.md shows is photographed here at 1366x768, so the screenshots stay current.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from conftest import CORPUS, REPO
from livepage import VIEWPORT, Live, checked_page, live_server, unlabelled_controls
from loadtest import zhengce_command

pytest.importorskip("playwright", reason="playwright is a test dependency: pip install -e '.[dev]'")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

CHROMIUM = shutil.which("chromium")
expect.set_options(timeout=30_000)  # a busy 2-core machine embeds a query in well under this
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium: apt-get install chromium fonts-noto-cjk")

API_KEY = "web-test-key-0123456789"
SCREENSHOTS = REPO / "docs" / "screenshots"
TUOYU_PROPOSAL = (
    "关于加快发展普惠托育服务体系的提案\n\n一、增加普惠性托育机构和托位供给，推进社区托育点建设。\n\n"
    "二、加强托育从业人员队伍建设和托育机构监管。\n\n三、完善托育服务补贴政策，减轻婴幼儿家庭负担。"
)
TWELVE_TIMES = "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务"
MANHOLE_PROPOSAL = ("关于加强城市道路井盖治理的提案\n\n我市部分道路井盖破损、缺失、下沉，行人夜间容易踩空跌伤。"
                    "建议明确井盖权属和养护责任，建立井盖数字化台账，加强日常巡查和快速维修。")
# the cleaner drops HTML tags left in text, in one pass: these come out of it as <script>...</script>
# and an <img/src=x onerror=...> (no space after img), which would run if the page parsed them
SCRIPT_TEXT = (
    "关于网页安全检查的通知\n\n各单位：本通知的登记编号为ZCXSS0001。"
    "<scr<script>ipt>window.__pwned = 1</scr</b>ipt><img/src=x onerror=\"window.__pwned = 2\">请认真落实。"
)
SCRIPT_CLEANED = '<script>window.__pwned = 1</script><img/src=x onerror="window.__pwned = 2">'



@pytest.fixture(scope="module")
def live(tmp_path_factory, corpus_index_dir, embed_cache_path) -> Iterator[Live]:
    """`zhengce serve --index var/index --corpus corpus/` with an API key, until the module ends."""
    with live_server(tmp_path_factory.mktemp("web"), corpus_index_dir, embed_cache_path, ZHENGCE_API_KEY=API_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live) -> Iterator[Page]:
    """A fresh browser session (its own sessionStorage) that fails the test on any script error."""
    with checked_page(browser, live.url, 30_000, clipboard=True) as tab:
        yield tab


def screenshot(page: Page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def search(page: Page, query: str, url: str = "/") -> None:
    page.goto(url)
    page.get_by_label("检索内容").fill(query)
    page.get_by_label("检索内容").press("Enter")
    expect(page.locator("#status")).to_contain_text("条结果")


def cards(page: Page):
    return page.locator("#results > li.card")


# ------------------------------------------------------------------ 检索


def test_search_baobaowu_shows_the_putuo_card_with_terms_highlighted(page, live):
    search(page, "宝宝屋")
    card = cards(page).filter(has_text="普教办〔2024〕3号").first
    expect(card).to_be_visible()
    expect(card.locator("h2")).to_contain_text("第153053号提案的会办意见")
    expect(card.locator(".issuer")).to_have_text("普陀区教育局")
    assert "宝宝屋" in card.locator("blockquote mark").all_inner_texts()
    assert "q=%E5%AE%9D%E5%AE%9D%E5%B1%8B" in page.url  # the search is in the URL
    assert unlabelled_controls(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    screenshot(page, "search")

    page.goto(page.url)  # a bookmarked or shared search opens with its results
    expect(cards(page).filter(has_text="普教办〔2024〕3号").first).to_be_visible()
    expect(page.get_by_label("检索内容")).to_have_value("宝宝屋")


def test_issuer_filter_with_counts_changes_the_list(page, live):
    search(page, "宝宝屋")
    issuers_before = set(cards(page).locator(".issuer").all_inner_texts())
    assert len(issuers_before) > 1 and "上海市静安区人民政府" in issuers_before
    option = page.locator("#f-issuer option", has_text="静安区")
    expect(option).to_have_text("上海市静安区人民政府（1）")  # the count of documents
    page.get_by_label("发文机关").select_option("上海市静安区人民政府")
    expect(cards(page).locator(".issuer").first).to_have_text("上海市静安区人民政府")
    expect(cards(page).filter(has_text="普教办〔2024〕3号")).to_have_count(0)
    assert set(cards(page).locator(".issuer").all_inner_texts()) == {"上海市静安区人民政府"}
    assert "issuer=" in page.url
    page.go_back()  # the unfiltered search again
    expect(page.get_by_label("发文机关")).to_have_value("")
    expect(cards(page).filter(has_text="普教办〔2024〕3号").first).to_be_visible()


def test_facet_counts_agree_with_the_document_list(live):
    with live.client() as client:
        facets = client.get("/web/api/facets", params={"doc_type": "答复"}).json()
        for entry in facets["facets"]["issuer"]:
            listed = client.get("/documents", params={"issuer": entry["value"], "doc_type": "答复"}).json()
            assert listed["total"] == entry["count"], entry
        assert facets["total"] == client.get("/documents", params={"doc_type": "答复"}).json()["total"] == 2
        years = client.get("/web/api/facets").json()["facets"]["year"]
        for entry in years:
            span = {"date_from": f"{entry['value']}-01-01", "date_to": f"{entry['value']}-12-31"}
            assert client.get("/documents", params=span).json()["total"] == entry["count"]


# ------------------------------------------------------------------ 原文


def test_viewer_highlights_exactly_the_cited_passage_and_copies_the_citation(page, live):
    search(page, "宝宝屋")
    card = cards(page).filter(has_text="普教办〔2024〕3号").first
    quote = card.locator("blockquote").text_content()
    card.locator("h2 a").click()
    cited = page.locator("#doc-text mark.cited")
    expect(cited).to_be_visible()
    assert cited.text_content() == quote
    doc_id = page.locator("#viewer").get_attribute("data-doc-id")
    start, end = (int(page.url.split(f"{k}=")[1].split("&")[0]) for k in ("start", "end"))
    with live.client() as client:
        assert client.get(f"/documents/{doc_id}").json()["text"][start:end] == cited.text_content()
    assert cited.evaluate("m => { const r = m.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }")
    expect(page.locator("#doc-meta")).to_contain_text("普教办〔2024〕3号")

    page.get_by_role("button", name="复制引用").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    one_line = "".join(line.strip() for line in quote.splitlines())
    assert copied == f"普陀区教育局《对区政协第十五届三次会议第153053号提案的会办意见》（普教办〔2024〕3号，2024年3月20日）：“{one_line}”"
    screenshot(page, "document")


def test_viewer_outline_links_to_the_headings(page, live):
    pudong = next(p for p in sorted(CORPUS.glob("004_*.txt")))
    with live.client() as client:
        doc = next(d for d in client.get("/documents").json()["documents"] if d["source"] == pudong.name)
        text = client.get(f"/documents/{doc['doc_id']}").json()["text"]
        outline = client.get(f"/web/api/documents/{doc['doc_id']}/outline").json()
    assert [e["heading"] for e in outline[:3]] == ["一、指导思想", "二、发展目标", "（一）总体目标"]
    assert all(text[e["char_start"] :].startswith(e["heading"]) for e in outline)
    page.goto(f"/web/doc/{doc['doc_id']}")
    link = page.locator("#outline a", has_text="二、发展目标")
    link.focus()
    link.press("Enter")
    assert page.url.endswith(f"#at-{outline[1]['char_start']}")


# ------------------------------------------------------------------ 找先例


def test_precedents_put_the_tuoyu_documents_first_and_export_a_docx(page, live):
    from docx import Document

    page.goto("/web/precedents")
    page.get_by_label("新提案或答复稿（粘贴全文）").fill(TUOYU_PROPOSAL)
    page.get_by_role("button", name="查找先例").click()
    found = page.locator("#precedents > li")
    expect(found.first).to_be_visible()
    top_two = found.locator("h2").all_inner_texts()[:2]
    assert any("托育服务三年行动计划" in t for t in top_two) and any("第20210141号建议的答复" in t for t in top_two), top_two
    first_quote = found.first.locator("blockquote").first.text_content()
    screenshot(page, "precedents")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出参考材料（.docx）").click()
    saved = download.value.path()
    paragraphs = [p.text for p in Document(saved).paragraphs]
    assert paragraphs[0] == "参考材料"
    assert paragraphs[2].startswith("1. ") and top_two[0].split(". ", 1)[1] in paragraphs[2]
    assert "“" + "".join(line.strip() for line in first_quote.splitlines()) + "”" in paragraphs
    assert any(p.startswith("出处：") and "《" in p for p in paragraphs)


# ------------------------------------------------------------------ 问答


def test_ask_the_twelve_times_question(page, live):
    page.goto("/web/ask")
    page.get_by_label("问题").fill(TWELVE_TIMES)
    page.get_by_role("button", name="提问").click()
    first = page.locator("#sentences > li").first
    expect(first).to_contain_text("12次")
    expect(first.locator(".doc-number")).to_have_text("普教办〔2024〕3号")
    screenshot(page, "ask")
    first.get_by_role("link").click()  # the answer sentence, highlighted in its document
    expect(page.locator("mark.cited")).to_contain_text("一年12次的免费社区托育服务")


def test_ask_says_plainly_when_nothing_answers(page, live):
    page.goto("/web/ask")
    page.get_by_label("问题").fill("北京冬奥会的吉祥物叫什么名字")
    page.get_by_role("button", name="提问").click()
    expect(page.locator("#no-answer")).to_contain_text("未找到可靠的答案：文档库中没有与这个问题足够相关的内容。")
    assert page.locator("#sentences > li").count() == 0


def test_ask_leads_with_the_fact_and_refuses_what_the_documents_do_not_state(page, live):
    """The asked fact first, with its confidence in words; a question on the same matter whose answer
    no document states gets "未找到可靠的答案" and the nearest passages folded below."""
    page.goto("/web/ask")
    page.get_by_label("问题").fill("普陀区社区宝宝屋覆盖了多少个街道镇")
    page.get_by_role("button", name="提问").click()
    expect(page.locator("#fact .fact-text")).to_have_text("10个街道镇16个社区")
    expect(page.locator("#fact .confidence")).to_contain_text("可信程度：")
    expect(page.locator("#sentences > li").first.locator("mark")).to_have_text("10个街道镇16个社区")

    page.get_by_label("问题").fill("宝宝屋每月收费标准是多少元")
    page.get_by_role("button", name="提问").click()
    expect(page.locator("#no-answer")).to_contain_text("未找到可靠的答案")
    expect(page.locator("#fact")).to_be_hidden()
    assert page.locator("#sentences > li").count() == 0
    nearest = page.locator("#read")
    expect(nearest.locator("summary")).to_have_text("最接近的段落（仅供参考）")
    expect(nearest.locator("#passages > li").first).to_be_hidden()  # folded until opened
    nearest.locator("summary").click()
    expect(nearest.locator("#passages > li").first).to_be_visible()
    screenshot(page, "ask-not-found")


def test_search_and_precedents_say_when_nothing_matches(page, live):
    """检索 and 找先例 on a matter no indexed document handles: a plain notice, the nearest items folded
    below it and marked 较低; each result carries its confidence in words, never a raw score."""
    page.goto("/")
    page.get_by_label("检索内容").fill("城市道路井盖破损怎么治理")
    page.get_by_label("检索内容").press("Enter")
    expect(page.locator("#results .not-found")).to_contain_text("未找到足够相关的内容")
    folded = page.locator("#results details.nearest")
    expect(folded.locator("li.card").first).to_be_hidden()
    folded.locator("summary").click()
    expect(folded.locator("li.card").first.locator(".confidence")).to_have_text("相关程度：较低")
    screenshot(page, "search-not-found")

    search(page, "普陀区社区宝宝屋覆盖了多少个街道镇")
    expect(page.locator("#results .not-found")).to_have_count(0)
    expect(cards(page).first.locator(".confidence")).to_have_text(re.compile("相关程度：(较高|一般)"))

    page.goto("/web/precedents")
    page.get_by_label("新提案或答复稿（粘贴全文）").fill(MANHOLE_PROPOSAL)
    page.get_by_role("button", name="查找先例").click()
    expect(page.locator("#precedents .not-found")).to_contain_text("未找到处理过同类事项的往期文件")
    page.locator("#precedents details.nearest summary").click()
    expect(page.locator("#precedents details.nearest li.card").first.locator(".confidence")).to_have_text(
        "是否同类事项：较低")
    assert "相似度" not in page.locator("#precedents").inner_text()
    screenshot(page, "precedents-not-found")


# ------------------------------------------------------------------ keyboard


def test_search_and_open_a_result_by_keyboard_alone(page, live):
    page.goto("/")
    page.keyboard.type("宝宝屋")  # the box has the focus when the page opens
    page.keyboard.press("Enter")
    expect(cards(page).first).to_be_visible()
    first_link = cards(page).first.locator("h2 a")
    for _ in range(40):
        page.keyboard.press("Tab")
        if first_link.evaluate("a => a === document.activeElement"):
            break
    else:
        pytest.fail("the first result cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page.locator("mark.cited")).to_be_visible()
    for path in ("/web/precedents", "/web/ask", "/web/library", "/web/evaluation"):
        page.goto(path)
        assert unlabelled_controls(page) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], path


# ------------------------------------------------------------------ 评测 (judgments)


def sign_in(page: Page, key: str = API_KEY) -> None:
    """The page's sign-in: a key exchanged for a session cookie (a mark belongs to a key)."""
    page.goto("/web/signin?next=/")
    page.get_by_label("密钥", exact=True).fill(key)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#signed-in")).to_contain_text("default")


def test_mark_two_results_export_them_and_evaluate(page, live, tmp_path):
    sign_in(page)
    search(page, "宝宝屋")
    page.get_by_label("评判人").fill("张三")
    first, second = cards(page).nth(0), cards(page).nth(1)
    first.get_by_role("button", name="相关", exact=True).click()
    expect(first.get_by_role("button", name="相关", exact=True)).to_have_attribute("aria-pressed", "true")
    second.get_by_role("button", name="不相关").click()
    expect(second.get_by_role("button", name="不相关")).to_have_attribute("aria-pressed", "true")
    page.reload()  # the marks are the server's: they come back with the results
    expect(cards(page).nth(1).get_by_role("button", name="不相关")).to_have_attribute("aria-pressed", "true")
    expect(cards(page).nth(0).get_by_role("button", name="相关", exact=True)).to_have_attribute("aria-pressed", "true")

    with live.client() as client:
        marks = client.get("/web/api/judgments", params={"query": "宝宝屋"}, headers={"X-API-Key": API_KEY}).json()
    assert sorted((m["relevant"], m["who"]) for m in marks) == [(False, "张三"), (True, "张三")]
    assert all(m["char_end"] > m["char_start"] and m["when"] for m in marks)

    dataset = tmp_path / "staff-set"
    exported = subprocess.run(
        zhengce_command("judgments", "export", dataset, "--index", live.var / "index"),
        env=live.env, capture_output=True, text=True, timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    qrels = (dataset / "qrels" / "dev.tsv").read_text(encoding="utf-8").splitlines()
    assert qrels[0] == "query-id\tcorpus-id\tscore" and sorted(line.split("\t")[2] for line in qrels[1:]) == ["0", "1"]

    evaluated = subprocess.run(
        zhengce_command("eval", "--dataset", dataset, "--json", live.var / "judgments-eval" / "staff.json",
                        "--cache", tmp_path / "eval-indexes", "--runs-dir", tmp_path / "runs"),
        env=live.env, capture_output=True, text=True, timeout=600,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert "hybrid" in evaluated.stdout

    page.goto("/web/evaluation")
    expect(page.locator("#mark-count")).to_have_text("2")
    rows = page.locator("#eval-table tbody tr th")
    expect(rows).to_have_text([re.compile(rf"^{re.escape(name)} ") for name in ("bm25", "dense", "hybrid-linear-0.7", "hybrid")])
    assert page.locator("#eval-chart rect.bar").count() == 4 * 6
    screenshot(page, "evaluation", full_page=True)


# ------------------------------------------------------------------ 文档库 (these add documents)


def test_upload_a_good_and_a_bad_file_signed_in_then_delete_with_confirmation(page, live, tmp_path):
    good = tmp_path / "托育补贴通知.txt"
    good.write_text("关于发放托育补贴的通知\n\n各街道：本通知的登记编号为ZCWEB0001，请按时发放。", encoding="utf-8")
    bad = tmp_path / "损坏的文件.pdf"
    bad.write_bytes(b"this is not a PDF at all")
    with live.client() as client:
        before = client.get("/readyz").json()["documents"]

    page.goto("/web/library")
    expect(page.locator("#index-status")).to_contain_text(str(before))
    expect(page.locator("#key-state")).to_have_text("上传和删除需要登录：请先登录。")  # said before anyone tries
    expect(page.get_by_role("button", name="上传", exact=True)).to_be_disabled()
    page.locator("#key-state").get_by_role("link", name="登录").click()
    page.get_by_label("密钥", exact=True).fill(API_KEY)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/web/library$"))  # back where the sign-in was asked for
    expect(page.locator("#key-state")).to_have_text("已登录：default（可上传、可更正、可删除）")
    page.locator("#files").set_input_files([good, bad])
    page.get_by_role("button", name="上传", exact=True).click()
    good_row = page.locator("#uploads li", has_text=good.name)
    bad_row = page.locator("#uploads li", has_text=bad.name)
    expect(good_row.locator(".outcome")).to_have_text("完成：关于发放托育补贴的通知", timeout=60_000)
    expect(bad_row.locator(".outcome .error-text")).to_have_text(
        "失败：无法读取这个 PDF：文件可能已损坏或不完整。请重新导出或重新下载后再上传。", timeout=60_000)
    assert good_row.locator("progress").evaluate("p => p.value") == 1
    expect(page.locator("#index-status")).to_contain_text(str(before + 1))
    screenshot(page, "library")

    row = page.locator("#doc-rows tr", has_text="关于发放托育补贴的通知")
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="删除《关于发放托育补贴的通知》").click()
    expect(row).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="删除《关于发放托育补贴的通知》").click()
    expect(row).to_have_count(0)
    with live.client() as client:
        assert client.get("/readyz").json()["documents"] == before


def test_a_document_with_script_in_its_text_shows_it_as_text(page, live):
    with live.client() as client:
        files = {"files": ("安全检查.txt", SCRIPT_TEXT.encode("utf-8"), "text/plain")}
        uploaded = client.post("/documents", files=files, headers={"X-API-Key": API_KEY})
        assert uploaded.status_code in (200, 202), uploaded.text
        for _ in range(300):  # an upload job, where uploads are indexed in the background
            found = client.post("/search", json={"query": "ZCXSS0001", "mode": "lexical", "top_k": 1}).json()["passages"]
            if found:
                break
            time.sleep(0.2)
        assert SCRIPT_CLEANED in client.get(f"/documents/{found[0]['citation']['doc_id']}").json()["text"]
    page.goto("/?q=ZCXSS0001&mode=lexical")
    card = cards(page).first
    expect(card.locator("blockquote")).to_contain_text(SCRIPT_CLEANED)
    assert page.locator("#results script, #results img").count() == 0
    card.locator("h2 a").click()
    expect(page.locator("#doc-text")).to_contain_text(SCRIPT_CLEANED)
    assert page.locator("#doc-text script, #doc-text img").count() == 0
    assert page.evaluate("window.__pwned") is None
