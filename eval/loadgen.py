"""The one HTTP load generator: a live `zhengce serve` and concurrent POST /search clients.

Used by the bench's "http" section (throughput and latency per number of clients) and by the
load test (tests/loadtest.py: the same clients, each answer checked, while documents are uploaded).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.bench.timing import latency_stats

# a check of one 200 answer: None when it is right, else what is wrong with it
Check = Callable[[str, httpx.Response], Awaitable[str | None]]
FAILED_CHECK = "200, failed check"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_server(process: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM for a clean uvicorn shutdown, SIGKILL if it does not come within ``grace_s``."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    ready_s: float  # from start until /readyz answered 200


@contextmanager
def live_server(
    index_dir: Path, env: dict[str, str], log_path: Path, *, timeout_s: float = 300, cwd: Path | None = None,
) -> Iterator[Server]:
    """`zhengce serve --index` on 127.0.0.1 and a free port, output to ``log_path``; yields once
    /readyz says ready, and stops the server on leaving."""
    port = free_port()
    command = [sys.executable, "-m", "indexer.cli", "serve", "--index", str(index_dir),
               "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            ready_s = wait_ready(url, process, log_path, timeout_s)
            yield Server(url, process, ready_s)
        finally:
            stop_server(process)


def wait_ready(url: str, process: subprocess.Popen, log_path: Path, timeout_s: float) -> float:
    started = time.perf_counter()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"zhengce serve exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"zhengce serve not ready after {timeout_s:.0f} s:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.2)


@dataclass
class LoadResult:
    """What a load run saw: every outcome counted, every failure described."""

    clients: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, answers that were 200 and passed the check
    outcomes: Counter[str] = field(default_factory=Counter)  # "200", "503", "ReadTimeout", FAILED_CHECK
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def stats(self) -> dict[str, Any]:
        ok = self.outcomes.get("200", 0)
        return {"clients": self.clients, "requests": sum(self.outcomes.values()), "ok": ok,
                "outcomes": dict(self.outcomes), "seconds": round(self.seconds, 3),
                "requests_per_second": round(ok / self.seconds, 2) if self.seconds else None,
                **latency_stats(self.latencies)}

    def summary(self) -> str:
        stats = self.stats()
        latency = (f"p50 {stats['p50_ms']:.0f} ms, p95 {stats['p95_ms']:.0f} ms, p99 {stats['p99_ms']:.0f} ms, "
                   f"max {max(self.latencies) * 1000:.0f} ms" if self.latencies else "none")
        return (f"{stats['ok']} searches in {self.seconds:.1f} s = {stats['requests_per_second'] or 0:.1f} req/s; "
                f"latency {latency}; {len(self.errors)} errors")

    def failed(self, outcome: str, error: str) -> None:
        self.outcomes[outcome] += 1
        self.errors.append(error)


def open_client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits)


def search_body(query: str) -> dict[str, Any]:
    return {"query": query, "top_k": 10, "mode": "hybrid"}


async def search_load(
    client: httpx.AsyncClient, queries: Sequence[str], *, clients: int, max_requests: int, seconds: float,
    body: Callable[[str], dict[str, Any]] = search_body, check: Check | None = None, into: LoadResult | None = None,
) -> LoadResult:
    """``clients`` concurrent POST /search loops, the queries in turn, until ``max_requests`` were
    sent or ``seconds`` passed; requests in flight are awaited. Latency is the search request's
    alone, not its check's."""
    result = into if into is not None else LoadResult()
    result.clients = clients
    sent = 0
    deadline = time.perf_counter() + seconds

    async def client_loop() -> None:
        nonlocal sent
        while sent < max_requests and time.perf_counter() < deadline:
            query = queries[sent % len(queries)]
            sent += 1
            started = time.perf_counter()
            try:
                response = await client.post("/search", json=body(query))
            except httpx.HTTPError as error:
                result.failed(type(error).__name__, f"search {query!r}: {type(error).__name__}: {error}")
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                result.failed(str(response.status_code),
                              f"search {query!r}: HTTP {response.status_code} {response.text[:200]}")
                continue
            problem = await check(query, response) if check is not None else None
            if problem is not None:
                result.failed(FAILED_CHECK, f"search {query!r}: {problem}")
                continue
            result.outcomes["200"] += 1
            result.latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    return result
