"""The seed corpus among real laws: does a staff question still find its seed passage first?

`python -m eval.distractors --sample 250` indexes ``corpus/`` plus a
seeded random sample of lawrefbook (read in place) and prints the top hits, with citations, for
the questions of the retrieval-core issue. The test suite checks the same question against the
closest childcare laws only; this is the check at scale, too slow for CI (minutes of embedding).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.bench.corpus import DEFAULT_CORPUS, read_corpus, to_documents
from indexer.errors import ZhengceError
from indexer.index.stores import open_store
from indexer.retrieval.search import Searcher
from indexer.update.folder import add_documents, update_index

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = ("普陀区社区宝宝屋覆盖了多少个街道镇", "1-3岁婴幼儿家庭每年可以享受几次免费社区托育服务")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=250, help="lawrefbook documents added as distractors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default var/distractors-<sample>-<seed>; documents are only ever added)")
    parser.add_argument("--lawrefbook", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    try:
        laws = to_documents(read_corpus(args.lawrefbook, args.sample, args.seed))
    except ZhengceError as error:  # no corpus file, or a line that is not a document
        print(f"distractors: {error}", file=sys.stderr)
        return 2
    index_dir = args.index or REPO / "var" / f"distractors-{args.sample}-{args.seed}"
    update_index([REPO / "corpus"], index_dir)
    add_documents(index_dir, laws)
    index = open_store("local", index_dir=index_dir).open()
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
