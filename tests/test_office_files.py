"""Real office files read faithfully: no lost lines, whole paragraphs, the right fields (issue 31).

Every file is made here the way offices make theirs: PDFs laid out as Word prints a 公文 (justified
lines to the right margin, first-line indents, a centred title block, a red masthead, "— 1 —" page
numbers), Word 97 files written by LibreOffice, OFD packages with TextObjects placed in millimetres,
and scans drawn with the Noto CJK font. Each test names the defect it pins down; each failed on
the readers before this issue's changes.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from eval.bench.ocr import character_accuracy
from indexer.gongwen.clean import clean_text
from indexer.gongwen.documents import chunk_document, load_document
from indexer.gongwen.metadata import extract_metadata
from indexer.ingest.office import soffice

from filegen import cjk_font_file, make_docx, make_gongwen_pdf, make_ofd, make_word97, render_gongwen_page

needs_font = pytest.mark.skipif(cjk_font_file() is None, reason="no CJK font to draw scans: apt-get install fonts-noto-cjk")
needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed: apt-get install libreoffice-writer-nogui")

ARTICLES = [
    "第一条 为规范本科生毕业论文（设计）工作，提高人才培养质量，根据教育部有关规定，结合学校实际，制定本办法。",
    "第二条 学生应按规定完成毕业论文的选题、开题、中期检查和答辩，论文成绩纳入毕业审核。未按期完成者不得参加当年答辩。",
    "（一）指导教师应当具有中级以上职称，每名教师指导学生原则上不超过八名，并对论文的学术规范负责。",
]
UNIVERSITY_NOTICE = [
    [
        ("masthead", "东海大学文件"),
        ("number", "东大教〔2021〕18号"),
        ("title", ["东海大学", "关于印发《东海大学本科生毕业论文管理办法》的通知"]),
        ("recipient", "各学院、各部门："),
        ("body", "现将《东海大学本科生毕业论文管理办法》印发给你们，请认真贯彻执行。"),
        *[("body", article) for article in ARTICLES],
    ],
    [
        ("gap", ""),
        ("right", "东海大学"),
        ("right", "2021年3月8日"),
        ("gap", ""),
        ("printed", ("东海大学校长办公室", "2021年3月9日印发")),
    ],
]


@pytest.fixture(scope="module")
def university_notice(tmp_path_factory):
    return load_document(make_gongwen_pdf(tmp_path_factory.mktemp("pdf") / "东大教18号.pdf", UNIVERSITY_NOTICE))


# ----------------------------------------------------------------------------- 1. a title line disappears


def test_a_title_set_over_two_lines_starting_with_the_organ_keeps_both_in_text_and_title(university_notice) -> None:
    title = "东海大学关于印发《东海大学本科生毕业论文管理办法》的通知"
    assert university_notice.meta.title == title
    assert title in university_notice.text.split("\n")  # one paragraph, nothing dropped above it


def test_a_docx_title_over_two_centred_paragraphs_keeps_its_organ_line(tmp_path: Path) -> None:
    path = tmp_path / "通知.docx"
    make_docx(path, ["东海大学", "关于印发《东海大学本科生毕业论文管理办法》的通知", "各学院、各部门：", ARTICLES[0]])
    doc = load_document(path)
    assert doc.meta.title == "东海大学关于印发《东海大学本科生毕业论文管理办法》的通知"
    assert doc.text.startswith("东海大学")


# ----------------------------------------------------------------------------- 2. paragraphs broken at line ends


def test_articles_wrapped_at_the_right_margin_are_whole_paragraphs(university_notice) -> None:
    lines = university_notice.text.split("\n")
    for article in ARTICLES:
        assert article in lines, article  # not "…论文成绩纳入毕" / "业审核。"
    assert not [line for line in lines if line.endswith(("纳入毕", "规范负"))]


def test_a_paragraph_running_over_the_page_break_is_joined(tmp_path: Path) -> None:
    long_article = "第三条 " + "学校成立毕业论文工作领导小组，负责全校毕业论文工作的组织、协调和检查。" * 3
    pages = [[("title", ["东海大学本科生毕业论文管理办法"]), ("body", ARTICLES[0]), ("body", long_article[:54])],
             [("body", long_article[54:]), ("body", ARTICLES[1])]]
    pages[1][0] = ("recipient", long_article[54:])  # the rest starts flush left on the next page
    doc = load_document(make_gongwen_pdf(tmp_path / "办法.pdf", pages))
    assert long_article in doc.text.split("\n")


# ----------------------------------------------------------------------------- 3. signature blocks, dates, 版记


@pytest.mark.system
@needs_soffice
@pytest.mark.parametrize("written, iso", [("2015-11-4", "2015-11-04"), ("2015.11.4", "2015-11-04"), ("2015/11/4", "2015-11-04")])
def test_doc_signature_and_date_are_their_own_paragraphs_in_any_written_form(tmp_path: Path, written: str, iso: str) -> None:
    paragraphs = [
        "关于开展大学生创新创业训练计划项目中期检查的通知",
        "各学院：",
        "现对我校立项的大学生创新创业训练计划项目进行中期检查，请按要求提交材料。",
        "联系人：秦某",
        "联系邮箱：xx@xx.edu.cn",
        "项目运行办公室",
        written,
    ]
    doc = load_document(make_word97(tmp_path / "中期检查.doc", paragraphs))
    assert "联系邮箱：xx@xx.edu.cn\n项目运行办公室\n" + written in doc.text
    assert (doc.meta.issuer, doc.meta.date) == ("项目运行办公室", iso)


def test_a_printing_date_is_printed_never_the_date_of_the_document() -> None:
    text = "关于做好冬季防火工作的通知\n各科室：\n请各科室做好冬季防火检查工作。\n抄送：区消防救援大队。\nXX区卫生健康委员会办公室 2021年12月31日印发"
    meta = extract_metadata(clean_text(text))
    assert meta.date is None and meta.printed == "2021-12-31"


def test_the_signature_date_and_the_printing_date_are_two_fields(university_notice) -> None:
    assert (university_notice.meta.date, university_notice.meta.printed) == ("2021-03-08", "2021-03-09")
    assert university_notice.meta.issuer == "东海大学"


# ----------------------------------------------------------------------------- 4. scans: the red masthead, page numbers

SCANNED_RULES = [
    ("masthead", "东海区教育局文件"),
    ("centre", "东教〔2024〕7号"),
    ("title", "关于印发《东海区中小学校园安全管理办法》的通知"),
    ("left", "各中小学校："),
    ("body", "现将《东海区中小学校园安全管理办法》印发给你们，请遵照执行。"),
    ("body", "第一条 为加强中小学校园安全管理，保障师生人身安全，制定本办法。"),
    ("centre", "—1—"),
]


@pytest.fixture(scope="module")
def scanned_rules(tmp_path_factory):
    """Page 1 of a notice as a page image (PNG, no JPEG fringes: red print is as light as paper in the
    red channel, as on a clean scan)."""
    image, printed = render_gongwen_page(SCANNED_RULES, seed=5)
    path = tmp_path_factory.mktemp("scan") / "东教7号.png"
    image.save(path)
    return load_document(path), printed


@pytest.mark.system
@needs_font
def test_a_scan_keeps_its_red_masthead_and_reads_the_issuer_from_it(scanned_rules) -> None:
    doc, printed = scanned_rules
    assert doc.text.split("\n")[0] == "东海区教育局文件"
    assert doc.meta.issuer == "东海区教育局"  # page 1 has no signature: the masthead names the issuer
    assert character_accuracy(doc.text, "".join(printed[:-1])) >= 0.97, doc.text


@pytest.mark.system
@needs_font
def test_a_scan_title_is_read_over_all_its_lines_and_its_page_number_is_dropped(scanned_rules) -> None:
    doc, _ = scanned_rules
    assert doc.meta.title == "关于印发《东海区中小学校园安全管理办法》的通知"
    article = "第一条为加强中小学校园安全管理，保障师生人身安全，制定本办法。"  # OCR sees no narrow space
    assert article in [line.replace(" ", "") for line in doc.text.split("\n")]
    for chunk in chunk_document(doc):
        assert "1一" not in chunk.text and "—1—" not in chunk.text and not chunk.text.rstrip().endswith("-1")


# ----------------------------------------------------------------------------- 5. characters changed


def test_a_drawn_soft_hyphen_between_years_stays_a_hyphen(tmp_path: Path) -> None:
    pages = [[("title", ["关于印发规划的通知"]), ("body", "现将规划印发给你们。"), ("latin", "2014\u00ad2020")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "规划.pdf", pages))
    assert "2014-2020" in doc.text and "20142020" not in doc.text
    assert clean_text("《规划（2014\u00ad2020年）》") == "《规划（2014-2020年）》"


def test_names_set_apart_by_a_gap_stay_apart(tmp_path: Path) -> None:
    pdf = make_gongwen_pdf(tmp_path / "名单.pdf", [[("title", ["关于成立工作小组的通知"]), ("recipient", "组　长：张某　李某")]])
    assert "组长：张某 李某" in load_document(pdf).text
    ofd = make_ofd(tmp_path / "名单.ofd", [{"lines": [(30, 40, 5.6, "关于成立工作小组的通知", False), (30, 60, 5.6, "组 长：张某  李某", False)]}])
    assert "组长：张某 李某" in load_document(ofd).text


def test_a_joint_masthead_reads_name_by_name(tmp_path: Path) -> None:
    pages = [[("masthead", ["国家税务总局办公厅", "财政部办公厅"]), ("number", "税总办发〔2022〕3号"),
              ("title", ["关于做好年度汇算工作的通知"]), ("body", "现将有关事项通知如下。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "联合发文.pdf", pages))
    assert doc.text.startswith("国家税务总局办公厅\n财政部办公厅\n文件\n"), doc.text[:60]
    assert doc.meta.issuers == ["国家税务总局办公厅", "财政部办公厅"]


# ----------------------------------------------------------------------------- 6. wrong fields


def test_a_recipient_list_names_no_region() -> None:
    text = "关于做好高校毕业生就业工作的通知\n各省、自治区、直辖市教育厅（教委）：\n请各地做好学生省级统筹工作，直辖市要率先落实。"
    assert extract_metadata(clean_text(text)).region is None


def _form_picture() -> bytes:
    """A licence's blank form as its background picture: the form's own words, no values."""
    from filegen import _cjk_font

    image = Image.new("RGB", (840, 1188), "white")
    draw = ImageDraw.Draw(image)
    draw.text((420, 120), "中华人民共和国", font=_cjk_font(36), fill=(20, 20, 20), anchor="mm")
    draw.text((420, 200), "建设项目用地预审与选址意见书", font=_cjk_font(52), fill=(20, 20, 20), anchor="mm")
    draw.text((250, 300), "用字第", font=_cjk_font(28), fill=(20, 20, 20))
    draw.line((340, 332, 630, 332), fill=(20, 20, 20), width=2)  # the blank the number is printed on
    draw.text((640, 300), "号", font=_cjk_font(28), fill=(20, 20, 20))
    draw.text((100, 420), "根据《中华人民共和国土地管理法》，经审核，核发此书。", font=_cjk_font(28), fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.system
@needs_font
def test_a_licence_takes_its_title_and_number_from_its_form_not_from_a_document_it_cites(tmp_path: Path) -> None:
    values = [
        (80, 76, 4.2, "530902202200014", False),
        (30, 160, 4.2, "临沧市临翔区发展和改革局关于同意棚户区改造安置房项目的批复（临翔发改复〔2018〕172号）", False),
    ]
    doc = load_document(make_ofd(tmp_path / "选址意见书.ofd", [{"lines": values, "picture": _form_picture()}]))
    assert doc.meta.title == "中华人民共和国建设项目用地预审与选址意见书"
    assert doc.meta.doc_number == "用字第530902202200014号"
    assert [facts.page for facts in doc.ocr_pages] == [1]  # the form's words came from OCR, and it says so


# ----------------------------------------------------------------------------- 7. silent loss


def test_a_page_drawn_as_outlines_is_reported_by_page(tmp_path: Path, caplog) -> None:
    pages = [
        {"lines": [(30, 40, 5.6, "关于做好防汛工作的通知", False), (30, 60, 5.6, "各街道：请做好防汛准备。", False)]},
        {"outlines": 60},
    ]
    with caplog.at_level(logging.WARNING, logger="indexer.ingest.ofd"):
        doc = load_document(make_ofd(tmp_path / "防汛.ofd", pages))
    assert "请做好防汛准备" in doc.text
    (notice,) = doc.ocr_pages
    assert notice.page == 2 and notice.confidence is None and "outlines" in notice.error
    assert any("防汛.ofd: page 2" in record.getMessage() for record in caplog.records)
