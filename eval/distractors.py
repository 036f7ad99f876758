"""The seed corpus among real laws: does a staff question still find its seed passage first?

`python -m eval.distractors --sample 250 --index var/distractors` indexes ``corpus/`` plus a
seeded random sample of lawrefbook (read in place) and prints the top hits, with citations, for
the questions of the retrieval-core issue. The test suite checks the same question against the
closest childcare laws only; this is the check at scale, too slow for CI (minutes of embedding).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from indexer.documents import document_from_text
from indexer.search import Searcher
from indexer.store import Index, add_documents, update_index

REPO = Path(__file__).resolve().parents[1]
LAWREFBOOK = REPO.parent / "shared" / "corpus" / "lawrefbook" / "documents.jsonl"
QUESTIONS = ("普陀区社区宝宝屋覆盖了多少个街道镇", "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务")


def sample_laws(path: Path, size: int, seed: int) -> list:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    chosen = random.Random(seed).sample(rows, min(size, len(rows)))
    return [document_from_text(r["text"], r["id"], title=r.get("title"), doc_id=r["id"]) for r in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=250, help="lawrefbook documents added as distractors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=Path, default=REPO / "var" / "distractors")
    parser.add_argument("--lawrefbook", type=Path, default=LAWREFBOOK)
    args = parser.parse_args(argv)
    if not args.lawrefbook.is_file():
        print(f"{args.lawrefbook}: lawrefbook corpus not found", file=sys.stderr)
        return 2
    update_index([REPO / "corpus"], args.index)
    add_documents(args.index, sample_laws(args.lawrefbook, args.sample, args.seed))
    index = Index.load(args.index)
    print(f"index: {len(index.documents)} documents ({args.sample} lawrefbook laws, seed {args.seed}), "
          f"{len(index.chunks)} chunks")
    searcher = Searcher(index)
    for question in QUESTIONS:
        print(f"\n{question}")
        for hit in searcher.search(question, top_k=3):
            cite = hit.citation()
            print(f"  {hit.rank}. {hit.score:.3f} {cite['source']} {cite['doc_number'] or ''} {cite['date'] or ''} "
                  f"[{cite['char_start']}:{cite['char_end']}] {cite['section'] or ''}\n     {hit.chunk.text[:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
