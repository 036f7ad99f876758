"""Which documents state a question's gold answer (eval.answer_copies): the yardstick of questions
whose answer is nowhere in the collection."""

from __future__ import annotations

from eval.answer_copies import Copies, normalised

NOTICE = ("关于阶段性减免企业社会保险费的通知。对受疫情影响生产经营出现严重困难的企业，可申请缓缴社会保险费，"
          "缓缴期限原则上不超过6个月，缓缴期间免收滞纳金。各省根据工业和信息化部等部门印发的规定执行。")
SPAN = "对受疫情影响生产经营出现严重困难的企业，可申请缓缴社会保险费，缓缴期限原则上不超过6个月"


def test_normalised_text_drops_spaces_punctuation_and_widths() -> None:
    assert normalised("不超过 6 个月，缓缴期间。ＡＢ") == "不超过6个月缓缴期间ab"


def test_a_copy_edited_in_places_states_the_answer() -> None:
    copies = Copies({
        "gold": NOTICE,
        "city": "市人社局转发：对受疫情影响生产经营出现严重困难的企业，经申请可以缓缴社会保险费，缓缴期限原则上不超过6个月。",
        "exact": "某省转发通知。" + NOTICE,
        "other": "对受疫情影响的小微企业，减免房租，期限不超过3个月。",
    })
    assert copies.stating(SPAN, "gold") == {"gold", "city", "exact"}


def test_a_copy_with_another_number_is_another_fact() -> None:
    copies = Copies({"gold": NOTICE,
                     "other": "对受疫情影响生产经营出现严重困难的企业，可申请缓缴社会保险费，缓缴期限原则上不超过3个月。"})
    assert copies.stating(SPAN, "gold") == {"gold"}


def test_a_short_span_is_stated_only_with_the_words_around_it() -> None:
    """50% or 6个月 stands in many documents by chance: only one repeating the gold context states it."""
    copies = Copies({
        "gold": NOTICE,
        "copy": "人社部通知：可申请缓缴社会保险费，缓缴期限原则上不超过6个月，缓缴期间免收滞纳金。",
        "chance": "延期还款的贫困户，延期时间不超过6个月，疫情期间线上办理。",
    })
    assert copies.stating("不超过6个月", "gold") == {"gold", "copy"}
    assert copies.stating("", "gold") == {"gold"}
