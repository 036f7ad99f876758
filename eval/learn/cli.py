"""`python -m eval.learn dump | train | repeated` (the commands are listed in eval.learn)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.learn.dumps import dump, load
from eval.learn.export import SOURCE_MODEL, write_model
from eval.learn.report import repeated, report
from eval.learn.variants import VARIANTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.learn",
                                     description="Train and cross-validate the learned ranker (indexer.retrieval.rerank) on the dev splits.")
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("results", type=Path, help="a zhengce eval --json file (its index is read)")
    training = commands.add_parser("train")
    training.add_argument("dumps", nargs="+", type=Path)
    training.add_argument("--variants", help=f"comma-separated, of: {', '.join(VARIANTS)} (default: all)")
    training.add_argument("--json", type=Path, help="write the cross-validated figures here")
    training.add_argument("--write", type=Path, nargs="?", const=SOURCE_MODEL, default=None, metavar="PATH",
                          help="train the first variant (LambdaRank) on everything and write its trees to PATH "
                               f"(without PATH: {SOURCE_MODEL}, the shipped model in this source checkout)")
    training.add_argument("--seed", type=int, default=0)
    repeating = commands.add_parser("repeated", help="one variant's held-out figures averaged over fold deals")
    repeating.add_argument("reports", nargs="+", type=Path, help="train --json files, one per deal of the folds")
    repeating.add_argument("--variant", required=True)
    repeating.add_argument("--json", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "dump":
        print(dump(args.results))
        return 0
    if args.command == "repeated":
        reports = [json.loads(path.read_text(encoding="utf-8")) for path in args.reports]
        averaged = repeated(reports, args.variant)
        if args.json:
            args.json.write_text(json.dumps(averaged, indent=1) + "\n", encoding="utf-8")
        return 0
    if args.write and not args.write.parent.is_dir():
        raise SystemExit(f"--write {args.write}: no folder {args.write.parent} here (give the model's path)")
    sets = load(args.dumps)
    names = args.variants.split(",") if args.variants else None
    rows = report(sets, args.seed, names)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        today = {data["dataset"]: data["hybrid_per_query"] for data in sets}
        args.json.write_text(json.dumps({"variants": rows, "today": today}) + "\n", encoding="utf-8")
    if args.write:
        print(f"model: {write_model(sets, rows, args.seed, names[0] if names else 'lambdarank', args.write)}")
    return 0
