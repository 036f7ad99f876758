"""indexer.ingest on real files written by tests/filegen.py, and on the seed documents."""

from __future__ import annotations

import hashlib
from pathlib import Path

import docx
import pytest

from indexer.config import DEFAULT_MAX_FILE_BYTES as MAX_FILE_BYTES
from indexer.errors import UnreadableFile
from indexer.ingest import SUPPORTED_SUFFIXES, extract, iter_files
from indexer.ingest.files import max_file_bytes
from indexer.ingest.ocr import OCR_TIME
from indexer.ingest.paragraphs import LINE_WRAP, PARAGRAPH_END

from filegen import (
    NOTICE_PARAGRAPHS,
    NOTICE_TITLE,
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

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

GONGWEN_GBK = """上海市普陀区教育局文件

普教办〔2024〕3号

对区政协第十五届三次会议第153053号提案的会办意见

区妇联：

王忞提出的关于《关于加强新就业女性群体权益保障的建议》的提案收悉，经研究，现将会办意见函告如下：

一、加强政策宣传

根据《中华人民共和国妇女权益保障法》、《上海市妇女权益保障条例》相关内容，区教育局积极开展普法宣传。

二、完善托育服务

（一）增加普惠性托位供给，缓解新就业女性的育儿压力。

抄送：区委办、区人大办、区政府办。

上海市普陀区教育局
二〇二四年三月二十日
"""


def assert_refused(path: Path, reason: str) -> UnreadableFile:
    """The error names the file and says why, in the message a user sees."""
    with pytest.raises(UnreadableFile) as info:
        extract(path)
    error = info.value
    assert error.path == path
    assert reason in error.reason
    assert str(error) == f"{path}: {error.reason}"
    return error


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_keeps_one_string_per_page_with_chinese_text(tmp_path: Path) -> None:
    pages = [
        "\n".join(NOTICE_PARAGRAPHS[:4]),
        "\n".join(NOTICE_PARAGRAPHS[4:7]),
        "上海市浦东新区人民政府办公室\n2021年5月13日\n— 3 —",
    ]
    path = make_pdf(tmp_path / "通知.pdf", pages, title=NOTICE_TITLE)

    extracted = extract(path)

    assert extracted.format == "pdf"
    assert extracted.title_hint == NOTICE_TITLE
    assert len(extracted.pages) == 3
    first, second, third = extracted.pages
    assert "浦府办〔2021〕12号" in first
    assert "区政府各委、办、局，各街道办事处、镇政府：" in first
    assert "一、总体要求" in first and "（一）增加普惠服务供给" not in first
    assert "（一）增加普惠服务供给" in second and "浦府办" not in second
    assert "2021年5月13日" in third and "— 3 —" in third
    assert extracted.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pdf_lines_wrapped_by_the_writer_come_back_as_separate_lines(tmp_path: Path) -> None:
    # Extraction is faithful: joining the wrapped line is the cleaner's job, not ingest's; the reader
    # marks what the page shows (the first line runs to the margin and wraps, the last ends the paragraph).
    sentence = NOTICE_PARAGRAPHS[2]  # longer than one PDF line
    extracted = extract(make_pdf(tmp_path / "wrapped.pdf", [sentence]))
    assert extracted.title_hint is None
    assert sentence not in extracted.pages[0]
    lines = extracted.pages[0].split("\n")
    assert len(lines) == 2 and lines[0].endswith(LINE_WRAP) and lines[1].endswith(PARAGRAPH_END)
    assert sentence == "".join(line.strip(LINE_WRAP + PARAGRAPH_END) for line in lines)


def test_pdf_encrypted_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "restricted.pdf", ["\n".join(NOTICE_PARAGRAPHS[:3])], encrypt_password="")
    extracted = extract(path)
    assert "浦府办〔2021〕12号" in extracted.pages[0]


