"""The MCP tools through the official SDK's own client, over stdio (`zhengce mcp`) and over streamable
HTTP (/mcp beside the API): read-only tools with citations, keys and roles, and the audit log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from search_api.audit import read_entries

from conftest import REPO
from llmserve import free_port

READ_KEY = "desk-read-key-0123456789"
WRITE_KEY = "desk-write-key-0123456789"
KEYS = {"desk": {"key": READ_KEY, "role": "read"}, "uploader": {"key": WRITE_KEY, "role": "write"}}
TOOLS = {"search", "ask", "find_precedents", "get_document"}
QUESTION = "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务"


@pytest.fixture
def index_copy(seed_index_dir, tmp_path) -> Path:
    index = tmp_path / "index"
    shutil.copytree(seed_index_dir, index)
    return index


def stdio_env(index: Path, tmp_path: Path, embed_cache_path: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": str(REPO), "ZHENGCE_INDEX_DIR": str(index), "ZHENGCE_UPLOAD_DIR": str(tmp_path / "uploads"),
            "ZHENGCE_AUDIT_DIR": str(tmp_path / "audit"), "ZHENGCE_AUDIT_SEARCHES": "true",
            "ZHENGCE_EMBED_CACHE": str(embed_cache_path), "ZHENGCE_API_KEYS": json.dumps(KEYS),
            "ZHENGCE_REQUIRE_KEY_FOR_READ": "true", **extra}


async def exercise(client: Client) -> dict[str, dict]:
    """Every tool once; what each returned (its structured content)."""
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    assert all(t.annotations is not None and t.annotations.read_only_hint for t in tools)  # read-only, declared
    out = {}
    for name, arguments in (("search", {"query": "宝宝屋 免费托育服务", "top_k": 3}), ("ask", {"question": QUESTION}),
                            ("find_precedents", {"text": "建议扩大社区宝宝屋覆盖面，增加免费托育服务次数", "top_k": 2})):
        result = await client.call_tool(name, arguments)
        assert not result.is_error, result.content
        out[name] = result.structured_content
    doc_id = out["search"]["passages"][0]["citation"]["doc_id"]
    document = await client.call_tool("get_document", {"doc_id": doc_id})
    assert not document.is_error
    out["get_document"] = document.structured_content
    missing = await client.call_tool("get_document", {"doc_id": "no-such-document"})
    assert missing.is_error and "no document" in missing.content[0].text
    return out


def assert_answers(out: dict[str, dict]) -> None:
    passage = out["search"]["passages"][0]
    assert len(out["search"]["passages"]) == 3 and "宝宝屋" in passage["text"]
    document = out["get_document"]
    citation = passage["citation"]
    assert document["text"][citation["char_start"]:citation["char_end"]] == passage["text"]  # citations check out
    assert not out["ask"]["no_answer"] and out["ask"]["sentences"][0]["citation"]["doc_id"]
    assert out["find_precedents"]["documents"] and out["find_precedents"]["parts"]


def audited(folder: Path) -> list[tuple[str, str, str]]:
    return [(e["action"], e["key"], e["client"]) for e in read_entries(folder)]


def test_mcp_over_stdio(index_copy, tmp_path, embed_cache_path) -> None:
    env = stdio_env(index_copy, tmp_path, embed_cache_path, ZHENGCE_MCP_KEY=READ_KEY)
    server = StdioServerParameters(command=sys.executable, args=["-m", "indexer.cli", "mcp"], env=env, cwd=str(tmp_path))

    async def session() -> dict[str, dict]:
        async with Client(server, read_timeout_seconds=300) as client:
            return await exercise(client)

    assert_answers(anyio.run(session))
    assert audited(tmp_path / "audit") == [(action, "desk", "mcp stdio")
                                           for action in ("search", "ask", "similar", "get_document")]


@pytest.mark.parametrize("key", [None, "not-a-key-of-this-server"])
def test_stdio_refuses_a_missing_or_wrong_key(index_copy, tmp_path, embed_cache_path, key) -> None:
    env = {**os.environ, **stdio_env(index_copy, tmp_path, embed_cache_path)}
    env.pop("ZHENGCE_MCP_KEY", None)
    if key:
        env["ZHENGCE_MCP_KEY"] = key
    done = subprocess.run([sys.executable, "-m", "indexer.cli", "mcp"], env=env, input=b"", capture_output=True,
                          timeout=300)
    assert done.returncode == 2 and b"ZHENGCE_MCP_KEY" in done.stderr and b"X-API-Key" in done.stderr


@pytest.fixture
def http_server(e5, index_copy, tmp_path) -> Iterator[str]:
    """The whole API on a real port (uvicorn in a thread), reads needing a key."""
    from search_api.app import create_app
    from search_api.settings import Settings

    settings = Settings(index_dir=index_copy, upload_dir=tmp_path / "uploads", audit_dir=tmp_path / "audit",
                        audit_searches=True, api_keys=KEYS, require_key_for_read=True, host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, embedder=e5), host="127.0.0.1", port=free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(30)


def test_mcp_over_http_with_keys_roles_and_audit(http_server, tmp_path) -> None:
    async def session(key: str) -> dict[str, dict]:
        async with httpx2.AsyncClient(headers={"X-API-Key": key}, timeout=300) as http, \
                Client(streamable_http_client(f"{http_server}/mcp", http_client=http), read_timeout_seconds=300) as client:
            return await exercise(client)

    assert_answers(anyio.run(session, READ_KEY))
    anyio.run(session, WRITE_KEY)  # a higher role may read too
    clients = {client for _, _, client in audited(tmp_path / "audit")}
    assert clients == {"mcp 127.0.0.1"}
    assert [(a, k) for a, k, _ in audited(tmp_path / "audit")] == [
        (action, key) for key in ("desk", "uploader") for action in ("search", "ask", "similar", "get_document")]
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "t", "version": "0"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    assert httpx.post(f"{http_server}/mcp", json=initialize, headers=headers).status_code == 401  # no key
    wrong = httpx.post(f"{http_server}/mcp", json=initialize, headers={**headers, "X-API-Key": "wrong-key-0123456789"})
    assert wrong.status_code == 401
    assert httpx.post(f"{http_server}/mcp", json=initialize, headers={**headers, "X-API-Key": READ_KEY}).status_code == 200
