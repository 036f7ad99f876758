"""Published 政务公开 pages: metadata against what a person read off each page, and no furniture left.

The 27 pages of ../shared/corpus/pages are the yardstick: every field a page states (nulls
skipped) is compared with what `load_document` makes of the page, per field and overall.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from indexer.gongwen.chunk import ChunkSettings
from indexer.gongwen.documents import chunk_document, load_document
from indexer.gongwen.numbers import normalize_doc_number
from indexer.models import DocMeta

PAGES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pages"
PAGE_FILES = sorted(PAGES.glob("*.txt")) if PAGES.is_dir() else []
needs_pages = pytest.mark.skipif(not PAGE_FILES, reason=f"labelled pages not found in {PAGES}")

FIELDS = ("title", "doc_number", "issuer", "date", "published")
REQUIRED_ACCURACY = 0.95
# Page furniture: navigation, page widgets, footers, extraction remnants. None may reach a chunk.
FURNITURE = (
    "您的位置", "当前位置", "首页>", "首页 >", "政府信息公开>", "无障碍浏览", "登录|", "注册", "一网搜",
    "政府信息公开指南", "政府信息公开制度", "索引号", "索 引 号", "发布机构", "发布日期", "公开日期", "主题分类",
    "发布时间", "浏览次数", "浏览量", "点击数", "阅读次数", "点击:", "字体", "字号", "打印本页", "打印",
    "关闭窗口", "扫一扫", "请扫", "分享到", "下载Word", "下载PDF", "附件下载", "文字解读", "图片解读",
    "主办单位", "ICP备", "公网安备", "网站标识码", "联系我们", "![", "](", "<!--", "此页无正文", "星期天",
    "文件已失效", "www.", "阿里彩票",
)
_WEN_HAO = re.compile(r"[〔\[［【(（]\s*(?:19|20)\d\d\s*[〕\]］】)）]")
_PROPOSAL_CORE = re.compile(r"第\s*[〔\[［【(（]?\s*([A-Za-z]{0,3}\d+)\s*[〕\]］】)）]?\s*号")


def _label(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def _plain(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


def _number_key(value: str) -> str:
    """A 文号 in its 〔〕 form; a 提案/建议号 by its number alone (labels print 第0024号 or the whole
    "市政协十四届四次会议第321号提案")."""
    if _WEN_HAO.search(value):
        return normalize_doc_number(value)
    cores = _PROPOSAL_CORE.findall(unicodedata.normalize("NFKC", value))
    return cores[-1].upper() if cores else _plain(value)


def predicted(meta: DocMeta, field: str) -> str | None:
    """The pipeline's value for a label field: a label's doc_number is the 文号, else the 提案/建议号."""
    if field == "doc_number":
        return meta.doc_number or meta.proposal_number
    return getattr(meta, field, None)


def same(field: str, expected: str, got: str | None) -> bool:
    if got is None:
        return False
    if field == "doc_number":
        return _number_key(expected) == _number_key(got)
    return _plain(expected) == _plain(got)


@pytest.fixture(scope="module")
def documents():
    return {path.stem: load_document(path) for path in PAGE_FILES}


@needs_pages
def test_stated_fields_match_the_labels(documents):
    right = dict.fromkeys(FIELDS, 0)
    stated = dict.fromkeys(FIELDS, 0)
    wrong = []
    for name, doc in documents.items():
        label = _label(PAGES / f"{name}.txt")
        for field in FIELDS:
            if label.get(field) is None:
                continue
            stated[field] += 1
            got = predicted(doc.meta, field)
            if same(field, label[field], got):
                right[field] += 1
            else:
                wrong.append(f"{name} {field}: expected {label[field]!r}, got {got!r}")
    print("\nper-field accuracy on the labelled pages:")
    for field in FIELDS:
        print(f"  {field:11} {right[field]:2d}/{stated[field]:2d}  {right[field] / max(stated[field], 1):.2f}")
    overall = sum(right.values()) / sum(stated.values())
    print(f"  {'overall':11} {sum(right.values()):2d}/{sum(stated.values()):2d}  {overall:.3f}")
    print("\n".join(wrong))
    assert overall >= REQUIRED_ACCURACY, "\n".join(wrong)


@needs_pages
def test_pages_that_start_at_the_salutation_have_no_title(documents):
    untitled = [name for name in documents if _label(PAGES / f"{name}.txt")["title"] is None]
    assert untitled, "the labelled set has pages without a heading"
    promoted = {name: documents[name].meta.title for name in untitled if documents[name].meta.title}
    assert not promoted


@needs_pages
@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.stem)
def test_no_chunk_holds_page_furniture(path, documents):
    doc = documents[path.stem]
    for settings in (ChunkSettings(), ChunkSettings.for_target(200)):
        for chunk in chunk_document(doc, settings):
            found = [marker for marker in FURNITURE if marker in chunk.text]
            assert not found, f"{found} in chunk {chunk.index}: {chunk.text[:120]}"
            assert doc.text[chunk.char_start:chunk.char_end] == chunk.text


BRACKETS = ("〔〕", "[]", "（）", "【】", "［］")


def _typed_forms(number: str) -> list[str]:
    """How staff may type a page's 文号 or 提案/建议号: every bracket style, with and without 第."""
    if _WEN_HAO.search(number):
        plain = normalize_doc_number(number)
        return [plain.replace("〔", left).replace("〕", right) for left, right in BRACKETS] + [plain.replace("〕", "〕第")]
    identifier = _number_key(number)
    forms = [f"第{left}{identifier}{right}号" for left, right in BRACKETS]
    return forms + ([f"第{identifier}号"] if len(identifier) >= 3 else [])


