"""Cleaning undoes the extraction noise seen in the seed documents."""

import re
from pathlib import Path

import pytest

from indexer.gongwen.clean import clean_pages, clean_text

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SPACE_BETWEEN_CJK = re.compile(r"[\u4e00-\u9fff][ \t\u3000]+[\u4e00-\u9fff]")


def seed(prefix: str) -> str:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_spaces_between_cjk_characters_are_removed_but_latin_spacing_kept():
    assert clean_text("上 海 市 普 陀 区 教 育 局 文 件") == "上海市普陀区教育局文件"
    assert clean_text("普教办〔2024〕3 号") == "普教办〔2024〕3号"
    assert clean_text("在 2023 年底完成 10 个街道镇") == "在2023年底完成10个街道镇"
    assert clean_text("Page layout of the PDF file") == "Page layout of the PDF file"


def test_hard_line_breaks_inside_sentences_are_joined_and_paragraphs_kept():
    raw = "王忞提出的关于《关于加强新就业女性群体权益保障的建\n\n议》的提案收悉，经研究。\n\n托育服务方面，普陀区已在\n\n2023 年底完成目标。"
    assert clean_text(raw) == "王忞提出的关于《关于加强新就业女性群体权益保障的建议》的提案收悉，经研究。\n托育服务方面，普陀区已在2023年底完成目标。"


def test_width_normalisation_is_consistent():
    # full-width digits and letters become ASCII; ASCII punctuation between CJK becomes full-width
    assert clean_text("２０２４年ＡＢＣ") == "2024年ABC"
    assert clean_text("建议收悉,按照要求(以下简称托育服务):") == "建议收悉，按照要求（以下简称托育服务）："
    assert clean_text("共计1,000元") == "共计1,000元"


def test_doc_number_brackets_are_normalised():
    assert clean_text("按照（沪府发[2014]30号）等文件") == "按照（沪府发〔2014〕30号）等文件"
    assert clean_text("沪妇两会【2019】13号") == "沪妇两会〔2019〕13号"


def test_page_numbers_and_running_headers_are_dropped_and_page_starts_recorded():
    topics = ["托育服务的发展", "职业教育的宣传", "妇女权益的保障", "社区宝宝屋的建设"]
    pages = [f"上海市普陀区教育局\n第{n}段正文内容，讲述{topic}。\n— {n} —" for n, topic in enumerate(topics, 1)]
    text, page_starts = clean_pages(pages)
    assert "— 2 —" not in text and "上海市普陀区教育局" not in text
    assert len(page_starts) == 4 and page_starts[0] == 0
    for number, start in enumerate(page_starts, start=1):
        assert text[start:].startswith(f"第{number}段正文")


def test_sentence_continuing_across_a_page_break_is_joined():
    text, page_starts = clean_pages(["托育服务方面，普陀区已在", "2023年底完成目标。"])
    assert text == "托育服务方面，普陀区已在2023年底完成目标。"
    assert page_starts == [0, len("托育服务方面，普陀区已在")]


def test_seed_000_header_and_signature_lines_stay_separate():
    text = clean_text(seed("000"))
    lines = text.split("\n")
    assert lines[1:3] == ["上海市普陀区教育局文件", "普教办〔2024〕3号"]
    assert "普陀区教育局" in lines and "2024年3月20日" in lines
    assert "联系人：刘姣" in lines and "联系电话：52564588-7659" in lines
    assert "确保本区1-3岁婴幼儿家庭享有一年12次的免费社区托育服务" in text


def test_web_page_navigation_and_link_lists_are_removed_from_seed_003():
    text = clean_text(seed("003"))
    assert not text.startswith("首页")
    assert "来源" not in text and "网址" not in text and "相关知识" not in text and "推荐资讯" not in text
    assert text.split("\n")[0] == "对市十四届人大六次会议第20210141号建议的答复"
    assert text.rstrip().endswith("希望一如既往地关心和支持我们的工作。")


def test_one_character_per_line_table_of_seed_004_becomes_readable_rows():
    text = clean_text(seed("004"))
    rows = [line for line in text.split("\n") if re.match(r"^\d{1,2} ", line)]
    assert [int(row.split(" ")[0]) for row in rows] == list(range(1, 31))
    assert rows[0].startswith("1 扩大供给，合理布局托幼一体化试点至2023年，新建幼儿园全部开设托幼一体化试点。")
    assert "牵头单位：区教育局；配合单位：区财政局、区人社局" in rows[0]
    assert "每个街镇配备1个家庭科学育儿指导站" in rows[5]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_no_space_between_cjk_characters_and_no_blank_lines_in_any_seed(prefix):
    text = clean_text(seed(prefix))
    assert not SPACE_BETWEEN_CJK.search(text)
    assert "\n\n" not in text and text == text.strip()


def test_wrapped_sentence_ending_in_a_colon_is_not_taken_for_a_salutation():
    text = clean_text(seed("000"))
    assert "王忞提出的关于《关于加强新就业女性群体权益保障的建议》的提案收悉，经研究，现将会办意见函告如下：" in text.split("\n")
