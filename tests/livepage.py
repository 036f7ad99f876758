"""The staff page's browser tests share these: a live `zhengce serve` over a copy of the corpus index,
and a fresh browser session that fails its test on any script error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from loadtest import cli_env, serve_corpus

READY_TIMEOUT = 300
VIEWPORT = {"width": 1366, "height": 768}


@dataclass
class Live:
    url: str
    var: Path  # the server's var/ folder: index/, uploads/, judgments.jsonl, judgments-eval/
    env: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)


@contextmanager
def live_server(folder: Path, index_dir: Path, embed_cache_path: Path, **settings: str) -> Iterator[Live]:
    """`zhengce serve --index var/index --corpus corpus/` in ``folder`` over a copy of ``index_dir``,
    with ``settings`` (ZHENGCE_* variables) and uploads in var/uploads; warmed by one search, and its
    log checked for tracebacks when it stops."""
    var = folder / "var"
    shutil.copytree(index_dir, var / "index")
    env = cli_env(embed_cache_path, ZHENGCE_UPLOAD_DIR=str(var / "uploads"), **settings)
    log_path = var / "serve.log"
    with serve_corpus(var / "index", env, log_path, READY_TIMEOUT) as (url, _):
        with httpx.Client(base_url=url, timeout=120) as client:  # the first query loads what queries need
            assert client.post("/search", json={"query": "托育"}).status_code == 200
        yield Live(url, var, env)
    assert "Traceback" not in log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def checked_page(browser, url: str, timeout_ms: int, clipboard: bool = False) -> Iterator:
    """A fresh browser session (its own storage, no sign-in) whose test fails on any script error."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True, base_url=url)
    if clipboard:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    context.set_default_timeout(timeout_ms)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors


def unlabelled_controls(page) -> list[str]:
    """Visible form controls without an accessible name (label, aria-label or their own text)."""
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((c) => c.offsetParent !== null && c.type !== 'hidden')
        .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
                       && !(c.tagName === 'BUTTON' && c.textContent.trim()))
        .map((c) => c.outerHTML)""")
