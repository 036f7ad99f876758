"""`zhengce bench`: speed and memory benchmarks, a JSON report and a table (eval.bench)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser("bench", help="speed and memory benchmarks (JSON report + table)")
    bench.add_argument("--out", type=Path, default=Path("bench-report.json"))
    bench.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    bench.add_argument("--sections", default=None,
                       help="comma list of indexing,queries,ranker,milvus,memory,http,ocr (default all)")
    bench.add_argument("--sizes", default=None, help="comma list of chunk counts searched (default 10000,100000,1000000)")
    bench.add_argument("--sample-docs", type=int, default=None, help="documents indexed with the real model")
    bench.add_argument("--corpus", type=Path, default=None, help="JSONL corpus (default ../shared lawrefbook)")
    bench.set_defaults(handler=main_bench)


def main_bench(args: argparse.Namespace) -> int:
    """`zhengce bench [--quick] [--out FILE] [--sections a,b] [--sizes n,m] [--sample-docs N] [--corpus JSONL]`."""
    from eval.bench import DEFAULT_CORPUS, FULL, QUICK, SECTIONS, Progress, format_table, run

    plan = QUICK if args.quick else FULL
    if args.sample_docs is not None:
        if args.sample_docs < 1:
            print("zhengce bench: --sample-docs must be at least 1", file=sys.stderr)
            return 2
        plan = dataclasses.replace(plan, sample_docs=args.sample_docs)
    if getattr(args, "sizes", None):
        try:
            sizes = tuple(int(size) for size in args.sizes.split(",") if size.strip())
        except ValueError:
            sizes = ()
        if not sizes or min(sizes) < 1:
            print("zhengce bench: --sizes takes positive chunk counts, e.g. 10000,100000", file=sys.stderr)
            return 2
        plan = dataclasses.replace(plan, sizes=sizes)
    sections = [s.strip() for s in (args.sections or ",".join(SECTIONS)).split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown or not sections:
        print(f"zhengce bench: unknown section(s) {', '.join(unknown) or '(none given)'}; "
              f"choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    corpus_path = Path(args.corpus or DEFAULT_CORPUS)
    report = run(plan, sections, corpus_path, Progress())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(format_table(report))
    print(f"\nreport written to {out}")
    return 0
