"""The blocks of a 公文's page (GB/T 9704: masthead, title, 主送, body, signature, 成文日期) found
from where and how they are printed, in files made the way offices and printers make them
(issue 31, the misses of the real-file set test3). Each test failed on the readers before its fix.
"""

from __future__ import annotations

from pathlib import Path

import docx
import numpy as np
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from indexer.gongwen.clean import clean
from indexer.gongwen.documents import load_document
from indexer.gongwen.metadata import extract_metadata
from indexer.ingest.ocrwords import Piece, cut, line_pitch, placed
from indexer.ingest.office import soffice
from indexer.ingest.paragraphs import LINE_WRAP, MASTHEAD_END, PARAGRAPH_END

from filegen import (
    cjk_font_file,
    make_docx,
    make_flowing_pdf,
    make_gongwen_pdf,
    make_placed_pdf,
    make_word97,
    render_gongwen_page,
)

needs_font = pytest.mark.skipif(cjk_font_file() is None, reason="no CJK font to draw scans: apt-get install fonts-noto-cjk")
needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed: apt-get install libreoffice-writer-nogui")

RECIPIENT = "各省、自治区、直辖市、新疆生产建设兵团社会信用体系建设牵头部门，国家税务总局各省、自治区、直辖市和计划单列市税务局："


# ----------------------------------------------------------------------------- masthead and title block


