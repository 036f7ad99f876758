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
HTML_FILES = sorted(PAGES.glob("*.html")) if PAGES.is_dir() else []  # the raw pages some texts were extracted from
needs_pages = pytest.mark.skipif(not PAGE_FILES, reason=f"labelled pages not found in {PAGES}")
needs_html = pytest.mark.skipif(not HTML_FILES, reason=f"raw .html pages not found in {PAGES}")

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
    assert_no_furniture(documents[path.stem])


def assert_no_furniture(doc) -> None:
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
    from indexer.retrieval.search import Searcher
    from indexer.update.folder import update_index

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


# --- the raw HTML pages: the same fields, the same text, no furniture --------------------------


@pytest.fixture(scope="module")
def html_documents():
    return {path.stem: load_document(path) for path in HTML_FILES}


@needs_html
@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: p.name)
def test_html_page_states_the_fields_of_its_label(path, html_documents):
    label = _label(path)
    meta = html_documents[path.stem].meta
    stated = [field for field in FIELDS if label.get(field) is not None]
    wrong = [f"{field}: expected {label[field]!r}, got {predicted(meta, field)!r}"
             for field in stated if not same(field, label[field], predicted(meta, field))]
    print(f"\n{path.name}: {len(stated) - len(wrong)}/{len(stated)} stated fields right")
    assert len(stated) >= 4 and not wrong, "\n".join(wrong)


@needs_html
@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: p.name)
def test_html_page_reads_as_the_text_extracted_from_it(path, html_documents):
    """Heading, 文号, salutation, paragraphs and signature keep their own lines, as in the text version."""
    assert html_documents[path.stem].text == load_document(path.with_suffix(".txt")).text


@needs_html
@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: p.name)
def test_no_chunk_of_an_html_page_holds_page_furniture(path, html_documents):
    assert_no_furniture(html_documents[path.stem])


@needs_html
@pytest.mark.parametrize("path", HTML_FILES, ids=lambda p: p.name)
def test_html_page_without_its_info_table_is_read_from_the_document_itself(path, tmp_path):
    """Without the 信息公开 table the fields must come from the reply's own heading, 文号 line and signature."""
    import lxml.html

    from indexer.gongwen.metadata import read_metadata

    tree = lxml.html.fromstring(path.read_text(encoding="utf-8"))
    tables = [table for table in tree.iter("table") if "索引号" in _plain(table.text_content()) and not table.findall(".//table")]
    assert tables, "the page has a 信息公开 table"
    for table in tables:
        table.getparent().remove(table)
    bare = tmp_path / path.name
    bare.write_bytes(lxml.html.tostring(tree, encoding="utf-8"))
    doc = load_document(bare)
    label = _label(path)
    for field in ("title", "doc_number", "issuer", "date"):
        assert same(field, label[field], predicted(doc.meta, field)), (field, predicted(doc.meta, field))
    assert doc.meta.published is None and doc.meta.index_number is None
    found_by = read_metadata(doc.text)[1]
    assert found_by["title"] == "heading above the salutation"
    assert found_by["issuer"] == "signature block" and found_by["date"] == "signature date (成文日期)"


PORTAL_PAGE = """<!DOCTYPE html><html><head><meta charset="{charset}">
<title>示例市民政局关于市政协十二届三次会议第153号提案的答复_示例市人民政府</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/ta/">建议提案办理</a></div>
<div class="main"><div class="xxgk-table"><table>
<tr><th>索引号</th><td>11330100MB1234567X/2024-00123</td><th>主题分类</th><td>民政</td></tr>
<tr><th>发布机构</th><td>示例市民政局</td><th>成文日期</th><td>2024-06-18</td></tr>
<tr><th>文号</th><td>示民提〔2024〕8号</td><th>发布日期</th><td>2024-06-25</td></tr></table></div>
<div class="article"><h1>示例市民政局关于市政协十二届三次会议第153号提案的答复</h1>
<div class="info"><span>来源：示例市民政局</span> <span>发布时间：2024-06-25 10:12</span> <span>浏览次数：123</span>
<span>字体：[<a>大</a> <a>中</a> <a>小</a>]</span></div>
<div class="TRS_Editor"><p>张明委员：</p>
<p>您提出的《关于加快发展社区嵌入式养老服务的提案》收悉。经研究，现答复如下：</p>
<p>一、近年来，我市坚持把社区养老服务作为民生实事，全市已建成社区嵌入式养老服务中心42家，覆盖所有街道。</p>
<p>二、下一步，我们将继续完善扶持政策，推动服务向农村延伸，力争到2025年实现乡镇全覆盖。</p>
<p>感谢您对民政工作的关心和支持。</p></div>
<div class="tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div></div></div>
<div class="footer"><p><a href="/lxwm">联系我们</a> | <a href="/wzdt">网站地图</a></p>
<p>主办单位：示例市人民政府办公室 网站标识码：3300000001 浙ICP备12345678号</p></div></body></html>"""


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_info_table_beside_the_article_is_read_as_metadata(tmp_path, charset):
    """The main-content extractor keeps the article and drops the table beside it; its fields must survive."""
    path = tmp_path / "reply.html"
    path.write_bytes(PORTAL_PAGE.format(charset=charset).encode(charset))
    doc = load_document(path)
    meta = doc.meta
    assert meta.doc_number == "示民提〔2024〕8号" and meta.issuer == "示例市民政局"
    assert meta.date == "2024-06-18" and meta.published == "2024-06-25"
    assert meta.index_number == "11330100MB1234567X/2024-00123"
    assert meta.title == "示例市民政局关于市政协十二届三次会议第153号提案的答复"
    assert "您提出的《关于加快发展社区嵌入式养老服务的提案》收悉" in doc.text
    assert_no_furniture(doc)
