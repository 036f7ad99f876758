"""Reading a proposal: title, proposer, number, session and its asks as parts.

The real texts are in tests/data/proposals (public pages of 政协 and 人大 bodies, stored with their
address; 18-20 were collected after the rules were written and are marked held_out). Each file
states the fields a person read from it; an ask is checked by how it starts, so its boundaries are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.gongwen.asks import find_asks
from indexer.gongwen.proposal import proposal_lines, read_proposal

PROPOSALS = sorted((Path(__file__).parent / "data" / "proposals").glob("*.json"))
FIELDS = ("title", "proposer", "number", "session", "kind")


def test_there_are_enough_real_proposals_in_the_common_forms():
    data = [json.loads(path.read_text(encoding="utf-8")) for path in PROPOSALS]
    assert len(data) >= 15
    assert all(d["url"].startswith("http") and d["text"] and d["expected"]["asks"] for d in data)
    forms = " ".join(d["form"] for d in data)
    for marker in ("一是", "一、", "1.", "1、", "01", "table", "prose"):
        assert marker in forms, marker


@pytest.mark.parametrize("path", PROPOSALS, ids=[p.stem for p in PROPOSALS])
def test_real_proposal_is_read_as_a_person_reads_it(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = data["expected"]
    proposal = read_proposal(data["text"])
    assert {f: getattr(proposal, f) for f in FIELDS} == {f: expected.get(f) for f in FIELDS}
    if "proposer_kind" in expected:
        assert proposal.proposer_kind == expected["proposer_kind"]
    asks = [proposal.ask_text(ask) for ask in proposal.asks]
    assert len(asks) == len(expected["asks"]), asks
    for ask, start in zip(asks, expected["asks"]):
        assert ask.startswith(start), (ask[:40], start)
    for ask in proposal.asks:  # offsets are exact and asks do not overlap
        assert proposal.text[ask.char_start : ask.char_end] == proposal.ask_text(ask)
    assert all(a.char_end <= b.char_start for a, b in zip(proposal.asks, proposal.asks[1:]))


def test_problems_listed_before_the_asks_are_not_asks():
    text = ("关于加强社区托育服务的建议\n存在的问题：\n一是托位不足。\n二是收费偏高。\n"
            "1. 增加普惠托位供给。\n2. 对普惠机构给予运营补贴。\n3. 加强托育人才培训。")
    asks = [text[a.char_start : a.char_end] for a in find_asks(text)]
    assert asks == ["1. 增加普惠托位供给。", "2. 对普惠机构给予运营补贴。", "3. 加强托育人才培训。"]


def test_sub_points_stay_inside_their_ask_and_a_closing_line_is_left_out():
    text = ("为此建议：\n一、扩大供给。\n（一）新建托育点。\n（二）利用闲置用房。\n二、加强监管。\n（一）建立备案制度。\n"
            "以上建议，请予研究。")
    asks = [text[a.char_start : a.char_end] for a in find_asks(text)]
    assert asks == ["一、扩大供给。\n（一）新建托育点。\n（二）利用闲置用房。", "二、加强监管。\n（一）建立备案制度。"]


def test_a_proposal_without_any_ask_marker_is_one_part():
    asks = find_asks("关于加快建设城市书房的提案\n我市城市书房数量偏少，布局不均，群众借阅不便。")
    assert len(asks) == 1 and asks[0].marker in ("全文", "句")


def test_numbering_inside_running_text_is_not_a_run():
    # 统一是 and 2.3公里 are not markers; one asking sentence remains
    text = "全市各区标准统一是前提，目前已建成2.3公里绿道。建议将绿道延伸至滨江公园。"
    asks = [text[a.char_start : a.char_end] for a in find_asks(text)]
    assert asks == ["建议将绿道延伸至滨江公园。"]


def test_pasted_table_cells_and_half_width_punctuation_are_normalised():
    lines = proposal_lines("标 题 | 关于增设母婴室的建议 |\n提案者:王五 (市政协委员)")
    assert lines == ["标题", "关于增设母婴室的建议", "提案者：王五（市政协委员）"]  # a short cell loses its spaces
    proposal = read_proposal("标 题 | 关于增设母婴室的建议 |\n提案者:王五\n建议:1.商场增设母婴室;\n2.医院增设母婴室。")
    assert (proposal.title, proposal.proposer) == ("关于增设母婴室的建议", "王五")
    assert [proposal.ask_text(a) for a in proposal.asks] == ["1.商场增设母婴室", "2.医院增设母婴室。"]


def test_empty_text_reads_as_nothing():
    proposal = read_proposal(" \n\t")
    assert proposal.text == "" and proposal.asks == [] and proposal.title is None
