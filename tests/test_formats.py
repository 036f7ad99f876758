"""Every format an office holds: scanned PDFs and images (OCR), OFD, .doc/.wps, WPS-written .docx.

All files are real: scans are rendered with Debian's Noto CJK font, stamped with a red seal and
wrapped as image-only PDFs; Word 97 files are written by LibreOffice; OFD files are the real
samples in ../shared/corpus/ofd. OCR runs on a few pages only (about 5-15 s a page here).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from eval.bench.ocr import character_accuracy
from indexer.cli import main as zhengce
from indexer.errors import UnreadableFile
from indexer.gongwen.chunk import ChunkSettings
from indexer.gongwen.documents import chunk_document, load_document
from indexer.index.local import LocalIndex
from indexer.index.settings import IndexSettings
from indexer.ingest import extract
from indexer.ingest.ocr import seal_free
from indexer.ingest.office import extract_via_docx, soffice
from indexer.retrieval.citations import citation_of
from indexer.retrieval.search import Searcher
from indexer.update.folder import update_index
from search_api.app import create_app
from search_api.settings import Settings

from filegen import (
    NOTICE_PARAGRAPHS,
    NOTICE_TITLE,
    NOTO_SERIF_BOLD,
    SCANNED_NOTICE,
    cjk_font_file,
    make_docx,
    make_gongwen_pdf,
    make_image_pdf,
    make_mixed_pdf,
    make_pictured_head_pdf,
    make_scan_over_text_pdf,
    make_word97,
    map_glyph_wrongly,
    render_bilevel_lines,
    render_gongwen_page,
    render_scanned_pages,
)

IN_CI = os.environ.get("CI") == "true"  # in CI a missing tool is a failure, not a skip
needs_font = pytest.mark.skipif(
    cjk_font_file() is None and not IN_CI, reason="no CJK font to draw scans: apt-get install fonts-noto-cjk"
)
needs_soffice = pytest.mark.skipif(
    soffice() is None and not IN_CI, reason="LibreOffice is not installed: apt-get install libreoffice-writer-nogui"
)
OFD_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "ofd"
needs_ofd = pytest.mark.skipif(not OFD_DIR.is_dir(), reason=f"OFD samples not found in {OFD_DIR}")
ISSUER = NOTICE_PARAGRAPHS[7]


# ----------------------------------------------------------------------------- scanned PDF with a seal


@pytest.fixture(scope="module")
def sealed_scan(tmp_path_factory):
    """A one-page scanned 公文 with the issuer's red seal over its signature and date, as a Document."""
    image, printed = render_gongwen_page(SCANNED_NOTICE, seal_text=ISSUER)
    path = make_image_pdf(tmp_path_factory.mktemp("scan") / "扫描件 浦府办12号.pdf", [image])
    return path, image, printed, load_document(path)


@pytest.mark.system
@needs_font
def test_sealed_scan_is_read_by_ocr_with_its_characters_and_metadata(sealed_scan) -> None:
    path, _, printed, doc = sealed_scan
    assert character_accuracy(doc.text, "".join(printed)) >= 0.97, doc.text
    assert doc.meta.doc_number == "浦府办〔2021〕12号"
    assert doc.meta.date == "2021-05-13"
    assert doc.meta.issuer == ISSUER  # the signature line under the seal
    assert [facts.page for facts in doc.ocr_pages] == [1]
    assert doc.ocr_pages[0].error is None and doc.ocr_pages[0].confidence > 0.9


@pytest.mark.system
@needs_font
def test_citations_of_a_scanned_page_carry_the_page_and_the_ocr_flag(sealed_scan) -> None:
    _, _, _, doc = sealed_scan
    chunks = chunk_document(doc)
    assert chunks
    for chunk in chunks:
        citation = citation_of(chunk, doc)
        assert citation["page"] == 1
        assert citation["ocr"] is True and citation["ocr_confidence"] == doc.ocr_pages[0].confidence
        assert doc.text[citation["char_start"] : citation["char_end"]] == chunk.text


