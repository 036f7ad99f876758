"""`zhengce bench`: speed and memory benchmarks, a JSON report and a table (eval.bench)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from eval.bench import DEFAULT_CORPUS, FULL, QUICK, SECTIONS, Progress, format_table, run


def main_bench(args: Any) -> int:
    """`zhengce bench [--quick] [--out FILE] [--sections a,b] [--sizes n,m] [--sample-docs N] [--corpus JSONL]`."""
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
