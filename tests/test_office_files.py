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

from filegen import (
    cjk_font_file,
    make_bulletin_pdf,
    make_docx,
    make_form_pdf,
    make_gongwen_pdf,
    make_list_pdf,
    make_ofd,
    make_placed_pdf,
    make_word97,
    render_gongwen_page,
)

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


def test_a_red_preamble_in_body_type_wraps_like_the_text(tmp_path: Path) -> None:
    """A law's 题注 printed in red under its title, in body type: its lines run to the margin and on,
    one paragraph (red print stood alone line by line, as a masthead does: "…第五次会" / "议第一次修订…")."""
    preamble = ("（1998年4月29日第九届全国人民代表大会常务委员会第二次会议通过；2008年10月28日第十一届全国人民代表大会"
                "常务委员会第五次会议第一次修订；根据2021年4月29日第十三届全国人民代表大会常务委员会第二十八次会议修正）")
    pages = [[("masthead", "东海省人民代表大会常务委员会"), ("title", ["东海省燃气管理条例"]), ("preamble", preamble),
              ("body", ARTICLES[0])]]
    doc = load_document(make_gongwen_pdf(tmp_path / "条例.pdf", pages))
    lines = doc.text.split("\n")
    assert preamble in lines, lines
    assert "东海省人民代表大会常务委员会" in lines  # the masthead still stands alone


def test_an_article_pasted_over_two_word_paragraphs_is_one_paragraph(tmp_path: Path) -> None:
    """Rules pasted into Word from a PDF: an article's first visual line is a paragraph of its own,
    an empty paragraph, then the rest ("…监督检查，重" / "点督导安检进度…"). A line that opens with
    第X条 and runs on past a comma is an article's text, not a heading: it carries on."""
    article = "第十三条 项目公司应设置安检稽查岗位，负责安检承接方的安检工作监督检查，重点督导安检进度及安检质量。"
    split = article.index("重") + 1
    doc = load_document(make_docx(tmp_path / "制度.docx", [
        "第三部分 关键岗位设置", article[:split], "", article[split:], "第十四条 安检员应持证上岗。",
    ]))
    lines = doc.text.split("\n")
    assert article in lines, lines
    assert "第三部分关键岗位设置" in [line.replace(" ", "") for line in lines] and "第十四条 安检员应持证上岗。" in lines


