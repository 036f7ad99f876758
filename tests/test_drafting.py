"""The draft reply: its parts as offices write them, the office settings, and the .docx checked twice:
read back with python-docx (page, margins, styles, fonts with their fallbacks, grid, footers,
comments) and rendered by LibreOffice to PDF, measured from the PDF's text boxes (A4, 22 lines of 28
characters, page numbers). No index is needed: the material here is made in the test."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree

from indexer.drafting.docx import CHARS_PER_LINE, LINE_PITCH_TWIPS, LINES_PER_PAGE
from indexer.drafting.draft import NO_PRECEDENT, ask_topic, assemble_draft
from indexer.drafting.office import OfficeSettings, office_settings
from indexer.drafting.reply_docx import reply_docx
from indexer.drafting.wording import book_title, citation_text
from indexer.errors import BadInput
from indexer.gongwen.proposal import read_proposal
from indexer.models import Chunk, DocMeta, Document
from indexer.retrieval.search import Hit

PROPOSALS = Path(__file__).parent / "data" / "proposals"
SOFFICE = shutil.which("soffice")
OFFICE = OfficeSettings(name="滑县公安局交通警察大队", work="公安交通管理", contact="张明", phone="0372-5551234",
                        cc=["县政协提案委员会", "县政府督查室"], disclosure="此件主动公开")
DAY = dt.date(2024, 6, 20)
MEASURE = "学校周边道路交通秩序管理是一项系统工程，需要公安、教育、交通运输等部门协同配合，形成工作合力。"


def proposal(name: str = "10"):
    return read_proposal(json.loads((PROPOSALS / f"{name}.json").read_text(encoding="utf-8"))["text"])


def hit(text: str, title: str = "关于《关于加强校园周边交通管理的提案》办理情况的答复") -> Hit:
    document = Document("d0c", "reply.txt", text, DocMeta(title=title, issuer="某县公安局", doc_number="某公交〔2023〕5号",
                                                         date="2023-05-04", doc_type="答复"), "text", "h")
    return Hit(1, 1.0, Chunk("d0c", 0, text, "一、关于交通疏导", 0, len(text)), document, [], {"dense": 0.95})


def test_a_reply_has_the_parts_offices_write():
    p = proposal()
    asks = [p.ask_text(a) for a in p.asks]
    draft = assemble_draft(p, asks, [[hit(MEASURE)], []], [True, False], OFFICE, day=DAY, result_code="B")
    assert draft.title == "滑县公安局交通警察大队关于滑县政协十三届三次会议第208号提案的答复"
    assert draft.recipient == "王洪标委员："
    assert draft.opening == "你提出的《关于上下学期间交通拥堵的提案》（第208号）收悉。经研究，现答复如下："
    assert [s.heading for s in draft.sections] == ["一、关于禁止学校门口接送学生的车辆调头的建议",
                                                   "二、关于在警力现场疏导、安装分流栏杆等基础上的建议"]
    assert draft.sections[0].paragraphs[0].text == MEASURE and draft.sections[0].sources[0].chunk_id == "d0c:0"
    assert draft.sections[1].paragraphs[0].text == NO_PRECEDENT  # no precedent: said so, not padded
    assert draft.closing == "感谢你对公安交通管理工作的关心和支持。"
    assert (draft.signature, draft.date) == ("滑县公安局交通警察大队", "2024年6月20日")
    assert draft.contact == "（联系人：张明；联系电话：0372-5551234）" and draft.cc == ["县政协提案委员会", "县政府督查室"]
    assert (draft.result_code, draft.result_label, draft.missing) == ("B", "正在解决或列入计划", [])
    assert draft.file_name(DAY) == "第208号-关于上下学期间交通拥堵的提案-答复-20240620.docx"


def test_a_co_handling_office_writes_a_hui_ban_yi_jian_to_the_lead_office():
    office = OfficeSettings(name="三亚市吉阳区人民政府", role="会办", lead_office="三亚市住房和城乡建设局")
    draft = assemble_draft(proposal("16"), ["清理盲道"], [[]], [False], office, day=DAY)
    assert draft.title == "三亚市吉阳区人民政府关于政协三门峡市委员会八届一次会议第25号提案的会办意见"
    assert draft.recipient == "三亚市住房和城乡建设局："
    assert draft.opening.startswith("李喆委员提出的《关于清理盲道占用问题的建议》（第25号）收悉。根据要求，我单位协助办理此提案")
    assert draft.closing is None and draft.missing == []  # a 会办意见 carries no 办理结果


def test_what_is_not_stated_is_marked_for_staff_never_guessed():
    draft = assemble_draft(read_proposal("我市停车位不足，建议建设立体停车场。"), ["建设立体停车场"], [[]], [False],
                           OfficeSettings(), day=DAY)
    assert draft.recipient == "【待填写：提案人】：" and draft.signature == "【待填写：落款单位】"
    assert draft.title == "关于【待填写：提案编号】的答复"
    assert set(draft.missing) == {"提案人", "提案编号", "办理结果", "落款单位"}
    assert draft.result_code is None and draft.sections[0].heading is None  # one ask: no 一、 heading


def test_an_unknown_result_code_is_refused_naming_the_office_codes():
    with pytest.raises(BadInput, match="可选：A 所提问题已经解决或采纳"):
        assemble_draft(proposal(), ["x"], [[]], [False], OFFICE, day=DAY, result_code="D")
    own = OfficeSettings(result_codes={"甲": "已办结", "乙": "列入计划"})
    assert own.result_label("乙") == "列入计划"


def test_office_settings_come_from_the_environment_and_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHENGCE_OFFICE_NAME", "上海市普陀区教育局")
    monkeypatch.setenv("ZHENGCE_OFFICE_CC", '["区政协提案委员会"]')
    assert office_settings().name == "上海市普陀区教育局" and office_settings().cc == ["区政协提案委员会"]
    file = tmp_path / "office.json"
    file.write_text(json.dumps({"name": "上海市普陀区妇联", "role": "会办"}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("ZHENGCE_OFFICE_FILE", str(file))
    settings = office_settings()
    assert (settings.name, settings.role, settings.cc) == ("上海市普陀区妇联", "会办", ["区政协提案委员会"])
    file.write_text("{not json", encoding="utf-8")
    with pytest.raises(BadInput, match="不是可读的 UTF-8 JSON"):
        office_settings()
    file.write_text(json.dumps({"role": "协办"}), encoding="utf-8")
    with pytest.raises(BadInput, match="单位设置有误.*role"):
        office_settings()


def test_titles_inside_a_title_are_written_with_single_angle_brackets():
    assert book_title("关于《上海市妇女权益保障条例》实施情况的报告") == "《关于〈上海市妇女权益保障条例〉实施情况的报告》"
    assert citation_text("静安区政府", "关于《审议意见》落实情况的报告", None, "2025-01-02", "x.txt") == (
        "静安区政府《关于〈审议意见〉落实情况的报告》（2025年1月2日）")
    assert ask_topic("一是加快城市立体停车场的规划进程。规划部门要……") == "加快城市立体停车场的规划进程"


# ------------------------------------------------------------------ the .docx, read back


def long_draft():
    """A reply long enough to fill pages: several passages per section, their sources attached."""
    p = proposal()
    asks = [p.ask_text(a) for a in p.asks]
    passages = [hit(MEASURE * 6 + f"（{i}）") for i in range(4)]
    return assemble_draft(p, asks, [passages, passages[:2]], [True, True], OFFICE, day=DAY, result_code="B")


@pytest.fixture(scope="module")
def reply_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reply") / "reply.docx"
    path.write_bytes(reply_docx(long_draft()))
    return path


def test_docx_page_margins_and_grid_are_gb_t_9704(reply_file):
    document = docx.Document(str(reply_file))
    section = document.sections[0]
    mm = lambda length: round(length.mm, 1)  # noqa: E731
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin), mm(section.left_margin), mm(section.right_margin)) == (
        37, 35, 28, 26)
    assert mm(section.page_width) - 28 - 26 == 156 and 297 - 37 - 35 == 225  # the 版心
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and int(grid.get(qn("w:linePitch"))) == LINE_PITCH_TWIPS
    assert LINE_PITCH_TWIPS * LINES_PER_PAGE <= 225 / 25.4 * 1440 < LINE_PITCH_TWIPS * (LINES_PER_PAGE + 1)


def test_docx_styles_declare_the_fonts_and_sizes(reply_file):
    document = docx.Document(str(reply_file))

    def font_of(style_name: str) -> tuple[str, float, int | None]:
        rpr = document.styles[style_name].element.rPr
        spacing = rpr.find(qn("w:spacing"))
        return (rpr.rFonts.get(qn("w:eastAsia")), int(rpr.find(qn("w:sz")).get(qn("w:val"))) / 2,
                int(spacing.get(qn("w:val"))) if spacing is not None else None)

    assert font_of("公文正文") == ("仿宋_GB2312", 16, -5)  # 3号; 28 characters of 15.75 pt fit 156 mm
    assert font_of("公文标题")[:2] == ("方正小标宋简体", 22)  # 2号
    assert font_of("一级标题")[:2] == ("黑体", 16) and font_of("二级标题")[:2] == ("楷体_GB2312", 16)
    body = document.styles["公文正文"].paragraph_format
    assert body.line_spacing.twips == LINE_PITCH_TWIPS and round(body.first_line_indent.pt, 1) == 31.6  # 2 characters
    assert 28 * (16 - 0.25) <= 156 / 25.4 * 72 < 29 * (16 - 0.25)
    used = {p.style.name for p in document.paragraphs}
    assert {"公文标题", "主送", "公文正文", "一级标题", "落款", "版记"} <= used


def test_docx_font_table_gives_each_font_its_fallback(reply_file):
    with zipfile.ZipFile(reply_file) as package:
        table = etree.fromstring(package.read("word/fontTable.xml"))
    alt = {f.get(qn("w:name")): f.find(qn("w:altName")).get(qn("w:val")) for f in table.findall(qn("w:font"))
           if f.find(qn("w:altName")) is not None}

    def chain(font: str) -> list[str]:
        names = [font]
        while names[-1] in alt:
            names.append(alt[names[-1]])
        return names

    assert chain("仿宋_GB2312") == ["仿宋_GB2312", "仿宋", "FangSong"]
    assert chain("方正小标宋简体")[:3] == ["方正小标宋简体", "方正小标宋_GBK", "华文中宋"]
    assert chain("黑体") == ["黑体", "SimHei"] and chain("楷体_GB2312") == ["楷体_GB2312", "楷体", "KaiTi"]


def test_docx_page_numbers_sit_on_the_outer_side_in_4hao(reply_file):
    document = docx.Document(str(reply_file))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, alignment in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert 'w:instr=" PAGE "' in xml and paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.alignment.name.lower() == alignment
        assert {int(s.get(qn("w:val"))) for s in paragraph._p.iter(qn("w:sz"))} == {28}  # 4号 = 14 pt


def test_docx_keeps_every_source_as_a_comment(reply_file):
    document = docx.Document(str(reply_file))
    comments = list(document.comments)
    assert len(comments) == 6  # one per passage taken into the draft
    note = comments[0].text
    assert note.startswith("出处：某县公安局《关于〈关于加强校园周边交通管理的提案〉办理情况的答复》（某公交〔2023〕5号，2023年5月4日）")
    assert "文档 d0c，字符 0-" in note
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "（B类）" and "王洪标委员：" in texts and "抄送：县政协提案委员会，县政府督查室。" in texts


# ------------------------------------------------------------------ the .docx, rendered by LibreOffice


@pytest.fixture(scope="module")
def rendered(reply_file, tmp_path_factory):
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui fonts-noto-cjk")
    from pdflayout import read_pages

    out = tmp_path_factory.mktemp("pdf")
    profile = out / "profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), str(reply_file)], check=True, capture_output=True, timeout=240)
    return read_pages(out / "reply.pdf")


@pytest.mark.system
def test_libreoffice_renders_a4_pages_of_22_lines_of_28_characters(rendered):
    assert len(rendered) >= 3
    assert all(abs(p.width_mm - 210) < 0.5 and abs(p.height_mm - 297) < 0.5 for p in rendered)
    body = rendered[1]  # a page of body text only
    lines = [line for line in body.lines if not re.fullmatch(r"—\s*\d+\s*—", line.text)]
    assert abs(len(lines) - LINES_PER_PAGE) <= 1, [line.text for line in lines]
    pitches = [a.top - b.top for a, b in zip(lines, lines[1:])]
    assert all(abs(p - LINE_PITCH_TWIPS / 20) < 1.5 for p in pitches)
    full = [line for line in lines if line.right - line.left > 430]  # lines that run to the right margin
    assert len(full) >= 15
    assert all(abs(line.chars - CHARS_PER_LINE) <= 1 for line in full), [(line.chars, line.text) for line in full]


@pytest.mark.system
def test_libreoffice_renders_page_numbers_on_every_page(rendered):
    for number, page in enumerate(rendered, start=1):
        numbers = [line for line in page.lines if re.fullmatch(rf"—\s*{number}\s*—", line.text)]
        assert numbers, (number, [line.text for line in page.lines[-3:]])
        middle = page.width_mm * 72 / 25.4 / 2
        assert (numbers[0].left > middle) if number % 2 else (numbers[0].right < middle)  # the outer side


# ------------------------------------------------------------------ the 参考材料 export


def test_reference_list_export_has_the_same_page_fonts_and_a_real_table(tmp_path):
    from datetime import datetime

    from search_api import schemas
    from search_api.web.reference import precedents_docx

    title = "上海市静安区人民政府关于《审议意见》落实情况的报告"
    citation = schemas.Citation(doc_id="d1", title=title, doc_number="静府议〔2025〕17号", issuer="上海市静安区人民政府",
                                date="2025-01-02", doc_type="报告", source="001.txt", page=None, section="一、总体情况",
                                char_start=0, char_end=20)
    summary = schemas.DocumentSummary(doc_id="d1", source="001.txt", format="txt", title=title, doc_number="静府议〔2025〕17号",
                                      issuer="上海市静安区人民政府", date="2025-01-02", doc_type="报告", region=None,
                                      proposal_number=None, recipients=[], cc=[], chars=100)
    passage = schemas.Passage(rank=1, score=0.9, text="全区建成宝宝屋12个。", highlights=[], scores={}, citation=citation)
    result = schemas.SimilarResponse(
        found=True,
        parts=[schemas.InputPart(index=0, char_start=0, char_end=8, section="")],
        documents=[schemas.SimilarDocument(rank=1, score=0.91, document=summary, matches=[
            schemas.PrecedentMatch(part=0, part_char_start=0, part_char_end=8, score=0.9, passage=passage)])],
    )
    path = tmp_path / "list.docx"
    path.write_bytes(precedents_docx("关于增加托位的提案", result, datetime(2026, 3, 1, 9, 30)))
    document = docx.Document(str(path))
    assert round(document.sections[0].page_width.mm) == 210 and round(document.sections[0].top_margin.mm) == 37
    assert document.paragraphs[0].text == "参考材料" and document.paragraphs[0].style.name == "公文标题"
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "文件", "发文机关", "文号", "相似度"]
    assert table.rows[1].cells[1].text == "《上海市静安区人民政府关于〈审议意见〉落实情况的报告》"
    assert table.style.name == "Table Grid"
    texts = [p.text for p in document.paragraphs]
    assert "出处：上海市静安区人民政府《上海市静安区人民政府关于〈审议意见〉落实情况的报告》（静府议〔2025〕17号，2025年1月2日），一、总体情况" in texts
    assert not any("《《" in t or "》》" in t for t in texts)


# ------------------------------------------------------------------ the drafting yardstick


def test_drafting_shares_count_passages_parts_and_parts_left_empty():
    from eval.drafting import format_drafting, summarise

    rel, other = {"doc": "a", "relevant": True, "cosine": 0.9}, {"doc": "b", "relevant": False, "cosine": 0.9}
    asks = [
        {"relevant_in_index": 2, "ticked": [rel, other], "offered": [rel, other, other]},
        {"relevant_in_index": 1, "ticked": [rel], "offered": [rel]},
        {"relevant_in_index": 1, "ticked": [], "offered": []},  # missed
        {"relevant_in_index": 0, "ticked": [], "offered": []},  # nothing to cite, and nothing given
        {"relevant_in_index": 0, "ticked": [other], "offered": [other]},  # padded
    ]
    s = summarise(asks)
    assert s["asks"] == 5 and s["asks_with_relevant_documents"] == 3
    assert s["ticked"]["relevant_share"] == round(2 / 4, 4) and s["ticked"]["relevant_share_per_ask"] == round(
        (0.5 + 1 + 0) / 3, 4)
    assert s["ticked"]["answerable_asks_with_relevant_material"] == round(2 / 3, 4)
    assert s["ticked"]["unanswerable_asks_given_nothing"] == 0.5
    assert s["offered"]["relevant_share"] == 0.4
    table = format_drafting({"documents": 2, "sets": {"toy": {"summary": s}}})
    assert "toy" in table and "50.0%" in table
