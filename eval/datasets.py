"""Evaluation sets: BEIR folders, and judged-passage sets whose judgements survive re-chunking.

A BEIR folder judges corpus entries by id (``corpus.jsonl``, ``queries.jsonl``,
``qrels/<split>.tsv``). A judged-passage set (``dataset.json``, ``queries.jsonl``,
``judgments/<split>.jsonl``) judges files that the project itself ingests: a passage is
relevant when it comes from ``source`` and contains ``must_contain``, so the judgements
do not name chunk ids that change whenever chunking does.
"""

from __future__ import annotations

import csv
import json
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.errors import BadInput

_WHITESPACE = re.compile(r"\s+")


class DatasetError(BadInput):
    """A dataset file is missing or malformed; the message names the file and the reason."""


@dataclass(frozen=True)
class CorpusEntry:
    doc_id: str
    title: str
    text: str


@dataclass(frozen=True)
class Judgment:
    """One judged passage: relevant to ``query_id`` if from ``source`` and containing ``must_contain``."""

    query_id: str
    source: str
    must_contain: str

    @property
    def key(self) -> str:
        """The id a judged passage has in qrels and runs, the same however the file is chunked."""
        return f"{self.source}#{comparable(self.must_contain)}"

    def matches(self, source: str, passage: str) -> bool:
        return source == self.source and comparable(self.must_contain) in comparable(passage)


@dataclass
class Dataset:
    """Queries with their judgements; a BEIR set fills ``corpus``, a judged-passage set ``corpus_dir``."""

    name: str
    path: Path
    split: str
    queries: dict[str, str]  # only queries with at least one relevant judgement
    qrels: dict[str, dict[str, int]]  # query id -> {corpus id or Judgment.key: grade}
    corpus: dict[str, CorpusEntry] = field(default_factory=dict)
    corpus_dir: Path | None = None  # the folder a judged-passage set indexes with the ingest pipeline
    judgments: list[Judgment] = field(default_factory=list)

    @property
    def is_passage_set(self) -> bool:
        return bool(self.judgments)

    def subset(self, query_ids: list[str]) -> Dataset:
        """The same dataset restricted to ``query_ids`` (the corpus stays whole: distractors matter)."""
        wanted = set(query_ids)
        return Dataset(
            name=self.name,
            path=self.path,
            split=self.split,
            queries={q: t for q, t in self.queries.items() if q in wanted},
            qrels={q: r for q, r in self.qrels.items() if q in wanted},
            corpus=self.corpus,
            corpus_dir=self.corpus_dir,
            judgments=[j for j in self.judgments if j.query_id in wanted],
        )


