"""Service settings, read from ``ZHENGCE_*`` environment variables (or passed in by tests/CLI).

The limits exist because the service runs unattended on an intranet: every request that can make
it embed, read or store something is bounded here, in one place.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
ROLES = ("read", "write", "admin")  # each role may do what the ones before it may


MIN_KEY_CHARS = 16
MIN_KEY_DISTINCT = 8  # "aaaaaaaaaaaaaaaa" is long and guessable
MIN_KEY_BITS = 64  # length x log2 of the alphabet its character classes span


def strong_key(value: SecretStr) -> SecretStr:
    """A key a person cannot guess: printable ASCII (HTTP headers carry nothing else, so a Chinese
    key would never match), at least 16 characters, 8 of them different, about 64 bits or more."""
    key = value.get_secret_value()
    if not key.isascii() or not key.isprintable():
        raise ValueError("an API key must be printable ASCII: HTTP headers cannot carry anything else")
    alphabet = sum(size for kind, size in ((str.islower, 26), (str.isupper, 26), (str.isdigit, 10))
                   if any(kind(ch) for ch in key)) + (33 if any(not ch.isalnum() for ch in key) else 0)
    if len(key) < MIN_KEY_CHARS or len(set(key)) < MIN_KEY_DISTINCT or len(key) * math.log2(alphabet) < MIN_KEY_BITS:
        raise ValueError(f"an API key needs at least {MIN_KEY_CHARS} characters, {MIN_KEY_DISTINCT} of them different, "
                         f"and about {MIN_KEY_BITS} bits (e.g. python -c \"import secrets; print(secrets.token_urlsafe(24))\")")
    return value


class ApiKey(BaseModel):
    key: SecretStr
    role: Literal["read", "write", "admin"] = "write"

    @field_validator("key")
    @classmethod
    def _strong(cls, value: SecretStr) -> SecretStr:
        return strong_key(value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHENGCE_", extra="ignore")

    index_dir: Path = Path("var/index")
    backend: str | None = None  # local | milvus; None: indexer.config's (ZHENGCE_BACKEND, default local)
    milvus_uri: str | None = None  # ZHENGCE_MILVUS_URI: a .db path (Milvus Lite) or http://host:19530
    milvus_collection: str | None = None
    corpus_dir: Path | None = None  # indexed before serving when given (zhengce serve --corpus)
    upload_dir: Path = Path("var/uploads")  # uploaded originals, one folder per content hash
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    model: str | None = None  # None: the model the index was built with
    # hybrid ranking: auto is the learned ranker where the index keeps sentence vectors, else the
    # linear blend (eval/results.md, section 23)
    fusion: Literal["auto", "linear", "rrf", "learned"] = "auto"

    # None disables uploads and deletions: nobody can change the index by accident; this single
    # key is the admin key named "default" (api_keys adds named keys with roles)
    api_key: SecretStr | None = None

    max_query_chars: int = Field(2000, ge=1)  # /search query, /ask question
    max_similar_chars: int = Field(20000, ge=1)  # /similar: a whole proposal, several thousand chars
    max_top_k: int = Field(100, ge=1)
    max_upload_bytes: int = Field(50 * MIB, ge=1)  # per uploaded file
    max_body_bytes: int = Field(64 * MIB, ge=1)  # whole request, multipart overhead included
    max_upload_files: int = Field(20, ge=1)  # per request
    cors_origins: list[str] = Field(default_factory=list)  # empty: CORS headers are never sent

    max_json_bytes: int = Field(1 * MIB, ge=1)  # a JSON request body (a 20,000-character /similar fits)
    max_json_keys: int = Field(200, ge=1)  # object keys in one JSON body, all levels together
    max_json_containers: int = Field(200, ge=1)  # objects and arrays in one JSON body: bounds nesting too
    # a body that carries one of the service's own results back (the page's precedent export)
    max_result_json_keys: int = Field(20_000, ge=1)
    max_result_json_containers: int = Field(10_000, ge=1)
    body_timeout_s: float = Field(30.0, gt=0)  # a body that stops arriving for this long is refused (408)
    body_deadline_s: float = Field(300.0, gt=0)  # a body still arriving this long after the request began: 408
    header_timeout_s: float = Field(10.0, gt=0)  # a connection whose request headers take longer is closed
    max_heavy_requests: int = Field(1, ge=1)  # /similar requests run at once per process; searches never wait for them
    max_document_chars: int = Field(2_000_000, ge=1)  # one uploaded document's text (about 1,000 pages)
    max_unzipped_bytes: int = Field(200 * MIB, ge=1)  # DOCX/OFD and other zip-based files, decompressed

    # server processes (`zhengce serve --workers N`), each a whole service with its own model and index in
    # memory; one process already uses both cores of a 2-core machine (its ranking is mostly numpy, FAISS
    # and the model engine, outside the interpreter lock), more help where there are more cores
    workers: int = Field(1, ge=1)
    query_workers: int = Field(2, ge=1)  # query-embedder instances per process (one thread each)
    reload_poll_s: float = Field(2.0, gt=0)  # how often a server looks for a new CURRENT generation
    orphan_upload_age_s: float = Field(3600.0, gt=0)  # originals no job or document claims are removed after this

    # named keys with roles, e.g. {"desk-1": {"key": "…", "role": "write"}}; roles: read, write, admin
    api_keys: dict[str, ApiKey] = Field(default_factory=dict)
    require_key_for_read: bool = False  # reads are open unless this is set
    session_hours: float = Field(12.0, gt=0)  # a web page sign-in (a key exchanged for a cookie) lasts this long
    max_judgments_per_hour: int = Field(600, ge=1)  # staff marks one key may make per hour (per server process)
    audit_dir: Path | None = None  # append-only audit log (JSON lines, one file per day); None: upload_dir/../audit
    audit_searches: bool = False  # also log searches
    audit_query_text: Literal["hash", "store"] = "hash"  # how a logged search keeps its query
    audit_keep_days: int = Field(400, ge=180)  # files older than this are removed (the law asks for >= 180 days)

    # /ask answers only when its best sentence scores at least this; None: the measured value in
    # indexer/retrieval/answer_calibration.json
    answer_threshold: float | None = None
    # confidence floors (0..1): results below them are marked weak and "found" is false when none
    # clears them; None: the defaults measured with the calibration (indexer/retrieval/confidence_model.json)
    confidence_floor: float | None = Field(None, ge=0.0, le=1.0)  # /search passages and documents, /similar
    answer_floor: float | None = Field(None, ge=0.0, le=1.0)  # /ask

    # the office's language model (an OpenAI-compatible server: vLLM, Ollama, Xinference ...), for
    # generated answers with checked citations (docs/llm.md); None: /ask answers only by quoting
    llm_base_url: str | None = None  # e.g. http://127.0.0.1:8001/v1
    llm_model: str | None = None  # the name the server knows the model by
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(30.0, gt=0)  # seconds for the whole answer; past it, the extractive answer
    llm_max_tokens: int = Field(400, ge=16)  # the longest answer asked of the model

    @field_validator("api_key")
    @classmethod
    def _usable_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None  # ZHENGCE_API_KEY="" must not become a key that an empty header matches
        return strong_key(value)