def test_pdf_that_needs_a_password_is_refused(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", ["\n".join(NOTICE_PARAGRAPHS[:3])], encrypt_password="s3cret")
    assert_refused(path, "encrypted PDF: password required")


@pytest.mark.system
def test_scanned_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    error = assert_refused(make_scanned_pdf(tmp_path / "scan.pdf", pages=3), "no text layer: OCR needed")
    assert "3 pages" in error.reason


def test_a_blank_page_between_pages_of_text_is_not_read_by_ocr_and_lost_nothing(tmp_path: Path) -> None:
    """A page left blank between sections (a 部门预算's page 3) has no text layer; its rendered image is
    all paper, so it is read as empty without OCR, and listed nowhere: no OCR read it, nothing on it
    was lost (it was listed among the OCR'd pages, "OCR p.2 no text read", its chunks none)."""
    path = make_pdf(tmp_path / "预算.pdf", ["一、部门主要职能\n东海市西湖区司法局是主管本区司法工作的区政府工作部门。", "",
                                            "二、部门机构设置\n东海市西湖区司法局内设科室七个。"])
    before = OCR_TIME.pages
    extracted = extract(path)
    assert OCR_TIME.pages == before
    assert extracted.ocr_pages == []
    assert extracted.pages[1] == "" and "内设科室七个" in extracted.pages[2]


def test_truncated_pdf_is_not_readable(tmp_path: Path) -> None:
    assert_refused(make_corrupt_pdf(tmp_path / "broken.pdf"), "not a readable PDF: ")


def test_text_saved_under_a_pdf_name_is_not_readable(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("这其实是一个文本文件", encoding="utf-8")
    assert_refused(path, "not a readable PDF: ")


# --- plain text ------------------------------------------------------------------------------


def test_gbk_gongwen_decodes_exactly(tmp_path: Path) -> None:
    extracted = extract(write_gbk(tmp_path / "会办意见.txt", GONGWEN_GBK))
    assert extracted.format == "txt"
    assert extracted.pages == [GONGWEN_GBK]
    assert extracted.title_hint is None


def test_gbk_line_that_is_also_valid_utf8_stays_gbk(tmp_path: Path) -> None:
    # "一" in GBK is D2 BB, which is UTF-8 for the Cyrillic "һ": the line must not be read as UTF-8
    text = "上海市普陀区教育局\n一\n二、工作要求\n"
    assert extract(write_gbk(tmp_path / "ladder.txt", text)).pages == [text]


def test_gb18030_characters_outside_gbk_survive(tmp_path: Path) -> None:
    # 𠮷 and 䶮 exist only in GB18030; GBK decoding would fail on them.
    text = "关于表彰𠮷祥村先进集体和刘䶮同志的通报\n\n各镇人民政府：经研究，决定予以通报表彰。\n"
    assert extract(write_gb18030(tmp_path / "通报.txt", text)).pages == [text]


@pytest.mark.parametrize(
    "sentence",
    ["普教办〔2024〕3号", "沪妇两会〔2019〕13号", "第153053号提案", "妇联：", "二〇二四年三月五日", "抄送：区委办、区人大办。"],
)
def test_short_gbk_text_where_detectors_guess_wrong(tmp_path: Path, sentence: str) -> None:
    assert extract(write_gbk(tmp_path / "short.txt", sentence)).pages == [sentence]


def test_big5_text_still_decodes_as_big5(tmp_path: Path) -> None:
    text = "關於加強婦女權益保障的建議"
    path = tmp_path / "big5.txt"
    path.write_bytes(text.encode("big5"))
    assert extract(path).pages == [text]


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff".encode() + GONGWEN_GBK.encode("utf-8"))
    assert extract(path).pages == [GONGWEN_GBK]


def test_utf16_with_bom_decodes(tmp_path: Path) -> None:
    path = tmp_path / "notepad.txt"
    path.write_bytes(GONGWEN_GBK.encode("utf-16"))
    assert extract(path).pages == [GONGWEN_GBK]


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "说明.md"
    path.write_text("# 托育服务\n\n- 新增普惠性托位\n", encoding="utf-8")
    extracted = extract(path)
    assert extracted.pages == ["# 托育服务\n\n- 新增普惠性托位\n"]
    assert extracted.format == "txt"


def test_whitespace_and_line_breaks_are_not_cleaned(tmp_path: Path) -> None:
    raw = " 上 海 市 普 陀 区 \r\n\r\n建\n\n议 \t\n"
    path = tmp_path / "raw.txt"
    path.write_bytes(raw.encode("utf-8"))
    assert extract(path).pages == [raw]


def test_image_named_txt_is_binary(tmp_path: Path) -> None:
    assert_refused(make_binary_txt(tmp_path / "photo.txt"), "binary content, not text")


def test_binary_without_nul_bytes_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes((i * 7919 + 13) % 255 + 1 for i in range(4096)))
    assert_refused(path, "binary content, not text")


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  ", b"\xef\xbb\xbf", "\u3000\n".encode()])
def test_empty_or_blank_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    assert_refused(path, "empty file")


# --- DOCX ------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_rows_in_document_order(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "任务分工.docx",
        NOTICE_PARAGRAPHS[:4],
        table_rows=[["序号", "工作任务", "责任单位"], ["1", "新增普惠性托位2000个", "区卫健委、各街镇"]],
        title=NOTICE_TITLE,
        closing=["上海市浦东新区人民政府办公室", "2021年5月13日"],
    )

    extracted = extract(path)

    assert extracted.format == "docx"
    assert extracted.title_hint == NOTICE_TITLE
    text = extracted.pages[0]
    lines = text.splitlines()
    assert "序号 | 工作任务 | 责任单位" in lines
    assert "1 | 新增普惠性托位2000个 | 区卫健委、各街镇" in lines
    order = [text.index(s) for s in ("浦府办〔2021〕12号", "一、总体要求", "序号 | 工作任务", "2021年5月13日")]
    assert order == sorted(order)
    # a Word paragraph that ends a sentence ends its paragraph (the cleaner never glues the next one to
    # it); one that stops mid-sentence carries no mark; a blank line between
    assert f"请认真按照执行。{PARAGRAPH_END}\n\n一、总体要求" in text
    assert "浦府办〔2021〕12号\n\n区政府各委、办、局" in text
    assert f"序号 | 工作任务 | 责任单位{PARAGRAPH_END}\n1 | 新增普惠性托位" in text  # rows of one table stay together


