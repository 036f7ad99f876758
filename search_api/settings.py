"""Service settings, read from ``ZHENGCE_*`` environment variables (or passed in by tests/CLI).

The limits exist because the service runs unattended on an intranet: every request that can make
it embed, read or store something is bounded here, in one place.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHENGCE_", extra="ignore")

    index_dir: Path = Path("var/index")
    corpus_dir: Path | None = None  # indexed before serving when given (zhengce serve --corpus)
    upload_dir: Path = Path("var/uploads")  # uploaded originals, one folder per content hash
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    model: str | None = None  # None: the model the index was built with

    # None disables uploads and deletions: nobody can change the index by accident
    api_key: SecretStr | None = None

    max_query_chars: int = Field(2000, ge=1)  # /search query, /ask question
    max_similar_chars: int = Field(20000, ge=1)  # /similar: a whole proposal, several thousand chars
    max_top_k: int = Field(100, ge=1)
    max_upload_bytes: int = Field(50 * MIB, ge=1)  # per uploaded file
    max_body_bytes: int = Field(64 * MIB, ge=1)  # whole request, multipart overhead included
    max_upload_files: int = Field(20, ge=1)  # per request
    cors_origins: list[str] = Field(default_factory=list)  # empty: CORS headers are never sent

    # /ask answers only when its best sentence scores at least this; None: the measured value in
    # indexer/retrieval/answer_calibration.json
    answer_threshold: float | None = None

    @field_validator("api_key")
    @classmethod
    def _usable_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None  # ZHENGCE_API_KEY="" must not become a key that an empty header matches
        if not value.get_secret_value().isascii() or not value.get_secret_value().isprintable():
            raise ValueError("api_key must be printable ASCII: HTTP headers cannot carry anything else")
        return value
