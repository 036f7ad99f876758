"""Load: 50 concurrent searchers against a live `zhengce serve` while documents are uploaded.

Run with `make test-slow` (or `.venv/bin/pytest -q -m slow tests/test_load.py`). It lasts
ZHENGCE_LOAD_SECONDS (default 60) or ZHENGCE_LOAD_MAX_REQUESTS searches, whichever ends first;
the latency percentiles and request rate are printed (use -s to see them), never asserted.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from loadtest import TOPICS, cli_env, live_server, notice_code, run_load, write_notices

SECONDS = float(os.environ.get("ZHENGCE_LOAD_SECONDS", "60"))
MAX_REQUESTS = int(os.environ.get("ZHENGCE_LOAD_MAX_REQUESTS", "100000"))
CLIENTS = 50
API_KEY = "load-test-key"
UPLOADS = [90001, 90002, 90003]


def queries() -> list[str]:
    """Topical questions (the model embeds each once, then the cache answers) and exact codes."""
    topical = [f"{topic}工作有哪些要求" for topic in TOPICS] + [f"第{n}号通知 {TOPICS[n % 10]}" for n in range(40)]
    return topical + [notice_code(n) for n in range(0, 40, 3)]


@pytest.mark.slow
def test_concurrent_searches_never_fail_or_see_a_half_built_index_while_uploads_land(
    tmp_path: Path, embed_cache_path: Path, e5
) -> None:
    from indexer.index.writer import update_index

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_notices(corpus, range(40))
    update_index([corpus], index_dir, embedder=e5, progress=False)
    env = cli_env(embed_cache_path, ZHENGCE_API_KEY=API_KEY, ZHENGCE_UPLOAD_DIR=str(tmp_path / "uploads"))

    with live_server(index_dir, env, tmp_path / "server.log") as base_url:
        before = httpx.get(base_url + "/readyz").json()
        result = asyncio.run(run_load(
            base_url, clients=CLIENTS, seconds=SECONDS, max_requests=MAX_REQUESTS, queries=queries(),
            api_key=API_KEY, upload_numbers=UPLOADS,
        ))
        after = httpx.get(base_url + "/readyz").json()
    print(f"\nload: {CLIENTS} clients, {result.summary()}")

    assert result.errors == [], "\n".join(result.errors[:20])
    assert len(result.latencies) >= CLIENTS and result.hits_checked >= len(result.latencies)
    assert result.uploaded, "no upload completed during the run"
    assert after["documents"] == before["documents"] + len(result.uploaded)
    assert after["generation"] > before["generation"]
    for earlier, later in zip(result.readiness, result.readiness[1:]):
        assert later[0] >= earlier[0] and later[1] >= earlier[1], f"/readyz counts went back: {earlier} -> {later}"
    assert result.readiness[0][0] == before["documents"] and result.readiness[-1][0] <= after["documents"]
