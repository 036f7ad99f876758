"""Settings of indexing, read from ``ZHENGCE_*`` environment variables (the service has its own)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.errors import BadInput

MIB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 50 * MIB
# what one file may expand to (indexer.ingest.limits)
DEFAULT_MAX_UNZIPPED_BYTES = 200 * MIB  # zip members, decompressed, all together
DEFAULT_MAX_DOCUMENT_CHARS = 2_000_000  # characters of text one document may yield (about 1,000 pages)
DEFAULT_MAX_PAGES = 5_000  # pages of one PDF, OFD or multi-page image
DEFAULT_MAX_OCR_PAGES = 200  # pages of one file that need OCR (about 13 s each on one core)
CACHE_OFF = frozenset({"off", "none", "0"})


class IndexingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHENGCE_", extra="ignore")

    # larger files are refused before they are read
    max_file_bytes: int = Field(default=DEFAULT_MAX_FILE_BYTES, gt=0)
    max_unzipped_bytes: int = Field(default=DEFAULT_MAX_UNZIPPED_BYTES, gt=0)
    max_document_chars: int = Field(default=DEFAULT_MAX_DOCUMENT_CHARS, gt=0)
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, gt=0)
    max_ocr_pages: int = Field(default=DEFAULT_MAX_OCR_PAGES, ge=0)
    # sqlite file of vectors shared by indexing, evaluation and the API; "off" disables it
    embed_cache: str | None = None
    # a query adapter file (python -m eval.adapt --write): query vectors pass through it; unset: none
    query_adapter: str | None = None
    # where the printed lines of paged files are kept, by content hash (the 原文 viewer boxes quoted lines
    # with them); unset: a folder beside the embedding cache; "off": not kept (read again when shown)
    layout_dir: str | None = None

    def layout_path(self) -> Path | None:
        if self.layout_dir:
            return None if self.layout_dir.lower() in CACHE_OFF else Path(self.layout_dir).expanduser()
        cache = self.embed_cache_path()
        return None if cache is None else cache.parent / "layout"

    def embed_cache_path(self) -> Path | None:
        """The configured cache, else one file per user (not per index) in the user cache dir."""
        if self.embed_cache:
            return None if self.embed_cache.lower() in CACHE_OFF else Path(self.embed_cache).expanduser()
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return base / "zhengce" / "embeddings.sqlite"


def indexing_settings() -> IndexingSettings:
    """Read afresh on each call: tests and long-lived processes change the environment."""
    try:
        return IndexingSettings()
    except ValidationError as error:
        problems = "; ".join(f"ZHENGCE_{str(e['loc'][0]).upper()}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid setting: {problems}") from None


class BackendSettings(BaseSettings):
    """Where the index lives: ``local`` (a folder, needs nothing running) or ``milvus``."""

    model_config = SettingsConfigDict(env_prefix="ZHENGCE_", extra="ignore")

    backend: Literal["local", "milvus"] = "local"
    # a path ending in .db (Milvus Lite, in-process) or http://host:19530 (a server or cluster)
    milvus_uri: str | None = None
    milvus_token: SecretStr | None = None  # "user:password" or an API key, for a server with auth
    milvus_collection: str = Field("zhengce", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,150}$")
    # local: MiB of the vectors searches gather (sentence codes, an IVF index's chunk vectors) read into
    # memory when an index loads; past it they stay memory-mapped. None: a quarter of this machine's memory
    resident_mib: int | None = Field(None, ge=0)


def backend_settings(**overrides: Any) -> BackendSettings:
    """Environment first, non-None ``overrides`` (command-line flags) over it."""
    try:
        return BackendSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        problems = "; ".join(f"ZHENGCE_{str(e['loc'][0]).upper()}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid setting: {problems}") from None
