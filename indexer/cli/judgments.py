"""`zhengce judgments export DIR`: staff marks from the web page as a BEIR set for `zhengce eval`."""

from __future__ import annotations

import sys
from argparse import Namespace

from eval.judgments import JudgmentLog, export_beir
from indexer.errors import BadInput
from indexer.index.backends import open_backend
from search_api.web.settings import WebSettings


def main_judgments(args: Namespace) -> int:
    """Only ``export`` for now: the page itself adds marks."""
    settings = WebSettings()
    path = args.judgments or settings.judgments_path(args.index_dir)
    marks = JudgmentLog(path).latest()
    if not marks:
        raise BadInput(f"{path}: no judgments yet (mark results 相关 / 不相关 on the 检索 page)")
    index = open_backend("local", index_dir=args.index_dir).open()
    summary = export_beir(marks, index.documents, args.out_dir)
    print(
        f"{args.out_dir}: {summary.queries} queries with a 相关 document, {summary.relevant} relevant and "
        f"{summary.not_relevant} not relevant (query, document) pairs, corpus of {summary.corpus} documents"
    )
    if summary.missing:
        print(f"left out, no longer in the index: {', '.join(summary.missing)}", file=sys.stderr)
    print(
        f"next: zhengce eval --dataset {args.out_dir} --json {settings.eval_dir(args.index_dir)}/<name>.json "
        "(the 评测 page shows the newest result there)"
    )
    return 0
