"""Helpers of the reliability and load tests: tiny notices, the real CLI, a live server, a load run.

The notices are a few sentences each because embedding is slow: what these tests exercise is
the machinery around the model (locks, generations, concurrency), not retrieval quality. Each
notice carries a registration code (ZC00012) that only it contains, so a lexical search for the
code finds exactly that notice.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eval.bench import stop_server

REPO = Path(__file__).resolve().parents[1]
TOPICS = ("托育服务", "垃圾分类", "河道治理", "老年助餐", "消防安全", "义务教育", "医疗保障", "公共交通", "旧区改造", "就业援助")


def notice_code(number: int) -> str:
    return f"ZC{number:05d}"


def notice_text(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return (
        f"关于做好{topic}工作的第{number}号通知\n\n"
        f"各街道办事处、镇政府：为推进{topic}工作，现将有关事项通知如下。"
        f"本通知的登记编号为{notice_code(number)}，请各单位按照要求认真落实。"
    )


def write_notices(folder: Path, numbers: range | list[int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in numbers:
        path = folder / f"notice-{number:05d}.txt"
        path.write_text(notice_text(number), encoding="utf-8")
        paths.append(path)
    return paths


def zhengce_command(*args: str) -> list[str]:
    """The installed `zhengce` entry point of this interpreter's environment."""
    script = Path(sys.executable).with_name("zhengce")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "indexer.cli"]
    return [*prefix, *map(str, args)]


def cli_env(embed_cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI run: the test session's embedding cache, no inherited limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGCE_")}
    env["ZHENGCE_EMBED_CACHE"] = str(embed_cache)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_server(index_dir: Path, env: dict[str, str], log_path: Path, timeout: float = 180) -> Iterator[str]:
    """`zhengce serve` on 127.0.0.1 and a free port; yields its base URL once /readyz says ready."""
    port = free_port()
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            zhengce_command("serve", "--index", index_dir, "--host", "127.0.0.1", "--port", str(port)),
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=index_dir.parent,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"zhengce serve exited with {server.returncode}:\n{log_path.read_text()}")
                try:
                    if httpx.get(base_url + "/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"server not ready after {timeout} s:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield base_url
        finally:
            stop_server(server)


# ----------------------------------------------------------------------------- the load run


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful searches
    errors: list[str] = field(default_factory=list)  # every failure, described
    hits_checked: int = 0  # citations verified against GET /documents/{doc_id}
    readiness: list[tuple[int, int]] = field(default_factory=list)  # (documents, chunks) as polled
    uploaded: list[str] = field(default_factory=list)  # doc_ids uploaded during the run
    seconds: float = 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    def summary(self) -> str:
        count = len(self.latencies)
        return (
            f"{count} searches in {self.seconds:.1f} s = {count / max(self.seconds, 1e-9):.1f} req/s; "
            f"latency p50 {self.percentile(0.50) * 1000:.0f} ms, p95 {self.percentile(0.95) * 1000:.0f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.0f} ms, max {max(self.latencies, default=0) * 1000:.0f} ms; "
            f"{self.hits_checked} citations verified; {len(self.uploaded)} uploads; {len(self.errors)} errors"
        )


class _Documents:
    """Cleaned texts fetched once per doc_id: a doc_id is a content hash, so its text never changes."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.texts: dict[str, asyncio.Future[str | None]] = {}

    async def text(self, doc_id: str) -> str | None:
        if doc_id not in self.texts:
            self.texts[doc_id] = asyncio.ensure_future(self._fetch(doc_id))
        return await self.texts[doc_id]

    async def _fetch(self, doc_id: str) -> str | None:
        response = await self.client.get(f"/documents/{doc_id}")
        return response.json()["text"] if response.status_code == 200 else None


async def _searcher(
    client: httpx.AsyncClient, documents: _Documents, queries: list[str], offset: int, result: LoadResult,
    stop: asyncio.Event, budget: list[int],
) -> None:
    turn = offset
    while not stop.is_set() and budget[0] > 0:
        budget[0] -= 1
        query = queries[turn % len(queries)]
        turn += 1
        started = time.perf_counter()
        try:
            response = await client.post("/search", json={"query": query, "top_k": 5})
        except httpx.HTTPError as error:
            result.errors.append(f"search {query!r}: {type(error).__name__}: {error}")
            continue
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            result.errors.append(f"search {query!r}: HTTP {response.status_code} {response.text[:200]}")
            continue
        passages = response.json().get("passages")
        if not passages:
            result.errors.append(f"search {query!r}: no passages in {response.text[:200]}")
            continue
        result.latencies.append(elapsed)
        for rank, passage in enumerate(passages, start=1):
            cite = passage["citation"]
            text = await documents.text(cite["doc_id"])
            quoted = None if text is None else text[cite["char_start"] : cite["char_end"]]
            if passage["rank"] != rank or quoted != passage["text"]:
                result.errors.append(f"search {query!r}: passage {rank} does not verify: {cite}")
            else:
                result.hits_checked += 1


async def _uploader(
    client: httpx.AsyncClient, api_key: str, numbers: list[int], result: LoadResult, stop: asyncio.Event,
    pause: float,
) -> None:
    """Uploads notices one by one; each must be searchable as soon as its upload returns."""
    for number in numbers:
        await asyncio.sleep(pause)
        if stop.is_set():
            return
        files = {"files": (f"上传 通知 {number}.txt", notice_text(number).encode("utf-8"), "text/plain")}
        response = await client.post("/documents", files=files, headers={"X-API-Key": api_key})
        if response.status_code != 200 or len(response.json()["indexed"]) != 1:
            result.errors.append(f"upload {number}: HTTP {response.status_code} {response.text[:300]}")
            continue
        doc_id = response.json()["indexed"][0]["doc_id"]
        result.uploaded.append(doc_id)
        found = await client.post("/search", json={"query": notice_code(number), "top_k": 1, "mode": "lexical"})
        passages = found.json()["passages"] if found.status_code == 200 else []
        if not passages or passages[0]["citation"]["doc_id"] != doc_id:
            result.errors.append(f"upload {number}: not the top hit for its code after the upload: {found.text[:200]}")


async def _readiness_watcher(client: httpx.AsyncClient, result: LoadResult, stop: asyncio.Event) -> None:
    while not stop.is_set():
        response = await client.get("/readyz")
        if response.status_code != 200:
            result.errors.append(f"readyz: HTTP {response.status_code} {response.text[:200]}")
        else:
            body = response.json()
            result.readiness.append((body["documents"], body["chunks"]))
        await asyncio.sleep(0.25)


async def run_load(
    base_url: str, *, clients: int, seconds: float, max_requests: int, queries: list[str], api_key: str,
    upload_numbers: list[int],
) -> LoadResult:
    """``clients`` searchers for ``seconds`` (or ``max_requests`` searches), while one client uploads."""
    result = LoadResult()
    stop = asyncio.Event()
    budget = [max_requests]
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        documents = _Documents(client)
        started = time.perf_counter()
        pause = seconds / (len(upload_numbers) + 1)
        tasks = [
            asyncio.create_task(_searcher(client, documents, queries, i, result, stop, budget)) for i in range(clients)
        ]
        background = [
            asyncio.create_task(_uploader(client, api_key, upload_numbers, result, stop, pause)),
            asyncio.create_task(_readiness_watcher(client, result, stop)),
        ]
        await asyncio.wait(tasks, timeout=seconds)
        stop.set()
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - started
        await asyncio.gather(*background)
    return result