def comparable(text: str) -> str:
    """NFKC without whitespace: extraction and cleaning break lines, space digits and change widths."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def load_dataset(path: Path, split: str = "dev") -> Dataset:
    """Load a BEIR folder or a judged-passage set (recognised by its ``dataset.json``)."""
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"{path}: not a dataset folder")
    if (path / "dataset.json").is_file():
        return _load_passage_set(path, split)
    return _load_beir(path, split)


def sample_query_ids(dataset: Dataset, max_queries: int | None, seed: int = 0) -> list[str]:
    """A seeded random sample, sorted, so that a run can be repeated and its sample recorded."""
    query_ids = sorted(dataset.queries)
    if max_queries is None or max_queries >= len(query_ids):
        return query_ids
    if max_queries < 1:
        raise DatasetError(f"--max-queries must be at least 1, got {max_queries}")
    return sorted(random.Random(seed).sample(query_ids, max_queries))


def _load_beir(path: Path, split: str) -> Dataset:
    qrels_path = path / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        available = sorted(p.stem for p in (path / "qrels").glob("*.tsv"))
        raise DatasetError(f"{qrels_path}: no such split {split!r} (available: {', '.join(available) or 'none'})")
    corpus: dict[str, CorpusEntry] = {}
    for line_no, row in _read_jsonl(path / "corpus.jsonl", required=("_id", "text")):
        doc_id = str(row["_id"])
        if doc_id in corpus:
            raise DatasetError(f"{path / 'corpus.jsonl'}:{line_no}: duplicate _id {doc_id!r}")
        corpus[doc_id] = CorpusEntry(doc_id, str(row.get("title") or ""), str(row["text"]))
    all_queries = {str(row["_id"]): str(row["text"]) for _, row in _read_jsonl(path / "queries.jsonl", ("_id", "text"))}
    qrels = _read_qrels(qrels_path)
    for query_id, judged in qrels.items():
        if query_id not in all_queries:
            raise DatasetError(f"{qrels_path}: query {query_id!r} is not in queries.jsonl")
        unknown = [doc_id for doc_id in judged if doc_id not in corpus]
        if unknown:
            raise DatasetError(f"{qrels_path}: query {query_id!r} judges {unknown[0]!r}, not in corpus.jsonl")
    qrels = {q: r for q, r in qrels.items() if any(grade > 0 for grade in r.values())}
    queries = {q: all_queries[q] for q in qrels}
    return Dataset(name=path.name, path=path, split=split, queries=queries, qrels=qrels, corpus=corpus)


def _load_passage_set(path: Path, split: str) -> Dataset:
    manifest_path = path / "dataset.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        corpus_dir = (path / manifest["corpus_dir"]).resolve()
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{manifest_path}: needs a JSON object with 'corpus_dir' ({exc})") from exc
    if not corpus_dir.is_dir():
        raise DatasetError(f"{manifest_path}: corpus_dir {corpus_dir} is not a folder")
    judgments_path = path / "judgments" / f"{split}.jsonl"
    if not judgments_path.is_file():
        available = sorted(p.stem for p in (path / "judgments").glob("*.jsonl"))
        raise DatasetError(
            f"{judgments_path}: no such split {split!r} (available: {', '.join(available) or 'none'})"
        )
    all_queries = {str(row["_id"]): str(row["text"]) for _, row in _read_jsonl(path / "queries.jsonl", ("_id", "text"))}
    judgments = []
    for line_no, row in _read_jsonl(judgments_path, required=("query_id", "source", "must_contain")):
        judgment = Judgment(str(row["query_id"]), str(row["source"]), str(row["must_contain"]))
        where = f"{judgments_path}:{line_no}"
        if judgment.query_id not in all_queries:
            raise DatasetError(f"{where}: query {judgment.query_id!r} is not in queries.jsonl")
        if not (corpus_dir / judgment.source).is_file():
            raise DatasetError(f"{where}: source {judgment.source!r} is not a file in {corpus_dir}")
        if not comparable(judgment.must_contain):
            raise DatasetError(f"{where}: must_contain is empty")
        judgments.append(judgment)
    qrels: dict[str, dict[str, int]] = {}
    for judgment in judgments:
        qrels.setdefault(judgment.query_id, {})[judgment.key] = 1
    return Dataset(
        name=str(manifest.get("name") or path.name),
        path=path,
        split=split,
        queries={q: all_queries[q] for q in qrels},
        qrels=qrels,
        corpus_dir=corpus_dir,
        judgments=judgments,
    )


def _read_jsonl(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file missing")
    with path.open(encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from exc
            missing = [name for name in required if not isinstance(row, dict) or name not in row]
            if missing:
                raise DatasetError(f"{path}:{line_no}: missing field {missing[0]!r}")
            yield line_no, row


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:3]] != ["query-id", "corpus-id", "score"]:
            raise DatasetError(f"{path}: first line must be the header 'query-id<TAB>corpus-id<TAB>score'")
        for line_no, row in enumerate(rows, start=2):
            if not row:
                continue
            try:
                query_id, doc_id, grade = row[0], row[1], int(row[2])
            except (IndexError, ValueError):
                raise DatasetError(f"{path}:{line_no}: expected query-id, corpus-id and an integer score") from None
            qrels.setdefault(query_id, {})[doc_id] = grade
    return qrels