def test_a_recipient_set_close_under_the_title_is_no_line_of_the_title(tmp_path: Path) -> None:
    """A typeset 公文 sets the 主送 close under the title. Its first line runs from margin to margin,
    so its middle is the page's: centred as the title is, but it is body text, not a title line."""
    pages = [[("title", ["关于加强个人所得税纳税信用建设的通知"]), ("recipient", RECIPIENT), ("body", "现将有关事项通知如下。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "通知.pdf", pages, title_space=0))
    assert doc.meta.title == "关于加强个人所得税纳税信用建设的通知"
    assert doc.text.split("\n")[:2] == ["关于加强个人所得税纳税信用建设的通知", RECIPIENT]


@pytest.mark.parametrize("mark", ["特急", "机密★1年", "000123"])
def test_a_mark_over_the_masthead_is_read_where_it_stands_not_into_the_text_overleaf(tmp_path: Path, mark: str) -> None:
    """GB/T 9704 sets 份号, 密级 and 紧急程度 at the top left of page 1, over the masthead. A short row set
    apart above the text in smaller type was taken for a running header and read after the page's
    text: the paragraph running over the page break took it in ("……现就特急" | "开展……", test16)."""
    opening = "为做好年度政府投资项目计划编制工作，根据有关规定，结合本市实际，" * 3
    opening = opening[: 26 + 28 * 2]  # three full lines: the paragraph goes on overleaf
    rest = "开展2015年市本级政府投资项目申报工作有关事项通知如下。"
    pages = [[("mark", mark), ("masthead", "东海市发展和改革委员会文件"), ("number", "东发改〔2014〕145号"),
              ("title", ["关于2015年政府投资项目库申报工作的通知"]), ("recipient", "市直各有关部门："), ("body", opening)],
             [("recipient", rest), ("right", "东海市发展和改革委员会"), ("right", "2014年6月30日")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "通知.pdf", pages))
    assert opening + rest in doc.text.split("\n"), doc.text
    assert doc.text.split("\n")[0] == mark, doc.text
    assert (doc.meta.title, doc.meta.doc_number) == ("关于2015年政府投资项目库申报工作的通知", "东发改〔2014〕145号")


def test_a_joint_masthead_set_solid_reads_name_by_name(tmp_path: Path) -> None:
    """Two issuers' names stacked beside "文件", set solid (one name's size apart): the character
    boxes of the two names overlap, but one name stands over the other, so they are two lines, in
    printed order ("发展改革委办公厅税务总局办公厅" ran together, or came out upper name last)."""
    pages = [[("masthead", ["国家发展改革委办公厅", "税务总局办公厅"]), ("number", "发改办财金规〔2019〕860号"),
              ("title", ["关于加强个人所得税纳税信用建设的通知"]), ("recipient", RECIPIENT), ("body", "现将有关事项通知如下。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "联合发文.pdf", pages, masthead_pitch=29))
    assert doc.text.split("\n")[:2] == ["国家发展改革委办公厅", "税务总局办公厅"], doc.text[:60]
    assert doc.meta.issuers == ["国家发展改革委办公厅", "税务总局办公厅"]


# ----------------------------------------------------------------------------- signature block

BODY = ["各有关单位：", "现将拟录用人员名单予以公示，公示期为5个工作日。如有异议，请在公示期内向我单位反映。", "联系电话：0791-86307196"]


def _signed_docx(path: Path, signature: list[tuple[str, str]], after: list[str] = ()) -> Path:
    """A notice whose signature and date are set right as Word users set them: ``right`` aligned
    right, ``indent`` by a first-line indent of 14 characters, ``spaces`` by typed spaces."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(16)
    document.add_paragraph("拟录用公务员公示公告").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in BODY:
        document.add_paragraph(text).paragraph_format.first_line_indent = Pt(32)
    for how, text in signature:
        paragraph = document.add_paragraph(" " * 30 + text if how == "spaces" else text)
        if how == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif how == "indent":
            paragraph.paragraph_format.first_line_indent = Pt(16 * 14)
    for text in after:
        document.add_paragraph(text)
    document.save(str(path))
    return path


@pytest.mark.parametrize("how", ["right", "indent", "spaces"])
def test_a_signature_set_right_above_the_date_names_the_issuer_whatever_its_name_ends_in(tmp_path: Path, how: str) -> None:
    """The body that signs is the line set right above the 成文日期, whether its name ends in 局 or
    not (南昌海关, 东海学院（西湖学院）): where it is printed says what it is."""
    for name in ("东海海关", "东海学院（西湖学院）"):
        path = _signed_docx(tmp_path / f"{how}{len(name)}.docx", [(how, name), (how, "2023年5月19日")])
        doc = load_document(path)
        assert (doc.meta.issuer, doc.meta.date) == (name, "2023-05-19"), doc.text


def test_a_signature_without_a_date_is_the_block_set_right_after_the_body(tmp_path: Path) -> None:
    """Signed but not dated, a name aligned right over two lines ("XX学院" / "（YY学院）"), then the
    attachments: the name is the issuer, its two lines one name."""
    path = _signed_docx(tmp_path / "遴选.docx", [("right", "东海学院"), ("right", "（西湖学院）")],
                        after=["附件1：", "入驻申请表", "申请人签字："])
    doc = load_document(path)
    assert doc.meta.issuer == "东海学院（西湖学院）", doc.text
    assert "东海学院（西湖学院）" in doc.text.split("\n")


def test_a_line_set_right_in_the_body_is_no_signature(tmp_path: Path) -> None:
    """Only the block that closes the body signs: a name set right above the body's text does not."""
    path = _signed_docx(tmp_path / "正文.docx", [], after=["附件1：", "入驻申请表"])
    document = docx.Document(str(path))
    document.paragraphs[1].insert_paragraph_before("东海海关").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.save(str(path))
    assert load_document(path).meta.issuer is None


@pytest.mark.system
@needs_soffice
def test_joint_signers_on_one_line_apart_are_two_issuers_in_a_word97_file(tmp_path: Path) -> None:
    """Two offices sign on one line, set apart by spaces, aligned right over the date: two issuers
    ("学生工作处国际合作与交流处" ran together)."""
    paragraphs = ["关于申报海外访学项目的通知", "各学院：", "现将有关事项通知如下，请按要求组织申报。",
                  " " * 24 + "学生工作处  国际合作与交流处", " " * 28 + "2018年4月9日"]
    doc = load_document(make_word97(tmp_path / "访学.doc", paragraphs))
    assert doc.meta.issuers == ["学生工作处", "国际合作与交流处"], doc.text
    assert doc.meta.issuer == "学生工作处、国际合作与交流处" and doc.meta.date == "2018-04-09"


# ----------------------------------------------------------------------------- a scanned title over three lines


@pytest.mark.system
@needs_font
def test_a_scanned_title_set_in_body_type_over_three_lines_is_one_title(tmp_path: Path) -> None:
    """A company's notice, its title centred over three lines in the body's type (the organ with its
    legal form in brackets, then "关于……的", then "通知"): nothing in its size marks a title block,
    but a line left at "……的" goes on, and the organ above 关于 is the title's and the issuer's."""
    lines = [("centre", "东海创新科技发展中心（有限合伙）"), ("centre", "关于召开2020年度第二次合伙人会议的"), ("centre", "通知"),
             ("left", "各位合伙人："), ("body", "根据合伙协议的有关规定，本中心定于2020年12月11日召开合伙人会议，现将有关事项通知如下。"),
             ("body", "请届时按时参加，特此通知。")]
    image, _ = render_gongwen_page(lines, seed=3)
    image.save(tmp_path / "通知.png")
    doc = load_document(tmp_path / "通知.png")
    assert doc.meta.title == "东海创新科技发展中心（有限合伙）关于召开2020年度第二次合伙人会议的通知", doc.text[:80]
    assert doc.meta.issuer == "东海创新科技发展中心（有限合伙）"


def test_a_title_line_left_at_de_goes_on_with_the_kind_on_the_line_below() -> None:
    """Laid out line by line (a scan whose title lines differ in height), "关于……的" over "通知" is
    still one title, with the organ printed above it."""
    text = ("东海创新科技发展中心（有限合伙）\n关于召开2020年度第二次合伙人会议的\n通知\n各位合伙人：\n"
            "根据合伙协议的有关规定，本中心定于2020年12月11日召开合伙人会议，现将有关事项通知如下。")
    meta = extract_metadata(text, laid_out=True)
    assert meta.title == "东海创新科技发展中心（有限合伙）关于召开2020年度第二次合伙人会议的通知"


# ----------------------------------------------------------------------------- words set apart on one line, read by OCR


@pytest.mark.system
@needs_font
def test_joint_signers_set_apart_on_one_line_of_a_page_image_are_two_issuers(tmp_path: Path) -> None:
    """A notice printed as a page image: two ministries sign on one line, set apart by spaces as Word
    sets them (a character and a quarter of space), over the date. OCR's detector boxes the line
    whole and its recogniser reads no space there ("教育部科技部": one issuer); read from the image
    the signature must give what the PDF's text layer gives: two issuers."""
    import pypdfium2

    pages = [[("title", ["关于规范高等学校科技成果转化工作的通知"]), ("recipient", "各省、自治区、直辖市教育厅（教委）、科技厅（委、局）："),
              ("body", "现将有关事项通知如下，请结合实际认真贯彻执行。"), ("gap", ""),
              ("right", "教育部      科技部"), ("right", "2021年5月13日")]]
    pdf = make_gongwen_pdf(tmp_path / "通知.pdf", pages)
    assert load_document(pdf).meta.issuers == ["教育部", "科技部"]
    document = pypdfium2.PdfDocument(str(pdf))
    document[0].render(scale=150 / 72).to_pil().save(tmp_path / "通知.png")  # 150 dpi, as scans are read
    document.close()
    doc = load_document(tmp_path / "通知.png")
    assert doc.meta.issuers == ["教育部", "科技部"], doc.text
    assert doc.meta.issuer == "教育部、科技部" and doc.meta.date == "2021-05-13"


@pytest.mark.system
@needs_font
def test_names_set_apart_by_a_space_on_a_scanned_page_stay_apart(tmp_path: Path) -> None:
    """A working group's members on a scan, one full-width space between names ("组长：张某　李某"):
    the detector boxes each line whole and the recogniser ran the names together ("张某李某"). The
    space between names is kept; the body's characters, set close, gain none."""
    body = "为做好高等学校科技成果转化工作，经研究，决定成立工作领导小组，现将组成人员名单通知如下。"
    lines = [("title", "关于成立科技成果转化工作领导小组的通知"), ("left", "各学院、各部门："), ("body", body),
             ("left", "组长：张某　李某"), ("left", "成员：王某某　赵某　钱某某")]
    image, _ = render_gongwen_page(lines, seed=4)
    image.save(tmp_path / "通知.png")
    text = load_document(tmp_path / "通知.png").text
    assert "张某 李某" in text and "王某某 赵某 钱某某" in text, text
    (paragraph,) = [line for line in text.split("\n") if line.startswith("为做好")]
    assert " " not in paragraph, paragraph


def _band(inked: list[tuple[int, int]], ink: int = 20, width: int = 400) -> np.ndarray:
    """A line's rows of a page: paper with ink in the given column spans."""
    band = np.full((30, width), 250, dtype=np.uint8)
    for left, right in inked:
        band[5:25, left:right] = ink
    return band


def _placed(text: str, middles: list[float]) -> list:
    return placed(text, [(char, 1.0, [[m - 9, 0], [m + 9, 0], [m + 9, 30], [m - 9, 30]]) for char, m in zip(text, middles)])


@pytest.mark.parametrize("ink", [20, 160])  # black print, and a web page's grey type
def test_a_line_is_cut_where_no_ink_stands_between_two_characters_for_more_than_a_pitch(ink: int) -> None:
    """Characters 20 pixels apart; two stand 45 pixels of paper apart (more than two pitches): the
    line is cut there, each piece reaching from its own ink to its own ink."""
    chars = _placed("教育部科技部", [10, 30, 50, 115, 135, 155])
    band = _band([(2, 18), (22, 38), (42, 58), (107, 123), (127, 143), (147, 163)], ink)
    assert line_pitch(chars) == 20
    assert cut("教育部科技部", 0, 170, band, chars, 20) == [Piece("教育部", 0, 58), Piece("科技部", 107, 170)]
    close = _band([(2, 18), (22, 38), (42, 58), (70, 86), (90, 106), (110, 126)], ink)  # 12 pixels of paper
    assert [piece.text for piece in cut("教育部科技部", 0, 130, close, _placed("教育部科技部", [10, 30, 50, 78, 98, 118]), 20)] == ["教育部科技部"]


def test_no_cut_beside_a_punctuation_mark_whose_square_is_half_blank() -> None:
    """"”“": a closing quote inks the left of its square, an opening one the right; they stand a
    pitch and a half of paper apart with nothing between them."""
    text = "以刊评文”“以刊代评"
    middles = [10, 30, 50, 70, 86, 134, 150, 170, 190, 210]
    band = _band([(m - 8, m + 8) if k not in (4, 5) else (m - 4, m + 2) for k, m in enumerate(middles)])
    assert [piece.text for piece in cut(text, 0, 220, band, _placed(text, middles), 20)] == [text]


def test_character_places_that_do_not_spell_the_line_cut_nothing() -> None:
    assert placed("教育部科技部", [("教", 1.0, [[0, 0], [9, 0], [9, 9], [0, 9]]), ("学", 1.0, [[20, 0], [29, 0], [29, 9], [20, 9]])]) is None


# ----------------------------------------------------------------------------- a page printed by a browser


def test_the_browsers_print_date_in_its_header_is_no_date_of_the_document() -> None:
    """A 政务公开 page printed by a browser and read by OCR, page by page: each page's first line is
    the browser's header (the print date and the page's title apart), its last the page's address;
    OCR reads the title's "_" on some pages and not on others. The header is the pages', not the
    text's, so the last date line is the 成文日期 under the signature, not the print date overleaf."""
    end, wrap = PARAGRAPH_END, LINE_WRAP
    title = "东海省教育厅关于提升高等学校专利质量的若干意见"
    header = [f"2023/3/1    {title}_知识产权_中国政府网{end}", f"2023/3/1    {title}知识产权_中国政府网{end}"]
    footer = f"www.gov.cn/zhengce/content_5481750.htm    {{}}/4{end}"
    body = "各高校要坚持质量第一，积极推动把专利质量提升工作纳入重要议事日程，进一步提高知识产权工作水平，促进知识产权的"
    pages = [
        f"{header[1]}\n{title}{end}\n各高等学校：{end}\n{body}{wrap}\n{footer.format(1)}",
        f"{header[0]}\n创造和运用。{end}\n{body}{wrap}\n{footer.format(2)}",
        f"{header[0]}\n创造和运用。{end}\n                        东海省教育厅{end}\n                          2020年2月3日{end}\n{footer.format(3)}",
        f"{header[1]}\n我向总理说句话    微博    微信{end}\n{footer.format(4)}",
    ]
    cleaned = clean(pages)
    meta = extract_metadata(cleaned.text, laid_out=True, set_right=cleaned.set_right)
    assert (meta.date, meta.issuer) == ("2020-02-03", "东海省教育厅")
    assert "2023/3/1" not in cleaned.text and "中国政府网" not in cleaned.text


@pytest.mark.parametrize("header_read", ["first", "last"])  # the layout reads a running header after the page's text
def test_a_title_the_browsers_header_repeats_stays_in_the_text(header_read: str) -> None:
    """A browser's header prints the page's title, and the page's title is the document's: the header
    on every page and the title on the first were the same words, and both went as the running
    header, so the text lost its title line (test8). A page prints what repeats once."""
    end, wrap = PARAGRAPH_END, LINE_WRAP
    title = "东海省人民政府关于深入实施“人工智能+”行动的意见"
    header = f"2026/5/19 19:11    {title}{end}"
    body = "为深入实施“人工智能+”行动，推动人工智能与经济社会各行业各领域广泛深度融合，重塑人类生产生活范式，促进生产力"
    texts = [
        f"{title}{end}\n东政发〔2025〕11号{end}\n各市、县人民政府：{end}\n{body}{wrap}\nwww.dh.gov.cn/zhengce/1.htm    1/3{end}",
        f"革命性跃迁。{end}\n{body}{wrap}\nwww.dh.gov.cn/zhengce/1.htm    2/3{end}",
        f"革命性跃迁。{end}\n                        东海省人民政府{end}\n                          2025年8月21日{end}\n"
        f"www.dh.gov.cn/zhengce/1.htm    3/3{end}",
    ]
    pages = [f"{header}\n{text}" if header_read == "first" else f"{text}\n{header}" for text in texts]
    cleaned = clean(pages)
    assert cleaned.text.split("\n")[0] == title, cleaned.text[:200]
    assert "2026/5/19" not in cleaned.text and cleaned.text.count(title) == 1
    assert extract_metadata(cleaned.text, laid_out=True, set_right=cleaned.set_right).title == title


# ----------------------------------------------------------------------------- 文号 as WPS and regulations print them (test4)


@pytest.mark.system
@needs_soffice
def test_a_doc_number_in_small_tortoise_shell_brackets_is_the_doc_number(tmp_path: Path) -> None:
    """WPS users pick the small brackets ﹝﹞ (U+FE5D/E) for GB/T 9704's 〔〕: the 文号 under the title is
    still the document's."""
    paragraphs = ["东海保监局 东海省司法厅关于进一步做好司法鉴定工作的通知", "东保监发﹝2013﹞36号", "各保险公司：",
                  "现就进一步做好涉及保险理赔的司法鉴定工作通知如下，请认真贯彻执行。"]
    doc = load_document(make_word97(tmp_path / "通知.doc", paragraphs))
    assert doc.meta.doc_number == "东保监发〔2013〕36号", doc.text[:80]


def test_a_regulations_announcement_number_in_brackets_under_its_title_is_its_doc_number(tmp_path: Path) -> None:
    """A regulation published by a 公告 prints the 公告's number in round brackets under its title,
    with square brackets for the year ("（证监会公告[2013]26号）"): that is its 文号."""
    pages = [[("title", ["东海开放式基金销售费用管理规定"]), ("number", "（东证监公告[2013]26号）"),
              ("body", "第一条 为维护开放式基金销售的市场秩序，保护投资人的合法权益，制定本规定。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "规定.pdf", pages))
    assert doc.meta.doc_number == "东证监公告〔2013〕26号", doc.text[:80]
    assert doc.meta.title == "东海开放式基金销售费用管理规定"


# ----------------------------------------------------------------------------- a 令 (GB/T 9704's 命令（令）格式)


def test_an_order_names_its_number_issuer_and_date_in_the_order_format(tmp_path: Path) -> None:
    """A 令 republished with the rules it enacts: its title, then "XX委员会令" and "第19号" under it,
    one sentence, the signer's 职务 and name with the 成文日期 on one line, then the rules in 第X条.
    The 令号 with its masthead is the 文号, the body naming itself is the issuer, the date after the
    signer the 成文日期 (none was read: the masthead is no "XX文件" and the date stands beside a name)."""
    pages = [[("title", ["东海证券投资基金信息披露管理办法"]), ("number", "东海证券监督管理委员会令"), ("number", "第19号"),
              ("body", "《东海证券投资基金信息披露管理办法》已经2004年3月30日东海证券监督管理委员会主席办公会议审议通过，现予公布，自2004年7月1日起施行。"),
              ("right", "东海证监会主席：张某某 二○○四年六月八日"), ("gap", ""),
              ("title", ["东海证券投资基金信息披露管理办法"]),
              ("body", "第一条 为规范证券投资基金信息披露活动，保护投资人及相关当事人的合法权益，制定本办法。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "办法.pdf", pages))
    meta = doc.meta
    assert (meta.doc_number, meta.issuer, meta.date) == ("东海证券监督管理委员会令第19号", "东海证券监督管理委员会", "2004-06-08"), doc.text[:120]
    assert meta.title == "东海证券投资基金信息披露管理办法" and meta.proposal_number is None


# ----------------------------------------------------------------------------- a masthead without 文件, titles the layout must join (test4)


def _masthead_docx(masthead: str, title: str, body: list[str]) -> docx.document.Document:
    """A 红头 as a county office types it in Word: the organ's name alone (no 文件) centred in large red
    type, an empty line, the title centred in 小二, then the body in 三号."""
    document = docx.Document()
    for text, size, red in ((masthead, 34, True), ("", 10.5, False), (title, 22, False)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        if red:
            run.font.color.rgb = RGBColor(0xFF, 0, 0)
    for text in body:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.add_run(text).font.size = Pt(16)
    return document


MASTHEAD_BODY = ["各乡镇党委，县属各单位党组织：", "为切实加强专业化干部队伍建设，现就开展部分专业岗位领导干部遴选工作有关事项通知如下。"]


@pytest.mark.system
@needs_soffice
def test_a_red_masthead_without_wenjian_is_no_line_of_the_title_in_a_word97_file(tmp_path: Path) -> None:
    """The organ's name as the masthead (a 发文机关标志 without 文件), large and red over the title: it
    stands apart from the title ("东海县委组织部关于……的通知" was read as the title)."""
    document = _masthead_docx("中共东海县委组织部", "关于开展专业岗位领导干部遴选工作的通知", MASTHEAD_BODY)
    doc = load_document(make_word97(tmp_path / "通知.doc", [], document))
    assert doc.meta.title == "关于开展专业岗位领导干部遴选工作的通知", doc.text[:60]
    assert doc.text.split("\n")[:2] == ["中共东海县委组织部", "关于开展专业岗位领导干部遴选工作的通知"]


def test_a_red_masthead_without_wenjian_is_no_line_of_the_title_in_a_pdf(tmp_path: Path) -> None:
    """The same printed to PDF: the masthead is a line of its own, and no line of the title."""
    pages = [[("masthead", "中共东海县委组织部"), ("title", ["关于开展专业岗位领导干部遴选工作的通知"]),
              ("recipient", MASTHEAD_BODY[0]), ("body", MASTHEAD_BODY[1])]]
    doc = load_document(make_gongwen_pdf(tmp_path / "通知.pdf", pages))
    assert doc.meta.title == "关于开展专业岗位领导干部遴选工作的通知", doc.text[:60]


def test_a_title_block_set_double_is_one_title(tmp_path: Path) -> None:
    """A joint notice's title over three centred lines set double (a little more than a line's height
    between them, so the layout does not join them), the two issuers on the first: "关于……" opens the
    heading, so the line under it goes on with it, and the issuers above it are the title's (its last
    line only was the title)."""
    title = ["东海省农业农村厅 东海省财政厅", "关于印发2024-2026年东海省农机", "购置与应用补贴实施方案的通知"]
    pages = [[("title", title), ("recipient", "各市、县、自治县农业农村局、财政局："),
              ("body", "为规范实施农机购置与应用补贴政策，充分发挥政策效益，推动农业机械化全程全面高质量发展，有效支撑粮食和重要农产品"
                       "稳定安全供给，加快农业农村现代化，根据有关文件精神，结合我省实际，我们制定了实施方案。现将实施方案印发给你们，"
                       "请结合本地实际认真贯彻执行。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "通知.pdf", pages, title_pitch=53))
    assert doc.meta.title == "东海省农业农村厅 东海省财政厅关于印发2024-2026年东海省农机购置与应用补贴实施方案的通知", doc.text[:80]


def test_a_title_in_body_type_whose_second_line_fills_the_measure_is_one_title(tmp_path: Path) -> None:
    """A company's 公告 titled in the body's type over two lines: the first centred, the second running
    from margin to margin as a wrapped line does. The first line opens the heading (XX关于……), so the
    second goes on with it (the second line alone was the title)."""
    pages = [[("centred", ["东海基金管理有限公司关于旗下部分开放式基金新增"]),
              ("recipient", "东海正达投资管理公司、汇成基金销售公司为其代销机构的公告"),
              ("body", "根据本公司与上述机构签署的代销协议，自2016年5月24日起，本公司旗下部分开放式基金在上述机构开通申购业务。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "公告.pdf", pages, title_space=8))
    assert doc.meta.title == ("东海基金管理有限公司关于旗下部分开放式基金新增"
                              "东海正达投资管理公司、汇成基金销售公司为其代销机构的公告"), doc.text[:80]
    assert doc.meta.issuer == "东海基金管理有限公司"


def test_one_body_read_twice_above_the_date_signs_once() -> None:
    """A scanned 意见's last page as OCR lays it out: the 版记's printing office ("农业部办公厅" left of
    "……印发") is read into the signature block, above the signer's own name. One body does not co-sign
    with itself: the issuer is that body once ("东海省农业厅办公室、东海省农业厅办公室" was read)."""
    end, wrap = PARAGRAPH_END, LINE_WRAP
    pages = [f"东海省农业厅办公室关于加力推进农机购置补贴工作的意见{end}\n各市农业农村局：{end}\n"
             f"  为加快推进农业机械化高质量发展，现就加力推进农机购置补贴工作提出如下意见，请结合实际认真{wrap}\n"
             f"贯彻落实。{end}\n 东海省农业厅办公室{end}\n —8—{end}\n                    东海省农业厅办公室{end}\n"
             f"                    2025年1月23日{end}\n   2025年1月24日印发{end}"]
    cleaned = clean(pages)
    meta = extract_metadata(cleaned.text, laid_out=True, set_right=cleaned.set_right)
    assert (meta.issuer, meta.date, meta.printed) == ("东海省农业厅办公室", "2025-01-23", "2025-01-24")


def test_a_title_whose_issuer_line_repeats_the_masthead_keeps_it() -> None:
    """A 红头 whose masthead is the organ's name, then the 文号, then the title over two lines with the
    same name on its first: the masthead is no line of the title, the title's own line is."""
    end, apart = PARAGRAPH_END, MASTHEAD_END
    pages = [f"中共东海市委组织部{apart}\n东组通字〔2018〕39号{end}\n中共东海市委组织部{end}\n"
             f"关于开展纪念建党97周年系列活动的通知{end}\n各县（市、区）委组织部：{end}\n"
             f"今年是中国共产党成立97周年，为回顾党的历史，现就开展系列活动有关事项通知如下，请认真组织实施。{end}"]
    cleaned = clean(pages)
    meta = extract_metadata(cleaned.text, mastheads=cleaned.mastheads)
    assert meta.title == "中共东海市委组织部关于开展纪念建党97周年系列活动的通知"


# ----------------------------------------------------------------------------- a published 部门预算 (test5)

DUTIES = "东海市西湖区司法局是主管本区司法和法制工作的区政府工作部门，主要职责是："
DUTY = "（一）贯彻执行国家和本市有关司法行政工作的法律、法规、规章和方针、政策，制定本区司法行政工作规划并组织实施。"


@pytest.mark.parametrize("title", ["东海市西湖区2026年区级部门预算", "东海市西湖区司法局2025年度部门决算",
                                   "2025年西湖区国民经济和社会发展统计公报", "西湖区司法局2025年政府信息公开工作年报"])
def test_the_cover_of_a_published_budget_or_report_names_its_title_and_kind(tmp_path: Path, title: str) -> None:
    """A 部门预算 (决算, 统计公报, 年报) as a 政府信息公开 page publishes it: its cover prints the title
    large and centred, the 预算主管部门 under it, then the contents and the body. Its kind closes the title
    as a 公文's does (the title was None, the body's opening sentence read as the 主送); the cover's
    label line is no 主送."""
    pages = [[("title", [title]), ("centred", ["预算主管部门：东海市西湖区司法局"])],
             [("centred", ["东海市西湖区司法局主要职能"]), ("body", DUTIES), ("body", DUTY)]]
    doc = load_document(make_gongwen_pdf(tmp_path / "预算.pdf", pages))
    assert doc.meta.title == title, doc.text[:80]
    assert doc.meta.doc_type == title[-2:]
    assert doc.meta.recipients == [] and doc.meta.cc == []


@pytest.mark.parametrize("sentence", [DUTIES, "现将有关事项通知如下：", "本办法所称公共法律服务，包括："])
def test_a_sentence_ending_in_a_colon_is_no_list_of_recipients(sentence: str) -> None:
    """A 主送 line lists bodies or people; a sentence that says something of a body (……是……的部门，
    主要职责是：) or announces what follows (通知如下：) ends in "：" too, but names no addressee (it was
    read as the recipients "……区政府工作部门", "主要职责是"). It is no salutation either: the page's
    heading above it is still found, and a real 主送 after it still is one."""
    text = "\n".join(["东海市西湖区司法局关于加强公共法律服务工作的通知", sentence, DUTY])
    meta = extract_metadata(text)
    assert meta.recipients == []
    assert meta.title == "东海市西湖区司法局关于加强公共法律服务工作的通知"
    addressed = extract_metadata("\n".join(["关于加强公共法律服务工作的通知", "各街道办事处、镇政府，区政府各委、办、局：", DUTY]))
    assert addressed.recipients == ["各街道办事处、镇政府", "区政府各委、办、局"]


@pytest.mark.parametrize("page_number", ["", "12"])
def test_a_contents_entry_that_fills_its_line_with_leader_dots_goes_on_to_nothing(tmp_path: Path, page_number: str) -> None:
    """A table of contents' last entry fills its line with leader dots, so it runs to the margin as a
    wrapped line does; the next page's heading was joined onto it ("七、项目经费情况说明……西湖区司法局主要职能").
    A line ending in leader dots, with or without a page number, is a contents entry: nothing goes on from it."""
    entries = [f"{head}{'…' * (28 - len(head) - len(page_number))}{page_number}"
               for head in ("一、部门主要职能", "二、部门机构设置", "4.2026年部门财政拨款收支预算总表", "七、项目经费情况说明")]
    pages = [[("centred", ["目录"]), *[("recipient", entry) for entry in entries]],
             [("centred", ["东海市西湖区司法局主要职能"]), ("body", DUTIES), ("body", DUTY)]]
    lines = load_document(make_gongwen_pdf(tmp_path / "目录.pdf", pages)).text.split("\n")
    assert lines[1:6] == [*entries, "东海市西湖区司法局主要职能"], lines[:6]


def test_a_line_broken_before_a_number_that_did_not_fit_goes_on(tmp_path: Path) -> None:
    """A word processor never breaks a number: where "118.46" does not fit, the line stops short of the
    margin (by more than the slack a full line leaves) and the number opens the next line; the sentence
    goes on ("……执行数为" | "118.46万元，……" were two paragraphs). Under a numbered item ("1.……") a line
    opening with a number that has a decimal point starts no new item ("118." is not a marker)."""
    cut_short = "普法宣传经费用于法制宣传工作的支出，全年执行数为"  # indented 2: leaves 2 characters, "118.46" needs 2.5
    item = "1.公共法律服务经费用于公共法律服务业务支出，全年执行数为"  # fills its line: "118.46" opens the next
    rest = "118.46万元，2026年预算安排124.29万元，比上年预算执行数增加4.92%。主要原因是：法制宣传工作支出增加，业务量增加。"
    doc = load_document(make_flowing_pdf(tmp_path / "预算.pdf", [(2, "一年来，各项工作有序推进。"), (2, cut_short + rest),
                                                                  (0, item + rest), (2, "特此说明。")]))
    assert doc.text.split("\n") == ["一年来，各项工作有序推进。", cut_short + rest, item + rest, "特此说明。"], doc.text


def test_a_line_broken_before_a_bracketed_amount_that_did_not_fit_goes_on(tmp_path: Path) -> None:
    """An amount in figures after one in words, "（¥20,000.00）", is never broken, nor its bracket left
    at a line's end: a regulator's 制作说明 (test19) broke its paragraphs before each one."""
    text = "罚款数额用中文大写填写，如“罚款人民币贰万元整（¥20,000.00）”。其他文书的填写参照本说明执行，不另行通知。"
    doc = load_document(make_flowing_pdf(tmp_path / "说明.pdf", [(2, "一、填写要求。"), (2, text), (2, "特此说明。")]))
    assert doc.text.split("\n") == ["一、填写要求。", text, "特此说明。"], doc.text


@pytest.mark.parametrize("number", ["XXX〔2023〕X号", "东府办〔2026〕  号"])
def test_a_doc_number_left_to_fill_in_is_no_title(number: str) -> None:
    """A draft's or a template's 版头 prints the 文号 with its serial left blank or held by a placeholder;
    it is still the number line, and the title is the line under it (a title naming no kind: the
    number line was taken for the title once a sentence ending in "如下：" stopped being the 主送)."""
    text = "\n".join(["东海机密文件", number, "测试公文标题", "本文件用于测试，包含以下内容。", "关键词测试如下：",
                      "东海单位", "二〇二三年一月一日"])
    assert extract_metadata(text).title == "测试公文标题"


# ----------------------------------------------------------------------------- issue 31, test6


def test_a_title_over_two_lines_under_a_property_naming_its_issuer_is_read_whole(tmp_path: Path) -> None:
    """A university's rules typed in Word: the title centred in 小二 over two lines, the university's
    name on the first ("东海理工大学" / "研究生论文答辩程序", a kind no 公文 names), a centred note in
    五号 under it, and the file's title property holding only the university's name. The title block
    ends where the size changes (its last line was joined onto the note), and a property naming only
    the body whose name opens the printed title is not the title ("东海理工大学" was read)."""
    document = docx.Document()
    document.core_properties.title = "东海理工大学"
    for text, size in (("东海理工大学", 18), ("研究生论文答辩程序", 18), ("1985年6月制订，2005年8月第2次修订", 10.5)):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).font.size = Pt(size)
    for text in ("一、论文答辩由学位评定分委员会主任宣布答辩委员会成员名单，邀请答辩委员会主席主持论文答辩会。",
                 "二、由答辩委员会主席宣布论文答辩会开始，研究生进行学位论文报告。", "三、答辩委员会和来宾提问，研究生进行解答。"):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.add_run(text).font.size = Pt(12)
    document.save(str(tmp_path / "程序.docx"))
    doc = load_document(tmp_path / "程序.docx")
    assert doc.text.split("\n")[:2] == ["东海理工大学研究生论文答辩程序", "1985年6月制订，2005年8月第2次修订"], doc.text[:80]
    assert doc.meta.title == "东海理工大学研究生论文答辩程序"


def test_a_title_property_that_is_the_whole_title_or_another_still_wins() -> None:
    """The property names the title whenever it is more than the issuer opening the printed one."""
    text = "\n".join(["东海理工大学研究生论文答辩程序", "一、论文答辩由学位评定分委员会主任宣布答辩委员会成员名单，邀请答辩委员会主席主持论文答辩会，"
                      "研究生进行学位论文报告，答辩委员会和来宾提问，研究生进行解答。"])
    assert extract_metadata(text, title_hint="东海理工大学").title == "东海理工大学研究生论文答辩程序"
    assert extract_metadata(text, title_hint="论文答辩程序（2005年修订）").title == "论文答辩程序（2005年修订）"


@pytest.mark.parametrize("declared", ["狂犬病抗体检测实验室名单",
                                      "为进一步做好携带入境宠物的检疫监管工作，现对有关名单作如下更新："])
def test_a_title_property_left_short_or_holding_a_sentence_gives_way_to_the_printed_title(
        tmp_path: Path, declared: str) -> None:
    """Two customs attachments (test17) declared titles that are not theirs: the printed one with
    words left out (a property kept from an earlier edition), and the 公告's opening sentence pasted
    in. The printed title is the title."""
    printed = "东海海关采信狂犬病抗体检测结果实验室名单"
    path = make_docx(tmp_path / "名单.docx", ["附件", printed],
                     table_rows=[["序号", "国家", "实验室名称"], ["1", "奥地利", "AGES Institut"]], title=declared)
    assert load_document(path).meta.title == printed


SIGNED_BY_TWO = ["东海市委办公厅", "东海市人民政府办公厅", "2024年7月24日"]
STAMP = ["东海市政务服务和数据管理局", "收文章", "2024-07-27", "2364号"]
JOINT_NOTICE = ["东海市委办公厅 东海市人民政府办公厅关于印发《市直各类机关名称及简称》的通知", "各区党委和人民政府，市直局以上单位：",
                "《市直各类机关名称及简称》已经市委、市政府领导同志同意，现印发给你们，请结合实际认真贯彻落实。"]


@pytest.mark.parametrize("layout", [
    [*JOINT_NOTICE, *SIGNED_BY_TWO, *STAMP],  # the stamp read after the signature
    [*STAMP, *JOINT_NOTICE, *SIGNED_BY_TWO],  # the stamp over the first page's top, read first
    [*JOINT_NOTICE, *SIGNED_BY_TWO, "收文章", "2024-07-27", "东海市政务服务和数据管理局"],  # its words just under the date
    [*JOINT_NOTICE, *SIGNED_BY_TWO, "收文日期", "2024-07-27", "编号：2364"],
])
def test_a_received_stamps_date_is_no_chengwen_date(layout: list[str]) -> None:
    """A 收文章 (the receiving office's stamp: 收文章 or 收文日期, the date, a serial) read with the page:
    its date is when the document arrived. The last date line was the stamp's, so the 成文日期 was
    2024-07-27 and the two bodies stacked over the real date were never reached (the issuer fell to
    the 版头's one name). The signature reads as it is printed, wherever the stamp stands."""
    meta = extract_metadata("\n".join(layout), laid_out=True)
    assert meta.date == "2024-07-24"
    assert meta.issuer == "东海市委办公厅、东海市人民政府办公厅"


def test_a_stamps_date_alone_is_no_chengwen_date() -> None:
    """Without a signature date, a stamp's date is still not the document's."""
    assert extract_metadata("\n".join([*STAMP, *JOINT_NOTICE]), laid_out=True).date is None


@pytest.mark.system
@needs_font
def test_a_scanned_joint_notice_under_a_received_stamp_keeps_its_signature(tmp_path: Path) -> None:
    """The same page scanned: two bodies stacked over the date, set right, the stamp under them."""
    lines = [("title", JOINT_NOTICE[0]), ("left", JOINT_NOTICE[1]), ("body", JOINT_NOTICE[2]),
             *[("right", line) for line in SIGNED_BY_TWO], *[("left", line) for line in STAMP]]
    image, _ = render_gongwen_page(lines, seed=5)
    image.save(tmp_path / "通知.png")
    doc = load_document(tmp_path / "通知.png")
    assert (doc.meta.issuer, doc.meta.date) == ("东海市委办公厅、东海市人民政府办公厅", "2024-07-24"), doc.text


@pytest.mark.parametrize("signature", ["东海市教育局（盖章）", "东海市教育局(公章)", "东海市教育局（此处添加印章图片或文字说明）",
                                       "东海市教育局（签章）", "东海市教育局办公室（代章）"])
def test_a_note_where_the_seal_goes_is_no_part_of_the_signing_bodys_name(signature: str) -> None:
    """Templates and forms print where the seal goes beside the signature ("（盖章）", "（此处添加印章……）"),
    and an office sealing with its parent body's seal says so ("（代章）", test14). The body signs; the
    note was read into its name (a template's issuer was 'BJTU单位（此处添加印章图片或文字说明）' in all
    five formats)."""
    text = "\n".join(["关于做好2024年招生工作的通知", "各区教育局：", "现将有关事项通知如下，请认真贯彻执行。", signature, "2024年3月1日"])
    meta = extract_metadata(text, laid_out=True)
    assert (meta.issuer, meta.date) == (signature.split("（")[0].split("(")[0], "2024-03-01")


def test_a_seal_note_on_its_own_line_and_the_publicity_note_stand_in_the_signature_block() -> None:
    """A 复函 signed by a leading group's office and sealed by another body says so on a line of its
    own ("（科技部火炬中心代章）"), and its 附注 "（此件主动公开）" was read between the signature and the date:
    the walk up from the date stopped at the first, and nothing signed (test17)."""
    lines = ["国科火字〔2019〕247号", "关于东海市2019年第一批高新技术企业备案的复函", "东海市高新技术企业认定管理机构：", "现将备案结果函复如下。", "特此函复。",
             "附件：东海市2019年第一批高新技术企业名单", "全国高新技术企业认定管理工作领导小组办公室", "（此件主动公开）",
             "（科技部火炬中心代章）", "2019年12月26日", "附件", "东海市2019年第一批高新技术企业名单（发证日期：2019年11月21日）",
             "序号|企业名称|证书编号", "1 |东海中易智联网络科技股份有限公司| GR201935100001"]
    meta = extract_metadata("\n".join(lines), laid_out=True)
    assert (meta.issuer, meta.date) == ("全国高新技术企业认定管理工作领导小组办公室", "2019-12-26")


def test_a_signature_without_a_date_under_the_attachment_list_signs(tmp_path: Path) -> None:
    """An alliance's secretariat signs a notice without a date, and the office sealing for it says so
    on the line under its name, both set right ("（中国科学院行政管理局科学文化传播处代章）", test18): the
    note, opening with a bracket, was joined to the name and nothing signed."""
    page = [(90, 100, 16, "关于组织开展2018年度科学教育支撑服务校申报工作的通知", None), (72, 140, 12, "各有关单位：", None),
            (96, 165, 12, "现将有关事项通知如下，请各单位按要求组织申报，按时提交申报材料。特此通知。", None),
            (72, 190, 12, "附件：", None), (98, 215, 12, "1.东海科学教育联盟支撑服务校申报表", None),
            (270, 290, 12, "东海科学教育联盟秘书处办公室", None), (246, 315, 12, "（东海市行政管理局科学文化传播处代章）", None)]
    doc = load_document(make_placed_pdf(tmp_path / "通知.pdf", [page]))
    assert doc.meta.issuer == "东海科学教育联盟秘书处办公室", doc.text


def test_a_signature_without_a_date_between_the_attachment_list_and_the_attachments_signs(tmp_path: Path) -> None:
    """The same secretariat's later notice carries its attachments in the file: the 附件说明 and its
    list, the undated signature, then "附件1" and its form overleaf (test18). The names set right
    above the attachments' own first page sign."""
    page = [(90, 100, 16, "关于组织开展2019年度科学教育支撑服务校申报工作的通知", None), (72, 140, 12, "各有关单位：", None),
            (96, 165, 12, "现将有关事项通知如下，请各单位按要求组织申报，按时提交申报材料。特此通知。", None),
            (72, 190, 12, "附件：", None), (98, 215, 12, "1.东海科学教育联盟支撑服务校申报表", None),
            (270, 290, 12, "东海科学教育联盟秘书处办公室", None), (246, 315, 12, "（东海市行政管理局科学文化传播处代章）", None)]
    form = [(72, 100, 12, "附件1", None), (120, 130, 16, "东海科学教育联盟支撑服务校申报表", None),
            (72, 170, 12, "学校名称：", None), (72, 195, 12, "申报单位承诺：以上信息真实有效。", None)]
    doc = load_document(make_placed_pdf(tmp_path / "通知.pdf", [page, form]))
    assert doc.meta.issuer == "东海科学教育联盟秘书处办公室", doc.text


def test_a_signature_over_a_date_left_to_fill_in_signs() -> None:
    """A 复函 was published with its 成文日期 never filled in ("2013年  月  日", test17): with no date
    line, nothing signed. The signature above it signs, and the document has no date. A form's
    blanks with no year ("年  月  日") sign nothing."""
    lines = ["国科火字〔2013〕263号", "关于东海市2013年第一批高新技术企业备案申请的复函", "东海市高新技术企业认定管理机构：",
             "经审查，同意东海池源科技有限公司等91家企业备案。", "特此函复。", "附件：东海市2013年第一批高新技术企业名单",
             "全国高新技术企业认定管理工作领导小组办公室（科技部火炬中心代章）", "2013年  月  日", "附件：",
             "东海市2013年第一批高新技术企业名单", "序号|企业名称|证书编号", "1 |东海维智精细化工有限公司| GR201312000001"]
    meta = extract_metadata("\n".join(lines), laid_out=True)
    assert (meta.issuer, meta.date) == ("全国高新技术企业认定管理工作领导小组办公室", None)
    lines[7] = "年  月  日"
    assert extract_metadata("\n".join(lines), laid_out=True).issuer != "全国高新技术企业认定管理工作领导小组办公室"


def test_a_bracketed_qualifier_of_a_signing_bodys_name_stays() -> None:
    """A bracket that is part of the name (……学院（……研究院）) is no note about the seal."""
    text = "\n".join(["关于做好2024年招生工作的通知", "各学院：", "现将有关事项通知如下，请认真贯彻执行。",
                      "东海大学信息学院（软件学院）", "2024年3月1日"])
    assert extract_metadata(text, laid_out=True).issuer == "东海大学信息学院（软件学院）"


@pytest.mark.system
@needs_font
def test_a_scans_paragraph_indented_under_the_title_is_no_line_of_the_title(tmp_path: Path) -> None:
    """On a scan with few lines the body's first line, indented two characters and running to the
    right margin, is near enough the middle to pass for centred: it was read as the title's last line
    ("东海大学关于印发《学生管理办法》的通知为规范……"), so the page had no title. A line of body
    type from the paragraph indent to the margin is text."""
    body = "为规范研究生论文答辩工作，保证学位授予质量，根据有关规定，结合学校实际，制定本办法，请各单位认真遵照执行。"
    lines = [("title", "东海大学"), ("title", "关于印发《学生管理办法》的通知"), ("body", body),
             ("right", "东海大学研究生院"), ("right", "2024年3月1日")]
    image, _ = render_gongwen_page(lines, seed=3)
    image.save(tmp_path / "通知.png")
    doc = load_document(tmp_path / "通知.png")
    assert doc.meta.title == "东海大学关于印发《学生管理办法》的通知", doc.text
    assert doc.text.split("\n")[1].startswith("为规范研究生论文答辩工作"), doc.text


FOUR_SIGNERS = [["东海省财政厅", "东海省地方金融监督\n管理局"], ["人行东海分行", "中国银保监会\n东海监管局"]]
SIX_SIGNERS = [["东海省科学技术厅", "中共东海省委宣传部"], ["中共东海省委网信办", "东海省财政厅"], ["东海省文化和旅游厅", "东海省广播电视局"]]


@pytest.mark.parametrize(("signers", "issuer"), [
    (FOUR_SIGNERS, "东海省财政厅、东海省地方金融监督管理局、人行东海分行、中国银保监会东海监管局"),
    (SIX_SIGNERS, "东海省科学技术厅、中共东海省委宣传部、中共东海省委网信办、东海省财政厅、东海省文化和旅游厅、东海省广播电视局"),
])
def test_joint_signers_set_two_to_a_row_sign_row_by_row_and_a_name_set_on_two_lines_is_one(
        tmp_path: Path, signers: list[list[str]], issuer: str) -> None:
    """GB/T 9704 sets joint signers two to a row, each under its seal, a long name on two lines.
    The rows were read as two columns, left then right: the right column's names ran together
    ('东海省财政厅东海省广播电视局') or a name's second line was taken for a body of its own and the ones
    above it lost ('管理局'); a reader signs row by row, each name whole (test7)."""
    pages = [[("title", ["关于印发《东海省普惠金融发展风险补偿基金管理办法》的通知"]), ("recipient", "省各有关部门，各有关金融机构："),
              ("body", "为进一步引导金融加大对实体经济支持力度，现将《东海省普惠金融发展风险补偿基金管理办法》印发给你们，请遵照执行。"),
              ("signatures", signers), ("right", "2020年6月10日"), ("recipient", "（此件主动公开）")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "联合发文.pdf", pages))
    assert (doc.meta.issuer, doc.meta.date) == (issuer, "2020-06-10"), doc.text


def test_a_title_ending_in_its_bracketed_doc_number_is_the_title_without_it() -> None:
    """Republished 公文 print the 文号 in brackets at the title's end ("……的实施意见（安监总管三〔2010〕186号）").
    The bracket is the number, not words of the title; it is the 文号 where the page prints none
    on its own line."""
    lines = ["东海省安全监管局关于加强化工过程安全管理的实施意见（东安监〔2010〕186号）", "各设区市安全监管局：",
             "为加强化工过程安全管理，现提出如下意见。", "东海省安全监管局", "2010年11月3日"]
    meta = extract_metadata("\n".join(lines), laid_out=True)
    assert (meta.title, meta.doc_number) == ("东海省安全监管局关于加强化工过程安全管理的实施意见", "东安监〔2010〕186号")
    with_number_line = "\n".join([lines[0], "东安监〔2010〕187号", *lines[1:]])  # the 版头's line wins
    assert extract_metadata(with_number_line, laid_out=True).doc_number == "东安监〔2010〕187号"


@pytest.mark.parametrize("label", ["附件8", "附件", "附件 3"])  # GB/T 9704 prints the label with no colon
def test_an_attachments_label_over_its_title_is_no_title(label: str) -> None:
    """An attachment printed as a file of its own opens with its label ("附件8") over its title;
    the label was taken for the title of a 撰写规范 whose kind names no 公文's."""
    text = "\n".join([label, "东海大学本科生毕业设计（论文）撰写规范", "为规范我校本科生毕业设计（论文）的书写格式，特制定本规范。", "一、基本结构"])
    assert extract_metadata(text, laid_out=True).title == "东海大学本科生毕业设计（论文）撰写规范"


@pytest.mark.parametrize("note", ["（2025年修订）", "（2021年6月修订）", "（2018版）", "(2020年修正)", "（修订）", "（修订稿）"])
def test_an_edition_note_after_a_title_is_no_part_of_it(note: str) -> None:
    """A revised rule prints its edition under or after its title ("……评价办法（2025年修订）"): the note
    says which edition, with its year or without ("（修订）", test10), the title stays the rule's name (one inside
    《》 stays: it names the edition cited; "（试行）" is part of a trial rule's name)."""
    text = "\n".join([f"东海学院推荐综合素质拓展评价办法{note}", "一、总则", "为规范我院本科生推荐工作，特制定本办法。"])
    assert extract_metadata(text, laid_out=True).title == "东海学院推荐综合素质拓展评价办法"
    cited = "东海省财政厅关于印发《金融企业呆账核销管理办法（2017年版）》的通知"
    assert extract_metadata("\n".join([cited, "各市财政局：", "现印发给你们，请遵照执行。"]), laid_out=True).title == cited
    trial = "东海学院推荐综合素质拓展评价办法（试行）"  # a trial rule's name: no edition note
    assert extract_metadata("\n".join([trial, "一、总则", "为规范我院本科生推荐工作，特制定本办法。"]), laid_out=True).title == trial


@pytest.mark.parametrize(("signature", "bodies"), [
    ("教育部科技部", ["教育部", "科技部"]),
    ("教育部国家知识产权局科技部", ["教育部", "国家知识产权局", "科技部"]),
    ("中共中央办公厅国务院办公厅", ["中共中央办公厅", "国务院办公厅"]),
    ("公安部交通管理局", ["公安部交通管理局"]),  # one body: its bureau is no central body of its own
    ("国务院国资委", ["国务院国资委"]),
])
def test_central_bodies_signing_with_their_names_run_together_are_each_an_issuer(signature: str, bodies: list[str]) -> None:
    """A joint notice of ministries signed "教育部　科技部" reads "教育部科技部" where OCR, a web page or a
    copy out of a PDF lost the space (wbj's two republished notices): known central bodies whose names
    run together exactly are each an issuer; a body whose name holds another's is one."""
    text = "\n".join(["关于规范高等学校SCI论文相关指标使用的若干意见", "各省、自治区、直辖市教育厅（教委）：",
                      "现就有关事项通知如下。", signature, "2020年2月18日"])
    meta = extract_metadata(text)
    assert (meta.issuers, meta.issuer) == (bodies, "、".join(bodies))


@pytest.mark.parametrize("issuers", ["山东省商务厅等4部门", "山东省商务厅等四部门", "教育部等六部门"])
def test_joint_issuers_shortened_to_the_first_and_a_count_open_the_title(issuers: str) -> None:
    """A joint notice's title names its issuers as the first and a count, on a line of its own above
    关于 ("山东省商务厅等4部门" / "关于印发《……》的通知", test11): that line is the title's, as a single
    issuer's name is."""
    text = "\n".join(["鲁商字〔2025〕1号", issuers, "关于印发《山东省2025年家电以旧换新实施方案》的通知",
                      "各市商务主管部门、发展改革委、财政局、市场监管局：", "现印发给你们，请认真抓好贯彻落实。"])
    title = issuers + "关于印发《山东省2025年家电以旧换新实施方案》的通知"
    assert extract_metadata(text, laid_out=True).title == title
    assert extract_metadata(text).title == title


def test_what_ocr_read_of_the_seals_over_a_scanned_joint_signature_signs_nothing() -> None:
    """Four bodies sign a scanned notice two to a row under four red seals, and OCR reads pieces of the
    seals' rings between the names ("东省务", "发展和改革委", one character misread in "容财"; test11):
    the pieces neither stop the signature block nor sign, the four bodies do."""
    bodies = ["山东省商务厅", "山东省发展和改革委员会", "山东省财政厅", "山东省市场监督管理局"]
    text = "\n".join(["关于印发《山东省2025年家电以旧换新实施方案》的通知", "各市商务主管部门：",
                      "现印发给你们，请认真抓好贯彻落实。", "东省务", "发展和改革委", *bodies[:2], "容财", "东", *bodies[2:],
                      "2025年1月20日", "（此件公开发布）"])
    meta = extract_metadata(text)
    assert (meta.issuers, meta.date) == (bodies, "2025-01-20")
    plain = "\n".join(["关于印发《实施方案》的通知", "各市商务主管部门：", "现印发给你们，请认真抓好贯彻落实。", "此复",
                       "山东省商务厅", "2025年1月20日"])
    assert extract_metadata(plain).issuers == ["山东省商务厅"]  # a body's closing words are no seal


def test_a_date_in_brackets_under_the_title_of_an_unsigned_document_is_its_date() -> None:
    """A Party and government 意见 issued without a signature prints its date in brackets under its
    title, "（2018年4月7日）" (test13): that is its 成文日期. A bracketed note that is no date is not."""
    lines = ["中共东海市委文件", "东发〔2018〕10号", "中共东海市委东海市人民政府关于进一步优化全市营商环境的意见", "（2018年4月7日）",
             "为进一步优化全市营商环境，现结合实际，提出如下意见。", "一、总体要求"]
    assert extract_metadata("\n".join(lines), laid_out=True).date == "2018-04-07"
    lines[3] = "（试行）"
    assert extract_metadata("\n".join(lines), laid_out=True).date is None


def test_a_date_under_the_copy_line_without_yinfa_is_the_printing_date() -> None:
    """A 版记 whose 印发 line leaves out "印发" ("海南大学教务处" / "2025年6月16日" under "抄送：分管校领导",
    test13) prints the 印发日期 and names the printing office: the signature above it signs and dates."""
    lines = ["东海大学教务处文件", "东大教〔2025〕42号", "东海大学教务处关于做好第二轮答辩工作的通知", "各相关学院：",
             "现将有关事项通知如下。", "附件：申请汇总表", "教务处", "2025年6月15日", "抄送：分管校领导", "东海大学教务处", "2025年6月16日"]
    meta = extract_metadata("\n".join(lines))
    assert (meta.issuers, meta.date, meta.printed) == (["教务处"], "2025-06-15", "2025-06-16")


@pytest.mark.parametrize(("signature", "issuers"), [
    (["东海电力工程顾问集团有限公司", "开发投资公司"], ["东海电力工程顾问集团有限公司开发投资公司"]),
    (["东海大学", "研究生院"], ["东海大学研究生院"]),
    (["中国铁路东海局集团有限公司", "工程质量安全监督站"], ["中国铁路东海局集团有限公司工程质量安全监督站"]),
    (["国家电网有限公司", "中国南方电网有限责任公司"], ["国家电网有限公司", "中国南方电网有限责任公司"]),
    (["东海大学", "东海市教育局"], ["东海大学", "东海市教育局"]),
    (["东海大学", "西海大学"], ["东海大学", "西海大学"]),
    (["教育部", "科技部"], ["教育部", "科技部"]),
])
def test_a_company_or_university_over_its_own_unit_signs_once(signature: list[str], issuers: list[str]) -> None:
    """A unit signs under its company's or university's name, on two lines where the whole is long
    ("中国电力工程顾问集团有限公司" / "开发投资公司" under one seal, test11): one body, not two co-signers.
    A second company, a body with its own place, a second university and two ministries co-sign."""
    lines = ["关于规范安全生产事件报送的通知", "各运营管理单位：", "现就有关要求通知如下，请遵照执行。", *signature, "2024年5月24日"]
    meta = extract_metadata("\n".join(lines), laid_out=True)
    assert (meta.issuers, meta.date) == (issuers, "2024-05-24")


def test_a_joint_signers_first_character_left_on_the_line_above_is_its_name_s() -> None:
    """A joint notice re-typeset by an association justified its signature line, so the second
    signer's first character stood at the end of the first signer's line ("陕西省发展和改革委员会
    国" / "家能源局西北监管局", test19): the walk up the signature stopped at "国" and one signer was
    read, "家能源局西北监管局"."""
    lines = ["关于印发东海省新型储能参与电力市场交易实施方案的通知", "各设区市发展改革委：", "现将实施方案印发给你们，请遵照执行。",
             "东海省发展和改革委员会", "国", "家能源局东北监管局", "2024年3月7日"]
    assert extract_metadata("\n".join(lines), laid_out=True).issuers == ["东海省发展和改革委员会", "国家能源局东北监管局"]


@pytest.mark.parametrize(("cover", "issuer"), [
    (["东海中燃城市燃", "ZR-XNQY-DHJG-KF-C-002(V2.0)", "气发展有限公司", "企业标准"], "东海中燃城市燃气发展有限公司"),
    (["内部资料", "东海市妇女联合会"], "东海市妇女联合会"),
    (["东海市妇女联合会", "东海市总工会"], "东海市妇女联合会"),
])
def test_a_body_named_over_two_lines_of_a_narrow_cover_block_is_named_whole(cover: list[str], issuer: str) -> None:
    """A standard's cover names its company in a narrow block beside its code, the name wrapped over
    two lines, the code read between them (nnzr's 安检管理制度): the issuer was the second line alone,
    "气发展有限公司". A word above a body's name, or another body, is no part of it."""
    lines = [*cover, "客户服务部安检管理制度", "第一章 总则", "第一条 为规范安检工作，制定本制度。"]
    assert extract_metadata("\n".join(lines), laid_out=True).issuer == issuer


def test_a_co_signers_name_wrapped_in_its_column_is_one_name() -> None:
    """Two bodies sign side by side and the left one's long name wraps in its column, so the rows read
    "唐山市“一港双城”（城镇化）" / "唐山市行政审批局" / "工作委员会办公室" (test13): the first and third are one
    body's name, which signs first. A body's closing sentence is no part of a name."""
    lines = ["东海港城办发〔2019〕9号", "关于印发《东海市工程建设项目“多评合一”实施办法》的通知", "各县（市、区）人民政府：",
             "现印发给你们，请遵照执行。", "东海市“一港双城”（城镇化）", "东海市行政审批局", "工作委员会办公室", "2019年3月26日"]
    meta = extract_metadata("\n".join(lines))
    assert meta.issuers == ["东海市“一港双城”（城镇化）工作委员会办公室", "东海市行政审批局"]
    lines[3:5] = ["请各区教育局认真执行"]
    assert extract_metadata("\n".join(lines)).issuers == ["东海市行政审批局", "工作委员会办公室"]


def test_a_form_notice_titled_by_its_kind_with_its_number_on_a_label_line() -> None:
    """A railway supervision station's 内部监督通知书 (test19): "签发：" left blank over the title, the
    title a kind alone ("……通知书"), the 文号 behind "编号：" with a category and a project between the
    year and the number. The blank label was read as the 主送 and closed the heading zone above the
    title; the 文号 and the title were lost."""
    lines = ["签发：", "内部监督通知书", "编号：东海站[2025]（通知）沿海二线08号", "沿海铁路工程建设指挥部：",
             "2025年8月6日，东海监督站对沿海二线项目开展了监督检查。现将有关情况通知如下：", "一、总体情况",
             "本次对2个施工标段的质量安全和内业资料进行监督检查。", "国铁集团工程质量监督局东海监督站", "2025年8月13日"]
    meta = extract_metadata("\n".join(lines), laid_out=True)
    assert (meta.title, meta.doc_number, meta.recipients) == ("内部监督通知书", "东海站〔2025〕（通知）沿海二线08号",
                                                             ["沿海铁路工程建设指挥部"])
    assert (meta.issuer, meta.date) == ("国铁集团工程质量监督局东海监督站", "2025-08-13")


def test_a_title_whose_first_line_breaks_inside_a_joint_issuers_name_is_read_whole(tmp_path: Path) -> None:
    """A joint notice's title opens with both issuers and breaks inside the second's name ("……国家能源局
    西北" / "监管局关于印发……", test19): the layout set the three lines as one title, and the heading
    was read from the line holding 关于, which lost the first line and its issuers."""
    lines = ["东海省发展和改革委员会 国家能源局东北", "监管局关于印发《东海省新型储能参与电力", "市场交易实施方案》的通知"]
    pdf = make_gongwen_pdf(tmp_path / "通知.pdf", [[("title", lines), ("number", "东发改运行〔2024〕377号"),
                                                   ("recipient", "各设区市发展改革委："),
                                                   ("body", "为加快推动东海省新型储能健康发展，编制形成本方案，现予以印发。"),
                                                   ("right", "东海省发展和改革委员会"), ("right", "2024年3月7日")]])
    doc = load_document(pdf)
    assert doc.meta.title.replace(" ", "") == "".join(lines).replace(" ", "")
    assert doc.text.split("\n")[0].replace(" ", "") == doc.meta.title.replace(" ", "")


def test_a_notice_issuing_a_document_set_after_it_is_dated_by_its_own_signature() -> None:
    """A 印发 notice signs and dates itself, then the document it issues follows with its own
    signature and date (a college's 操作办法, test22): the last date in the file was the document's,
    and it was taken for the notice's 成文日期."""
    lines = ["东海大学信息学院文件", "信院〔2024〕12号", "关于印发东海大学信息学院推免综合成绩计算操作办法的通知", "全院各单位：",
             "《东海大学信息学院推免综合成绩计算操作办法》经学院党政联席会议审议通过，现予以印发，请遵照执行。",
             "东海大学信息学院", "2024年11月4日", "东海大学信息学院推免综合成绩计算操作办法", "第一条 为规范推免工作，制定本办法。",
             "第二条 本办法自发布之日起实行。", "东海大学信息学院（特色化示范性软件学院）", "2024年10月28日"]
    meta = extract_metadata("\n".join(lines), laid_out=True)
    assert (meta.issuer, meta.date) == ("东海大学信息学院", "2024-11-04")
    unsigned = lines[:5] + lines[7:]  # no signature of its own: the last one is all there is
    assert extract_metadata("\n".join(unsigned), laid_out=True).date == "2024-10-28"


def test_a_page_number_whose_closing_dash_wrapped_under_it_is_the_footer(tmp_path: Path) -> None:
    """Word's page field box held "- 9 -" but not "- 10 -": the closing dash wrapped onto a line of its
    own under the number, and "-10-" stood in the text between the document and its attachment
    (test22). The number with its dash under it is the page's footer."""
    body = "为规范推免工作，根据学校有关规定，结合学院实际，制定本办法，请各系、各专业认真遵照执行。"
    pages = [[(96, 100, 12, body, None), (72, 125, 12, "第二条 本办法由学院推免工作小组负责解释。", None),
              (283, 762, 12, "- 9 -", None)],
             [(96, 100, 12, body, None), (72, 125, 12, "第三条 本办法自发布之日起实行。", None),
              (283, 762, 12, "- 10", None), (283, 778, 12, "-", None)]]
    doc = load_document(make_placed_pdf(tmp_path / "办法.pdf", pages))
    assert not any(line.strip("- ").isdigit() or line.strip() == "-" for line in doc.text.split("\n")), doc.text
    assert doc.text.split("\n")[-1] == "第三条 本办法自发布之日起实行。", doc.text


def test_a_covers_office_and_its_year_and_month_are_two_lines_and_the_office_issues(tmp_path: Path) -> None:
    """A rulebook's cover sets the office and "二○一七年三月" centred alike under the title (test6's
    writing rules): read as one block, "……教务处二○一七年三月" was no issuer's name. A year and a month
    alone stand on their own line, as a date does."""
    pages = [[("title", ["东海大学学士学位论文写作规范"]), ("gap", 200), ("title", ["东海大学教务处", "二○一七年三月"])],
             [("centred", ["目录"]), ("body", "第一章 学士学位论文应包括封面、摘要、目录、正文和参考文献。"),
              ("body", "第二章 正文用宋体小四号字，行距固定值20磅。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "写作规范.pdf", pages))
    lines = doc.text.split("\n")
    assert "东海大学教务处" in lines and "二○一七年三月" in lines, lines[:5]
    assert (doc.meta.title, doc.meta.issuer, doc.meta.date) == ("东海大学学士学位论文写作规范", "东海大学教务处", None)
