"""Issue 35, items 6-8: no request may freeze the server or starve the searches.

Real app (TestClient) on a small real index for the JSON guards and the CPU share of /similar; the
body deadline at the ASGI level, where a trickled body can be made exactly; a real `zhengce serve`
for request headers sent a byte at a time (uvicorn's own connection handling is what is tested).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eval import loadgen

from loadtest import cli_env, notice_index, notice_text

KEY = "limits-admin-key-0123456789"


@pytest.fixture(scope="module")
def limits_index(tmp_path_factory, e5) -> Path:
    return notice_index(tmp_path_factory.mktemp("limits"), range(8700, 8706), e5)


@pytest.fixture
def make_client(limits_index, tmp_path, open_app):
    copies = itertools.count()

    def make(**overrides) -> TestClient:
        number = next(copies)
        index_dir = tmp_path / f"index-{number}"
        shutil.copytree(limits_index, index_dir)
        return open_app(**{"index_dir": index_dir, "upload_dir": tmp_path / f"uploads-{number}", "api_key": KEY,
                           **overrides})

    return make


def proposal(chars: int = 20_000) -> str:
    """A pasted proposal of ``chars`` characters: many paragraphs, so many parts to embed and compare,
    each new (a part already embedded would come from the server's memory)."""
    paragraphs = itertools.cycle(notice_text(n).replace("\n\n", "") for n in range(8700, 8720))
    text = ""
    for number, paragraph in enumerate(paragraphs):
        text += f"{number + 1}. {paragraph}{uuid.uuid4().hex[:6]}\n"
        if len(text) > chars:
            return text[:chars]
    raise AssertionError("unreachable")


# 6. /similar and searches share the cores


def test_searches_are_answered_while_long_similar_requests_run(make_client):
    """Before: long /similar requests held every query model for their whole embedding, and ordinary
    searches waited for them (four at the 20,000-character maximum: a median of 35 s for a minute).
    Three of 8,000 characters here (each takes seconds alone), so the test takes a minute, not five."""
    client = make_client()
    started = time.perf_counter()
    assert client.post("/similar", json={"text": proposal(8_000)}).status_code == 200
    alone = time.perf_counter() - started
    finished: list[float] = []

    def heavy() -> None:
        assert client.post("/similar", json={"text": proposal(8_000)}).status_code == 200  # nothing cached
        finished.append(time.perf_counter())

    storm = [threading.Thread(target=heavy) for _ in range(3)]
    for thread in storm:
        thread.start()
    time.sleep(min(1.0, alone / 4))
    waits = []
    for _ in range(5):
        begun = time.perf_counter()
        found = client.post("/search", json={"query": f"垃圾分类工作 {uuid.uuid4().hex}", "top_k": 3})
        waits.append(time.perf_counter() - begun)
        assert found.status_code == 200
    searched = time.perf_counter()
    for thread in storm:
        thread.join(600)
    assert sum(at > searched for at in finished) >= 2, "the searches did not run during the storm"
    # each search waited far less than one /similar takes alone (it used to wait for whole ones)
    assert max(waits) < max(0.5, alone / 4), (waits, alone)


# 7. the web page's JSON endpoints


def test_the_web_api_parses_json_as_strictly_as_the_api(make_client):
    client = make_client()
    doc_id = client.get("/documents").json()["documents"][0]["doc_id"]
    mark = ('{"query": "垃圾分类", "doc_id": "' + doc_id + '", "char_start": NaN, "char_end": 5, "relevant": true, '
            '"who": "王"}')
    as_json = {"Content-Type": "application/json", "X-API-Key": KEY}  # a mark needs a key (item 16)
    refused = client.post("/web/api/judgments", content=mark, headers=as_json)
    assert refused.status_code == 422 and "finite" in refused.text
    many_keys = "{" + ",".join(f'"k{i}": 1' for i in range(70_000)) + "}"
    started = time.perf_counter()
    keys = client.post("/web/api/judgments", content=many_keys, headers=as_json)
    assert keys.status_code == 422 and len(keys.content) < 2000 and "object keys" in keys.text
    assert time.perf_counter() - started < 10  # liveness: a million keys froze the server for 52 s
    big = '{"text": "' + "托育" * 8_000_000 + '", "result": {}}'
    too_large = client.post("/web/api/precedents.docx", content=big, headers={"Content-Type": "application/json"})
    assert too_large.status_code == 413, too_large.text[:300]


def test_the_precedent_export_takes_back_a_whole_similar_result(make_client):
    """The page sends /similar's own answer back to be exported: ten documents with their passages and
    citations hold far more keys than a query body may, and must not be refused as hostile."""
    client = make_client()
    text = proposal(3_000)
    result = client.post("/similar", json={"text": text, "top_k": 10}, headers={"X-API-Key": KEY}).json()
    body = json.dumps({"text": text, "result": result}, ensure_ascii=False)
    assert body.count('":') > 200  # more keys than an API query body may hold
    exported = client.post("/web/api/precedents.docx", content=body.encode(), headers={"Content-Type": "application/json"})
    assert exported.status_code == 200, exported.text[:300]
    assert exported.content[:2] == b"PK"
    hostile = "{" + ",".join(f'"k{i}": 1' for i in range(70_000)) + "}"
    refused = client.post("/web/api/precedents.docx", content=hostile, headers={"Content-Type": "application/json"})
    assert refused.status_code == 422 and "object keys" in refused.text


# 8. deadlines for bodies and headers


def test_a_body_trickled_a_byte_at_a_time_gets_408_at_its_deadline(make_client):
    """Each piece arrives well within the per-piece timeout; the whole body never does."""
    client = make_client(body_timeout_s=5, body_deadline_s=1)
    app = client.app

    async def call() -> int:
        sent = []

        async def send(message):
            sent.append(message)

        async def trickle():
            await asyncio.sleep(0.05)
            return {"type": "http.request", "body": b" ", "more_body": True}

        scope = {"type": "http", "method": "POST", "path": "/search", "raw_path": b"/search", "query_string": b"",
                 "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000000")],
                 "client": ("127.0.0.1", 1), "server": ("t", 80), "scheme": "http", "http_version": "1.1",
                 "root_path": "", "app": app, "state": {}}
        await asyncio.wait_for(app(scope, trickle, send), 20)
        return next(m["status"] for m in sent if m["type"] == "http.response.start")

    assert asyncio.run(call()) == 408


def test_request_headers_sent_a_byte_at_a_time_are_cut_off(tmp_path, limits_index, embed_cache_path):
    index_dir = tmp_path / "index"
    shutil.copytree(limits_index, index_dir)
    env = cli_env(embed_cache_path, ZHENGCE_HEADER_TIMEOUT_S="1", ZHENGCE_QUERY_WORKERS="1",
                  ZHENGCE_UPLOAD_DIR=str(tmp_path / "uploads"))
    with loadgen.live_server(index_dir, env, tmp_path / "serve.log", cwd=tmp_path) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            begun = time.monotonic()
            answer = b""
            while time.monotonic() - begun < 8:
                try:
                    slow.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    break  # closed by the server
                slow.settimeout(0.3)
                try:
                    chunk = slow.recv(4096)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                answer += chunk
            assert time.monotonic() - begun < 5, "the server kept a connection whose headers never ended"
            assert answer.startswith(b"HTTP/1.1 408"), answer
        with socket.create_connection((host, int(port)), timeout=10) as normal:  # others are served as before
            normal.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert normal.recv(4096).startswith(b"HTTP/1.1 200")