def test_docx_merged_cell_appears_once_per_row(tmp_path: Path) -> None:
    rows = [["牵头单位", "", "配合单位"], ["区教育局", "区卫健委", "各街镇"]]
    path = make_docx(tmp_path / "merged.docx", ["任务表"], table_rows=rows)
    document = docx.Document(str(path))
    top = document.tables[0].rows[0]
    top.cells[0].merge(top.cells[1])
    document.save(str(path))

    lines = extract(path).pages[0].splitlines()
    assert "牵头单位 | 配合单位" in lines
    assert "区教育局 | 区卫健委 | 各街镇" in lines


def test_docx_without_title_property_has_no_title_hint(tmp_path: Path) -> None:
    assert extract(make_docx(tmp_path / "plain.docx", ["正文一段。"], title="")).title_hint is None


def test_zip_of_junk_named_docx_is_refused(tmp_path: Path) -> None:
    assert_refused(make_junk_docx(tmp_path / "junk.docx"), "not a readable DOCX: ")


def test_non_zip_named_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old-word.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))  # an OLE2 .doc renamed
    assert_refused(path, "not a readable DOCX: ")


def test_docx_without_text_is_refused(tmp_path: Path) -> None:
    assert_refused(make_docx(tmp_path / "blank.docx", ["", "  "]), "empty document")


# --- HTML ------------------------------------------------------------------------------------

NAVIGATION = ["互动交流", "办事服务", "相关知识", "对十二届全国人大五次会议第1408号建议的答复", "网址:", "备案号", "网站标识码"]


def test_html_keeps_the_article_and_drops_portal_navigation(tmp_path: Path) -> None:
    extracted = extract(make_html(tmp_path / "page.html", NOTICE_TITLE, NOTICE_PARAGRAPHS))

    text = extracted.pages[0]
    assert extracted.format == "html"
    assert extracted.title_hint == NOTICE_TITLE
    for paragraph in NOTICE_PARAGRAPHS:
        assert paragraph in text.split("\n\n")  # each paragraph is a block of its own
    for boilerplate in NAVIGATION:
        assert boilerplate not in text


