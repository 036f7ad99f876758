"""`zhengce serve --workers N`: N processes on one port and one index, one writer among them.

Each worker is a whole service; they share the writer slot and say which generation they serve
through files in the upload folder (search_api/workers.py). What a user must not notice: which
worker answers. An upload or delete that says done is what every worker serves next.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from eval import loadgen
from indexer.errors import IndexBusy
from search_api.jobs import Jobs
from search_api.workers import Workers

from loadtest import cli_env, notice_text

KEY = "workers-test-key-0123456789"
HEADERS = {"X-API-Key": KEY}


def fresh(url: str, method: str, path: str, **kwargs) -> httpx.Response:
    """One request on a connection of its own, so that any worker may take it."""
    with httpx.Client(base_url=url, timeout=120, headers={"Connection": "close"}) as client:
        return client.request(method, path, **kwargs)


def wait_done(url: str, job_id: str) -> dict:
    deadline = time.monotonic() + 300
    while True:
        job = fresh(url, "GET", f"/jobs/{job_id}", headers=HEADERS).json()
        if job["state"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def test_two_workers_answer_alike_after_every_write_and_stop_when_their_supervisor_is_killed(
    tmp_path, corpus_index_dir, embed_cache_path
):
    index_dir = tmp_path / "index"
    shutil.copytree(corpus_index_dir, index_dir)
    env = cli_env(embed_cache_path, ZHENGCE_API_KEY=KEY, ZHENGCE_UPLOAD_DIR=str(tmp_path / "uploads"),
                  ZHENGCE_WORKERS="2", ZHENGCE_QUERY_WORKERS="1", ZHENGCE_RELOAD_POLL_S="0.5")
    log_path = tmp_path / "serve.log"
    with loadgen.live_server(index_dir, env, log_path, cwd=tmp_path) as server:
        pids: set[int] = set()
        deadline = time.monotonic() + 120
        while len(pids) < 2:  # the second worker may still be loading when the first says ready
            ready = fresh(server.url, "GET", "/readyz")
            if ready.status_code == 200:
                pids.add(ready.json()["worker_pid"])
            assert time.monotonic() < deadline, f"only workers {pids} answered"
        assert server.process.pid not in pids  # the supervisor serves nothing itself
        documents_before = ready.json()["documents"]

        # four uploads at once on four connections: the workers take them, one writer at a time
        def upload(number: int) -> dict:
            files = [("files", (f"通知{number}.txt", notice_text(number).encode()))]
            accepted = fresh(server.url, "POST", "/documents", headers=HEADERS, files=files)
            assert accepted.status_code == 202, accepted.text
            return wait_done(server.url, accepted.json()["job_id"])

        with ThreadPoolExecutor(4) as pool:
            jobs = list(pool.map(upload, [9101, 9102, 9103, 9104]))
        assert [job["state"] for job in jobs] == ["done"] * 4, jobs
        added = [job["files"][0]["doc_id"] for job in jobs]
        assert all(job["files"][0]["status"] == "added" for job in jobs)

        # as soon as the jobs say done, every worker serves all four documents
        seen = set()
        for _ in range(30):
            ready = fresh(server.url, "GET", "/readyz").json()
            seen.add(ready["worker_pid"])
            assert ready["documents"] == documents_before + 4, ready
            for doc_id in added:
                assert fresh(server.url, "GET", f"/documents/{doc_id}").status_code == 200
        assert seen == pids

        deleted = fresh(server.url, "DELETE", f"/documents/{added[0]}", headers=HEADERS)
        assert deleted.status_code == 200, deleted.text
        for _ in range(20):  # and a deletion that said done is gone from every worker
            assert fresh(server.url, "GET", f"/documents/{added[0]}").status_code == 404

        server.process.kill()  # SIGKILL: no chance to stop its workers itself
        server.process.wait()
        deadline = time.monotonic() + 30
        while alive := [pid for pid in pids if psutil.pid_exists(pid) and
                        psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]:
            assert time.monotonic() < deadline, f"workers {alive} outlived their supervisor"
            time.sleep(0.2)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log
    assert log.count("supervising zhengce serve is gone") == 2, log


def _hold_writer(folder: Path, held: multiprocessing.Event, release: multiprocessing.Event) -> None:
    with Workers(folder).writer(wait_s=5):
        held.set()
        release.wait(30)


def test_the_writer_slot_is_one_across_processes(tmp_path):
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    other = context.Process(target=_hold_writer, args=(tmp_path, held, release))
    other.start()
    try:
        assert held.wait(60)
        with pytest.raises(IndexBusy, match="another server worker"), Workers(tmp_path).writer(wait_s=0.3):
            pass
        release.set()
        with Workers(tmp_path).writer(wait_s=30):  # free again once the other process let go
            pass
    finally:
        release.set()
        other.join(30)


def test_a_starting_worker_leaves_the_jobs_of_a_live_sibling_alone(tmp_path):
    from search_api import schemas

    upload = tmp_path / "abcdef0123456789" / "a.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text("x")
    sibling = Jobs(tmp_path, lambda *_: None)  # accepts a job, not started: it stays queued
    job = sibling.submit([schemas.FileOutcome(file="a.txt", status="pending")], [upload], {})

    settle = {"indexed": lambda _: False, "gone": lambda _: False, "audit": lambda *_: None}
    assert Jobs(tmp_path, lambda *_: None).recover(**settle) == []
    assert sibling.get(job.job_id).state == "queued" and upload.exists()

    record = tmp_path / ".jobs" / f"{job.job_id}.json"  # the same job, left by a process that is gone
    gone = json.loads(record.read_text())
    gone["owner"] = {"pid": os.getpid(), "started": 0.0}
    record.write_text(json.dumps(gone))
    assert Jobs(tmp_path, lambda *_: None).recover(**settle) == [job.job_id]
    assert sibling.get(job.job_id).state == "failed" and not upload.exists()


def test_connections_to_the_shared_port_have_nagle_off():
    """uvicorn binds a worker port without a protocol, so asyncio left Nagle's algorithm on and each
    response of a worker waited about 40 ms for a delayed ACK; the port zhengce serve binds is TCP
    with TCP_NODELAY, which the accepted connections keep."""
    import socket

    from indexer.cli.serve import listening_socket

    with listening_socket("127.0.0.1", 0) as shared:
        shared.listen()
        with socket.create_connection(shared.getsockname()):
            accepted, _ = shared.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_a_server_runs_numpys_blas_on_one_thread(tmp_path, corpus_index_dir, e5):
    """numpy's OpenBLAS kept its two threads in the server (OMP_NUM_THREADS was set after numpy had
    loaded): one search on 118k chunks used 1.9 cores spinning, and 8 clients got 1.4x the
    throughput of one instead of 1.9x. (The OpenMP pools of FAISS and the model take
    OMP_NUM_THREADS=1 when they load, which a worker process sets first.)"""
    from fastapi.testclient import TestClient
    from threadpoolctl import threadpool_info

    from search_api.app import create_app
    from search_api.settings import Settings

    shutil.copytree(corpus_index_dir, tmp_path / "index")
    app = create_app(Settings(index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads"), embedder=e5)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        threaded = [pool for pool in threadpool_info() if pool.get("threading_layer") == "pthreads"]
        assert threaded, threadpool_info()  # numpy's own OpenBLAS
        assert all(pool["num_threads"] == 1 for pool in threaded), threaded