@pytest.fixture(scope="module")
def pages_searcher(tmp_path_factory, stand_in):
    """A real index (FAISS + BM25) of the 27 pages as files; lexical search needs no meaningful vectors."""
    import shutil

    from indexer.index.local import LocalIndex
    from indexer.index.writer import update_index
    from indexer.retrieval.search import Searcher

    corpus = tmp_path_factory.mktemp("pages")
    for path in PAGE_FILES:
        shutil.copy(path, corpus / path.name)
    index_dir = tmp_path_factory.mktemp("pages-index") / "index"
    update_index([corpus], index_dir, embedder=stand_in, progress=False)
    return Searcher(LocalIndex.load(index_dir), stand_in)


@needs_pages
def test_a_number_typed_in_any_bracket_style_finds_its_page_first(pages_searcher):
    numbered = {path.name: _label(path)["doc_number"] for path in PAGE_FILES if _label(path)["doc_number"]}
    assert len(numbered) >= 15
    missed = []
    for source, number in numbered.items():
        for query in _typed_forms(number):
            hits = pages_searcher.search(query, top_k=3, mode="lexical")
            if not hits or hits[0].document.source != source:
                missed.append(f"{query!r}: {[hit.document.source for hit in hits]} (wanted {source})")
    assert not missed, "\n".join(missed)


@needs_pages
def test_inspect_explain_names_the_rule_behind_every_field(capsys):
    from indexer.cli import main

    assert main(["inspect", str(PAGES / "033.txt"), "--explain", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    found_by = report["found_by"]
    assert set(found_by) <= set(report["metadata"])
    assert report["metadata"]["doc_number"] == "天环函〔2020〕193号"
    assert found_by["date"] == "信息公开 table: 发文日期" and found_by["index_number"] == "信息公开 table: 索引号"
    assert found_by["title"] == "heading above the salutation"
    assert main(["inspect", str(PAGES / "027.txt"), "--explain"]) == 0
    summary = capsys.readouterr().out
    assert "福州市马尾区商务局  <- signature block" in summary and "2022-06-29  <- signature date" in summary
