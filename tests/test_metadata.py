"""公文 metadata rules on the seeds and on the variants the standard allows."""

from pathlib import Path

import pytest

from indexer.gongwen.clean import clean_text
from indexer.gongwen.metadata import extract_metadata, parse_date
from indexer.gongwen.numbers import find_doc_number

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
