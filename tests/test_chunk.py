"""Chunks follow the heading ladder, never split a sentence and slice the cleaned text exactly."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.gongwen.chunk import ChunkSettings, chunk_text
from indexer.gongwen.documents import chunk_document, document_from_text, load_document, passage_text

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEEDS = sorted(CORPUS.glob("*.txt"))
SENTENCE_END = "。！？；"


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_offsets_are_exact_and_sizes_bounded(path):
    doc = load_document(path)
    settings = ChunkSettings()
    chunks = chunk_document(doc, settings)
    assert chunks
    for chunk in chunks:
        assert doc.text[chunk.char_start:chunk.char_end] == chunk.text
        assert len(chunk.text) <= settings.max_chars
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.char_end <= b.char_start for a, b in zip(chunks, chunks[1:]))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_chunks_end_at_sentence_or_paragraph_boundaries(path):
    doc = load_document(path)
    for chunk in chunk_document(doc, ChunkSettings.for_target(200)):
        at_paragraph_end = chunk.char_end == len(doc.text) or doc.text[chunk.char_end] == "\n"
        assert at_paragraph_end or chunk.text[-1] in SENTENCE_END, chunk.text[-30:]


def test_sections_follow_the_heading_ladder_of_seed_001():
    doc = load_document(next(CORPUS.glob("001_*.txt")))
    sections = {c.section for c in chunk_document(doc)}
    assert "二、聚焦重点领域，全力保障妇女各项合法权益 > （四）增加普惠服务供给，缓解家庭后顾之忧" in sections
    passage = next(c for c in chunk_document(doc) if "宝宝屋" in c.text)
    assert passage.section.endswith("（四）增加普惠服务供给，缓解家庭后顾之忧")


def test_sections_reach_numbered_items_in_seed_004():
    doc = load_document(next(CORPUS.glob("004_*.txt")))
    chunks = chunk_document(doc)
    station = next(c for c in chunks if "每个街镇配备1个家庭科学育儿指导站。" in c.text)
    assert station.section == "二、发展目标 > （二）发展要求 > 1.扩大供给，合理布局"
    table = [c for c in chunks if c.section.startswith("附件：")]
    assert len(table) >= 5 and any("牵头单位：区教育局" in c.text for c in table)


def test_regulation_articles_and_cross_references():
    text = (
        "## 第一章  总则\n第一条 为了规范托育服务，制定本条例。\n第二条 本条例适用于本市行政区域内的托育服务。\n"
        "## 第二章  服务机构\n第三条 托育机构应当依照第二条的规定登记。\n第四条 依照第三条登记的机构，应当公示收费标准。"
    )
    doc = document_from_text(text, "条例.md", title="某市托育服务条例")
    chunks = chunk_text(doc.text, ChunkSettings(target_chars=30, max_chars=60, min_chars=10))
    sections = [c.section for c in chunks]
    assert "第一章 总则 > 第一条" in sections
    assert "第二章 服务机构 > 第四条" in sections
    assert not any(s.endswith("第二条的规定登记。") for s in sections)  # a cross-reference is no heading


def test_long_paragraph_splits_at_sentences_and_prefers_enumerations():
    body = "".join(f"{n}是加强第{k}方面的工作，推动相关措施落实落地，切实提升服务质量和群众满意度。" for k, n in enumerate("一二三四五六", 1))
    chunks = chunk_text(body, ChunkSettings(target_chars=100, max_chars=150, min_chars=20))
    assert len(chunks) >= 3
    assert all(c.text[-1] == "。" for c in chunks)
    assert all(re.match(r"[一二三四五六]是", c.text) for c in chunks)


def test_a_sentence_longer_than_max_is_cut_at_clauses():
    sentence = "，".join(["推进托育服务体系建设"] * 40) + "。"
    chunks = chunk_text(sentence, ChunkSettings(target_chars=100, max_chars=150, min_chars=20))
    assert all(len(c.text) <= 150 for c in chunks) and "".join(c.text for c in chunks) == sentence


def test_passages_carry_title_and_heading_path_unless_switched_off():
    doc = load_document(next(CORPUS.glob("001_*.txt")))
    chunk = next(c for c in chunk_document(doc) if "宝宝屋" in c.text)
    with_path = passage_text(doc, chunk)
    assert with_path.startswith(doc.meta.title + "\n") and chunk.section in with_path
    assert with_path.endswith(chunk.text)
    assert passage_text(doc, chunk, heading_path=False) == chunk.text


def test_stable_ids_across_runs():
    path = next(CORPUS.glob("000_*.txt"))
    first, second = load_document(path), load_document(path)
    assert first.doc_id == second.doc_id
    assert [c.chunk_id for c in chunk_document(first)] == [c.chunk_id for c in chunk_document(second)]


@pytest.mark.parametrize("prefix, expected", [
    ("000", ("普教办〔2024〕3号", "普陀区教育局", "2024-03-20")),
    ("002", ("沪妇两会〔2019〕13号", "上海市妇女联合会", "2019-04-29")),
    ("004", ("浦府办〔2021〕12号", "上海市浦东新区人民政府办公室", "2021-05-13")),
])
@pytest.mark.system
def test_inspect_command_reports_metadata_and_clean_chunks(prefix, expected):
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    result = subprocess.run(
        [sys.executable, "-m", "indexer.cli", "inspect", str(path), "--json"],
        capture_output=True, text=True, check=True,
    )
    report = json.loads(result.stdout)
    meta = report["metadata"]
    assert (meta["doc_number"], meta["issuer"], meta["date"]) == expected
    assert report["text_length"] > 1000
    for chunk in report["chunks"]:
        assert not re.search(r"[\u4e00-\u9fff][ \t\u3000]+[\u4e00-\u9fff]", chunk["text"])
        assert {"text", "section", "page", "char_start", "char_end"} <= chunk.keys()


@pytest.mark.system
def test_inspect_reports_a_bad_file_clearly(tmp_path):
    empty = tmp_path / "空文件.txt"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "indexer.cli", "inspect", str(empty)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "空文件.txt" in result.stderr and "empty" in result.stderr
