"""The real `zhengce serve`, as `make serve` runs it, on 127.0.0.1: it indexes corpus/ into an empty
index folder, serves it with uvicorn, answers over HTTP with citations that verify, and stops cleanly.

The session's corpus index (conftest) has already put every passage of corpus/ into the embedding
cache the server is pointed at, so the server's own indexing reads vectors instead of computing them.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx

from conftest import SEED_000
from loadtest import cli_env, serve_corpus

READY_TIMEOUT = 300  # loading the model twice (index refresh, then the app) on a busy 2-core machine
BODY_LIMIT = 65536  # ZHENGCE_MAX_BODY_BYTES for this server: well above any valid query (2000 characters)


def verify(client: httpx.Client, citation: dict, quote: str) -> None:
    document = client.get(f"/documents/{citation['doc_id']}")
    assert document.status_code == 200, document.text
    assert document.json()["text"][citation["char_start"] : citation["char_end"]] == quote


def test_make_serve_indexes_the_corpus_and_answers_over_http(tmp_path, corpus_index_dir, embed_cache_path):
    from indexer.index.local import LocalIndex

    expected = LocalIndex.load(corpus_index_dir)
    log_path = tmp_path / "serve.log"
    env = cli_env(embed_cache_path, ZHENGCE_MAX_BODY_BYTES=str(BODY_LIMIT))
    with serve_corpus(tmp_path / "index", env, log_path, READY_TIMEOUT) as (base_url, server):
        with httpx.Client(base_url=base_url, timeout=60) as client:
            ready = client.get("/readyz").json()
            assert (ready["documents"], ready["chunks"]) == (len(expected.documents), len(expected.chunks))

            response = client.post("/search", json={"query": "社区托育服务 宝宝屋", "top_k": 5})
            assert response.status_code == 200, response.text
            passages = response.json()["passages"]
            assert [p["rank"] for p in passages] == [1, 2, 3, 4, 5]
            for passage in passages:
                verify(client, passage["citation"], passage["text"])

            question = "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务"
            answer = client.post("/ask", json={"question": question}).json()
            best = answer["sentences"][0]
            assert "12次" in best["text"] and best["citation"]["source"] == SEED_000.name
            for sentence in answer["sentences"]:
                verify(client, sentence["citation"], sentence["text"])

            def streamed() -> Iterator[bytes]:  # no Content-Length: sent with chunked transfer encoding
                yield b'{"query": "'
                yield "托育".encode() * BODY_LIMIT
                yield b'"}'

            refused = client.post("/search", content=streamed(), headers={"Content-Type": "application/json"})
            assert refused.status_code == 413 and str(BODY_LIMIT) in refused.json()["detail"]

        server.terminate()  # SIGTERM, as a service manager stops it: uvicorn shuts down gracefully
        server.wait(timeout=60)
        assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Application shutdown complete" in log, log
    assert "Traceback" not in log, log