def test_html_declared_gbk_is_decoded(tmp_path: Path) -> None:
    path = make_html(tmp_path / "gbk.htm", NOTICE_TITLE, NOTICE_PARAGRAPHS, encoding="gbk")
    assert "（一）增加普惠服务供给" in extract(path).pages[0]


def test_html_with_wrong_charset_declaration_is_still_decoded(tmp_path: Path) -> None:
    html = make_html(tmp_path / "x.html", NOTICE_TITLE, NOTICE_PARAGRAPHS).read_text(encoding="utf-8")
    path = tmp_path / "mislabelled.html"
    path.write_bytes(html.encode("gbk"))  # still says charset=utf-8
    assert "全区新增普惠性托位不少于2000个" in extract(path).pages[0]


def test_html_table_rows_stay_on_consecutive_lines(tmp_path: Path) -> None:
    path = make_html(tmp_path / "table.html", NOTICE_TITLE, NOTICE_PARAGRAPHS)
    table = "<table><tr><td>序号</td><td>工作任务</td></tr><tr><td>1</td><td>新增普惠性托位</td></tr></table>"
    html = path.read_text(encoding="utf-8").replace("<p>上海市浦东新区人民政府办公室</p>", table + "<p>上海市浦东新区人民政府办公室</p>")
    path.write_text(html, encoding="utf-8")
    text = extract(path).pages[0]
    rows = [line for line in text.splitlines() if "|" in line]
    assert len(rows) == 2
    assert "序号" in rows[0] and "工作任务" in rows[0] and "新增普惠性托位" in rows[1]
    assert text.index(rows[0]) + len(rows[0]) + 1 == text.index(rows[1])


def test_short_html_page_keeps_its_text_without_scripts_or_styles(tmp_path: Path) -> None:
    path = tmp_path / "short.html"
    path.write_text(
        "<html><head><title>公告</title><style>p{color:red}</style></head>"
        "<body><script>var tracker = 1;</script><p>停电通知。</p><p>明日停电。</p></body></html>",
        encoding="utf-8",
    )
    extracted = extract(path)
    assert extracted.pages == ["停电通知。\n\n明日停电。"]
    assert extracted.title_hint == "公告"


def test_deeply_nested_html_neither_crashes_nor_loses_the_text(tmp_path: Path) -> None:
    # lxml stops building the tree at a few thousand levels, so trafilatura sees no text here and
    # the page's visible text is taken by the flat fallback instead.
    path = make_nested_html(tmp_path / "nested.html", depth=5000, text="深层嵌套页面中的正文：关于做好托育服务工作的通知。")
    extracted = extract(path)
    assert extracted.pages == ["深层嵌套页面中的正文：关于做好托育服务工作的通知。"]
    assert extracted.title_hint == "嵌套页面"


def test_fallback_sees_the_body_even_when_head_is_not_closed(tmp_path: Path) -> None:
    path = tmp_path / "sloppy.html"
    html = "<html><head><title>旧网页</title><body>" + "<div>" * 3000 + "<p>正文仍然可见。</p>"
    path.write_text(html, encoding="utf-8")
    assert extract(path).pages == ["正文仍然可见。"]


def test_html_with_no_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><body><script>1</script><div></div></body></html>", encoding="utf-8")
    assert_refused(path, "no text found in HTML")


# --- any file --------------------------------------------------------------------------------


def test_unsupported_extension_lists_what_is_supported(tmp_path: Path) -> None:
    path = tmp_path / "table.xyz"
    path.write_text("内容", encoding="utf-8")
    error = assert_refused(path, "unsupported file type .xyz (supported: ")
    assert all(suffix in error.reason for suffix in SUPPORTED_SUFFIXES)


def test_file_without_extension_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "README"
    path.write_text("内容", encoding="utf-8")
    assert_refused(path, "unsupported file without an extension")


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert extract(write_gbk(tmp_path / "NOTICE.TXT", GONGWEN_GBK)).pages == [GONGWEN_GBK]


