"""The 拟答复 page in a real browser (Debian's Chromium through Playwright) against a live `zhengce serve`
over corpus/ with an office configured: paste a proposal, see its parts and the past material per
part, tick, edit the draft, choose the 办理结果 and export the .docx; once with the mouse and once by
keyboard alone. Screenshots at 1366x768 go to docs/screenshots/ (reply.png, reply-draft.png)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from conftest import REPO
from livepage import VIEWPORT, checked_page, live_server, unlabelled_controls
from test_replies import PROPOSAL
from test_web import browser  # noqa: F401

pytest.importorskip("playwright", reason="playwright is a test dependency: pip install -e '.[dev]'")
from playwright.sync_api import Page, expect  # noqa: E402

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium: apt-get install chromium fonts-noto-cjk")
expect.set_options(timeout=60_000)
SCREENSHOTS = REPO / "docs" / "screenshots"
OFFICE = {"ZHENGCE_OFFICE_NAME": "上海市普陀区教育局", "ZHENGCE_OFFICE_WORK": "教育",
          "ZHENGCE_OFFICE_CONTACT": "王老师", "ZHENGCE_OFFICE_PHONE": "021-52560000",
          "ZHENGCE_OFFICE_CC": '["区政协提案委员会"]'}


@pytest.fixture(scope="module")
def live(tmp_path_factory, corpus_index_dir, embed_cache_path) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("reply-web"), corpus_index_dir, embed_cache_path, **OFFICE) as server:
        yield server.url


@pytest.fixture
def page(browser, live) -> Iterator[Page]:  # noqa: F811
    with checked_page(browser, live, 60_000) as tab:
        yield tab


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element ``selector`` names has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def drafted(page: Page) -> None:
    expect(page.locator("#status")).to_contain_text("分为 3 部分")


def test_from_a_pasted_proposal_to_a_docx(page, tmp_path):
    page.goto("/web/reply")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("拟答复")
    page.get_by_label("提案或建议全文（粘贴）").fill(PROPOSAL)
    page.get_by_role("button", name="读取并查找先例").click()
    drafted(page)
    expect(page.locator("#proposal-facts")).to_contain_text("李华委员")
    expect(page.locator("#proposal-facts")).to_contain_text("第153099号")
    expect(page.locator("#parts > li")).to_have_count(3)
    groups = page.locator("#material section.ask")
    expect(groups.nth(0).locator("li.card").first).to_be_visible()
    expect(groups.nth(2)).to_contain_text("未找到往期处理过类似事项的文件")  # said so, not padded
    expect(groups.nth(2).locator("li.card")).to_have_count(0)
    assert unlabelled_controls(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    page.evaluate("document.getElementById('material-step').scrollIntoView({block: 'start'})")
    page.screenshot(path=SCREENSHOTS / "reply.png")

    first = groups.nth(0).locator("input[type=checkbox]").first
    was = first.is_checked()
    first.set_checked(not was)
    expect(page.locator("#status")).to_contain_text("分为 3 部分")
    expect(groups.nth(0).locator("input[type=checkbox]").first).to_be_checked(checked=not was)

    expect(page.locator("#draft-title")).to_have_value("上海市普陀区教育局关于区政协第十五届三次会议第153099号提案的答复")
    expect(page.locator("#draft-recipient")).to_have_value("李华委员：")
    page.locator("#section-0").fill("我区已在各街镇建成宝宝屋，为1-3岁婴幼儿家庭提供免费托育服务。")
    expect(page.locator("#section-2")).to_have_value("【待撰写】未找到往期处理过类似事项的文件，此部分请根据本单位实际情况撰写。")

    page.get_by_role("button", name="导出答复（.docx）").click()  # no 办理结果 chosen: refused, not guessed
    expect(page.locator("#status")).to_contain_text("请先选择办理结果")
    page.get_by_label("B 正在解决或列入计划").check()
    page.evaluate("document.getElementById('draft-step').scrollIntoView({block: 'start'})")
    page.screenshot(path=SCREENSHOTS / "reply-draft.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出答复（.docx）").click()
    name = download.value.suggested_filename
    assert name.startswith("第153099号-关于加快发展普惠托育服务的提案-答复-") and name.endswith(".docx")
    saved = Path(download.value.path())
    texts = [p.text for p in docx.Document(str(saved)).paragraphs]
    assert texts[0] == "（B类）" and "我区已在各街镇建成宝宝屋，为1-3岁婴幼儿家庭提供免费托育服务。" in texts
    assert "上海市普陀区教育局" in texts and "（联系人：王老师；联系电话：021-52560000）" in texts


def test_the_whole_flow_by_keyboard_alone(page):
    page.goto("/web/reply")
    tab_to(page, "#proposal-text")
    page.keyboard.insert_text(PROPOSAL)
    tab_to(page, "#reply-form button[type=submit]")
    page.keyboard.press("Enter")
    drafted(page)

    tab_to(page, "#part-0")  # split the first part at the cursor, after its first clause
    page.keyboard.press("Control+Home")
    for _ in range(page.locator("#part-0").input_value().index("，") + 1):
        page.keyboard.press("ArrowRight")
    tab_to(page, "#parts li:first-child button.split")
    page.keyboard.press("Enter")
    expect(page.locator("#parts > li")).to_have_count(4)
    expect(page.locator("#part-1")).to_have_value("为1-3岁婴幼儿家庭提供每年多次的免费社区托育服务。")
    tab_to(page, "#parts li:first-child button.merge")
    page.keyboard.press("Enter")
    expect(page.locator("#parts > li")).to_have_count(3)
    tab_to(page, "#research")
    page.keyboard.press("Enter")
    drafted(page)

    tab_to(page, "#tick-0-0")
    was = page.locator("#tick-0-0").is_checked()
    page.keyboard.press("Space")
    expect(page.locator("#tick-0-0")).to_be_checked(checked=not was)
    assert page.evaluate("document.activeElement.id") == "tick-0-0"  # the list was redrawn; focus stayed

    tab_to(page, "#result-codes input[type=radio]")
    page.keyboard.press("ArrowRight")  # radio buttons move with the arrows: from A to B
    expect(page.locator("#result-B")).to_be_checked()
    tab_to(page, "#export-reply")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    texts = [p.text for p in docx.Document(download.value.path()).paragraphs]
    assert texts[0] == "（B类）" and "李华委员：" in texts
