"""Issue 35, items 16-18: marks belong to a key, the page signs in, keys and pages expose nothing.

The real app (TestClient) on the seed index; the sign-in in Debian's Chromium (Playwright) against a
live `zhengce serve` with ZHENGCE_REQUIRE_KEY_FOR_READ, where a browser sends no X-API-Key header.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest
from pydantic import ValidationError

from search_api.settings import Settings
from search_api.uploads import safe_filename

from loadtest import cli_env, serve_corpus, zhengce_command

ADMIN = "identity-admin-key-0123456789"
DESK_A = "identity-desk-a-key-0123456"
DESK_B = "identity-desk-b-key-6543210"
KEYS = {"desk-a": {"key": DESK_A, "role": "read"}, "desk-b": {"key": DESK_B, "role": "read"}}


@pytest.fixture
def client(seed_index_dir, tmp_path, open_app):
    index_dir = tmp_path / "var" / "index"
    shutil.copytree(seed_index_dir, index_dir)
    return open_app(index_dir=index_dir, upload_dir=tmp_path / "var" / "uploads", api_key=ADMIN, api_keys=KEYS,
                    max_judgments_per_hour=20)


def mark(client, passage: dict, relevant: bool, key: str | None, who: str = "张三"):
    cite = passage["citation"]
    body = {"query": "宝宝屋", "doc_id": cite["doc_id"], "char_start": cite["char_start"], "char_end": cite["char_end"],
            "relevant": relevant, "who": who}
    return client.post("/web/api/judgments", json=body, headers={"X-API-Key": key} if key else {})


# 16. judgments


def test_a_mark_needs_a_key_and_each_key_sees_and_changes_only_its_own(client):
    passage = client.post("/search", json={"query": "宝宝屋", "top_k": 1}).json()["passages"][0]
    assert mark(client, passage, True, None).status_code == 401  # reads are open; marks are not
    assert client.get("/web/api/judgments").status_code == 401
    assert mark(client, passage, True, DESK_A).status_code == 201
    made = mark(client, passage, False, DESK_B)  # the same name typed at another desk
    assert made.status_code == 201 and made.json()["api_key"] == "desk-b"
    own = client.get("/web/api/judgments", headers={"X-API-Key": DESK_A}).json()
    assert [(m["api_key"], m["relevant"]) for m in own] == [("desk-a", True)]  # not overwritten by desk-b
    every = client.get("/web/api/judgments", headers={"X-API-Key": ADMIN}).json()
    assert sorted((m["api_key"], m["relevant"]) for m in every) == [("desk-a", True), ("desk-b", False)]


def test_marks_are_capped_per_key(client, tmp_path):
    passage = client.post("/search", json={"query": "宝宝屋", "top_k": 1}).json()["passages"][0]
    answers = [mark(client, passage, i % 2 == 0, DESK_A, who=f"评判人{i}").status_code for i in range(25)]
    assert answers == [201] * 20 + [429] * 5
    assert mark(client, passage, True, DESK_B).status_code == 201  # another key is not held back
    lines = (tmp_path / "var" / "judgments.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["api_key"] for line in lines] == ["desk-a"] * 20 + ["desk-b"]


# 17. sign-in (the session itself; the browser below)


def test_a_signed_in_session_reads_and_a_forged_or_foreign_one_does_not(seed_index_dir, tmp_path, open_app):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)
    client = open_app(index_dir=index_dir, upload_dir=tmp_path / "uploads", api_keys=KEYS, require_key_for_read=True)
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/web/signin?next=%2F"
    assert client.get("/web/static/search.js").status_code == 200  # code, no data
    assert client.post("/web/signin", data={"key": "wrong-key-0123456789", "next": "/"}).status_code == 401
    signed = client.post("/web/signin", data={"key": DESK_A, "next": "//evil.example/"}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/"  # never off this server
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    session = signed.cookies["zhengce_session"]
    client.cookies.set("zhengce_session", session)
    found = client.post("/search", json={"query": "宝宝屋"})
    assert found.status_code == 200 and found.json()["passages"]
    assert client.get("/").status_code == 200
    cross = client.post("/web/api/judgments", json={}, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    client.cookies.set("zhengce_session", session[:-2] + ("AA" if not session.endswith("AA") else "BB"))  # forged
    assert client.post("/search", json={"query": "宝宝屋"}).status_code == 401


# 18. keys, paths, frames, names


@pytest.mark.parametrize("key", ["1", "short-key", "aaaaaaaaaaaaaaaaaaaa", "1234567890123456", "密钥密钥密钥密钥密钥密钥密钥密钥"])
def test_a_weak_or_non_ascii_key_is_refused_at_start(tmp_path, key):
    with pytest.raises(ValidationError, match="API key"):
        Settings(api_key=key)
    with pytest.raises(ValidationError, match="API key"):
        Settings(api_keys={"desk": {"key": key, "role": "write"}})


def test_serve_with_a_guessable_admin_key_exits_with_the_reason(tmp_path, embed_cache_path):
    done = subprocess.run(zhengce_command("serve", "--index", tmp_path / "index"), capture_output=True, text=True,
                          timeout=120, env=cli_env(embed_cache_path, ZHENGCE_API_KEY="1"))
    assert done.returncode == 2 and "API key needs at least 16 characters" in done.stderr, done.stderr


def test_pages_show_server_paths_to_admins_only_and_no_response_can_be_framed(client, tmp_path):
    index_dir = str(tmp_path / "var" / "index")
    anonymous = client.get("/web/evaluation")
    assert anonymous.status_code == 200 and index_dir not in anonymous.text and str(tmp_path) not in anonymous.text
    assert index_dir in client.get("/web/evaluation", headers={"X-API-Key": ADMIN}).text
    for response in (anonymous, client.get("/healthz"), client.post("/search", json={"query": "宝宝屋"}),
                     client.get("/documents/none"), client.get("/web/static/app.css")):
        assert response.headers["x-frame-options"] == "DENY", response.url
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in anonymous.headers["content-security-policy"]


@pytest.mark.parametrize("given, safe", [("\u202etxt.exe", "txt.exe"), ("答复\u200b意见.docx", "答复意见.docx"),
                                         ("通知\u2066.pdf\u2069", "通知.pdf"), ("\ufeff回复.txt", "回复.txt")])
def test_invisible_and_direction_characters_leave_file_names(given, safe):
    assert safe_filename(given) == safe


# 17. the page in a browser


def test_the_page_signs_in_with_a_key_and_then_reads_everything(tmp_path, corpus_index_dir, embed_cache_path):
    pytest.importorskip("playwright")
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no system Chromium: apt-get install chromium fonts-noto-cjk")
    var = tmp_path / "var"
    shutil.copytree(corpus_index_dir, var / "index")
    env = cli_env(embed_cache_path, ZHENGCE_UPLOAD_DIR=str(var / "uploads"), ZHENGCE_REQUIRE_KEY_FOR_READ="true",
                  ZHENGCE_API_KEYS=json.dumps(KEYS))
    with serve_corpus(var / "index", env, var / "serve.log", 300) as (url, _), sync_playwright() as playwright:
        assert httpx.post(url + "/search", json={"query": "宝宝屋"}).status_code == 401
        browser = playwright.chromium.launch(executable_path=chromium)
        context = browser.new_context(base_url=url, locale="zh-CN")
        context.set_default_timeout(60_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/?q=宝宝屋")
        assert "/web/signin" in page.url
        page.get_by_label("密钥", exact=True).fill("not-the-key-0123456789")
        page.get_by_role("button", name="登录").click()
        expect(page.locator("#signin-error")).to_contain_text("密钥不正确")
        page.get_by_label("密钥", exact=True).fill(DESK_A)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("#signed-in")).to_contain_text("desk-a")
        expect(page.locator("#status")).to_contain_text("条结果")  # the search ran with the session
        first = page.locator("#results > li.card").nth(0)
        page.get_by_label("评判人").fill("张三")
        first.get_by_role("button", name="相关", exact=True).click()
        expect(first.get_by_role("button", name="相关", exact=True)).to_have_attribute("aria-pressed", "true")
        first.get_by_role("link").first.click()  # the cited passage in its document
        expect(page.locator("mark, .cited").first).to_be_visible()
        session = next(c for c in context.cookies() if c["name"] == "zhengce_session")
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert "zhengce_session" not in page.evaluate("document.cookie")
        page.get_by_role("button", name="退出").click()
        page.goto("/web/library")
        assert "/web/signin" in page.url
        assert not errors, errors
        browser.close()
    marks = [json.loads(line) for line in (var / "judgments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(m["api_key"], m["who"], m["relevant"]) for m in marks] == [("desk-a", "张三", True)]
