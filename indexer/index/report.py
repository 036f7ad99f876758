"""What one indexing run did, for the CLI, the API and the bench."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class UpdateReport:
    index_dir: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)  # {"source", "reason"}
    skipped: list[dict[str, str]] = field(default_factory=list)  # duplicates: {"source", "reason"}
    documents: int = 0
    chunks: int = 0
    chunks_embedded: int = 0  # vectors the model computed in this run
    chunks_from_cache: int = 0  # new chunks whose vectors came from the embedding cache
    sentences_embedded: int = 0  # sentence vectors made in this run (model or cache), when the index keeps them
    generation: str | None = None  # the live generation after the run
    rebuilt: bool = False  # whether a new generation was written
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def format_report(report: UpdateReport) -> str:
    lines = [
        f"index {report.index_dir} ({report.generation or 'empty'}): {report.documents} documents, {report.chunks} chunks",
        f"  added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {report.unchanged}, failed {len(report.failed)}, skipped {len(report.skipped)}",
        f"  chunks embedded {report.chunks_embedded} (from cache {report.chunks_from_cache}); "
        + ("new generation written" if report.rebuilt else "nothing changed, index untouched")
        + f"; {report.seconds:.1f} s",
    ]
    lines += [f"  failed  {item['source']}: {item['reason']}" for item in report.failed]
    lines += [f"  skipped {item['source']}: {item['reason']}" for item in report.skipped]
    return "\n".join(lines)