def test_missing_file_and_directory_are_refused(tmp_path: Path) -> None:
    assert_refused(tmp_path / "gone.pdf", "file not found")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert_refused(folder, "not a regular file")


def test_file_over_the_configured_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGCE_MAX_FILE_BYTES", "1024")
    path = write_gbk(tmp_path / "long.txt", GONGWEN_GBK * 4)
    assert_refused(path, "file too large: ")
    monkeypatch.setenv("ZHENGCE_MAX_FILE_BYTES", str(path.stat().st_size))
    assert extract(path).pages == [GONGWEN_GBK * 4]


def test_file_over_the_default_limit_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHENGCE_MAX_FILE_BYTES", raising=False)
    assert max_file_bytes() == MAX_FILE_BYTES == 50 * 1024 * 1024
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:  # sparse: 50 MiB + 1 byte without writing them
        handle.truncate(MAX_FILE_BYTES + 1)
    assert_refused(path, "file too large: 50.0 MiB (52428801 bytes) > limit 50.0 MiB (52428800 bytes)")


def test_invalid_size_limit_setting_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGCE_MAX_FILE_BYTES", "50MB")
    with pytest.raises(ValueError, match="ZHENGCE_MAX_FILE_BYTES"):
        max_file_bytes()


def test_names_with_spaces_and_chinese_characters(tmp_path: Path) -> None:
    good = write_gbk(tmp_path / "关于 托育服务 的通知 (2021).txt", GONGWEN_GBK)
    assert extract(good).pages == [GONGWEN_GBK]
    bad = make_binary_txt(tmp_path / "扫描 件 001.txt")
    error = assert_refused(bad, "binary content")
    assert "扫描 件 001.txt" in str(error)


@pytest.mark.parametrize("seed", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_seed_documents_come_back_unchanged(seed: Path) -> None:
    extracted = extract(seed)
    assert extracted.pages == [seed.read_bytes().decode("utf-8")]
    assert extracted.format == "txt"


def test_all_five_seeds_are_present() -> None:
    assert len(list(CORPUS.glob("*.txt"))) == 5


# --- iter_files ------------------------------------------------------------------------------


def test_iter_files_expands_folders_sorted_and_skips_hidden_and_temp_files(tmp_path: Path) -> None:
    root = tmp_path / "文件夹"
    for name in [
        "b.txt", "a.PDF", "sub/c.docx", "sub/deeper/d.html", "e.htm", "f.md",
        "notes.xyz", ".hidden.txt", "~$draft.docx", ".git/config.txt", "sub/.cache/x.pdf",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")

    found = list(iter_files([root]))

    expected = ["a.PDF", "b.txt", "e.htm", "f.md", "sub/c.docx", "sub/deeper/d.html"]
    assert found == [root / name for name in expected]


def test_iter_files_yields_named_files_as_given_once(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("甲", encoding="utf-8")
    unsupported = tmp_path / "sheet.xlsx"
    unsupported.write_bytes(b"PK")
    missing = tmp_path / "missing.pdf"

    found = list(iter_files([unsupported, folder, folder / "a.txt", missing]))

    assert found == [unsupported, folder / "a.txt", missing]
    with pytest.raises(UnreadableFile, match="unsupported file type .xlsx"):
        extract(unsupported)


def test_iter_files_accepts_strings_and_does_not_follow_into_hidden_root_children(tmp_path: Path) -> None:
    (tmp_path / ".private").mkdir()
    (tmp_path / ".private" / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "b.txt").write_text("乙", encoding="utf-8")
    assert list(iter_files([str(tmp_path)])) == [tmp_path / "b.txt"]
    # A hidden folder named explicitly is what the user asked for.
    assert list(iter_files([tmp_path / ".private"])) == [tmp_path / ".private" / "a.txt"]


def test_ingest_error_carries_path_and_reason() -> None:
    error = UnreadableFile("corpus/x.pdf", "encrypted PDF: password required")
    assert error.path == Path("corpus/x.pdf")
    assert error.reason == "encrypted PDF: password required"
    assert str(error) == "corpus/x.pdf: encrypted PDF: password required"
