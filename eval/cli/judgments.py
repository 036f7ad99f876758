"""`zhengce judgments export DIR`: staff marks from the web page as a BEIR set for `zhengce eval`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from indexer.errors import BadInput


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    judgments = commands.add_parser("judgments", help="staff relevance judgments from the web page")
    judgments_jobs = judgments.add_subparsers(dest="job", required=True)
    export = judgments_jobs.add_parser("export", help="write the judgments as a BEIR dataset that zhengce eval reads")
    export.add_argument("out_dir", type=Path, metavar="DIR")
    export.add_argument("--index", dest="index_dir", type=Path, default=Path("var/index"), help="the index judged (default var/index)")
    export.add_argument("--judgments", type=Path, default=None,
                        help="judgments file (default ZHENGCE_JUDGMENTS_FILE, else judgments.jsonl beside the index)")
    judgments.set_defaults(handler=main_judgments)


def main_judgments(args: argparse.Namespace) -> int:
    """Only ``export`` for now: the page itself adds marks."""
    from eval.judgments import JudgmentLog, export_beir
    from indexer.update.backends import open_backend
    from search_api.web.settings import WebSettings

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
