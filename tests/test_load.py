"""Load: 20 concurrent searchers against a live `zhengce serve`, first alone, then while one client
uploads documents back to back.

Run with `make test-slow` (or `.venv/bin/pytest -q -s -m slow tests/test_load.py`). Each phase lasts
ZHENGCE_LOAD_SECONDS (default 60) or ZHENGCE_LOAD_MAX_REQUESTS searches, whichever ends first. Reads
never wait for writes, so the search p95 with the uploader running stays within 2x of the p95
without it (a ratio measured in one run, on one machine); every answer's citations are verified.
The figures are printed (use -s to see them).
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
CLIENTS = 20
API_KEY = "load-test-key-0123456"
UPLOADS = list(range(90001, 90601))  # more than a phase can upload: the uploader never idles
P95_RATIO = 2.0


def queries() -> list[str]:
    """Topical questions (the model embeds each once, then the cache answers) and exact codes."""
    topical = [f"{topic}工作有哪些要求" for topic in TOPICS] + [f"第{n}号通知 {TOPICS[n % 10]}" for n in range(40)]
    return topical + [notice_code(n) for n in range(0, 40, 3)]


@pytest.mark.slow
def test_searches_keep_their_latency_and_never_fail_while_uploads_land(
    tmp_path: Path, embed_cache_path: Path, e5
) -> None:
    from indexer.index.writer import update_index

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_notices(corpus, range(40))
    update_index([corpus], index_dir, embedder=e5, progress=False)
    env = cli_env(embed_cache_path, ZHENGCE_API_KEY=API_KEY, ZHENGCE_UPLOAD_DIR=str(tmp_path / "uploads"))

    def phase(base_url: str, uploads: list[int]):
        return asyncio.run(run_load(base_url, clients=CLIENTS, seconds=SECONDS, max_requests=MAX_REQUESTS,
                                    queries=queries(), api_key=API_KEY, upload_numbers=uploads))

    with live_server(index_dir, env, tmp_path / "server.log") as base_url:
        alone = phase(base_url, [])
        before = httpx.get(base_url + "/readyz").json()
        loaded = phase(base_url, UPLOADS)
        after = httpx.get(base_url + "/readyz").json()
    p95_alone, p95_loaded = alone.stats()["p95_ms"], loaded.stats()["p95_ms"]
    print(f"\nload: {CLIENTS} searchers alone: {alone.summary()}"
          f"\nload: {CLIENTS} searchers + 1 uploader: {loaded.summary()}"
          f"\nload: p95 {p95_loaded:.0f} ms with the uploader / {p95_alone:.0f} ms without = "
          f"{p95_loaded / p95_alone:.2f}x (limit {P95_RATIO}x)")

    for result in (alone, loaded):
        assert result.errors == [], "\n".join(result.errors[:20])
        assert len(result.latencies) >= CLIENTS and result.hits_checked >= len(result.latencies)
    assert len(loaded.uploaded) >= 2, "fewer than two uploads completed during the run"
    assert after["documents"] == before["documents"] + len(loaded.uploaded)
    assert after["generation"] > before["generation"]
    for earlier, later in zip(loaded.readiness, loaded.readiness[1:]):
        assert later[0] >= earlier[0] and later[1] >= earlier[1], f"/readyz counts went back: {earlier} -> {later}"
    assert p95_loaded <= P95_RATIO * p95_alone, "searches waited for the uploads"
