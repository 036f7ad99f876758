"""The connection to Milvus, and the reads that the reader and the writer of a Milvus index share.

Milvus Lite runs in-process for a ``.db`` path; a URI reaches ``milvus-lite server``, a Milvus
standalone or a cluster, with the same calls.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

from indexer.errors import BadInput, ZhengceError
from indexer.index.manifest import Manifest
from indexer.index.milvus_schema import MANIFEST_KEY, docs_collection, generation_of, literal

MAX_LIMIT = 16_384  # Milvus's largest topk / query window

_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()


def connect(uri: str, token: str | None = None) -> Any:
    """One MilvusClient per URI and token in this process (Milvus Lite allows one owner per path)."""
    from pymilvus import MilvusClient, MilvusException

    # On Milvus Lite, query iterators ask for a server timestamp Lite does not implement, then use
    # the client's (correct: Lite is one process); pymilvus warns and Lite's gRPC server logs a
    # traceback each time. Failures reach callers as exceptions either way.
    logging.getLogger("pymilvus").setLevel(logging.ERROR)
    if uri.endswith(".db"):
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    if "://" not in uri and not uri.endswith(".db"):
        raise BadInput(f"milvus URI {uri!r}: use a path ending in .db (Milvus Lite) or http://host:port")
    with _clients_lock:
        client = _clients.get((uri, token))
        if client is None:
            try:
                client = MilvusClient(uri=uri, token=token or "", timeout=30)
            except MilvusException as error:
                raise ZhengceError(f"cannot reach Milvus at {uri}: {error.message}") from None
            _clients[(uri, token)] = client
        return client


def live_collection(client: Any, base: str) -> str | None:
    """The chunks collection the alias ``base`` points at; None when there is no index."""
    if base not in client.list_aliases().get("aliases", []):
        return None
    return client.describe_alias(base)["collection_name"]


def read_pieces(client: Any, collection: str, doc_id: str) -> list[str]:
    """The bodies of one record's pieces, in order."""
    rows = client.query(collection, filter=f"doc_id == {literal(doc_id)}", output_fields=["part", "body"],
                        limit=MAX_LIMIT)
    return [r["body"] for r in sorted(rows, key=lambda r: r["part"])]


def read_manifest(client: Any, base: str, collection: str) -> Manifest:
    docs = docs_collection(base, generation_of(base, collection))
    # written by another process (zhengce index), a collection is released here until loaded:
    # Milvus refuses to query it ("in state 'released'; call load()"); loading a loaded one is a no-op
    client.load_collection(docs)
    return Manifest.from_dict(json.loads("".join(read_pieces(client, docs, MANIFEST_KEY))))


def query_all(client: Any, collection: str, expr: str, fields: list[str], batch: int = 4_096) -> Iterator[dict]:
    iterator = client.query_iterator(collection, batch_size=batch, filter=expr, output_fields=fields)
    try:
        while rows := iterator.next():
            yield from rows
    finally:
        iterator.close()