@pytest.mark.system
@needs_font
def test_red_channel_removes_the_seal_and_keeps_the_ink(sealed_scan) -> None:
    _, image, _, _ = sealed_scan
    rgb = np.asarray(image.convert("RGB")).astype(int)
    seal = (rgb[:, :, 0] > 170) & (rgb[:, :, 1] < 110) & (rgb[:, :, 2] < 110)  # red ink on paper
    ink = rgb.max(axis=2) < 60  # black print, under the seal or not
    grey = seal_free(image)[:, :, 0].astype(int)
    assert seal.sum() > 5000 and ink.sum() > 5000
    assert grey[seal].mean() > 170 and rgb[:, :, 1][seal].mean() < 110  # the seal is as light as paper
    assert grey[ink].mean() < 80


@pytest.mark.system
@needs_font
def test_a_seal_pressed_hard_and_scanned_dark_is_read_past(tmp_path: Path) -> None:
    # a real notice's seal (北京交通大学's) kept a fifth of its ink in the red channel, and OCR read
    # one of its characters into the signature ("本科生院大"); here "人" of the signing body read "大"
    image, printed = render_gongwen_page(SCANNED_NOTICE, seal_text=ISSUER, seal_ink=(168, 52, 60))
    doc = load_document(make_image_pdf(tmp_path / "扫描件 浦府办12号.pdf", [image]))
    assert doc.meta.issuer == ISSUER and doc.meta.date == "2021-05-13"
    rgb = np.asarray(image.convert("RGB")).astype(int)
    seal = (rgb[:, :, 0] > 140) & (rgb[:, :, 1] < 80) & (rgb[:, :, 2] < 90)
    ink = rgb.max(axis=2) < 60
    grey = seal_free(image)[:, :, 0].astype(int)
    assert seal.sum() > 5000 and rgb[:, :, 0][seal].mean() < 185  # darker than paper in the red channel
    assert grey[seal].mean() > 235 and grey[ink].mean() < 80


def test_ocr_off_refuses_a_scan_by_name_with_the_reason(tmp_path: Path) -> None:
    from PIL import Image

    path = make_image_pdf(tmp_path / "scan.pdf", [Image.new("RGB", (620, 877), "white")])
    with pytest.raises(UnreadableFile) as caught:
        extract(path, ocr="off")
    assert caught.value.path == path and "no text layer: OCR needed, and OCR is off" in caught.value.reason


# ----------------------------------------------------------------------------- mixed PDF, through the index

ATTACHMENT = [
    ("left", "附件"),
    ("title", "社区托育服务点建设任务分工表"),
    ("body", "各街镇负责社区托育服务点的选址和建设，区卫生健康委负责业务指导。"),
]


