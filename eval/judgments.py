"""Staff relevance judgments: kept as an append-only JSONL log, exported as a BEIR dataset.

Staff mark result passages 相关 / 不相关 in the web page. Each mark is one line (query, doc_id,
passage offsets, who, when), so a crash loses at most the line being written and the history of
changed minds stays. The export turns the latest marks into what `zhengce eval --dataset` reads:
the whole index as ``corpus.jsonl`` (unjudged documents are the distractors), the judged queries
and document-level ``qrels/dev.tsv``: a document is relevant to a query when any of its passages'
latest marks says 相关.
"""

from __future__ import annotations

import csv
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from indexer.errors import BadInput

SPLIT = "dev"


@dataclass(frozen=True)
class StaffJudgment:
    """One mark on one result passage: ``document.text[char_start:char_end]`` was judged."""

    query: str
    doc_id: str
    char_start: int
    char_end: int
    relevant: bool
    who: str  # the judge's name, as typed on the page
    when: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    api_key: str = ""  # the name of the key (or the signed-in page's key) that made the mark; "" in older logs

    @property
    def key(self) -> tuple[str, str, int, int, str, str]:
        """A later mark with the same key replaces an earlier one (the judge changed their mind); a
        mark made with another API key never replaces it."""
        return (self.query, self.doc_id, self.char_start, self.char_end, self.api_key, self.who)


class JudgmentLog:
    """The JSONL file of marks; appends are serialised within a process and flushed to disk."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, judgment: StaffJudgment) -> None:
        line = json.dumps(asdict(judgment), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line)
                log.flush()

    def read(self) -> list[StaffJudgment]:
        """Every mark in the order made. An unfinished last line (a crash mid-write) is ignored;
        any other unreadable line is an error naming the file and line."""
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").split("\n")
        marks = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                marks.append(StaffJudgment(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as error:
                if number == len(lines):  # no newline after it: the write never finished
                    break
                raise BadInput(f"{self.path}:{number}: not a judgment record ({error})") from None
        return marks

    def latest(self) -> list[StaffJudgment]:
        """The current mark of each (query, passage, judge), in the order first made."""
        current: dict[tuple, StaffJudgment] = {}
        for mark in self.read():
            current[mark.key] = mark
        return list(current.values())


def query_id(query: str) -> str:
    """Stable across exports: the same question keeps its id however many marks are added."""
    return "q" + hashlib.sha1(query.encode("utf-8")).hexdigest()[:12]


def document_grades(marks: Iterable[StaffJudgment]) -> dict[str, dict[str, int]]:
    """query -> {doc_id: 1 if any current mark on its passages is 相关, else 0}."""
    grades: dict[str, dict[str, int]] = {}
    for mark in marks:
        judged = grades.setdefault(mark.query, {})
        judged[mark.doc_id] = max(judged.get(mark.doc_id, 0), int(mark.relevant))
    return grades


@dataclass
class ExportSummary:
    queries: int  # queries with at least one 相关 document: the ones `zhengce eval` scores
    relevant: int  # (query, document) pairs judged 相关
    not_relevant: int
    corpus: int  # documents written to corpus.jsonl
    missing: list[str]  # judged doc_ids no longer in the index (left out, named here)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_beir(marks: list[StaffJudgment], documents: Mapping[str, Any], out_dir: Path) -> ExportSummary:
    """Write ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/dev.tsv`` into ``out_dir``.

    ``documents`` are the index's (doc_id -> indexer.models.Document). Raises BadInput, writing
    nothing, when no query has a 相关 document: such a set could measure nothing.
    """
    grades = document_grades(marks)
    missing = sorted({doc_id for judged in grades.values() for doc_id in judged if doc_id not in documents})
    grades = {q: {d: g for d, g in judged.items() if d in documents} for q, judged in grades.items()}
    scored = [q for q, judged in grades.items() if any(judged.values())]
    if not scored:
        raise BadInput(
            f"no query has a document marked 相关 among {len(marks)} judgments"
            + (f" ({len(missing)} judged documents are no longer in the index)" if missing else "")
        )
    out_dir = Path(out_dir)
    (out_dir / "qrels").mkdir(parents=True, exist_ok=True)
    with (out_dir / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for doc_id in sorted(documents):
            document = documents[doc_id]
            row = {"_id": doc_id, "title": document.meta.title or "", "text": document.text}
            corpus.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (out_dir / "queries.jsonl").open("w", encoding="utf-8") as queries:
        for query in grades:
            queries.write(json.dumps({"_id": query_id(query), "text": query}, ensure_ascii=False) + "\n")
    with (out_dir / "qrels" / f"{SPLIT}.tsv").open("w", encoding="utf-8", newline="") as qrels:
        writer = csv.writer(qrels, delimiter="\t", lineterminator="\n")
        writer.writerow(["query-id", "corpus-id", "score"])
        for query, judged in grades.items():
            for doc_id, grade in judged.items():
                writer.writerow([query_id(query), doc_id, grade])
    pairs = [g for judged in grades.values() for g in judged.values()]
    return ExportSummary(
        queries=len(scored), relevant=sum(pairs), not_relevant=len(pairs) - sum(pairs),
        corpus=len(documents), missing=missing,
    )