def _converted_docx(path: Path) -> Path:
    """Rules as a PDF-to-Word converter writes them: each printed line's end a paragraph's end where the
    converter lost the wrap, a page a section of its own (an empty paragraph holding the section
    break), the first line of a paragraph justified and indented, its carried-on rest set left, flush."""
    import docx
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()  # Letter, 1-inch margins: 39 characters of 12 pt a line

    def paragraph(text: str, first: float = 0, left: float = 0, align=WD_ALIGN_PARAGRAPH.LEFT, size: float = 12):
        added = document.add_paragraph()
        added.add_run(text).font.size = Pt(size)
        added.alignment = align
        added.paragraph_format.first_line_indent = Pt(first) if first else None
        added.paragraph_format.left_indent = Pt(left) if left else None

    paragraph("东海燃气客户服务部管理制度", align=WD_ALIGN_PARAGRAPH.CENTER, size=16)
    paragraph("第一条 凡物资材料申领计划，需经服务站站长审核。每月25日前各站网格长在完成站内二级仓库盘点后，"
              "上报下月的物资材料申领计划，服务站站长对计划中的申领用量进行审核把关，并签署审",
              first=24, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    document.add_section(WD_SECTION.NEW_PAGE)  # the page ends: the converter starts a section
    paragraph("核意见，没有服务站站长审核意见的，该项申领不予安排。")
    paragraph("2、安装位置要求：GB50028-2006《城镇燃气设计规范》（2020年版）燃气浓度检测报警器", left=24)
    paragraph("的设置应符合下列要求：")
    paragraph("（1）当检测比空气轻的燃气时，检测报警器与燃具或阀门的水平距离不得大于8m。", first=24)
    paragraph("第二条 物资材料的领用由仓库管理员按月汇总，各站网格长须在领料单上注明用途及使用地点和领用")
    paragraph("第三条 领用的材料须当月用完。", first=24)
    for number in "四五六":
        paragraph(f"第{number}条 仓库管理员每月对领用库存与使用库存进行核销闭环管理，追溯材料使用源头，核对使用后材料明细，"
                  "发现领用材料与使用材料不符的，由服务站站长查明原因并按规定处理。", first=24, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    paragraph("联系地址：东海省东海市滨江区滨江南大道四百五十六号东海燃气大厦八楼客户服务部", first=-60, left=84)
    paragraph("邮政编码：330038", first=24)  # under a label whose wrapped lines hang under its value
    paragraph("（五）需要向客户询问时，语气要尽量婉转，不要让客户感到被怀疑。“非常抱歉，请您复述一下好吗？ ”")
    paragraph("---“对不起，有一个细节我想核实一下。”")
    paragraph("申领单位：客户服务部第一服务站")
    paragraph("联系电话：0771-5555555")
    paragraph("客户服务部", align=WD_ALIGN_PARAGRAPH.RIGHT)
    paragraph("2024年3月8日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    document.save(str(path))
    return path


def test_a_paragraph_a_converter_broke_at_a_line_or_page_end_is_one_paragraph(tmp_path: Path) -> None:
    """A Word paragraph that filled its line in Word and stops mid-sentence, followed by one in the
    same type set flush where its wrapped lines start, is the same paragraph: the next one justified
    where the first is set left (or over a section break) is no signature set otherwise
    ("…并签署审" / "核意见，…"), and a carried-on rest ending in a colon is no 主送 line
    ("…燃气浓度检测报警器" / "的设置应符合下列要求：")."""
    lines = load_document(_converted_docx(tmp_path / "制度.docx")).text.split("\n")
    assert ("第一条 凡物资材料申领计划，需经服务站站长审核。每月25日前各站网格长在完成站内二级仓库盘点后，上报下月的物资材料申领计划，"
            "服务站站长对计划中的申领用量进行审核把关，并签署审核意见，没有服务站站长审核意见的，该项申领不予安排。") in lines, lines
    assert "2、安装位置要求：GB50028-2006《城镇燃气设计规范》（2020年版）燃气浓度检测报警器的设置应符合下列要求：" in lines, lines


def test_what_a_converter_sets_apart_stays_apart(tmp_path: Path) -> None:
    """What must never be carried on: a title, a list item under its lead-in, an article after an
    article (even one left mid-sentence), short label lines, a label under one whose value hangs
    indented, a quotation closed before a space, a signature and a date set right."""
    lines = load_document(_converted_docx(tmp_path / "制度.docx")).text.split("\n")
    for whole in ("东海燃气客户服务部管理制度", "（1）当检测比空气轻的燃气时，检测报警器与燃具或阀门的水平距离不得大于8m。",
                  "第三条 领用的材料须当月用完。", "申领单位：客户服务部第一服务站", "联系电话：0771-5555555",
                  "邮政编码：330038", "---“对不起，有一个细节我想核实一下。”",
                  "客户服务部", "2024年3月8日"):
        assert whole in lines, (whole, lines)


def test_a_blank_to_fill_in_stays_in_its_sentence(tmp_path: Path) -> None:
    """A form's blank inside a sentence, an underlined run of spaces ("…携本通知于____年____月____日前…"),
    is the line to write on, not a gap between columns: the sentence stays one paragraph with its
    blanks shown (it was cut at each blank: "…携本通知于" / "年" / "月" / "日前到…"). Underlined spaces
    beside a date or a label are a spacer and stay a gap."""
    import docx

    document = docx.Document()
    notice = document.add_paragraph()
    for text in ("以上事实，你（单位）涉嫌违反《东海市燃气管理条例》第", " " * 8, "条之规定，希你（单位）携本通知于", " " * 7,
                 "年", " " * 5, "月", " " * 5, "日前到我公司接受调查，逾期不到，将按有关规定进行处理。"):
        notice.add_run(text).font.underline = not text.strip()
    document.add_paragraph("当事人（单位）：          客户编号：          ")  # spaces not underlined: a form's columns
    cover = document.add_paragraph()  # a standard's cover: dates over an underlined spacer, no blank in a sentence
    for text in ("2025-12-05", "  ", "发布", " " * 20, "2025-12-05", "  ", "实施"):
        cover.add_run(text).font.underline = not text.strip()
    document.save(str(tmp_path / "通知书.docx"))
    lines = load_document(tmp_path / "通知书.docx").text.split("\n")
    assert ("以上事实，你（单位）涉嫌违反《东海市燃气管理条例》第________条之规定，希你（单位）携本通知于_______年_____月_____日"
            "前到我公司接受调查，逾期不到，将按有关规定进行处理。") in lines, lines
    assert "当事人（单位）：" in lines and "客户编号：" in lines, lines
    assert "2025-12-05发布" in lines and "2025-12-05实施" in lines, lines


LAW_ARTICLES = [
    f"第{number}条 " + "生产经营单位应当建立健全全员安全生产责任制和安全生产规章制度，" * (1 + k % 3) + f"保证安全生产投入第{number}项。"
    for k, number in enumerate("一二三四五六七八九十")
] + [f"第十{number}条 " + "各级人民政府应当加强对安全生产工作的领导，建立健全安全生产工作协调机制，" * (1 + k % 2)
     + f"及时协调、解决第{number}类问题。" for k, number in enumerate("一二三四五六七八九")]


def test_a_running_header_over_the_second_column_stays_out_of_the_paragraphs(tmp_path: Path) -> None:
    """A law in the Gazette's two columns with "…公报 2021·5" over the right column of odd pages: the
    articles read whole across columns and pages, the header glued to none of them (it was read
    between the columns: "…安全距离。全国人民代表大会常务委员会公报2021·5" / "生产经营场所…")."""
    header = "全国人民代表大会常务委员会公报２０２１·５"
    doc = load_document(make_bulletin_pdf(tmp_path / "公报.pdf", LAW_ARTICLES, header))
    lines = doc.text.split("\n")
    assert not [line for line in lines if "公报" in line and len(line) > len(header) + 2]
    for article in LAW_ARTICLES:
        assert article in lines, (article, [line for line in lines if article[:6] in line])


LIST_ITEMS = [
    ("a）", "用气环境全景：图片内容涵盖燃气表位置至用气设备处，图片应清晰可识别燃气管道及用气设备；"),
    ("b）", "每个用气点各一张：图片内容应包含用气设备、连接软管及阀门，且不少于一张检漏仪读数清晰可见照片；"),
    ("（十二）", "暗厨房：无直通室外的门和窗的厨房，或自然通风开口面积小于该房间地板面积的十分之一的厨房。"),
]


def test_list_items_wrapped_under_their_hanging_indent_are_whole_paragraphs(tmp_path: Path) -> None:
    """Word sets a numbered item's wrapped lines under its text, not under its marker: they carry the
    item on (they were cut at every visual line end)."""
    doc = load_document(make_list_pdf(tmp_path / "制度.pdf", [LIST_ITEMS]))
    lines = doc.text.split("\n")
    for marker, text in LIST_ITEMS:
        assert any(line.replace(" ", "") == marker + text for line in lines), (marker, lines)


def test_a_bare_page_number_under_double_spaced_lines_is_a_footer_and_the_paragraph_runs_on(tmp_path: Path) -> None:
    """Rules printed double-spaced: the page number sits less than two pitches below the last line,
    closer than the usual footer gap; it is still the footer, and the item goes on overleaf."""
    item = LIST_ITEMS[2][1] + "厨房外设置阳台时，阳台的自然通风开口面积小于厨房和阳台地板面积总和的十分之一。"
    first, rest = item[:46], item[46:]  # two full lines of 23 characters, then overleaf
    pages = [[LIST_ITEMS[0], ("（十二）", first)], [("", rest), LIST_ITEMS[1]]]
    doc = load_document(make_list_pdf(tmp_path / "双倍行距.pdf", pages, pitch=32.0, number_gap=1.3))
    lines = [line.replace(" ", "") for line in doc.text.split("\n")]
    assert "（十二）" + first + rest in lines, lines
    assert "1" not in lines and "2" not in lines


RUN_OVER = [
    "如论文题目内容层次很多，难以简化时，可采用论文题目和论文副标题相结合的方法，其中副标题起补充、阐明题目的作用，副标题前加破折号。",
    "中文摘要应简要说明研究工作的目的、方法、结果和结论，是一篇具有独立性和完整性的短文，可以引用、推广，不宜使用公式、图表和非公知公用的符号。",
    "致谢是作者对该文章的形成作过贡献的组织或个人予以感谢的文字记载，语言要诚恳、恰当、简短，包括资助研究工作的基金、合同单位和提供便利条件的个人。",
]
WHOLE = ["论文题目应简明扼要地概括论文最主要的内容，一般不宜超过二十五个字，必要时可加副标题。",
         "关键词一般选取三至五个，按词条的外延层次排列，外延大的排在前面，每个关键词之间用分号隔开。",
         "目录由论文的章、节、附录等的序号、名称和页码组成，另页排在摘要之后，章节层次一般不超过三级。",
         "引言应说明论文研究的目的、意义、范围以及本研究领域国内外的研究现状，言简意赅，不要与摘要雷同。"]


def test_a_bare_page_number_where_the_footer_prints_it_is_no_line_however_close_under_the_text(tmp_path: Path) -> None:
    """A thesis guide printed from Word: each page filled down to its footer, so the footer's bare
    number ("1") stands closer under the last line than a line's pitch, and the number cut every
    paragraph running over a page ("……论文副标题相" | "1" | "结合的方法，……"). Printed at the same place
    on every page, it is the footer."""
    full = 54  # two lines of 27 characters under an empty marker
    pages = [[("", "学位论文是本科生毕业前的一项重要工作。"), ("", WHOLE[0]), ("", RUN_OVER[0][:full])]]
    for k, (before, sentence) in enumerate(zip(RUN_OVER, [*RUN_OVER[1:], None]), start=1):
        # each page five lines, its number at the same place
        pages.append([("", before[full:]), ("", WHOLE[k]), ("", sentence[:full] if sentence else WHOLE[0])])
    doc = load_document(make_list_pdf(tmp_path / "规范.pdf", pages, number_gap=0.6))
    lines = [line.replace(" ", "") for line in doc.text.split("\n")]
    assert all(sentence in lines for sentence in [*RUN_OVER, *WHOLE]), lines
    assert not any(line.isdigit() for line in lines), lines


HAZARDS = [
    ["隐患等级", "隐患内容", "整改期限"],
    ["一级隐患（居民）", "燃气表设置在卧室或浴室内，或存在偷盗气、无表、反装、直通表、小火不走等情形的", "5日"],
    [None, "热水器设置在卧室、浴室内，或无烟道、烟道松脱、烟道未伸出室外的", "7日"],
    ["二级隐患", "燃气表、表前阀、调压箱或表箱生锈严重，影响安全使用的", "10日内整改完毕"],
]


def test_a_ruled_tables_cells_read_whole_and_each_row_on_one_line(tmp_path: Path) -> None:
    """Word's table with text wrapping inside its cells: each cell's visual lines are one text and a
    row's cells one line, joined as a DOCX row is (" | "); a cell merged over two rows reads in its
    top row. They were read visual row by visual row, each cell's continuation on a line of its own
    interleaved with the others ("…小火不" / "一级隐患（居" / "走等情形的")."""
    before = "根据隐患整改、治理和排除的难度及其可能导致事故后果和影响范围，分为一般事故隐患和重大事故隐患，整改期限如下表。"
    after = "除上表规定的隐患内容外，同时包括《城镇燃气经营安全重大隐患判定标准》规定的情形，按其规定的期限整改完毕。"
    pages = [[("title", ["隐患管理制度"]), ("body", before), ("table", ([96, 256, 96], HAZARDS)), ("body", after)]]
    doc = load_document(make_gongwen_pdf(tmp_path / "制度.pdf", pages))
    lines = [line.replace(" ", "") for line in doc.text.split("\n")]
    for row in HAZARDS:
        assert "|".join(cell for cell in row if cell) in lines, (row, lines)
    assert before in lines and after in lines, lines


def test_a_frame_ruled_round_a_page_of_text_is_no_table(tmp_path: Path) -> None:
    """A frame ruled round the page's text with a rule under its title (a 稿纸's two "cells") encloses
    paragraphs, not a table's cells: they stay paragraphs, not one line of a table row."""
    doc = load_document(make_gongwen_pdf(tmp_path / "办法.pdf", UNIVERSITY_NOTICE[:1], framed=True))
    lines = doc.text.split("\n")
    for article in ARTICLES:
        assert article in lines, (article, lines)
    assert doc.meta.title == "东海大学关于印发《东海大学本科生毕业论文管理办法》的通知"


GOALS = [
    ["绩效目标", "项目总目标", "年度总目标"],
    ["项目绩效目标",
     "加强禁毒宣传教育，提升辖区居民群众的防毒意识和能力，严防发生吸毒人员因吸毒引发肇祸肇事案件，确保社会环境和谐稳定；"
     "有针对性地开展法治宣传教育工作，维护社区稳定，实现社区依法治理；培育弘扬社会主义核心价值观，稳步推进创建工作，"
     "促进志愿服务常态化，扩大创建覆盖面，全面提升创建质量，形成覆盖广泛、扎实有效的同创共建格局，完成兵役登记和征兵工作。",
     "举办寒托班和暑托班，开展全年团员学习教育活动；完成兵役执法检查及兵役登记工作，开展一年两次征兵工作，完成民兵整组、"
     "训练及备勤工作，开展民防疏散演练工作；确保经济发展服务中心、协税办、商会和营商办日常工作有序开展，开展走访慰问、"
     "企业沙龙、企业座谈会和企业培训，探索党建引领善治的新路子，全面提升社区党员党性修养，牢固树立全心全意为民服务意识。"],
]


def test_a_paragraph_wrapped_in_its_cell_beside_another_keeps_its_table(tmp_path: Path) -> None:
    """A 绩效目标表 sets its 项目总目标 and 年度总目标 side by side, each a paragraph wrapped over twenty
    lines of its cell: a table's cells, each line filled to the cell's edge, not a frame round text
    (test9's 街道 budget was read row by visual row, its two paragraphs interleaved line by line)."""
    pages = [[("title", ["财政项目支出绩效目标填报表"]), ("table", ([70, 150, 150], GOALS))]]
    doc = load_document(make_gongwen_pdf(tmp_path / "预算.pdf", pages))
    lines = [line.replace(" ", "") for line in doc.text.split("\n")]
    assert "|".join(GOALS[1]) in lines, lines


UNITS = [("频率", "赫兹"), ("力；重力", "牛顿"), ("压力，压强；应力", "帕斯卡"), ("能量；功；热量", "焦耳"), ("功率；辐射通量", "瓦特"),
         ("电荷量", "库仑"), ("电位；电压；电动势", "伏特"), ("电容", "法拉"), ("电阻", "欧姆"), ("电导", "西门子"), ("磁通量", "韦伯"),
         ("磁通量密度；磁感应强度", "特斯拉（韦伯每平方米）"), ("电感", "亨利"), ("摄氏温度", "摄氏度"), ("光通量", "流明")]


def test_rows_ruled_only_round_their_body_stay_rows(tmp_path: Path) -> None:
    """A units table ruled under its header and round its body but not between the body's rows (a
    thesis guide's, test7): each column's "cell" holds fifteen short items, one a row, not a paragraph,
    so the rows read row by row, an item beside its unit, never a column's items run into one text."""
    rows = [["量的名称", "单位名称"], ["\n".join(name for name, _ in UNITS), "\n".join(unit for _, unit in UNITS)]]
    pages = [[("title", ["国际单位制中具有专门名称的导出单位"]), ("table", ([160, 160], rows))]]
    doc = load_document(make_gongwen_pdf(tmp_path / "规范.pdf", pages))
    lines = [line.replace(" ", "") for line in doc.text.split("\n")]
    assert all(name + unit in lines or {name, unit} <= set(lines) for name, unit in UNITS), lines


def _numbered_docx(path: Path) -> Path:
    """A 实施方案 whose headings Word numbers itself: 一、 over （一）, and a "List Number" list."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int) -> None:
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    document.add_paragraph("关于推进托育服务发展的实施方案")
    numbered("总体要求", 0)
    numbered("加强组织领导。各街道要把托育服务纳入重要议事日程。", 1)
    numbered("完善政策措施。落实托育机构建设补贴。", 1)
    numbered("主要任务", 0)
    numbered("增加普惠托位。到2025年每千人口拥有托位数达到4.5个。", 1)
    document.add_paragraph("申报材料如下：")
    document.add_paragraph("申请表；", style="List Number")
    document.add_paragraph("场地证明。", style="List Number")
    document.save(path)
    return path


def test_headings_word_numbers_itself_keep_their_numbers(tmp_path: Path) -> None:
    """Word keeps "一、" and "（一）" in its numbering part, not in the text: they are read as printed,
    each level counted and a lower level restarting under the next higher one."""
    lines = load_document(_numbered_docx(tmp_path / "实施方案.docx")).text.split("\n")
    for printed in ("一、总体要求", "（一）加强组织领导。各街道要把托育服务纳入重要议事日程。", "（二）完善政策措施。落实托育机构建设补贴。",
                    "二、主要任务", "（一）增加普惠托位。到2025年每千人口拥有托位数达到4.5个。", "1.申请表；", "2.场地证明。"):
        assert printed in lines, (printed, lines)


def test_chinese_numbers_count_as_headings_do() -> None:
    from indexer.ingest.docxnumbering import chinese_number

    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 100, 105, 110, 1001)] == [
        "一", "十", "十一", "二十", "二十一", "一百", "一百零五", "一百一十", "一千零一"]


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


@pytest.mark.system
@needs_soffice
@pytest.mark.parametrize("suffix", [".docx", ".doc"])
def test_a_word_templates_masthead_and_imprint_in_text_boxes_are_read(tmp_path: Path, suffix: str) -> None:
    """A Word 公文 template floats its masthead and its 版记 in text boxes (test23: a university's
    印发 notices as .doc): read as paragraphs only, the issuer and the 印发日期 were lost with them.
    The 版记's office and its date are two boxes side by side on one line."""
    import docx

    from filegen import add_text_box

    document = docx.Document()
    add_text_box(document.add_paragraph(), ["东海大学文件"], top=110, left=130, width=340, size=36, red=True)
    for line in ["东大〔2009〕108号", "关于印发《东海大学岗位设置与聘用实施办法（试行）》的通知", "校属各单位：",
                 "现将《东海大学岗位设置与聘用实施办法（试行）》印发给你们，请遵照执行。", "二○○九年五月二十日"]:
        document.add_paragraph(line)
    imprint = document.add_paragraph()
    add_text_box(imprint, ["主题词：岗位设置  聘用  实施办法"], top=682, left=90, width=400)
    add_text_box(imprint, ["东海大学校长办公室"], top=714, left=90, width=180)
    add_text_box(imprint, ["2009年5月21日印发"], top=714, left=330, width=160)
    path = tmp_path / f"通知{suffix}"
    if suffix == ".docx":
        document.save(str(path))
    else:
        make_word97(path, [], document=document)
    doc = load_document(path)
    assert (doc.meta.issuer, doc.meta.date, doc.meta.printed) == ("东海大学", "2009-05-20", "2009-05-21")
    assert doc.meta.title == "关于印发《东海大学岗位设置与聘用实施办法（试行）》的通知"
    lines = doc.text.split("\n")
    assert lines[0] == "东海大学文件" and lines.count("东海大学文件") == 1  # the box's VML copy is not read again
    assert lines[-1].replace(" ", "") == "东海大学校长办公室2009年5月21日印发", lines[-3:]


def test_old_vml_text_boxes_are_read_once_side_by_side_with_unitless_places(tmp_path: Path) -> None:
    """Word 2003 and WPS write text boxes as VML alone, their places often bare numbers (pixels): a
    company's flowchart of boxes made the whole DOCX unreadable when a unit was taken as required."""
    import docx
    from docx.oxml import parse_xml

    vml = ('<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
           'xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape style="position:absolute;margin-left:{left};'
           'margin-top:{top};width:150;height:30"><v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
           '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>')
    document = docx.Document()
    document.add_paragraph("客户服务部管理制度")
    document.add_paragraph("第一条 为规范报漏处理，制定本制度。")
    chart = document.add_paragraph()
    for left, top, text in [(300, 40, "呼叫中心"), (60, 40, "用户拨打热线"), (60, "-", "调度中心")]:
        chart._p.append(parse_xml(vml.format(left=left, top=top, text=text)))
    path = tmp_path / "制度.docx"
    document.save(str(path))
    lines = load_document(path).text.split("\n")
    assert lines[-2:] == ["用户拨打热线 呼叫中心", "调度中心"], lines


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
@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])
def test_a_scan_stored_sideways_is_read_upright(tmp_path: Path, turn) -> None:
    """A page scanned or saved a quarter turn off, with no EXIF orientation to say so: its lines
    stand on end; the page is read turned upright, title, masthead and articles in order."""
    image, printed = render_gongwen_page(SCANNED_RULES, seed=5)
    path = tmp_path / "横放.png"
    image.transpose(turn).save(path)
    doc = load_document(path)
    assert doc.meta.title == "关于印发《东海区中小学校园安全管理办法》的通知"
    assert character_accuracy(doc.text, "".join(printed[:-1])) >= 0.95, doc.text


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


def test_a_hyphen_drawn_at_a_lines_end_is_kept(tmp_path: Path) -> None:
    """A code broken over two lines after one of its hyphens ("…-KF-C-" over "003(V2.0)", a cell of a
    revision table): pdfium reports that hyphen as a control character, and it was dropped."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "记录表.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(100, 700, "制度编码：ZR-XNQY-NNJG-NNZR-KF-C-")
    pdf.drawString(100, 684, "003(V2.0)")
    pdf.save()
    assert "ZR-XNQY-NNJG-NNZR-KF-C-003(V2.0)" in load_document(path).text.replace("\n", "")


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


def test_a_joint_mastheads_names_spread_to_one_width_are_no_margin(tmp_path: Path) -> None:
    """A joint 红头 spreads each body's name over one width (分散对齐). On a first page with a few
    lines of text under six names, their common right edge was taken for the page's margin: the
    主送 "reached" it and ran into the body, and on a real file (test7) the title's first line
    stood off centre and was lost from the title."""
    names = ["东海省科学技术厅", "中共东海省委宣传部", "中共东海省委网信办", "东海省财政厅", "东海省文化和旅游厅", "东海省广播电视局"]
    recipient = "各设区市科技局、党委宣传部、网信办、财政局："
    pages = [[("masthead", names), ("number", "东科高发〔2020〕120号"),
              ("title", ["东海省科技厅等部门印发《关于促进文化", "和科技深度融合的实施意见》的通知"]), ("recipient", recipient),
              ("body", "为贯彻落实科技部等六部门印发的《关于促进文化和科技深度融合的指导意见》文件精神，现印发给你们，请认真贯彻执行。")]]
    doc = load_document(make_gongwen_pdf(tmp_path / "联合发文.pdf", pages, masthead_spread=True))
    assert doc.meta.title == "东海省科技厅等部门印发《关于促进文化和科技深度融合的实施意见》的通知"
    assert recipient in doc.text.split("\n"), doc.text


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


def test_a_date_filled_into_the_blanks_of_a_printed_year_month_day_reads_in_order(tmp_path: Path) -> None:
    """A licence prints "年    月    日" letter-spaced and its program fills 2022, 11 and 10 into the
    blanks: read by position, the date is 2022年11月10日 (it was "2022年月日11 10", no date)."""
    lines = [
        (60, 40, 6.0, "中华人民共和国采矿许可证", False),
        (30, 80, 4.8, "矿山名称：东海煤矿", False),
        (60, 200, 4.8, "发证机关", False),
        (70, 243, 4.8, "年   月   日", False),
        (55, 242.8, 6.3, "2022", False),
        (75.5, 242.8, 6.3, "11", False),
        (94.5, 242.8, 6.3, "10", False),
    ]
    doc = load_document(make_ofd(tmp_path / "采矿许可证.ofd", [{"lines": lines}]))
    assert "2022年11月10日" in doc.text.replace(" ", ""), doc.text
    assert doc.meta.date == "2022-11-10"


@needs_font
def test_a_pdf_form_reads_the_words_of_its_background_picture_beside_its_text_layer(tmp_path: Path) -> None:
    """A PDF licence: the blank form is a picture covering the page, the filled-in values its text
    layer. The form's title and number label are read from the picture by OCR, and the page says so."""
    values = [(80, 74, 4.2, "530902202200014"), (25, 140, 4.2, "临沧市临翔区发展和改革局关于同意棚户区改造安置房项目的批复")]
    doc = load_document(make_form_pdf(tmp_path / "选址意见书.pdf", _form_picture(), values))
    assert doc.meta.title == "中华人民共和国建设项目用地预审与选址意见书"
    assert doc.meta.doc_number == "用字第530902202200014号"
    assert "临沧市临翔区发展和改革局" in doc.text
    assert [facts.page for facts in doc.ocr_pages] == [1]


@needs_font
def test_a_searchable_scan_is_read_from_its_own_text_layer_without_ocr(tmp_path: Path) -> None:
    """A scanner's PDF: the scan as the page's picture, its OCR as invisible text over it. That
    layer is the picture's text already: no second OCR (seconds a page), nothing read twice."""
    lines = ["关于做好防汛工作的通知", "各街道：请按照市防汛指挥部的部署做好防汛准备工作。"]
    picture = _form_picture()
    values = [(30, 30 + 12 * k, 5.0, line) for k, line in enumerate(lines)]
    doc = load_document(make_form_pdf(tmp_path / "扫描件.pdf", picture, values, invisible=True))
    assert doc.ocr_pages == []
    assert all(line in doc.text for line in lines)
    assert "选址意见书" not in doc.text  # the picture was not read


@needs_font
def test_background_pictures_past_the_ocr_cap_are_reported_and_the_text_layer_is_kept(tmp_path: Path, monkeypatch) -> None:
    """More form pages than ZHENGCE_MAX_OCR_PAGES: the pictures are extra, so the file is read from
    its text layer and each picture not read is named, never the whole file refused."""
    from pypdf import PdfReader, PdfWriter

    values = ["临沧市临翔区发展和改革局批复", "普陀区托育服务补贴申请表", "社区宝宝屋服务登记表"]
    writer = PdfWriter()
    for k, value in enumerate(values):
        writer.add_page(PdfReader(make_form_pdf(tmp_path / f"{k}.pdf", _form_picture(), [(25, 140, 4.2, value)])).pages[0])
    writer.write(tmp_path / "三页.pdf")
    monkeypatch.setenv("ZHENGCE_MAX_OCR_PAGES", "2")
    doc = load_document(tmp_path / "三页.pdf")
    assert all(value in doc.text for value in values)
    assert [(f.page, "background picture not read" in (f.error or "")) for f in doc.ocr_pages] == [(1, True), (2, True), (3, True)]


def test_ofd_text_inside_composite_objects_is_read_where_they_place_it(tmp_path: Path) -> None:
    """Some OFD writers define a block of text once (a CompositeGraphicUnit among the resources) and
    draw it with a CompositeObject: its text is the page's, in the place and size the object gives it."""
    unit = [(0, 5, 5.0, "各街道办事处：", False), (10, 14, 5.0, "请按照市防汛指挥部的部署做好防汛准备工作。", False)]
    pages = [{"lines": [(30, 30, 7.0, "关于做好防汛工作的通知", False)], "composites": [(25, 60, 1.0, unit)]},
             {"lines": [(30, 30, 5.0, "附件：防汛物资清单", False)], "composites": [(20, 50, 0.8, [(0, 5, 5.0, "沙袋五百只", False)])]}]
    doc = load_document(make_ofd(tmp_path / "防汛.ofd", pages))
    lines = doc.text.split("\n")
    assert "各街道办事处：" in lines and "请按照市防汛指挥部的部署做好防汛准备工作。" in lines, lines
    assert lines.index("关于做好防汛工作的通知") < lines.index("各街道办事处：")  # placed below the title
    assert "沙袋五百只" in doc.text


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


_RIGHT = 79.0 + 448.0  # the text block's right edge in filegen's A4 layout


def test_an_indent_is_counted_in_the_rows_own_characters(tmp_path: Path) -> None:
    """A rulebook sets its list items in 三号 and its sample pages in 小四: the document's usual
    character (12 pt) made a 16 pt item's first-line indent of under four of its characters more
    than four, so its wrapped line was not joined ("……允许下页接" | "写，表题可省略……", test7)."""
    small = [(79.0, 60.0 + 20 * k, 12.0, "参考文献按正文中引用的先后顺序排列，著录格式应符合国家标准的规定，", _RIGHT) for k in range(30)]
    small.append((79.0, 660.0, 12.0, "以上各项均应遵照执行。", None))
    item = "一张表格应为一个整体，表格一页排不下允许下页接"
    page = [(79.0 + 3.8 * 16, 100.0, 16.0, item, _RIGHT), (79.0, 127.0, 16.0, "写，表题可省略，表头应重复写。", None),
            (79.0 + 3.8 * 16, 154.0, 16.0, "表中参数应标明量和单位的符号。", None)]
    doc = load_document(make_placed_pdf(tmp_path / "规范.pdf", [small, page]))
    assert item + "写，表题可省略，表头应重复写。" in doc.text.split("\n"), doc.text[-200:]


def test_a_paragraph_goes_on_under_a_full_width_stretch_beside_a_formulas_number(tmp_path: Path) -> None:
    """A paragraph whose next line stands over formulas numbered at the right margin: the formulas
    and their numbers are set as columns, and the full-width text's last row ended its column
    there ("……双方程模型。本" | "文也采用该模型……", test7). The row goes on into the first row under it."""
    body = [(79.0 + 32.0, 60.0, 16.0, "描述气体湍流流动的湍流模型很多，目前工程上常用的是双方程模型。本", _RIGHT),
            (79.0, 87.0, 16.0, "文也采用该模型。公式如下：", None),
            (230.0, 120.0, 16.0, "甲＝乙＋丙", None), (480.0, 120.0, 16.0, "（3-1）", None),
            (79.0 + 32.0, 150.0, 16.0, "其中，动能方程为：", None),
            (230.0, 180.0, 16.0, "丁＝戊－己", None), (480.0, 180.0, 16.0, "（3-2）", None),
            (79.0 + 32.0, 220.0, 16.0, "式中，甲表示由层流速度梯度而产生的湍流动能；乙是由浮力产生的湍流动能，", _RIGHT),
            (79.0, 247.0, 16.0, "丙是常量。", None)]
    doc = load_document(make_placed_pdf(tmp_path / "规范.pdf", [body]))
    assert "描述气体湍流流动的湍流模型很多，目前工程上常用的是双方程模型。本文也采用该模型。公式如下：" in doc.text.split("\n"), doc.text


def test_a_reference_wrapped_under_its_number_is_one_entry(tmp_path: Path) -> None:
    """GB/T 7714 reference lists hang each entry's wrapped lines under its text, after "[6]": the
    marker was no item's, so the wrapped line, indented from the margin, was cut off its entry
    ("……长江流域洪涝灾害与科技对" | "策.北京：科学出版社，1999：32-36.", test7)."""
    body = [(79.0, 60.0 + 27.0 * k, 14.0, "参考文献按正文中引用的先后顺序排列，著录格式应符合国家标准的规定，", _RIGHT)
            for k in range(8)]
    first = "[6]程根伟.1998年长江洪水的成因与减灾对策[M]//许厚泽，赵其国.长江流域洪涝灾害与科技对"
    entries = [(79.0, 300.0, 10.5, "[5]昂温G，昂温P S.外国出版国史[M].陈生铮，译.北京：中国书籍出版社，1988.", None),
               (79.0, 320.0, 10.5, first, _RIGHT), (79.0 + 21.0, 340.0, 10.5, "策.北京：科学出版社，1999：32-36.", None),
               (79.0, 360.0, 10.5, "[7]孙玉文.汉语变调构词研究[D].北京：北京大学，1997.", None)]
    doc = load_document(make_placed_pdf(tmp_path / "规范.pdf", [body + entries]))
    assert first + "策.北京：科学出版社，1999：32-36." in doc.text.split("\n"), doc.text[-300:]


def test_a_title_set_in_xiao_er_over_a_body_in_san_hao_is_one_title_block(tmp_path: Path) -> None:
    """Offices often set the title in 小二 (18 pt) over a body in 三号 (16 pt): 1.125 times the body,
    under the 1.15 the title block asked for, so a title over two lines was read as its second line
    ("科研能力评价办法", test9)."""
    centred = [("东海学院优秀应届本科毕业生免试攻读研究生推荐", 60.0), ("科研能力评价办法", 85.0)]
    lines = [(79.0 + (448.0 - 18.0 * len(text)) / 2, y, 18.0, text, None) for text, y in centred]
    body = "为规范学院优秀应届本科毕业生免试攻读研究生推荐科研能力评分工作，根据学校有关规定，结合学院工作实际，特制定本办法。"
    lines += [(79.0 + 32.0, 130.0, 16.0, "一、总则", None), (79.0 + 32.0, 158.0, 16.0, body[:26], _RIGHT),
              (79.0, 186.0, 16.0, body[26:54], _RIGHT), (79.0, 214.0, 16.0, body[54:], None)]
    doc = load_document(make_placed_pdf(tmp_path / "评价办法.pdf", [lines]))
    assert doc.meta.title == "东海学院优秀应届本科毕业生免试攻读研究生推荐科研能力评价办法", doc.text[:120]


@pytest.mark.parametrize(("opening", "joined"), [
    ("元，支出决算为80.38万元。", True), ("元支出决算为80.38万元。", False),
    ("0%，其中：因公出国（境）费决算为0.00万元。", True), ("0%其中因公出国（境）费决算为0.00万元。", False),
])
def test_a_character_that_went_down_with_its_closing_punctuation_leaves_its_row_wrapping(
        tmp_path: Path, opening: str, joined: bool) -> None:
    """No line may start with "，" (禁则), so WPS moves the character before it down too and the row
    stops two characters short ("…年初预算为80.81万" | "元，支出决算为…", test9): it still wraps, and so does one
    before a number and its comma ("…完成预算的" | "0%，其中：…"). A row two characters short before a line
    opening otherwise ends its paragraph."""
    full = "一般公共预算财政拨款支出主要用于以下方面，行政运行支出，机关服务支出，"
    rows = [(79.0, 60.0 + 28.0 * k, 16.0, full, _RIGHT) for k in range(6)]
    short = "主要用于在职人员的职业年金缴费支出年初预算为80.81万"  # stops two characters short of the margin
    rows += [(79.0, 228.0, 16.0, short, _RIGHT - 32.0), (79.0, 256.0, 16.0, opening, None)]
    doc = load_document(make_placed_pdf(tmp_path / "决算.pdf", [rows]))
    assert (short + opening in doc.text) is joined, doc.text[-120:]
    assert (short + "\n" + opening in doc.text) is not joined


def test_a_font_reporting_its_size_under_its_tall_box_keeps_its_size() -> None:
    """A font whose ascent and descent make a 12 pt character's box 22.3 pt tall reports 12 pt: that is
    its size (the box height made two rows of one paragraph two sizes, test9); a text matrix's 1 or
    240 for a 12 pt character is not."""
    from indexer.ingest.pdftext import font_size

    assert (font_size(12.0, 22.3), font_size(1.0, 12.0), font_size(240.0, 12.0), font_size(16.0, 16.5)) == (12.0, 12.0, 12.0, 16.0)


def test_a_character_after_a_tall_quotation_mark_stays_on_its_line() -> None:
    """WPS's font boxes "“" and "”" nearly twice as tall as a character (22 pt for 12 pt type), so a
    line ending "当年度无“三" seemed to reach into the next line, which opens with "公”", and its last
    character was moved after that line as if it stood beside a stack of two (test9's 决算 lost "三"
    from "“三公”"). A line's height is its characters' own."""
    from indexer.ingest.layout import Box, page_rows

    upper = [Box(72.0, 294.0, 482.6, 306.6, "2024年度经费支出决算数小于预算数的主要原因：当年度无", 12.0),
             Box(482.6, 289.1, 487.96, 311.5, "“", 12.0), Box(487.97, 297.4, 499.97, 306.6, "三", 12.0)]
    lower = [Box(72.0, 309.4, 84.0, 321.9, "公", 12.0), Box(84.0, 303.0, 89.3, 325.4, "”", 12.0),
             Box(89.3, 309.4, 149.3, 321.9, "经费支出。", 12.0)]
    masthead = [Box(100.0, 80.0, 300.0, 116.0, "东海省教育厅", 36.0), Box(100.0, 124.0, 300.0, 160.0, "东海省财政厅", 36.0),
                Box(320.0, 100.0, 400.0, 136.0, "文件", 36.0)]  # 文件 beside the two names stacked: after both
    rows = [row.text.replace(" ", "") for column in page_rows([*masthead, *upper, *lower]) for row in column]
    assert rows == ["东海省教育厅", "东海省财政厅文件", "2024年度经费支出决算数小于预算数的主要原因：当年度无“三", "公”经费支出。"], rows


def test_a_page_with_one_short_paragraph_shows_its_own_margin() -> None:
    """A budget's landscape page holds one paragraph of three lines, its text narrower than the tables'
    rows on the other pages, which set the document's margin two characters further right: the
    paragraph's indented first line and its second, ending at one edge, show the page's own margin,
    so its lines wrap (test9's 财政局 预算 broke "……、预" | "算处、债务处……"). A list's lines end where their
    words do and show none."""
    import tempfile

    row = "上海市财政局设二十二个内设机构包括办公室政策法规处人事教育处"  # 28 characters at 16 pt: 448 pt
    tables = [(79.0, 60.0 + 28.0 * k, 16.0, row, _RIGHT) for k in range(8)]
    short = _RIGHT - 32.0  # the page's own text ends two characters short of the document's margin
    lines = ["上海市财政局设二十二个内设机构，包括：办公室、政策法规处、人事", "教育处、信息技术处、综合规划处、预算处、债务处、国库处、行政政",
             "法处、教科文处。"]
    paragraph = [(111.0, 60.0, 16.0, lines[0], short), (79.0, 88.0, 16.0, lines[1], short), (79.0, 116.0, 16.0, lines[2], None)]
    listed = [(79.0, 60.0 + 28.0 * k, 16.0, item, None) for k, item in enumerate(["一、办公室负责机关日常运转工作", "二、政策法规处负责法制建设工作"])]
    with tempfile.TemporaryDirectory() as folder:
        doc = load_document(make_placed_pdf(Path(folder) / "预算.pdf", [tables, paragraph, listed]))
    assert any("".join(lines) in line for line in doc.text.split("\n")), doc.text[-200:]
    assert "一、办公室负责机关日常运转工作\n二、政策法规处负责法制建设工作" in doc.text


@needs_font
def test_a_title_and_body_pasted_in_as_a_picture_under_a_text_masthead_are_read(tmp_path: Path) -> None:
    """A ministry's notice re-saved by WPS: the masthead and 文号 are its text layer, the title, 主送 and
    body a scan pasted in under them, covering two fifths of the page. A picture that size on a page of
    so little text holds the page's text: OCR reads it (the title and body were lost from the text,
    test12). A picture beside a page of text is left to the text layer."""
    from filegen import _cjk_font

    lines = [(40, "水利部办公厅关于印发生产建设项目", 30), (40, "水土保持设施自主验收规程的通知", 30),
             (20, "各流域管理机构，各省、自治区、直辖市水利厅：", 24), (68, "现将规程印发你们，请遵照执行。", 24)]
    image = Image.new("RGB", (1000, 560), "white")
    draw = ImageDraw.Draw(image)
    for k, (x, text, size) in enumerate(lines):
        draw.text((x + 60, 60 + 110 * k), text, font=_cjk_font(size * 3 // 2), fill=(20, 20, 20))
    picture = io.BytesIO()
    image.save(picture, "PNG")
    masthead = [(45, 50, 12.0, "水利部办公厅文件"), (80, 80, 5.0, "办水保〔2018〕133号")]
    doc = load_document(make_form_pdf(tmp_path / "通知.pdf", picture.getvalue(), masthead, placed=(20, 95, 170, 95)))
    assert doc.meta.title == "水利部办公厅关于印发生产建设项目水土保持设施自主验收规程的通知", doc.text
    assert "现将规程印发你们，请遵照执行。" in doc.text.replace(" ", "")
    assert [facts.page for facts in doc.ocr_pages] == [1]
    body = [(25, 20 + 9 * k, 5.0, "为进一步规范生产建设项目水土保持设施自主验收工作特制定本规程") for k in range(8)]
    doc = load_document(make_form_pdf(tmp_path / "规程.pdf", picture.getvalue(), body, placed=(20, 95, 170, 95)))
    assert doc.ocr_pages == [] and "水利部办公厅关于印发" not in doc.text
