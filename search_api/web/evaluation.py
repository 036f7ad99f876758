"""The 评测 page's content: the newest `zhengce eval --json` result of the staff set, as a table
and as a grouped bar chart (plain SVG geometry, drawn by the template)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import metric_names

CHART_WIDTH, CHART_HEIGHT = 760, 260
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 40, 40, 16
BAR_COLOURS = ("#5b7db1", "#d08c3c", "#4c9a6a", "#9b5fa8", "#b5524e", "#6f6f6f")
LEGEND_GAP, LEGEND_CHAR = 40, 7  # legend: px between entries, px per character of a name


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # "hybrid nDCG@10 0.912", the bar's accessible name


@dataclass
class Chart:
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    groups: list[tuple[float, str]] = field(default_factory=list)  # (x of the label's centre, metric)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, "0.5")
    legend: list[tuple[float, str, str]] = field(default_factory=list)  # (x, colour, retriever)
    baseline: float = CHART_HEIGHT - MARGIN_BOTTOM


@dataclass
class Evaluation:
    file: Path
    results: dict[str, Any]
    metrics: list[str]
    rows: list[tuple[str, list[float], dict[str, float]]]  # retriever, metric values, latency
    chart: Chart


def latest_evaluation(folder: Path) -> tuple[Evaluation | None, list[tuple[str, str]]]:
    """The newest readable result in ``folder`` (by its ``created`` time) and the files skipped, each
    as (file name, technical reason)."""
    found, skipped = [], []
    for path in sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []:
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
            retrievers = results["retrievers"]
            created = str(results["created"])
            if not isinstance(retrievers, dict) or not retrievers:
                raise KeyError("retrievers")
        except (OSError, ValueError, KeyError, TypeError) as error:
            skipped.append((path.name, f"not a `zhengce eval --json` result ({error!r})"))
            continue
        found.append((created, path, results))
    if not found:
        return None, skipped
    _, path, results = max(found, key=lambda item: item[0])
    metrics = metric_names()
    rows = [
        (name, [float(entry["metrics"].get(m, 0.0)) for m in metrics], entry.get("latency_ms", {}))
        for name, entry in results["retrievers"].items()
    ]
    return Evaluation(path, results, metrics, rows, bar_chart(metrics, rows)), skipped


def bar_chart(metrics: list[str], rows: list[tuple[str, list[float], dict[str, float]]]) -> Chart:
    """One group of bars per metric, one bar per retriever, on a 0..1 scale."""
    chart = Chart()
    plot_height = chart.baseline - MARGIN_TOP
    group_width = (CHART_WIDTH - MARGIN_LEFT) / max(len(metrics), 1)
    bar_width = group_width * 0.8 / max(len(rows), 1)
    for tick in range(0, 11, 2):
        value = tick / 10
        chart.ticks.append((chart.baseline - value * plot_height, f"{value:.1f}"))
    x = float(MARGIN_LEFT + 10)
    for r, (name, _, _) in enumerate(rows):
        chart.legend.append((x, BAR_COLOURS[r % len(BAR_COLOURS)], name))
        x += LEGEND_GAP + LEGEND_CHAR * len(name)  # each entry as wide as its name (hybrid-linear-0.7)
    for m, metric in enumerate(metrics):
        left = MARGIN_LEFT + m * group_width + group_width * 0.1
        chart.groups.append((MARGIN_LEFT + (m + 0.5) * group_width, metric))
        for r, (name, values, _) in enumerate(rows):
            height = max(0.0, min(1.0, values[m])) * plot_height
            chart.bars.append(Bar(
                x=round(left + r * bar_width, 1), y=round(chart.baseline - height, 1), width=round(bar_width * 0.9, 1),
                height=round(height, 1), colour=BAR_COLOURS[r % len(BAR_COLOURS)], label=f"{name} {metric} {values[m]:.3f}",
            ))
    return chart


# what each figure means, in a sentence a staff member reads (the 评测 page shows them beside the table)
METRIC_WORDS = {
    "nDCG@10": "前 10 条结果的排序质量：标为“相关”的文件排得越靠前，分数越高，满分 1。",
    "MRR@10": "第一份相关文件的位置：排第 1 得 1 分，排第 2 得 0.5 分，前 10 条都没有得 0 分，再按问题取平均。",
    "R@1": "召回率：相关文件中，排在第 1 条的比例。",
    "R@5": "召回率：相关文件中，出现在前 5 条结果里的比例。",
    "R@10": "召回率：相关文件中，出现在前 10 条结果里的比例。",
    "R@100": "召回率：相关文件中，出现在前 100 条结果里的比例。",
    "p50": "一半的检索在这么多毫秒内完成。",
    "p95": "95% 的检索在这么多毫秒内完成。",
}
RETRIEVER_WORDS = {
    "bm25": "关键词（BM25）", "dense": "语义（向量）", "hybrid-linear-0.7": "综合（固定加权）",
    "hybrid": "综合（本系统默认）",
}
