"""Section "memory": resident memory of a fresh process that loads the corpus index, and the bytes
per chunk of each file of its generation."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from eval.bench.corpus import REPO, Corpus
from eval.bench.plan import Plan, Section
from eval.bench.timing import Progress

MEMORY_PROBE = """
import json, sys
import psutil
import faiss, bm25s, numpy
from indexer.retrieval.search import Searcher
from indexer.index.local import LocalIndex
process = psutil.Process()
baseline = process.memory_info().rss
index = LocalIndex.load(sys.argv[1])
loaded = process.memory_info().rss
searcher = Searcher(index)
for query in json.loads(sys.stdin.read()):
    searcher.search(query, 10, "lexical")
print(json.dumps({"baseline": baseline, "loaded": loaded, "after_lexical_queries": process.memory_info().rss,
                  "chunks": len(index.chunks), "documents": len(index.documents),
                  "generation": index.generation}))
"""


def bench_memory(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    """RSS of a fresh process before and after loading the index, and bytes per chunk of each file."""
    log("memory: loading the corpus index in a fresh process")
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(corpus.index_dir)], input=json.dumps(corpus.queries[:20]),
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed with code {done.returncode}: {done.stderr[-2000:]}")
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    chunks = probe["chunks"]
    mib = 2**20
    gen_dir = corpus.index_dir / probe["generation"]  # the generation the probe loaded
    files = {
        path.relative_to(gen_dir).as_posix(): path.stat().st_size for path in sorted(gen_dir.rglob("*")) if path.is_file()
    }
    delta = probe["loaded"] - probe["baseline"]
    return {
        "chunks": chunks,
        "documents": probe["documents"],
        "rss_baseline_mib": round(probe["baseline"] / mib, 1),
        "rss_loaded_mib": round(probe["loaded"] / mib, 1),
        "rss_after_lexical_queries_mib": round(probe["after_lexical_queries"] / mib, 1),
        "mib_per_100k_chunks": round(delta / mib / chunks * 100_000, 1),
        "note": "baseline = the process after importing numpy, faiss, bm25s and the indexer; embeddings.npy is "
        "memory-mapped (resident only where read); 'after queries' includes jieba's dictionary; "
        "factory Flat (see the dense study for other factories' bytes per vector)",
        "files": {name: {"bytes": size, "bytes_per_chunk": round(size / chunks, 1)} for name, size in files.items()},
        "total_bytes_per_chunk": round(sum(files.values()) / chunks, 1),
    }


def memory_table(m: dict[str, Any]) -> list[str]:
    return ["", f"Memory ({m['chunks']:,} chunks, Flat)", f"  RSS {m['rss_baseline_mib']} MiB -> "
            f"{m['rss_loaded_mib']} MiB loaded ({m['mib_per_100k_chunks']} MiB per 100k chunks), "
            f"{m['rss_after_lexical_queries_mib']} MiB after lexical queries",
            f"  bytes per chunk: total {m['total_bytes_per_chunk']}: "
            + ", ".join(f"{name} {f['bytes_per_chunk']}" for name, f in m["files"].items())]


SECTION = Section(measure=bench_memory, table=memory_table)
