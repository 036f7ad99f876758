"""eval.ranker_cost: the learned default's CPU time beside linear 0.7 on a real index with sentence vectors."""

from __future__ import annotations

import json

import pytest

from eval import ranker_cost

QUESTIONS = ["托育服务补贴标准是多少", "普陀区宝宝屋覆盖多少街道", "社区托育服务如何收费", "婴幼儿照护服务机构备案",
             "托育机构的安全管理要求", "家庭托育点的设置条件"]


def test_both_fusions_are_timed_query_by_query_and_written(seed_index_dir, tmp_path, e5):
    dataset = tmp_path / "toy"
    dataset.mkdir()
    (dataset / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": str(k), "text": q}, ensure_ascii=False) + "\n" for k, q in enumerate(QUESTIONS)),
        encoding="utf-8")
    out = tmp_path / "cost.json"
    assert ranker_cost.main([str(seed_index_dir), str(dataset), "--json", str(out)]) == 0
    [row] = json.loads(out.read_text(encoding="utf-8"))
    assert row["queries"] == len(QUESTIONS) and row["sentences"] > row["chunks"] > 0
    for fusion in ("learned", "linear"):
        assert row["cpu_ms"][fusion]["n"] == len(QUESTIONS) and row["cpu_ms"][fusion]["p50_ms"] > 0
    assert row["ratio_p50"] == pytest.approx(row["cpu_ms"]["learned"]["p50_ms"] / row["cpu_ms"]["linear"]["p50_ms"], abs=0.01)
