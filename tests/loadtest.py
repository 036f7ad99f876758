"""Helpers of the reliability and load tests: tiny notices, the real CLI, a live server, a load run.

The notices are a few sentences each because embedding is slow: what these tests exercise is
the machinery around the model (locks, generations, concurrency), not retrieval quality. Each
notice carries a registration code (ZC00012) that only it contains, so a lexical search for the
code finds exactly that notice.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eval import loadgen
from eval.loadgen import free_port as free_port  # re-exported for the live-server tests

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


def notice_index(folder: Path, numbers: range | list[int], embedder) -> Path:
    """``folder``/index: an index of the ``numbers`` notices, written to ``folder``/corpus."""
    from indexer.update.folder import update_index

    corpus = folder / "corpus"
    write_notices(corpus, numbers)
    update_index([corpus], folder / "index", embedder=embedder, progress=False)
    return folder / "index"


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


@contextmanager
def serve_corpus(index_dir: Path, env: dict[str, str], log_path: Path, timeout: float) -> Iterator[tuple[str, subprocess.Popen]]:
    """`zhengce serve --index --corpus corpus/` on 127.0.0.1 and a free port, as `make serve` runs it,
    in ``log_path``'s folder; yields its URL and process once /readyz says ready, and stops the server
    on leaving unless the test already did."""
    port = free_port()
    command = zhengce_command(
        "serve", "--index", index_dir, "--corpus", REPO / "corpus", "--host", "127.0.0.1", "--port", str(port)
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=log_path.parent)
    try:
        url = f"http://127.0.0.1:{port}"
        loadgen.wait_ready(url, process, log_path, timeout)
        yield url, process
    finally:
        if process.poll() is None:
            loadgen.stop_server(process)


@contextmanager
def live_server(index_dir: Path, env: dict[str, str], log_path: Path, timeout: float = 180) -> Iterator[str]:
    """`zhengce serve` on 127.0.0.1 and a free port; yields its base URL once /readyz says ready."""
    with loadgen.live_server(index_dir, env, log_path, timeout_s=timeout, cwd=index_dir.parent) as server:
        yield server.url


def finished_job(client: httpx.Client, response: httpx.Response, headers: dict[str, str]) -> dict:
    """The job a POST /documents answered 202 with, polled at GET /jobs/{id} until it is done or failed."""
    assert response.status_code == 202, response.text
    job = response.json()
    deadline = time.monotonic() + 300
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = client.get(f"/jobs/{job['job_id']}", headers=headers).json()
    return job


# ----------------------------------------------------------------------------- the load run


@dataclass
class LoadResult(loadgen.LoadResult):
    """The load generator's counts plus what the load test checks besides the searches."""

    hits_checked: int = 0  # citations verified against GET /documents/{doc_id}
    readiness: list[tuple[int, int]] = field(default_factory=list)  # (documents, chunks) as polled
    uploaded: list[str] = field(default_factory=list)  # doc_ids uploaded during the run

    def summary(self) -> str:
        return f"{super().summary()}; {self.hits_checked} citations verified; {len(self.uploaded)} uploads"


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


def citation_check(documents: _Documents, result: LoadResult) -> loadgen.Check:
    """Each answer has passages, ranked 1..n, whose quotes are where their citations point."""

    async def check(query: str, response: httpx.Response) -> str | None:
        passages = response.json().get("passages")
        if not passages:
            return f"no passages in {response.text[:200]}"
        wrong = []
        for rank, passage in enumerate(passages, start=1):
            cite = passage["citation"]
            text = await documents.text(cite["doc_id"])
            quoted = None if text is None else text[cite["char_start"] : cite["char_end"]]
            if passage["rank"] != rank or quoted != passage["text"]:
                wrong.append(f"passage {rank} does not verify: {cite}")
            else:
                result.hits_checked += 1
        return "; ".join(wrong) or None

    return check


async def _uploader(
    client: httpx.AsyncClient, api_key: str, numbers: list[int], result: LoadResult, stop: asyncio.Event,
) -> None:
    """Uploads notices one after another until the searchers stop; each must be searchable as soon
    as its job says done."""
    for number in numbers:
        if stop.is_set():
            return
        files = {"files": (f"上传 通知 {number}.txt", notice_text(number).encode("utf-8"), "text/plain")}
        headers = {"X-API-Key": api_key}
        response = await client.post("/documents", files=files, headers=headers)
        job = response.json() if response.status_code == 202 else {"state": "failed"}
        while job["state"] in ("queued", "running"):
            await asyncio.sleep(0.1)
            job = (await client.get(f"/jobs/{job['job_id']}", headers=headers)).json()
        if job["state"] != "done" or [f["status"] for f in job["files"]] != ["added"]:
            result.errors.append(f"upload {number}: HTTP {response.status_code} {response.text[:300]} -> {job}")
            continue
        doc_id = job["files"][0]["doc_id"]
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
    """``clients`` searchers for ``seconds`` (or ``max_requests`` searches), while one client uploads
    the ``upload_numbers`` notices back to back (none: the searchers alone)."""
    result = LoadResult()
    stop = asyncio.Event()
    async with loadgen.open_client(base_url, clients + 4) as client:
        background = [
            asyncio.create_task(_uploader(client, api_key, upload_numbers, result, stop)),
            asyncio.create_task(_readiness_watcher(client, result, stop)),
        ]
        await loadgen.search_load(
            client, queries, clients=clients, max_requests=max_requests, seconds=seconds,
            body=lambda query: {"query": query, "top_k": 5}, check=citation_check(_Documents(client), result),
            into=result,
        )
        stop.set()
        await asyncio.gather(*background)
    return result