@needs_font
def test_mixed_pdf_keeps_the_text_page_and_ocrs_the_scanned_page_through_the_index(tmp_path: Path, e5) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    typed = "\n".join([NOTICE_PARAGRAPHS[0], NOTICE_PARAGRAPHS[2], NOTICE_PARAGRAPHS[6]])
    scan, printed = render_gongwen_page(ATTACHMENT, seed=1)
    make_mixed_pdf(corpus / "通知及附件.pdf", typed, scan)
    (corpus / "broken scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    settings = IndexSettings(chunk=ChunkSettings.for_target(120))  # small chunks: one starts on the scanned page
    report = update_index([corpus], tmp_path / "index", settings, embedder=e5, progress=False)
    assert report.added == ["通知及附件.pdf"]
    assert report.failed == [{"source": "broken scan.png", "reason": report.failed[0]["reason"]}]
    assert report.failed[0]["reason"].startswith("not a readable image")

    index = LocalIndex.load(tmp_path / "index")  # the OCR facts survive the index folder
    (doc,) = index.documents.values()
    assert len(doc.page_starts) == 2
    assert [(facts.page, facts.error) for facts in doc.ocr_pages] == [(2, None)]
    page_one, page_two = doc.text[: doc.page_starts[1]], doc.text[doc.page_starts[1] :]
    assert NOTICE_PARAGRAPHS[6] in page_one  # the text layer, verbatim
    assert character_accuracy(page_two, "".join(printed)) >= 0.97, page_two

    citations = [citation_of(chunk, doc) for chunk in index.chunks]
    assert {c["page"] for c in citations} == {1, 2}
    for citation in citations:
        scanned = citation["page"] == 2
        assert citation["ocr"] is scanned
        assert citation["ocr_confidence"] == (doc.ocr_pages[0].confidence if scanned else None)
    hit = Searcher(index, e5).search("区卫生健康委负责业务指导", top_k=1)[0]
    assert hit.citation()["page"] == 2 and hit.citation()["ocr"] is True

    settings = Settings(index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads")
    with TestClient(create_app(settings, embedder=e5)) as client:  # the real service over this index
        detail = client.get(f"/documents/{doc.doc_id}").json()
        assert detail["ocr_pages"] == [{"page": 2, "confidence": doc.ocr_pages[0].confidence, "error": None}]
        found = client.post("/search", json={"query": "区卫生健康委负责业务指导", "top_k": 1}).json()
        citation = found["passages"][0]["citation"]
        assert (citation["page"], citation["ocr"], citation["ocr_confidence"]) == (2, True, doc.ocr_pages[0].confidence)


# ----------------------------------------------------------------------------- images

PNG_NOTICE = [
    ("title", "关于做好防汛防台工作的通知"),
    ("centre", "浦府办〔2024〕7号"),
    ("body", "各街镇要加快排查地下空间积水隐患，落实防汛物资和抢险队伍。"),
    ("right", "2024年6月3日"),
]


@pytest.mark.system
@needs_font
def test_a_paragraph_read_by_ocr_is_joined_over_its_wrapped_lines(tmp_path: Path) -> None:
    """A page printed at 90 dpi (a browser's print of a 政务公开 page) and read by OCR: its boxes are
    14 to 18 per cent apart in height from line to line of one paragraph (the glyphs on each line
    differ), more than one size step, yet every line runs to the right margin and the next starts at
    the left one: the paragraph is one, not cut at each line."""
    import pypdfium2

    body = ("为全面提升高等学校专利质量，促进科技成果转移转化，更好地发挥高校服务经济社会发展的重要作用，"
            "各地教育行政部门和高等学校要坚持质量第一，积极推动把专利质量提升工作纳入重要议事日程，"
            "健全知识产权统筹协调机制（含《高校知识产权管理规范》的贯彻落实），建立专利申请前评估制度，"
            "加强技术转移与知识产权运营机构建设，进一步提高知识产权工作水平，促进知识产权的创造和运用。")
    pdf = make_gongwen_pdf(tmp_path / "意见.pdf", [[("title", ["关于提升高等学校专利质量的若干意见"]),
                                                   ("recipient", "各省、自治区、直辖市教育厅（教委）："),
                                                   ("body", body), ("body", "特此通知。")]])
    document = pypdfium2.PdfDocument(str(pdf))
    document[0].render(scale=1.25).to_pil().save(tmp_path / "意见.png")  # 90 dpi: body type 20 pixels high
    document.close()
    text = load_document(tmp_path / "意见.png").text
    (paragraph,) = [line for line in text.split("\n") if "为全面提升" in line]
    assert paragraph.endswith("促进知识产权的创造和运用。"), text
    assert character_accuracy(paragraph, body) >= 0.97, paragraph
    assert "关于提升高等学校专利质量的若干意见" in text.split("\n")[0] and "特此通知。" not in paragraph


HEAD_AS_PICTURES = [("东　海　学　院", 30, True), ("校长办公室文件", 30, True), ("东海学院关于开展2016年春季学期", 20, False),
                    ("开学检查工作的通知", 20, False)]
SCHOOL_BODY = ["根据学校校历安排，2月29日为学校2016年春季学期开学时间。为确保开学检查工作顺利进行，现将有关事项通知如下，请各单位认真做好开学准备自查工作。"]


@pytest.mark.system
@pytest.mark.skipif(not NOTO_SERIF_BOLD.is_file(), reason="no bold CJK serif to draw the pictures: apt-get install fonts-noto-cjk")
def test_a_masthead_and_title_pasted_in_as_pictures_are_read(tmp_path: Path) -> None:
    """An office's Word template pastes the red masthead and the title in as pictures over a text
    layer that begins at the 文号: both were lost without a word, and the document had no title
    (three of a college's notices, test17). Pictures clear of the text in the upper half of page 1
    are read by OCR and join the text layer."""
    pdf = make_pictured_head_pdf(tmp_path / "通知.pdf", HEAD_AS_PICTURES, "东校政办〔2016〕4号", SCHOOL_BODY,
                                 "东海学院校长办公室", "2016年2月27日")
    doc = load_document(pdf)
    assert doc.meta.title == "东海学院关于开展2016年春季学期开学检查工作的通知", doc.text
    assert doc.text.split("\n")[:3] == ["东海学院", "校长办公室文件", "东校政办〔2016〕4号"], doc.text
    assert [page.page for page in doc.ocr_pages] == [1]


@pytest.mark.system
@pytest.mark.skipif(not NOTO_SERIF_BOLD.is_file(), reason="no bold CJK serif to draw the pictures: apt-get install fonts-noto-cjk")
def test_a_title_alone_pasted_in_as_a_picture_line_is_read(tmp_path: Path) -> None:
    """A university's notice has its title, one line in bold, pasted in as a picture over a text
    layer that begins at its 文号 (test22): the picture covers 1.5% of the page, under the share a
    masthead and title together take, and the title was lost. A picture clear of the text, above
    it, a third of the page wide and shaped like a line of print is read by OCR."""
    title = "关于试行东海大学本科课程学分绩点计算办法的通知"
    pdf = make_pictured_head_pdf(tmp_path / "通知.pdf", [(title, 16, False)], "(2012)东大教10号", SCHOOL_BODY,
                                 "东海大学教务处", "2012年4月23日")
    doc = load_document(pdf)
    assert (doc.meta.title, doc.meta.doc_number) == (title, "〔2012〕东大教10号"), doc.text
    assert [page.page for page in doc.ocr_pages] == [1]


@pytest.mark.system
@pytest.mark.skipif(not NOTO_SERIF_BOLD.is_file(), reason="no bold CJK serif to draw the pictures: apt-get install fonts-noto-cjk")
def test_a_letter_spaced_signature_on_a_page_read_by_ocr_too_is_read_once(tmp_path: Path) -> None:
    """On a page read by OCR as well as from its text layer, OCR reads a letter-spaced signature
    ("东 海 学 院") as one word whose middle falls between two of the layer's characters: it joined them
    and the issuer read "东东海海学学院院" (test17). A word whose characters the boxes under it print is
    the text layer's."""
    pdf = make_pictured_head_pdf(tmp_path / "通知.pdf", HEAD_AS_PICTURES, "东校政发〔2015〕116号", SCHOOL_BODY,
                                 "东海学院", "2015年11月11日", spaced=True)
    doc = load_document(pdf)
    assert (doc.meta.issuer, doc.meta.date) == ("东海学院", "2015-11-11"), doc.text


@pytest.mark.system
@needs_font
def test_a_scan_drawn_over_its_own_text_is_read_from_the_text_once(tmp_path: Path) -> None:
    """A 复函 exported with its scan drawn over the text a program read from it (test17): the text
    layer, drawn first, is the scan's own text, so the page is not read again by OCR; it was, and
    every line came out twice, interleaved ("……的复关于厦门市……函……")."""
    image, printed = render_gongwen_page(PNG_NOTICE, size=(1240, 1754), seed=4)
    doc = load_document(make_scan_over_text_pdf(tmp_path / "复函.pdf", image, printed))
    assert doc.ocr_pages == [], doc.ocr_pages
    assert character_accuracy(doc.text, "".join(printed)) >= 0.97, doc.text


def test_a_title_mark_a_font_maps_to_a_space_is_read_as_printed(tmp_path: Path) -> None:
    """A browser's printout of a ministry's notice uses a font whose ToUnicode map reads "《" as a
    space: the title came out "国家文物局关于印发 革命文物保护利用“十四五”专项规划》的通知" (test7)."""
    title = "东海市文物局关于印发《革命文物保护利用“十四五”专项规划》的通知"
    pdf = make_gongwen_pdf(tmp_path / "通知.pdf", [[("title", [title]), ("recipient", "各区文物局："),
                                                   ("body", "现将规划印发给你们，请认真贯彻落实。")]])
    doc = load_document(map_glyph_wrongly(pdf, "《", " "))
    assert (doc.meta.title, doc.text.split("\n")[0]) == (title, title)


@pytest.mark.parametrize("opacity, grey", [(0.1, (0.0, 0.0, 0.0)), (1.0, (0.8, 0.8, 0.8))], ids=["see-through", "pale"])
def test_a_watermark_tiled_over_the_pages_is_no_part_of_the_text(tmp_path: Path, opacity: float, grey: tuple) -> None:
    """A trading centre's notices came with "电力市场交易平台 2025年12月1日 10:35:45" tiled at a slant
    over every page at 10% opacity; its characters ran into every line (311 broken lines, the
    title, 文号 and signature lost: test19). Text drawn see-through, or pale at a slant, is a
    watermark's."""
    title = "东海市电力交易中心关于印发《电力市场交易实施细则》的通知"
    body = ("为完善中长期市场交易机制，丰富中长期交易品种，增强中长期市场交易的灵活性和流动性，做好中长期市场与国家政策、"
            "各类型市场间的衔接，本中心结合市场实际修订形成了本细则。该细则在充分征求市场经营主体意见的基础上，经市电力市场"
            "管理委员会书面表决通过，现印发给你们，请遵照执行。")
    pdf = make_gongwen_pdf(tmp_path / "通知.pdf", [[("masthead", "东海市电力交易中心文件"), ("number", "东电交易〔2025〕126号"),
                                                   ("title", [title]), ("recipient", "各市场成员："), ("body", body),
                                                   ("right", "东海市电力交易中心"), ("right", "2025年11月21日")]],
                           watermark=("电力市场交易平台 2025年12月1日 10:35:45", opacity, grey))
    doc = load_document(pdf)
    assert (doc.meta.title, doc.meta.doc_number, doc.meta.issuer, doc.meta.date) == (
        title, "东电交易〔2025〕126号", "东海市电力交易中心", "2025-11-21")
    assert body in doc.text and "交易平台" not in doc.text.replace(body, "")


@pytest.mark.system
@pytest.mark.skipif(not NOTO_SERIF_BOLD.is_file(), reason="no bold CJK serif to draw the scan: apt-get install fonts-noto-cjk")
def test_upright_lines_of_a_black_and_white_scan_are_read_as_they_stand(tmp_path: Path) -> None:
    """OCR's angle step turned whole upright lines of letter-spaced bold text upside down before
    reading them: the first came out "图垫的系(关存）", the second was dropped as unreadable (a
    regulator's G4 TIFF, test16, lost two lines that way and garbled a third). 公文 lines stand
    upright; a page stored turned is found by its lines' shape (ingest.ocr)."""
    lines = ["（以下简称托育服务）是生命全周期服务管理的重要内容，事", "时通过“湖北公共招聘网”等渠道及时向社会公布涉及婴幼儿"]
    render_bilevel_lines(lines).save(tmp_path / "通知.tif", compression="group4")
    text = load_document(tmp_path / "通知.tif").text
    assert character_accuracy(text, "".join(lines)) >= 0.95, text


@pytest.mark.system
@pytest.mark.skipif(not NOTO_SERIF_BOLD.is_file(), reason="no bold CJK serif to draw the scan: apt-get install fonts-noto-cjk")
def test_a_scanned_paragraphs_last_line_of_a_character_and_a_full_stop_goes_on(tmp_path: Path) -> None:
    """OCR gives no font size, so a scan's rows are compared by their characters' pitch, from their
    boxes' widths. A box may stop at the ink of a closing "。", in the left half of its square, or
    a typesetter may set it in half a character (标点挤压): a paragraph's last line "程。" then gave a
    fifth less pitch than the line above it and was taken for another size ("……覆盖中介渠道业务全流"
    | "程。", test16). A mark counts whole or half."""
    lines = ["（四）保险公司应当具备信息化管理手段，业务管理信息系统、", "财务管理信息系统能够真实、准确、完整覆盖中介渠道业务全流", "程。↵",
             "（五）保险公司应当建立中介渠道业务合规审计制度，健全对业", "务部门、各级分支机构的合规审计，形成完善的责任追究机制。↵"]
    render_bilevel_lines(lines, spacing=0.3, measure=1800).save(tmp_path / "通知.tif", compression="group4")
    text = load_document(tmp_path / "通知.tif").text.split("\n")
    assert len(text) == 2, text
    assert character_accuracy(text[0], "".join(lines[:3]).replace("↵", "")) >= 0.95, text


@pytest.mark.system
@needs_font
def test_a_scanned_paragraph_goes_on_over_the_page_number_ocr_misreads(tmp_path: Path) -> None:
    """A phone scan's page number as OCR reads it ("一1一": the dashes read as the character 一) stands
    a little over a line's pitch under the page's last line, with the scanner app's mark close under
    it: both are the page's footer, and the paragraph running over the page break is one."""
    opening = "各地农业农村部门要高度重视农机购置与应用补贴工作，切实加强组织领导。"
    running = ("以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党的二十大精神，按照推动高质量发展要求，"
               "坚持市场主导、政府引导，坚持创新驱动、智能引领，坚持为农服务、增产增收，坚持分区分类、稳步推进，"
               "加快建立健全补贴工作机制，集中资源支持生产急需、群众欢迎的先进创新机具，有力有序淘汰过时落后的农业机械，"
               "加快促进先进智能农机装备研发制造，引领推进农业机械化高质量发展，为加快建设农业强国提供有力支撑。")
    closing = "本意见自印发之日起施行。"
    images = render_scanned_pages([opening, running, closing], rows=8, numbers=["一1一", "一2一"], mark="扫描全能王创建")
    text = load_document(make_image_pdf(tmp_path / "意见.pdf", images)).text
    (paragraph,) = [line for line in text.split("\n") if "以习近平" in line]
    assert paragraph.rstrip("。").endswith("提供有力支撑"), text
    assert character_accuracy(paragraph, running) >= 0.97, paragraph
    assert "扫描全能王" not in text and "1一" not in text and "本意见自印发之日起施行。" not in paragraph, text


@pytest.mark.system
@needs_font
def test_png_scan_is_ocrd_and_inspect_shows_the_ocr_facts(tmp_path: Path, capsys) -> None:
    image, printed = render_gongwen_page(PNG_NOTICE, size=(1240, 900), seed=2)
    path = tmp_path / "通知.png"
    image.save(path)
    assert zhengce(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "image" and report["pages"] == 1
    assert report["metadata"]["doc_number"] == "浦府办〔2024〕7号" and report["metadata"]["date"] == "2024-06-03"
    (facts,) = report["ocr_pages"]
    assert facts["page"] == 1 and facts["error"] is None and facts["confidence"] > 0.9
    text = "".join(chunk["text"] for chunk in report["chunks"])
    assert character_accuracy(text, "".join(printed)) >= 0.97, text
    assert {chunk["page"] for chunk in report["chunks"]} == {1}


def test_image_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    from PIL import Image

    broken = tmp_path / "cut.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, "JPEG")
    broken.write_bytes(buffer.getvalue()[:40])
    with pytest.raises(UnreadableFile, match="not a readable image"):
        extract(broken)
    fine = tmp_path / "page.tif"
    Image.new("RGB", (64, 64), "white").save(fine)
    with pytest.raises(UnreadableFile, match="OCR is off"):
        extract(fine, ocr="off")


# ----------------------------------------------------------------------------- OFD

# file -> a phrase of its text (read with an XML viewer); h.ofd is drawn without TextCode text
OFD_TEXT = {
    "n.ofd": "关于同意张阿三同志辞职的批复",
    "signout.ofd": "府办专督〔2020〕24",
    "zsbk.ofd": "建筑工程施工许可证",
    "ano.ofd": "Web应用开发指南",
    "doc1File.ofd": "一日不见兮，思之如狂。",
    "SESV4SignDoc.ofd": "你好呀，OFD Reader&Writer！",
    "keyword.ofd": "泰安市不动产证明第0014777号",
    "1.ofd": "浙江增值税电子普通发票",
}


def _page_parts(path: Path) -> int:
    with zipfile.ZipFile(path) as package:
        return sum(1 for name in package.namelist() if "/Pages/Page_" in name and name.endswith("/Content.xml"))


# the pages whose background picture holds printed words (a certificate's form) and is read by OCR
OFD_BACKGROUNDS = {"keyword.ofd": [1]}


@pytest.mark.system
@needs_ofd
@pytest.mark.parametrize("name", sorted(OFD_TEXT))
def test_ofd_sample_text_is_read_page_by_page(name: str) -> None:
    doc = load_document(OFD_DIR / name)
    assert doc.format == "ofd" and [facts.page for facts in doc.ocr_pages] == OFD_BACKGROUNDS.get(name, [])
    assert OFD_TEXT[name] in doc.text
    assert len(doc.page_starts) == _page_parts(OFD_DIR / name)


@pytest.mark.system
@needs_ofd
def test_a_certificate_reads_its_form_from_the_background_picture_under_its_values() -> None:
    doc = load_document(OFD_DIR / "keyword.ofd")
    assert doc.meta.title == "不动产登记证明"  # printed in the picture only
    assert "泰安市不动产证明第0014777号" in doc.text  # the text layer's values stay as they are


@needs_ofd
def test_ofd_gongwen_gives_its_doc_number_issuer_title_and_pages() -> None:
    doc = load_document(OFD_DIR / "n.ofd")
    assert doc.meta.doc_number == "路卫发〔2011〕76号"
    assert "路桥区卫生局" in doc.meta.issuer  # the file's own text prefixes its test marker 测试符
    assert doc.meta.title == "关于同意张阿三同志辞职的批复" and doc.meta.date == "2011-03-10"
    assert doc.page_at(doc.text.index("2011年3月10日印发")) == 2
    assert doc.page_at(doc.text.index("区中医院：")) == 1


@needs_ofd
def test_ofd_without_text_or_page_images_is_refused_with_the_reason() -> None:
    with pytest.raises(UnreadableFile) as caught:
        extract(OFD_DIR / "h.ofd")
    assert "no TextCode text and no page image to OCR" in caught.value.reason and "5 pages" in caught.value.reason


def _scanned_ofd(path: Path, pictures: list[bytes]) -> Path:
    """An OFD whose pages are pictures only (scans), as scanning stations write them."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    pages = "".join(f'<ofd:Page ID="{10 + k}" BaseLoc="Pages/Page_{k}/Content.xml"/>' for k in range(len(pictures)))
    media = "".join(
        f'<ofd:MultiMedia ID="{100 + k}" Type="Image"><ofd:MediaFile>scan{k}.png</ofd:MediaFile></ofd:MultiMedia>'
        for k in range(len(pictures))
    )
    parts = {
        "OFD.xml": f'<ofd:OFD {ns} Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:Title>防汛通知</ofd:Title>'
                   "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f"<ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>200</ofd:MaxUnitID><ofd:PageArea>"
                              "<ofd:PhysicalBox>0 0 210 152</ofd:PhysicalBox></ofd:PageArea><ofd:DocumentRes>DocumentRes.xml"
                              f"</ofd:DocumentRes></ofd:CommonData><ofd:Pages>{pages}</ofd:Pages></ofd:Document>",
        "Doc_0/DocumentRes.xml": f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>{media}</ofd:MultiMedias></ofd:Res>',
    }
    for k in range(len(pictures)):
        parts[f"Doc_0/Pages/Page_{k}/Content.xml"] = (
            f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="{150 + k}"><ofd:ImageObject ID="{170 + k}" ResourceID="{100 + k}" '
            'Boundary="0 0 210 152" CTM="210 0 0 152 0 0"/></ofd:Layer></ofd:Content></ofd:Page>'
        )
    with zipfile.ZipFile(path, "w") as package:
        for name, xml in parts.items():
            package.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
        for k, picture in enumerate(pictures):
            package.writestr(f"Doc_0/Res/scan{k}.png", picture)
    return path


@pytest.mark.system
@needs_font
def test_ofd_of_page_images_is_read_by_ocr_and_a_page_that_fails_costs_only_that_page(tmp_path: Path, caplog) -> None:
    image, printed = render_gongwen_page(PNG_NOTICE, size=(1240, 900), seed=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    damaged = buffer.getvalue()[:200]  # page 2's picture was cut off in transfer
    with caplog.at_level(logging.WARNING, logger="indexer.ingest.ocr"):
        doc = load_document(_scanned_ofd(tmp_path / "scan.ofd", [buffer.getvalue(), damaged]))
    assert character_accuracy(doc.text, "".join(printed)) >= 0.97, doc.text
    assert doc.meta.doc_number == "浦府办〔2024〕7号" and len(doc.page_starts) == 2
    good, failed = doc.ocr_pages
    assert (good.page, good.error) == (1, None) and good.confidence > 0.9
    assert failed.page == 2 and failed.confidence is None and failed.error.startswith("OCR failed: ")
    assert any("scan.ofd: page 2: OCR failed" in record.getMessage() for record in caplog.records)


def test_damaged_ofd_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "cut.ofd"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnreadableFile, match="not a readable OFD") as caught:
        extract(path)
    assert caught.value.path == path
    package = tmp_path / "no root.ofd"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody/></ofd:OFD>')
    with pytest.raises(UnreadableFile, match="names no DocRoot"):
        extract(package)


# ----------------------------------------------------------------------------- .doc, .wps, WPS .docx

WORD_NOTICE = [NOTICE_TITLE, *NOTICE_PARAGRAPHS]


@pytest.mark.system
@needs_soffice
@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_word97_file_is_read_through_libreoffice(tmp_path: Path, suffix: str) -> None:
    path = make_word97(tmp_path / f"托育通知{suffix}", WORD_NOTICE)
    doc = load_document(path)
    assert doc.format == suffix[1:]
    assert NOTICE_PARAGRAPHS[6] in doc.text
    assert doc.meta.doc_number == "浦府办〔2021〕12号" and doc.meta.date == "2021-05-13"
    assert doc.meta.title == NOTICE_TITLE


@pytest.mark.system
@needs_soffice
def test_word97_saved_under_a_docx_name_goes_through_libreoffice(tmp_path: Path) -> None:
    """WPS saves Word 97 binaries under .docx names; python-docx refuses them, LibreOffice reads them."""
    path = make_word97(tmp_path / "WPS保存.docx", WORD_NOTICE)
    doc = load_document(path)
    assert doc.format == "docx"
    assert NOTICE_PARAGRAPHS[4] in doc.text and doc.meta.doc_number == "浦府办〔2021〕12号"


def test_word97_without_libreoffice_names_the_package(tmp_path: Path, monkeypatch) -> None:
    path = make_docx(tmp_path / "draft.doc", ["不是Word 97也没关系：先要找到LibreOffice"])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # a machine without soffice on its PATH
    with pytest.raises(UnreadableFile) as caught:
        extract(path)
    assert "libreoffice-writer-nogui" in caught.value.reason and caught.value.path == path


@pytest.mark.system
@needs_soffice
def test_a_conversion_past_its_time_limit_is_stopped_and_reported(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "slow.doc", WORD_NOTICE)
    with pytest.raises(UnreadableFile, match="did not finish converting it within"):
        extract_via_docx(path, path.read_bytes(), timeout=0.2)


# ----------------------------------------------------------------------------- --ocr on the command line


@pytest.mark.parametrize("backend", ["local", "milvus"])
def test_index_with_ocr_off_refuses_scans_by_name_and_indexes_the_rest(
    tmp_path: Path, capsys, embed_cache_path, monkeypatch, backend: str
) -> None:
    """Both writers take --ocr (the Milvus one read every scan by OCR whatever the flag said)."""
    from PIL import Image

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_image_pdf(corpus / "扫描件.pdf", [Image.new("RGB", (620, 877), "white")])
    Image.new("RGB", (620, 877), "white").save(corpus / "照片.jpg")
    make_docx(corpus / "通知.docx", NOTICE_PARAGRAPHS)
    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(embed_cache_path))
    where = (["--index", str(tmp_path / "index")] if backend == "local" else
             ["--backend", "milvus", "--milvus-uri", str(tmp_path / "index.db"), "--milvus-collection", "ocr_off"])
    assert zhengce(["index", str(corpus), *where, "--ocr", "off", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == ["通知.docx"]
    reasons = {item["source"]: item["reason"] for item in report["failed"]}
    assert set(reasons) == {"扫描件.pdf", "照片.jpg"}
    assert all("OCR is off" in reason for reason in reasons.values())


@pytest.mark.system
def test_ocr_force_reads_a_page_that_has_a_text_layer(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    from filegen import CJK_FONT

    path = tmp_path / "typed.pdf"
    pdf = canvas.Canvas(str(path), pagesize=(320, 120))  # a small page: OCR of it takes a second or two
    pdf.setFont(CJK_FONT, 18)
    pdf.drawString(30, 60, "浦府办〔2021〕12号")
    pdf.showPage()
    pdf.save()
    assert extract(path).ocr_pages == []  # auto: the text layer is used
    forced = extract(path, ocr="force")
    assert [facts.page for facts in forced.ocr_pages] == [1]
    assert "".join(forced.pages[0].split()) == "浦府办〔2021〕12号"
