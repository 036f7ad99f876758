"""How a generation of a Milvus index is laid out: its collections, their fields, and the filter
expressions and sparse vectors written into and searched over them.

A generation ``N`` of collection ``base`` is::

    base_gNNNNNN_chunks  row (the interface's row number, primary key), doc_id, vector (IP),
                         sparse (BM25 weights of the project's own tokens, hashed), chunk and
                         tokens (JSON), and the filter fields issuer, region, doc_type, date,
                         doc_number (normalised), proposal_number
    base_gNNNNNN_sentences  when kept: sentence (its number, primary key), row and vector of each
                         chunk's sentences (indexer.index.sentences), numbered in row order
    base_gNNNNNN_docs    the manifest (JSON in pieces) and each document (part 0: its record without
                         text, with its rows and filter fields; parts 1..: its text), pieces of at
                         most PIECE_CHARS
    alias base        -> base_gNNNNNN_chunks: the engine's counterpart of CURRENT
"""

from __future__ import annotations

import json
from hashlib import blake2b
from typing import Any

import numpy as np

from indexer.gongwen.numbers import normalize_doc_number
from indexer.index.filters import SearchFilters, Selection
from indexer.models import DocMeta

PIECE_CHARS = 16_000  # VARCHAR holds 65,535 bytes: 16k characters of up to 4 UTF-8 bytes
SPARSE_DIMS = 2**32 - 2  # hashed token ids; the last id is reserved for token-less chunks
NO_TOKENS = {SPARSE_DIMS: 1e-9}  # Milvus refuses an empty sparse vector; no query ever has this id
MAX_RUNS = 16  # a filter lists runs of rows up to this many runs, single rows beyond
MANIFEST_KEY = "manifest"
FILTER_FIELDS = (("issuer", 4_096), ("region", 1_024), ("doc_type", 256), ("date", 32), ("doc_number", 1_024),
                 ("proposal_number", 1_024))  # name, longest value in bytes


def chunks_collection(base: str, generation: str) -> str:
    return f"{base}_{generation}_chunks"


def docs_collection(base: str, generation: str) -> str:
    return f"{base}_{generation}_docs"


def sentences_collection(base: str, generation: str) -> str:
    return f"{base}_{generation}_sentences"


def generation_of(base: str, chunks_name: str) -> str:
    return chunks_name[len(base) + 1 : -len("_chunks")]


def token_id(token: str) -> int:
    """Stable 32-bit id of a token (the same hashing idea as Milvus's own BM25 function)."""
    return int.from_bytes(blake2b(token.encode("utf-8"), digest_size=4).digest(), "little") % SPARSE_DIMS


def query_vector(tokens: list[str]) -> dict[int, float]:
    """A query's sparse vector: each token id weighted by its count, as bm25s sums repeated tokens."""
    counts: dict[int, float] = {}
    for token in tokens:
        tid = token_id(token)
        counts[tid] = counts.get(tid, 0.0) + 1.0
    return counts


def literal(value: str) -> str:
    """A string literal of a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def filter_fields(meta: DocMeta) -> dict[str, str]:
    """The filter fields of a document, stored on its chunks and on its record."""
    return {
        "issuer": meta.issuer or "", "region": meta.region or "", "doc_type": meta.doc_type or "",
        "date": meta.date or "", "doc_number": normalize_doc_number(meta.doc_number or ""),
        "proposal_number": meta.proposal_number or "",
    }


def filter_expr(filters: SearchFilters) -> tuple[str, bool]:
    """A Milvus expression over the filter fields, and whether it means exactly what ``filters`` means
    (a LIKE pattern cannot say a literal % or _; such a clause is checked on the documents instead)."""
    clauses, exact = [], True
    for name in ("issuer", "region"):
        value = getattr(filters, name)
        if value and any(ch in value for ch in "%_\\"):
            exact = False
        elif value:
            clauses.append(f"{name} like {literal('%' + value + '%')}")
    if filters.doc_type:
        clauses.append(f"doc_type == {literal(filters.doc_type)}")
    if filters.doc_number:
        clauses.append(f"doc_number == {literal(normalize_doc_number(filters.doc_number))}")
    if filters.date_from:
        clauses.append(f'date != "" and date >= {literal(filters.date_from)}')
    if filters.date_to:
        clauses.append(f'date != "" and date <= {literal(filters.date_to)}')
    return " and ".join(f"({c})" for c in clauses) or "row >= 0", exact


def selection_expr(selection: Selection) -> str:
    """The filter expression of a selection: its filters where Milvus can say them exactly, else its rows."""
    if selection.filters is not None:
        expr, exact = filter_expr(selection.filters)
        if exact:
            return expr
    return rows_expr(selection.rows)


def rows_expr(rows: np.ndarray) -> str:
    """A filter for arbitrary rows: runs of consecutive rows (a document's chunks are one run)."""
    if len(rows) == 0:
        return "row < 0"
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts, ends = rows[np.r_[0, breaks]], rows[np.r_[breaks - 1, len(rows) - 1]]
    if len(starts) > MAX_RUNS:
        return f"row in {rows.tolist()}"
    return " or ".join(f"(row >= {a} and row <= {b})" for a, b in zip(starts.tolist(), ends.tolist()))


def pieces(doc_id: str, bodies: list[str], rows: range) -> list[dict]:
    """Records of the docs collection for one key: the manifest (one JSON text, cut to fit) or a document."""
    empty = {name: "" for name, _ in FILTER_FIELDS}
    if doc_id == MANIFEST_KEY:
        text = bodies[0]
        bodies = [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
    return [{"key": f"{doc_id}:{part}", "doc_id": doc_id, "part": part, "body": body, "row_start": rows.start,
             "row_end": rows.stop, "unused": [0.0, 0.0], **empty} for part, body in enumerate(bodies)]


def create_chunks(client: Any, name: str, dim: int, dense_params: dict) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("chunk", DataType.JSON)
    schema.add_field("tokens", DataType.JSON)
    _add_filter_fields(schema)
    params = client.prepare_index_params()
    params.add_index("vector", metric_type="IP", **dense_params)
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def create_sentences(client: Any, name: str, dim: int) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("sentence", DataType.INT64, is_primary=True)
    schema.add_field("row", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    params.add_index("vector", index_type="FLAT", metric_type="IP")  # read by row, never searched
    params.add_index("row", index_type="INVERTED")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def create_docs(client: Any, name: str) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=300)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
    schema.add_field("part", DataType.INT64)
    schema.add_field("body", DataType.VARCHAR, max_length=65_535)
    schema.add_field("row_start", DataType.INT64)
    schema.add_field("row_end", DataType.INT64)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    _add_filter_fields(schema)
    params = client.prepare_index_params()
    params.add_index("unused", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def _add_filter_fields(schema: Any) -> None:
    from pymilvus import DataType

    for name, length in FILTER_FIELDS:
        schema.add_field(name, DataType.VARCHAR, max_length=length)
