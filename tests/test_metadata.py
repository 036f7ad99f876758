"""公文 metadata rules on the seeds and on the variants the standard allows."""

from pathlib import Path

import pytest

from indexer.gongwen.clean import clean, clean_text
from indexer.gongwen.metadata import extract_metadata, parse_date
from indexer.gongwen.numbers import find_doc_number, find_proposal, normalize_doc_number

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def seed_meta(prefix: str):
    return extract_metadata(clean_text(next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")))


def test_seed_000_reply_opinion():
    meta = seed_meta("000")
    assert (meta.doc_number, meta.issuer, meta.date) == ("普教办〔2024〕3号", "普陀区教育局", "2024-03-20")
    assert meta.title == "对区政协第十五届三次会议第153053号提案的会办意见"
    assert meta.proposal_number == "第153053号提案"
    assert meta.doc_type == "会办意见"
    assert meta.recipients == ["妇联"]
    assert meta.cc == ["区政府办公室", "区政协提案委员会"]
    assert meta.region == "上海市普陀区"


def test_seed_002_womens_federation_reply():
    meta = seed_meta("002")
    assert (meta.doc_number, meta.issuer, meta.date) == ("沪妇两会〔2019〕13号", "上海市妇女联合会", "2019-04-29")
    assert meta.title == "对市政协十三届二次会议第0596号提案的答复"
    assert meta.doc_type == "答复" and meta.proposal_number == "第0596号提案"
    assert meta.cc == ["市政府办公厅建议提案处", "市政协提案委员会办公室"]
    assert "市人力资源社会保障局" in meta.recipients


def test_seed_004_notice_with_action_plan():
    meta = seed_meta("004")
    assert (meta.doc_number, meta.issuer, meta.date) == ("浦府办〔2021〕12号", "上海市浦东新区人民政府办公室", "2021-05-13")
    assert meta.title == "浦东新区人民政府办公室关于印发《浦东新区托育服务三年行动计划（2021-2023年）》的通知"
    assert meta.doc_type == "通知"
    assert meta.region == "上海市浦东新区"


def test_seed_001_report_quotes_another_doc_number_in_its_body():
    meta = seed_meta("001")
    assert meta.doc_number == "静府议〔2025〕17号"  # not 静会〔2025〕57号, which the body cites
    assert meta.doc_type == "报告" and meta.issuer == "上海市静安区人民政府"
    assert meta.recipients == ["区人大常委会"]


def test_seed_003_web_reply_has_no_doc_number_or_signature():
    meta = seed_meta("003")
    assert meta.doc_number is None and meta.issuer is None and meta.date is None
    assert meta.proposal_number == "第20210141号建议"
    assert meta.region == "武汉市"


@pytest.mark.parametrize(
    "written", ["普教办〔2024〕3号", "普教办[2024]3号", "普教办（2024）3号", "普教办【2024】3号", "普教办 [ 2024 ] 3 号"]
)
def test_doc_number_variants_normalise(written):
    assert find_doc_number(written) == "普教办〔2024〕3号"


@pytest.mark.parametrize(
    "written, iso",
    [("2024年3月20日", "2024-03-20"), ("二〇二四年三月五日", "2024-03-05"), ("二〇二一年十二月三十一日", "2021-12-31"),
     ("二○一九年十月十日", "2019-10-10"), ("2024年13月1日", None)],
)
def test_dates_parse_to_iso(written, iso):
    assert parse_date(written) == iso


def test_document_in_chinese_numeral_dates_and_bracket_variants():
    text = clean_text(
        "上海市某区民政局文件\n某民发[2023]7号\n关于做好社区养老服务工作的通知\n各街道办事处：\n"
        "为进一步做好社区养老服务工作，现将有关事项通知如下。一、加强组织领导。\n"
        "某区民政局\n二〇二三年六月一日\n抄送：区政府办公室、区财政局。"
    )
    meta = extract_metadata(text)
    assert meta.doc_number == "某民发〔2023〕7号"
    assert meta.date == "2023-06-01" and meta.issuer == "某区民政局"
    assert meta.title == "关于做好社区养老服务工作的通知" and meta.doc_type == "通知"
    assert meta.recipients == ["各街道办事处"] and meta.cc == ["区政府办公室", "区财政局"]


def test_absent_fields_are_null():
    meta = extract_metadata("这是一段没有任何公文要素的普通文字，只讲述一些情况。")
    assert meta.doc_number is None and meta.date is None and meta.issuer is None and meta.cc == []


def test_declared_title_is_used_when_the_layout_shows_none():
    text = clean_text("一、总体要求\n坚持以人民为中心，推进托育服务发展。\n二、主要任务\n扩大普惠托育供给。")
    assert extract_metadata(text).title is None
    assert extract_metadata(text, title_hint="关于推进托育服务发展的实施意见").title == "关于推进托育服务发展的实施意见"
    assert extract_metadata(text, title_hint="关于推进托育服务发展的实施意见").doc_type == "意见"


# ----------------------------------------------------------------------------- published pages
# Pages in layouts the labelled set does not show, written here: the rules must hold for the kind.

RUN_TOGETHER_PAGE = """当前位置：首页 > 政务公开 > 建议提案办理 > 人大代表建议
![](/images/banner.png)
索引号：11440304/2024-00123 发布机构：深圳市福田区教育局 发文字号：深福教函[2024]15号 成文日期：2024年05月08日 发布日期：2024-05-20
深圳市福田区教育局 深圳市福田区卫生健康局关于区七届人大三次会议
第20240153号建议的答复
来源：福田区教育局 发布时间：2024-05-20 10:12 浏览次数：321 【字体：大 中 小】
李明代表：
您提出的《关于增加社区托育点的建议》收悉，现答复如下：
一、我区已建成社区托育点42个，覆盖全部街道。
二、下一步将继续扩大普惠托位供给。
深圳市福田区教育局
深圳市福田区卫生健康局
2024年5月8日
[返回首页](http://www.szft.gov.cn/)  打印本页  关闭窗口
主办单位：深圳市福田区人民政府办公室  网站标识码：4403040001
粤ICP备12345678号  粤公网安备 44030402000001号
"""


def test_run_together_info_table_breadcrumb_source_line_and_co_signing_issuers():
    meta, text = page_metadata(RUN_TOGETHER_PAGE)
    assert meta.doc_number == "深福教函〔2024〕15号"  # stated only in the table: kept as the 文号 line
    assert meta.issuers == ["深圳市福田区教育局", "深圳市福田区卫生健康局"]
    assert meta.issuer == "深圳市福田区教育局、深圳市福田区卫生健康局"
    assert (meta.date, meta.published, meta.index_number) == ("2024-05-08", "2024-05-20", "11440304/2024-00123")
    assert meta.proposal_number == "第20240153号建议"
    assert meta.title == "深圳市福田区教育局深圳市福田区卫生健康局关于区七届人大三次会议第20240153号建议的答复"
    for furniture in ("当前位置", "images", "索引号", "发布机构", "来源", "浏览次数", "字体", "返回首页", "打印本页",
                      "关闭窗口", "主办单位", "网站标识码", "ICP备", "公网安备"):
        assert furniture not in text, furniture
    assert text.split("\n")[0] == "深福教函〔2024〕15号"


def page_metadata(page: str):
    """Metadata of a published page's text, with what the page stated outside the document."""
    cleaned = clean([page])
    return extract_metadata(cleaned.text, stated=cleaned.stated), cleaned.text


def test_key_lines_with_values_below_and_a_signature_that_wins_over_the_table():
    page = (
        "信息公开\n索引号\nA0001/2023-0042\n发文机关\n某县住房和城乡建设局\n成文日期\n2023-06-30\n"
        "文号\n某建函【2023】第8号\n发布日期\n2023年07月12日\n"
        "对县政协十二届二次会议第〔15〕号提案的答复\n张华委员：\n你提出的关于老旧小区加装电梯的提案收悉，现答复如下：\n"
        "我局已完成摸底调查，共有32个小区具备加装条件。\n某县住房和城乡建设局办公室\n二〇二三年六月二十八日\n"
    )
    meta, _ = page_metadata(page)
    assert meta.doc_number == "某建函〔2023〕第8号"
    assert meta.date == "2023-06-28" and meta.published == "2023-07-12"  # the signature's date, not the table's
    assert meta.issuer == "某县住房和城乡建设局办公室"
    assert meta.proposal_number == "第15号提案" and meta.title == "对县政协十二届二次会议第〔15〕号提案的答复"


def test_page_that_starts_at_the_salutation_has_no_title_and_finds_the_number_in_its_opening():
    page = (
        "类别：B\n王芳代表：\n您提出的《关于优化公交线路的建议》（250101号代表建议）收悉。经研究，现答复如下：\n"
        "我局已会同公交集团调整12路公交线路。\n某市交通运输局\n2025年4月2日\n"
    )
    meta, _ = page_metadata(page)
    assert meta.title is None
    assert meta.proposal_number == "第250101号代表建议"
    assert (meta.issuer, meta.date) == ("某市交通运输局", "2025-04-02")


def test_heading_names_the_issuer_when_nothing_else_does():
    page = "湖南省卫生健康委对省十三届人大四次会议第0737号建议的答复\n张媛媛代表：\n您提出的建议收悉。我委高度重视，经认真研究，现答复如下：一是推进托育服务。"
    meta, _ = page_metadata(page)
    assert meta.issuer == "湖南省卫生健康委" and meta.proposal_number == "第0737号建议"


@pytest.mark.parametrize(
    "written, iso",
    [("2018-12-14", "2018-12-14"), ("2020年09月23日", "2020-09-23"), ("二0一七年五月二十六日", "2017-05-26"),
     ("2023-11-30 09:00", "2023-11-30")],
)
def test_dates_as_pages_print_them(written, iso):
    assert parse_date(written) == iso


@pytest.mark.parametrize(
    "written, expected",
    [("第153053号提案", "第153053号提案"), ("第DH0271号建议", "第DH0271号建议"), ("第A20250015号建议", "第A20250015号建议"),
     ("第〔27〕号", "第27号"), ("250101号代表建议", "第250101号代表建议"), ("自编号027号", "第027号"),
     ("第00956号(社会管理类094号)提案", "第00956号提案")],
)
def test_proposal_numbers_in_the_forms_staff_meet(written, expected):
    assert find_proposal(written) == expected


@pytest.mark.parametrize("written", ["临建建议字〔2025〕第1号", "临建建议字[2025]第1号", "临建建议字（2025）第1号", "临建建议字【2025】第1号"])
def test_doc_number_with_di_in_any_bracket(written):
    assert find_doc_number(written) == "临建建议字〔2025〕第1号"
    assert normalize_doc_number(written) == normalize_doc_number("临建建议字〔2025〕1号")


@pytest.mark.parametrize("written", ["东海站[2025]（通知）沿海二线08号", "东海站〔2025〕(通知)沿海二线8号", "东海站【2025】（通知）沿海二线 08 号"])
def test_doc_number_with_a_category_and_project_between_year_and_number(written):
    """A supervision station numbers its notices 南宁站[2025]（通知）钦防二线08号 (test19)."""
    assert normalize_doc_number(written) == "东海站〔2025〕（通知）沿海二线8号"
    assert normalize_doc_number(find_doc_number(f"编号：{written}") or "") == "东海站〔2025〕（通知）沿海二线8号"
    assert normalize_doc_number(written) != normalize_doc_number("东海站〔2025〕（通知）沿海一线8号")


@pytest.mark.parametrize("written", ["(2012)东大教10号", "（2012）东大教10号", "〔2012〕东大教10号"])
def test_doc_number_printed_year_first(written):
    """A university prints its 文号 with the year first: "(2012)厦大教10号" (test22)."""
    text = f"关于试行本科课程学分绩点计算办法的通知\n{written}\n各学院：\n现将有关事项通知如下。"
    assert extract_metadata(text).doc_number == "〔2012〕东大教10号"
    assert normalize_doc_number(written) == normalize_doc_number("东大教〔2012〕10号")


def test_a_scanned_date_whose_closing_day_a_seal_hid_still_dates_the_signature() -> None:
    """A seal pressed over the 成文日期 of a black-and-white fax (test16's 培训通知) hid the last
    character from OCR: "2014年7月3" stands alone under the signature, laid out as its own line."""
    from indexer.ingest.paragraphs import PARAGRAPH_END

    lines = ["培训通知", "市政府各部门：", "现就相关业务培训具体事项通知如下：", "一、培训时间", "2014年7月9日上午9:00。",
             "请各单位将名单于7月7日前反馈我委（投资处）。", "广州市发展和改革委员会", "2014年7月3",
             "（联系人：王某，联系电话：83123622）"]
    meta = extract_metadata(clean_text("\n".join(line + PARAGRAPH_END for line in lines)), laid_out=True)
    assert (meta.issuer, meta.date) == ("广州市发展和改革委员会", "2014-07-03")
    lines[7] = "于2014年7月3"  # not a date alone on its line: no such date
    meta = extract_metadata(clean_text("\n".join(line + PARAGRAPH_END for line in lines)), laid_out=True)
    assert meta.date != "2014-07-03"
